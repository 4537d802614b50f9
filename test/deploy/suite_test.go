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
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/testenv"
)

func TestDeploy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Deploy Suite")
}

// Each spec that needs an API server starts its own (testenv.RequireAssets
// finds the binaries).
var _ = BeforeSuite(func() {
	testenv.Suite(testenv.SuiteOptions{
		NoControlPlane:    true,
		EventuallyTimeout: 60 * time.Second, EventuallyPolling: 100 * time.Millisecond,
	})
})
