package fault_test

import (
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// A busy API server throttles (429 with Retry-After) and refuses writes
// made on a stale view (409). The manager here reaches the API server
// through a proxy that injects both, on top of its own client-side limit,
// while people change the membership and scribble on the same objects.
// Every acknowledged write survives, and conflicts are retried quietly.
var _ = Describe("API conflicts and throttling", func() {
	It("retries every throttled or conflicting request and loses no update", func() {
		churnFor := 6 * time.Second
		if long {
			churnFor = 60 * time.Second
		}
		proxy := newAPIProxy(env.ManagerConfig, 0.08, 0.3)
		DeferCleanup(proxy.close)
		kubeconfig := filepath.Join(workDir, "throttled.kubeconfig")
		proxy.kubeconfig(kubeconfig)

		w := newWorld("busy", 3, 2)
		p := startManager("throttled", kubeconfig, "--kube-api-qps=10", "--kube-api-burst=10")
		w.waitForHomes()

		stop, churned, scribbled := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go w.churn(stop, churned)
		go func() {
			defer GinkgoRecover()
			defer close(scribbled)
			for {
				select {
				case <-stop:
					return
				case <-time.After(15 * time.Millisecond):
				}
				w.scribble()
			}
		}()
		time.Sleep(churnFor)
		close(stop)
		<-churned
		<-scribbled

		took := w.expectConverged()
		p.expectRunning()
		Expect(proxy.injectedThrottle.Load()).To(BeNumerically(">", 0))
		Expect(proxy.injectedConflict.Load()).To(BeNumerically(">", 0))
		// A conflict is a stale view, retried at once; never an error.
		Expect(reconcileConflict.FindString(p.log())).To(BeEmpty(), "a conflict surfaced as a reconcile error")

		AddReportEntry("injected", map[string]int64{
			"429 Too Many Requests":                      proxy.injectedThrottle.Load(),
			"409 Conflict":                               proxy.injectedConflict.Load(),
			"409 from the API server (real stale views)": proxy.realConflicts.Load(),
			"forwarded":                                  proxy.forwarded.Load(),
		})
		AddReportEntry("churn", w.summary())
		AddReportEntry("converged after the churn in", took.Round(time.Millisecond).String())
	})
})

var reconcileConflict = regexp.MustCompile(`Reconciler error.*the object has been modified`)
