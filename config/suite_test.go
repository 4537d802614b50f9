package config_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/testenv/apiserver"
)

// These tests install the embedded CRDs into a real API server (envtest, no
// webhooks, no manager) and check what the schema alone refuses.

var (
	apiServer apiserver.Server
	k8sClient client.Client
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestConfig(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Config Suite")
}

var _ = BeforeSuite(func() {
	k8sClient = apiServer.Client(GinkgoTB())
	ctx, cancel = context.WithCancel(context.Background())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	Expect(apiServer.Stop()).To(Succeed())
})
