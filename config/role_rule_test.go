package config

import (
	"fmt"
	"strings"
	"testing"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// TestRoleRuleListsEveryRole: the CRD's CEL rule on spec.role and
// orgsv1alpha1.Roles are two lists of the same five roles; adding a role
// to one and not the other fails here, not in a cluster.
func TestRoleRuleListsEveryRole(t *testing.T) {
	crds, err := CRDs()
	if err != nil {
		t.Fatal(err)
	}
	quoted := make([]string, len(orgsv1alpha1.Roles))
	for i, r := range orgsv1alpha1.Roles {
		quoted[i] = fmt.Sprintf("'%s'", r)
	}
	want := "self in [" + strings.Join(quoted, ", ") + "]"
	checked := 0
	for _, crd := range crds {
		for _, v := range crd.Spec.Versions {
			spec, ok := v.Schema.OpenAPIV3Schema.Properties["spec"]
			if !ok {
				continue
			}
			role, ok := spec.Properties["role"]
			if !ok {
				continue
			}
			checked++
			if len(role.XValidations) != 1 || role.XValidations[0].Rule != want {
				t.Errorf("%s %s: spec.role's rule is %v, want %q", crd.Name, v.Name, role.XValidations, want)
			}
		}
	}
	if checked != 3 {
		t.Errorf("checked spec.role in %d CRD versions, want 3 (Member, Invitation, AccessToken)", checked)
	}
}
