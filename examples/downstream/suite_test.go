package downstream_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/roster-dev/roster/pkg/rostertest"
)

func TestDownstream(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Downstream Suite")
}

var (
	ctx     = context.Background()
	testEnv *envtest.Environment
	roster  *rostertest.Roster
)

// The whole set-up: envtest as usual, then Roster on it.
var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	testEnv = &envtest.Environment{}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "set KUBEBUILDER_ASSETS to the control-plane binaries (docs/envtest.md)")
	roster, err = rostertest.Start(ctx, cfg, rostertest.Options{Invitations: true, AggregateBuiltinRoles: true})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if roster != nil {
		Expect(roster.Stop()).To(Succeed())
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
