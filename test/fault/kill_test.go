package fault_test

import (
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
)

var _ = Describe("The manager killed at random moments", func() {
	It("converges after every kill, under churn, with nothing lost, duplicated or orphaned", func() {
		kills, orgs := 4, 3
		if long {
			kills, orgs = 30, 6
		}
		w := newWorld("kill", orgs+1, 2)
		doomed := w.names()[orgs] // deleted, members and all, halfway through

		stop, churned := make(chan struct{}), make(chan struct{})
		go w.churn(stop, churned)
		killer := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 99))
		var lived []time.Duration
		for i := range kills {
			p := startManager("kill", managerKubeconfig)
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
		close(stop)
		<-churned

		final := startManager("after-kills", managerKubeconfig)
		took := w.expectConverged()
		final.expectRunning()
		AddReportEntry("kills", lived)
		AddReportEntry("churn", w.summary())
		AddReportEntry("converged after the last restart in", took.Round(time.Millisecond).String())
		GinkgoWriter.Printf("%d SIGKILLs (lifetimes %v); %s; converged %s after the last restart\n", kills, lived, w.summary(), took.Round(time.Millisecond))
	})
})
