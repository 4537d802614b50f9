package organization_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/testenv"
)

// The controller suite runs the manager in-process under its own generated
// ClusterRole, against the local control plane (with kube-controller-manager,
// so the built-in admin, edit and view roles are aggregated), with the
// webhooks off: what holds here holds even when admission is bypassed.

var (
	env *testenv.Env
	ctx = context.Background()
)

func TestOrganizationController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Organization Controller Suite")
}

var _ = BeforeSuite(func() {
	env = testenv.Suite(testenv.SuiteOptions{Options: testenv.Options{Controllers: true}})
})
