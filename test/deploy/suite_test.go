// Package deploy_test checks Roster's install and its behaviour under GitOps:
//
//   - static_test.go: what config/default, the cert-manager overlay and the
//     Helm chart render (no API server);
//   - install_test.go: each render applied with server-side apply to a real
//     API server (envtest), the manager's ClusterRole equal to the generated
//     one, re-applying changing nothing, and self-managed certificate
//     rotation working under the installed RBAC;
//   - drift_test.go: config/samples applied as Flux does (github.com/fluxcd/pkg/ssa)
//     by a GitOps identity bound to roster-gitops, against the local control
//     plane with Roster's webhooks and controllers, kstatus Current, and a
//     second apply that changes nothing.
package deploy_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func TestDeploy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Deploy Suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
})

// requireAssets skips a spec that needs an API server when the envtest
// binaries are not there (`make test` builds them).
func requireAssets() {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		Skip("KUBEBUILDER_ASSETS is not set: run `make test`, which builds the envtest binaries")
	}
}
