package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
)

// KubernetesVersion is the version of the control-plane binaries
// hack/envtest-binaries.sh installs into the setup-envtest store.
const KubernetesVersion = "1.37.2"

// Binaries are the executables an assets directory must hold.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"}

// DefaultAssetsDir returns $KUBEBUILDER_ASSETS when it holds all of
// Binaries, else the setup-envtest store directory that
// hack/envtest-binaries.sh fills:
// ${ENVTEST_STORE:-${XDG_DATA_HOME:-~/.local/share}/kubebuilder-envtest}/k8s/<KubernetesVersion>-<GOOS>-<GOARCH>.
// When a binary is missing there it returns that directory together with
// an error telling how to build the binaries.
func DefaultAssetsDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" && checkAssets(dir) == nil {
		return dir, nil
	}
	store := os.Getenv("ENVTEST_STORE")
	if store == "" {
		base := os.Getenv("XDG_DATA_HOME")
		if base == "" {
			home, err := homeDir()
			if err != nil {
				return "", fmt.Errorf("locating the envtest binaries: %w", err)
			}
			base = filepath.Join(home, ".local", "share")
		}
		store = filepath.Join(base, "kubebuilder-envtest")
	}
	dir := filepath.Join(store, "k8s", KubernetesVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	return dir, checkAssets(dir)
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
	return fmt.Errorf("control-plane binaries missing from %s: %s; run hack/envtest-binaries.sh (or make run, which does) to build them",
		dir, strings.Join(missing, ", "))
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
