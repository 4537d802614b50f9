package access

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/internal/localcluster"
)

// One API server (etcd and kube-apiserver, no controller-manager) for the
// package, started by the first test that needs it and stopped by TestMain.
var (
	envOnce    sync.Once
	testEnv    *envtest.Environment
	envConfig  *rest.Config
	envErr     error
	envSkip    string
	testScheme = k8sruntime.NewScheme()
)

func init() {
	if err := clientgoscheme.AddToScheme(testScheme); err != nil {
		panic(err)
	}
	if err := orgsv1alpha1.AddToScheme(testScheme); err != nil {
		panic(err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testEnv != nil {
		if err := testEnv.Stop(); err != nil && envErr == nil {
			fmt.Fprintf(os.Stderr, "stopping envtest: %v\n", err)
		}
	}
	os.Exit(code)
}

// apiServer returns a config for the package's API server, starting it on
// first use. It fails the test when the envtest binaries are missing and
// skips it only when ROSTER_SKIP_ENVTEST asks to (localcluster.TestAssetsDir).
func apiServer(t *testing.T) *rest.Config {
	t.Helper()
	envOnce.Do(func() {
		dir, err := localcluster.TestAssetsDir()
		if errors.Is(err, localcluster.ErrSkipEnvtest) {
			envSkip = err.Error()
			return
		}
		if err != nil {
			envErr = err
			return
		}
		crds, err := config.CRDs()
		if err != nil {
			envErr = fmt.Errorf("loading CRDs: %w", err)
			return
		}
		testEnv = &envtest.Environment{
			BinaryAssetsDirectory: dir,
			CRDInstallOptions:     envtest.CRDInstallOptions{CRDs: crds},
		}
		envConfig, envErr = testEnv.Start()
	})
	if envSkip != "" {
		t.Skip(envSkip)
	}
	if envErr != nil {
		t.Fatalf("starting envtest: %v", envErr)
	}
	return envConfig
}

// adminClient is a direct (uncached) client with the test's admin identity.
func adminClient(t *testing.T) client.WithWatch {
	t.Helper()
	c, err := client.NewWithWatch(apiServer(t), client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatalf("creating client: %v", err)
	}
	return c
}
