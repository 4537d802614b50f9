package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/test/argocd"
)

// Namespace and release of the installs under test: config/default's, and a
// Helm release named roster in the same namespace, so both have the same names.
const (
	installNamespace = "roster-system"
	releaseName      = "roster"
	managerRole      = "roster-manager"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// repoRoot is the repository's root directory.
func repoRoot() (string, error) {
	rootOnce.Do(func() { rootDir, rootErr = argocd.RepoRoot(".") })
	return rootDir, rootErr
}

// tool is a binary the Makefile installs into bin/ at a pinned version
// (`make test` depends on `make kustomize helm`).
func tool(name string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "bin", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is not installed in bin/: run `make kustomize helm` (make test does it), which installs the pinned versions", name)
	}
	return path, nil
}

func run(name string, args ...string) ([]byte, error) {
	path, err := tool(name)
	if err != nil {
		return nil, err
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// kustomizeBuild renders a kustomization of config/.
func kustomizeBuild(dir string) ([]*unstructured.Unstructured, error) {
	out, err := run("kustomize", "build", dir)
	if err != nil {
		return nil, err
	}
	return decode(out)
}

// helmTemplate renders charts/roster as release roster in roster-system.
func helmTemplate(args ...string) ([]*unstructured.Unstructured, error) {
	out, err := run("helm", append([]string{"template", releaseName, "charts/roster", "--namespace", installNamespace}, args...)...)
	if err != nil {
		return nil, err
	}
	return decode(out)
}

func decode(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := &unstructured.Unstructured{}
		err := decoder.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

// variant is one way of installing Roster.
type variant struct {
	name        string
	render      func() ([]*unstructured.Unstructured, error)
	certManager bool
	// namespaceShipped: kustomize ships the Namespace; Helm installs into
	// an existing one.
	namespaceShipped bool
}

var variants = []variant{
	{name: "config/default", render: func() ([]*unstructured.Unstructured, error) { return kustomizeBuild("config/default") },
		namespaceShipped: true},
	{name: "config/overlays/cert-manager", render: func() ([]*unstructured.Unstructured, error) {
		return kustomizeBuild("config/overlays/cert-manager")
	}, certManager: true, namespaceShipped: true},
	{name: "helm", render: func() ([]*unstructured.Unstructured, error) { return helmTemplate() }},
	{name: "helm, cert-manager", render: func() ([]*unstructured.Unstructured, error) {
		return helmTemplate("--set", "certificates.mode=cert-manager")
	}, certManager: true},
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// generatedManagerRules are the rules controller-gen wrote from the RBAC
// markers into config/rbac/role.yaml.
func generatedManagerRules() ([]rbacv1.PolicyRule, error) {
	roles, err := config.ClusterRoles()
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.Name == managerRole {
			return r.Rules, nil
		}
	}
	return nil, errors.New("config/rbac/role.yaml has no ClusterRole " + managerRole)
}

func rulesOf(obj *unstructured.Unstructured) ([]rbacv1.PolicyRule, error) {
	role := &rbacv1.ClusterRole{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, role); err != nil {
		return nil, err
	}
	return role.Rules, nil
}

// managerArgs are the manager container's arguments as flag → value.
func managerArgs(objs []*unstructured.Unstructured) (map[string]string, []string, error) {
	deployments := ofKind(objs, "Deployment")
	if len(deployments) != 1 {
		return nil, nil, fmt.Errorf("want one Deployment, got %d", len(deployments))
	}
	containers, _, err := unstructured.NestedSlice(deployments[0].Object, "spec", "template", "spec", "containers")
	if err != nil || len(containers) != 1 {
		return nil, nil, fmt.Errorf("want one container: %v", err)
	}
	raw, _, err := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	if err != nil {
		return nil, nil, err
	}
	args := map[string]string{}
	for _, a := range raw {
		name, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			value = "true"
		}
		args[name] = value
	}
	return args, raw, nil
}
