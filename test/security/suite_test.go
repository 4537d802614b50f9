// Package security_test is Roster's attack suite: every role below Owner,
// every outsider and a cluster admin where the invariants bind them too try
// to get past Roster by every path the API offers, as real users (client
// certificates) against a real API server with Roster's webhooks and
// controllers running under the manager's own RBAC. Each attempt asserts
// the refusal, the layer and message that refused it, and that nothing
// changed.
package security_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/testenv"
)

var (
	env *testenv.Env
	ctx context.Context
)

func TestSecurity(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Attack Suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.MultiWriter(GinkgoWriter, logs)), zap.UseDevMode(true)))
	ctx = context.Background()
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	var err error
	env, err = testenv.Start(ctx, testenv.Options{Webhooks: true, Controllers: true})
	if errors.Is(err, testenv.ErrNoAssets) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	startInvitations()
	setUpWorld()
})

var _ = AfterSuite(func() {
	if env == nil {
		return
	}
	checkAttemptCount()
	if stopInvitations != nil {
		stopInvitations()
		Eventually(invitationsDone).Should(Receive(BeNil()))
	}
	Expect(env.Stop()).To(Succeed())
})

var (
	// logs is everything the managers logged: the log notifier's links.
	logs            = &syncBuffer{}
	stopInvitations context.CancelFunc
	invitationsDone chan error
)

// startInvitations runs the Invitation controller and the accept server
// as cmd/manager builds them, as the manager's own identity, with the log
// notifier; testenv's manager runs the webhooks and the Organization
// controller next to it.
func startInvitations() {
	GinkgoHelper()
	invCtx, cancel := context.WithCancel(context.Background())
	mgr, err := manager.New(invCtx, env.ManagerConfig, manager.Options{
		MetricsAddr: "0", ProbeAddr: "0",
		ManagerNamespace: testenv.ManagerNamespace,
		Invitations: &manager.InvitationOptions{
			Notifier: notify.NotifierConfig{Kind: notify.NotifierLog},
			Accept: acceptserver.ServerOptions{
				BindAddress: "127.0.0.1:0",
				// Every request of the suite comes from 127.0.0.1: a burst
				// of 40 (one more every 200 ms) serves the attempts and is
				// still met by a guesser.
				ClientLimit:     acceptserver.Limit{Every: 200 * time.Millisecond, Burst: 40},
				InvitationLimit: acceptserver.DefaultInvitationLimit,
			},
		},
	})
	if err != nil {
		cancel()
	}
	Expect(err).NotTo(HaveOccurred())
	stopInvitations = cancel
	invitationsDone = make(chan error, 1)
	go func() { invitationsDone <- mgr.Start(invCtx) }()
	syncCtx, syncCancel := context.WithTimeout(ctx, time.Minute)
	defer syncCancel()
	Expect(mgr.GetCache().WaitForCacheSync(syncCtx)).To(BeTrue())
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
