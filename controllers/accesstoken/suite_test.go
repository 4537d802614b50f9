package accesstoken_test

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

// The controller suite runs the manager in-process under its own generated
// ClusterRole, against the local control plane (with kube-controller-manager,
// so the built-in admin, edit and view roles are aggregated), with the
// webhooks off: what holds here holds even when admission is bypassed.

var (
	env *testenv.Env
	ctx context.Context
)

func TestAccessTokenController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "AccessToken Controller Suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx = context.Background()
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	var err error
	env, err = testenv.Start(ctx, testenv.Options{Webhooks: false, Controllers: true})
	if errors.Is(err, testenv.ErrNoAssets) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	Expect(env.Stop()).To(Succeed())
})
