package access

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/config"
)

// envtestKubernetesVersion is the version hack/envtest-binaries.sh builds
// (K8S_VERSION in the Makefile).
const envtestKubernetesVersion = "1.37.2"

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

// assetsDir finds etcd and kube-apiserver: $KUBEBUILDER_ASSETS (which
// `make test` sets), else the setup-envtest store that
// hack/envtest-binaries.sh fills. It returns a reason to skip when neither
// has them.
func assetsDir() (dir, skip string) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, ""
	}
	store := os.Getenv("ENVTEST_STORE")
	if store == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", "no KUBEBUILDER_ASSETS and no home directory to find the envtest store in"
			}
			base = filepath.Join(home, ".local", "share")
		}
		store = filepath.Join(base, "kubebuilder-envtest")
	}
	dir = filepath.Join(store, "k8s", envtestKubernetesVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Sprintf("envtest binaries not found: KUBEBUILDER_ASSETS is empty and %s does not exist; "+
				"run the tests with `make test` (it builds them with hack/envtest-binaries.sh) or set KUBEBUILDER_ASSETS",
				filepath.Join(dir, bin))
		}
	}
	return dir, ""
}

// apiServer returns a config for the package's API server, starting it on
// first use, or skips the test when the envtest binaries are missing.
func apiServer(t *testing.T) *rest.Config {
	t.Helper()
	envOnce.Do(func() {
		dir, skip := assetsDir()
		if skip != "" {
			envSkip = skip
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
