package argocd_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/test/argocd"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm.yaml from the health scripts")

// healthTests is Argo CD's health_test.yaml.
type healthTests struct {
	Tests []struct {
		HealthStatus argocd.Status `json:"healthStatus"`
		InputPath    string        `json:"inputPath"`
	} `json:"tests"`
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := argocd.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// kinds are Roster's CRD kinds, from the embedded CRDs.
func kinds(t *testing.T) []string {
	t.Helper()
	crds, err := config.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, crd := range crds {
		out = append(out, crd.Spec.Group+"/"+crd.Spec.Names.Kind)
	}
	sort.Strings(out)
	return out
}

func TestEveryKindHasAHealthScriptTestedInEveryState(t *testing.T) {
	root := root(t)
	for _, gk := range kinds(t) {
		t.Run(gk, func(t *testing.T) {
			g := NewWithT(t)
			dir := filepath.Join(root, "config", "argocd", gk)
			g.Expect(filepath.Join(dir, "health.lua")).To(BeAnExistingFile())
			data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
			g.Expect(err).NotTo(HaveOccurred())
			var tests healthTests
			g.Expect(yaml.UnmarshalStrict(data, &tests)).To(Succeed())
			seen := map[string]bool{}
			for _, tc := range tests.Tests {
				seen[tc.HealthStatus.Status] = true
			}
			g.Expect(seen).To(HaveKey(argocd.Healthy))
			g.Expect(seen).To(HaveKey(argocd.Progressing))
			g.Expect(seen).To(HaveKey(argocd.Degraded))
			// Every recorded object is in the table.
			files, err := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(files).To(HaveLen(len(tests.Tests)))
		})
	}
}

func TestHealthScripts(t *testing.T) {
	root := root(t)
	for _, gk := range kinds(t) {
		dir := filepath.Join(root, "config", "argocd", gk)
		data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var tests healthTests
		if err := yaml.Unmarshal(data, &tests); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests.Tests {
			t.Run(gk+"/"+filepath.Base(tc.InputPath), func(t *testing.T) {
				g := NewWithT(t)
				raw, err := os.ReadFile(filepath.Join(dir, tc.InputPath))
				g.Expect(err).NotTo(HaveOccurred())
				obj := &unstructured.Unstructured{}
				g.Expect(yaml.Unmarshal(raw, &obj.Object)).To(Succeed())
				g.Expect(obj.GroupVersionKind().Group + "/" + obj.GetKind()).To(Equal(gk))
				got, err := argocd.Health(root, obj)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(got).To(Equal(tc.HealthStatus))
			})
		}
	}
}

func TestScriptsUseOnlyWhatArgoCDOpens(t *testing.T) {
	// Argo CD opens the base, table and package libraries (and a reduced
	// os). A script that calls string.format works in a plain Lua shell
	// and fails in Argo CD; the recorded states may not reach every line.
	root := root(t)
	for _, gk := range kinds(t) {
		data, err := os.ReadFile(filepath.Join(root, "config", "argocd", gk, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		for _, lib := range []string{"string.", "math.", "io.", "os.", "debug.", "coroutine.", ":format(", ":sub(", ":find(", ":match("} {
			for _, line := range strings.Split(string(data), "\n") {
				code, _, _ := strings.Cut(line, "--")
				if strings.Contains(code, lib) {
					t.Errorf("%s: uses %q, which Argo CD's Lua does not open: %s", gk, lib, line)
				}
			}
		}
	}
}

func TestAWrongScriptIsCaught(t *testing.T) {
	// The harness must be able to fail: a script using a library Argo CD
	// does not open errors, and an invalid status is refused.
	g := NewWithT(t)
	_, err := argocd.Run(`return {status = string.upper("healthy")}`, map[string]any{})
	g.Expect(err).To(HaveOccurred())
	_, err = argocd.Run(`return {status = "Fine"}`, map[string]any{})
	g.Expect(err).To(MatchError(ContainSubstring("invalid health status")))
	_, err = argocd.Run(`while true do end`, map[string]any{})
	g.Expect(err).To(HaveOccurred(), "a script that never returns is stopped")
}

// TestArgoCDConfigMap keeps config/argocd/argocd-cm.yaml, the patch users
// merge into Argo CD's argocd-cm, equal to the scripts (-update rewrites it).
func TestArgoCDConfigMap(t *testing.T) {
	g := NewWithT(t)
	root := root(t)
	var b strings.Builder
	b.WriteString(`# Roster's resource customizations for Argo CD: merge into the argocd-cm
# ConfigMap (for example as a kustomize patch of Argo CD's install). The
# health checks are generated from config/argocd/<group>/<Kind>/health.lua by
# "go test ./test/argocd -update"; edit the scripts, not this file.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`)
	for _, gk := range kinds(t) {
		script, err := os.ReadFile(filepath.Join(root, "config", "argocd", gk, "health.lua"))
		g.Expect(err).NotTo(HaveOccurred())
		group, kind, _ := strings.Cut(gk, "/")
		b.WriteString("  resource.customizations.health." + group + "_" + kind + ": |\n")
		for _, line := range strings.Split(strings.TrimRight(string(script), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + line + "\n")
		}
	}
	b.WriteString(`  # Roster's own install (when Argo CD deploys it): the manager or
  # cert-manager writes the webhooks' caBundle, which is not in Git.
  resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration: |
    jqPathExpressions:
    - '.webhooks[]?.clientConfig.caBundle'
  resource.customizations.ignoreDifferences.admissionregistration.k8s.io_ValidatingWebhookConfiguration: |
    jqPathExpressions:
    - '.webhooks[]?.clientConfig.caBundle'
`)
	path := filepath.Join(root, "config", "argocd", "argocd-cm.yaml")
	if *update {
		g.Expect(os.WriteFile(path, []byte(b.String()), 0o644)).To(Succeed())
	}
	current, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(current)).To(Equal(b.String()), "config/argocd/argocd-cm.yaml is stale: run go test ./test/argocd -update")

	// And it is a valid ConfigMap whose scripts are the files'.
	cm := map[string]any{}
	g.Expect(yaml.Unmarshal(current, &cm)).To(Succeed())
	data := cm["data"].(map[string]any)
	for _, gk := range kinds(t) {
		script, err := os.ReadFile(filepath.Join(root, "config", "argocd", gk, "health.lua"))
		g.Expect(err).NotTo(HaveOccurred())
		group, kind, _ := strings.Cut(gk, "/")
		g.Expect(data).To(HaveKeyWithValue("resource.customizations.health."+group+"_"+kind, string(script)))
	}
}
