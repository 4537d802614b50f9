package fault_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/testenv"
)

// acquired is what client-go's leader election logs on taking the lease;
// "Starting workers" is logged only by a manager whose controllers run.
const (
	acquired       = "Successfully acquired lease"
	startedWorkers = `Starting workers	{"controller": "organization"`
)

var _ = Describe("Two managers with leader election", func() {
	It("has one leader reconcile, and the other take over and converge when the leader is killed", func() {
		w := newWorld("lead", 2, 1)
		a := startManager("replica-a", managerKubeconfig, "--leader-elect")
		b := startManager("replica-b", managerKubeconfig, "--leader-elect")

		var leader, standby *managerProcess
		Eventually(func() bool {
			switch {
			case strings.Contains(a.log(), acquired):
				leader, standby = a, b
			case strings.Contains(b.log(), acquired):
				leader, standby = b, a
			}
			return leader != nil
		}).Should(BeTrue(), "no replica acquired the lease")
		w.waitForHomes()
		lease := &coordinationv1.Lease{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: testenv.ManagerNamespace, Name: "roster.orgs.roster.dev"}, lease)).To(Succeed())

		for range 40 {
			w.step()
		}
		w.expectConverged()
		Expect(standby.log()).NotTo(ContainSubstring(startedWorkers), "the standby reconciled while the leader held the lease")
		Expect(standby.log()).NotTo(ContainSubstring(acquired))

		leader.kill()
		killed := time.Now()
		for range 40 {
			w.step()
		}
		Eventually(standby.log).WithTimeout(60*time.Second).Should(ContainSubstring(acquired), "the standby never took over")
		tookOver := time.Since(killed)
		took := w.expectConverged()
		standby.expectRunning()
		Expect(standby.log()).To(ContainSubstring(startedWorkers))
		AddReportEntry("lease taken over after the leader's SIGKILL in", tookOver.Round(time.Millisecond).String())
		AddReportEntry("converged after the takeover in", took.Round(time.Millisecond).String())
		AddReportEntry("churn", w.summary())
	})
})
