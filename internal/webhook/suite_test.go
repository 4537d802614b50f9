package webhook_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/testenv"
)

// The admission suite acts as real users against a real API server with
// Roster's webhooks and controllers running under the manager's own RBAC.

var (
	env *testenv.Env
	ctx = context.Background()
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Admission Suite")
}

var _ = BeforeSuite(func() {
	env = testenv.Suite(testenv.SuiteOptions{Options: testenv.Options{Webhooks: true, Controllers: true}})
})
