package project_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/testenv"
)

// The Project suite runs the manager in-process under its own generated
// ClusterRole, with the webhooks, against the local control plane (with
// kube-controller-manager: the built-in admin, edit and view roles are
// aggregated, quotas are counted and deleted namespaces go).

var (
	env *testenv.Env
	ctx = context.Background()
)

func TestProjectController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Project Controller Suite")
}

var _ = BeforeSuite(func() {
	env = testenv.Suite(testenv.SuiteOptions{Options: testenv.Options{Webhooks: true, Controllers: true}})
})
