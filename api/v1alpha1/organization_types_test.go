package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOrganizationCountsAreWrittenWhenZero: the printer columns OWNERS,
// MEMBERS and PENDING show 0 for an empty organization, not a blank.
func TestOrganizationCountsAreWrittenWhenZero(t *testing.T) {
	b, err := json.Marshal(OrganizationStatus{HomeNamespace: "org-empty"})
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"owners":0`, `"members":0`, `"pendingInvitations":0`, `"projects":0`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("status %s lacks %s", b, field)
		}
	}
}

func TestDisplayNameOrName(t *testing.T) {
	org := Organization{}
	org.Name = "acme"
	if got := org.DisplayNameOrName(); got != "acme" {
		t.Errorf("without a display name: %q, want the name", got)
	}
	org.Spec.DisplayName = "Acme Corporation"
	if got := org.DisplayNameOrName(); got != "Acme Corporation" {
		t.Errorf("with a display name: %q", got)
	}
}
