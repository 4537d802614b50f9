// Package security_test is Roster's attack suite: every role below Owner,
// every outsider and a cluster admin where the invariants bind them too try
// to get past Roster by every path the API offers, as real users (client
// certificates) against a real API server with Roster's webhooks and
// controllers running under the manager's own RBAC. Each attempt asserts
// the refusal, the layer and message that refused it, and that nothing
// changed.
package security_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/testenv"
)

var (
	// logs is everything the manager logged: the log notifier's links.
	logs = &testenv.SyncBuffer{}
	env  *testenv.Env
	ctx  = context.Background()
)

func TestSecurity(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Attack Suite")
}

var _ = BeforeSuite(func() {
	// The manager runs the webhooks, the controllers, and the Invitation
	// controller and accept server as cmd/manager builds them, with the
	// log notifier.
	env = testenv.Suite(testenv.SuiteOptions{
		Options: testenv.Options{Webhooks: true, Controllers: true, Invitations: &manager.InvitationOptions{
			Notifier: notify.NotifierConfig{Kind: notify.NotifierLog},
			Accept: acceptserver.ServerOptions{
				BindAddress: "127.0.0.1:0",
				// Every request of the suite comes from 127.0.0.1: a burst
				// of 40 (one more every 200 ms) serves the attempts and is
				// still met by a guesser.
				ClientLimit:     acceptserver.Limit{Every: 200 * time.Millisecond, Burst: 40},
				InvitationLimit: acceptserver.DefaultInvitationLimit,
			},
		}},
		Log: logs,
	})
	setUpWorld()
})

var _ = AfterSuite(func() {
	if env == nil {
		return
	}
	checkAttemptCount()
})
