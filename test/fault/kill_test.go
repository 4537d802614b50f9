package fault_test

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The manager killed at random moments", func() {
	It("converges after every kill, under churn, with nothing lost, duplicated or orphaned", func() {
		kills, orgs := 4, 3
		if long {
			kills, orgs = 30, 6
		}
		w := newWorld("kill", orgs+1, 2)
		doomed := w.names()[orgs] // deleted, members and all, halfway through

		stop, churned, answering := make(chan struct{}), make(chan struct{}), make(chan struct{})
		go w.churn(stop, churned)
		// Invitees answer their links meanwhile, through whichever
		// manager runs, and answer again when no reply came.
		var running atomic.Pointer[managerProcess]
		go func() {
			defer GinkgoRecover()
			defer close(answering)
			for {
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
				}
				p := running.Load()
				if p == nil {
					continue
				}
				if a := w.nextAcceptance(true); a != nil {
					res, err := answerLink(p.acceptAPI(), a.token)
					w.answered(a, res, err)
				}
			}
		}()
		killer := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 99))
		var lived []time.Duration
		for i := range kills {
			p := startManager("kill", managerKubeconfig)
			running.Store(p)
			// Early kills land while the caches sync and the first
			// reconciles run, later ones in the middle of the churn.
			life := time.Duration(150+killer.IntN(2500)) * time.Millisecond
			time.Sleep(life)
			p.expectRunning()
			p.kill()
			lived = append(lived, life)
			if i == kills/2 {
				w.deleteOrganization(doomed)
			}
			time.Sleep(time.Duration(killer.IntN(300)) * time.Millisecond)
		}
		running.Store(nil)
		close(stop)
		<-churned
		<-answering

		final := startManager("after-kills", managerKubeconfig)
		// Every answer still owed is given again: it comes to the one
		// Member the first answer made, or makes it now.
		Eventually(func() bool {
			if a := w.nextAcceptance(false); a != nil {
				res, err := answerLink(final.acceptAPI(), a.token)
				w.answered(a, res, err)
			}
			return w.owed()
		}).Should(BeFalse())
		took := w.expectConverged()
		final.expectRunning()
		AddReportEntry("kills", lived)
		AddReportEntry("churn", w.summary())
		AddReportEntry("converged after the last restart in", took.Round(time.Millisecond).String())
		GinkgoWriter.Printf("%d SIGKILLs (lifetimes %v); %s; converged %s after the last restart\n", kills, lived, w.summary(), took.Round(time.Millisecond))
	})
})
