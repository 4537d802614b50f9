package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// KubernetesVersion is the version of the control-plane binaries
// hack/envtest-binaries.sh installs into the setup-envtest store, and its
// one home: the Makefile's K8S_VERSION and the script read it from this line
// through hack/k8s-version.sh (TestKubernetesVersionIsTheScripts checks).
const KubernetesVersion = "1.37.2"

// Binaries are the executables an assets directory must hold.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"}

// BuildCommand builds the control-plane binaries into the setup-envtest
// store (hack/envtest-binaries.sh; `make envtest` runs it).
const BuildCommand = "make envtest"

// SkipEnvtestEnv names the variable that, set to a true value (1, true),
// makes TestAssetsDir return ErrSkipEnvtest, so the suites that need a
// control plane skip. It is the only way they skip: missing binaries are
// an error.
const SkipEnvtestEnv = "ROSTER_SKIP_ENVTEST"

// ErrSkipEnvtest is what TestAssetsDir returns when SkipEnvtestEnv asks the
// suites that need a control plane to skip.
var ErrSkipEnvtest = errors.New(SkipEnvtestEnv + " is set: skipping the tests that need a control plane")

// DefaultAssetsDir returns the directory holding all of Binaries, looked
// up as setup-envtest and hack/envtest-binaries.sh do: $KUBEBUILDER_ASSETS
// when it holds them all, else the setup-envtest store,
// ${ENVTEST_STORE:-${XDG_DATA_HOME:-~/.local/share}/kubebuilder-envtest}/k8s/<KubernetesVersion>-<GOOS>-<GOARCH>.
// When a binary is missing there it returns the store directory together
// with an error naming what is missing and the command that builds it.
func DefaultAssetsDir() (string, error) {
	env := os.Getenv("KUBEBUILDER_ASSETS")
	if env != "" && checkAssets(env) == nil {
		return env, nil
	}
	dir, err := storeDir()
	if err != nil {
		return "", fmt.Errorf("locating the control-plane binaries: %w; run %s (hack/envtest-binaries.sh) or set KUBEBUILDER_ASSETS", err, BuildCommand)
	}
	if err := checkAssets(dir); err != nil {
		if env != "" {
			return dir, fmt.Errorf("%w (KUBEBUILDER_ASSETS=%s does not hold them all either)", err, env)
		}
		return dir, err
	}
	return dir, nil
}

// TestAssetsDir is DefaultAssetsDir for test suites: it returns
// ErrSkipEnvtest when SkipEnvtestEnv is set, and otherwise an error that
// also says how to skip when the binaries are missing. A suite skips on
// ErrSkipEnvtest and fails on any other error, so `go test ./...` never
// reports ok for a suite that ran nothing unless it was asked to.
//
// It sets $KUBEBUILDER_ASSETS to the directory found: envtest.Environment
// prefers that variable, even set empty, to its BinaryAssetsDirectory.
func TestAssetsDir() (string, error) {
	if skip, _ := strconv.ParseBool(os.Getenv(SkipEnvtestEnv)); skip {
		return "", ErrSkipEnvtest
	}
	dir, err := DefaultAssetsDir()
	if err != nil {
		return "", fmt.Errorf("%w (to skip the tests that need a control plane instead, set %s=1)", err, SkipEnvtestEnv)
	}
	if err := os.Setenv("KUBEBUILDER_ASSETS", dir); err != nil {
		return "", err
	}
	return dir, nil
}

// storeDir is the setup-envtest store's directory for KubernetesVersion on
// this platform.
func storeDir() (string, error) {
	store := os.Getenv("ENVTEST_STORE")
	if store == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" {
			home, err := homeDir()
			if err != nil {
				return "", err
			}
			base = filepath.Join(home, ".local", "share")
		}
		store = filepath.Join(base, "kubebuilder-envtest")
	}
	return filepath.Join(store, "k8s", KubernetesVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH), nil
}

// checkAssets reports which of Binaries are missing from dir.
func checkAssets(dir string) error {
	var missing []string
	for _, b := range Binaries {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0) {
			missing = append(missing, b)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("control-plane binaries missing from %s: %s; run %s (hack/envtest-binaries.sh, which builds them into the setup-envtest store) or set KUBEBUILDER_ASSETS to a directory that holds them",
		dir, strings.Join(missing, ", "), BuildCommand)
}

// ClusterConfigured reports whether a cluster is configured the way kubectl
// and controller-runtime's config loading find one: a file listed in
// $KUBECONFIG exists; or, with $KUBECONFIG unset, ~/.kube/config exists; or
// this runs in a pod (KUBERNETES_SERVICE_HOST and the service account
// token). When it is false the manager uses local mode.
func ClusterConfigured() bool {
	if inCluster() {
		return true
	}
	if env := os.Getenv("KUBECONFIG"); env != "" {
		// Like clientcmd: a set $KUBECONFIG replaces ~/.kube/config.
		for _, p := range filepath.SplitList(env) {
			if p != "" && isFile(p) {
				return true
			}
		}
		return false
	}
	home, err := homeDir()
	if err != nil {
		return false
	}
	return isFile(filepath.Join(home, ".kube", "config"))
}

// serviceAccountTokenFile is where in-cluster configuration reads its token.
var serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token" //nolint:gosec // a well-known path, not a credential

func inCluster() bool {
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" && isFile(serviceAccountTokenFile)
}

func homeDir() (string, error) {
	if h := os.Getenv("HOME"); h != "" {
		return h, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	if u.HomeDir == "" {
		return "", errors.New("no home directory")
	}
	return u.HomeDir, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
