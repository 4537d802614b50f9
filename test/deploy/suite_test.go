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
	"errors"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/roster-dev/roster/internal/localcluster"
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

// requireAssets returns the envtest binaries' directory for a spec that
// needs an API server (localcluster.TestAssetsDir): it fails the spec when
// they are missing and skips it only when ROSTER_SKIP_ENVTEST asks to.
func requireAssets() string {
	GinkgoHelper()
	dir, err := localcluster.TestAssetsDir()
	if errors.Is(err, localcluster.ErrSkipEnvtest) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	return dir
}
