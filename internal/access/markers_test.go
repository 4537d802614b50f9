package access

import (
	"os"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// markerRules reads the +kubebuilder:rbac markers of rbac.go into policy
// rules, the way controller-gen does (one rule per marker), so that tests
// can run the Applier with exactly the permissions the markers grant.
func markerRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	src, err := os.ReadFile("rbac.go")
	if err != nil {
		t.Fatalf("reading rbac.go: %v", err)
	}
	var rules []rbacv1.PolicyRule
	for _, line := range strings.Split(string(src), "\n") {
		spec, ok := strings.CutPrefix(strings.TrimSpace(line), "// +kubebuilder:rbac:")
		if !ok {
			continue
		}
		var rule rbacv1.PolicyRule
		for _, kv := range strings.Split(spec, ",") {
			key, value, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("rbac.go: malformed marker %q", line)
			}
			values := strings.Split(strings.Trim(value, `"`), ";")
			switch key {
			case "groups":
				rule.APIGroups = values
			case "resources":
				rule.Resources = values
			case "verbs":
				rule.Verbs = values
			case "resourceNames":
				rule.ResourceNames = values
			default:
				t.Fatalf("rbac.go: marker key %q not understood by this test: %q", key, line)
			}
		}
		if len(rule.Verbs) == 0 || len(rule.Resources) == 0 {
			t.Fatalf("rbac.go: marker without verbs or resources: %q", line)
		}
		rules = append(rules, rule)
	}
	if len(rules) == 0 {
		t.Fatal("rbac.go has no +kubebuilder:rbac markers")
	}
	return rules
}
