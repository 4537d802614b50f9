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
	"errors"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

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
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx = context.Background()
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	var err error
	env, err = testenv.Start(ctx, testenv.Options{Webhooks: true, Controllers: true})
	if errors.Is(err, testenv.ErrNoAssets) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	setUpWorld()
})

var _ = AfterSuite(func() {
	if env == nil {
		return
	}
	checkAttemptCount()
	Expect(env.Stop()).To(Succeed())
})
