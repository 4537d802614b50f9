package policy

import (
	"fmt"
	"strings"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// OrganizationRequest is one admission request for an Organization.
type OrganizationRequest struct {
	Op        Operation
	Old, New  *orgsv1alpha1.Organization
	Requester Requester
	Authority Authority
	// Members is how many Members the organization has (for delete confirmation).
	Members int
	// ClaimedHomeNamespaces maps home namespace to organization name, for
	// every OTHER organization.
	ClaimedHomeNamespaces map[string]string
}

// OrganizationVerb is the custom verb an Organization operation needs:
// nothing to create one (RBAC on organizations decides), manage-owners to
// update or delete it, metadata included (the manager holds the verb).
func OrganizationVerb(op Operation, _, _ *orgsv1alpha1.Organization) string {
	if op == Create {
		return ""
	}
	return orgsv1alpha1.VerbManageOwners
}

// DecideOrganization decides an Organization request.
func DecideOrganization(r OrganizationRequest) Decision {
	o := subject(r.Op, r.Old, r.New)
	if o == nil {
		return refuseRequest("Organizations", r.Op)
	}
	if verb := OrganizationVerb(r.Op, r.Old, r.New); !r.Authority.Holds(verb) {
		return forbid("user %q may not %s organization %q: only owners (holders of %s on organizations/%s) may update or delete an organization; ask an Owner of the organization to do it",
			r.Requester.User, strings.ToLower(string(r.Op)), o.Name, verb, o.Name)
	}
	switch r.Op {
	case Create:
		// status is not set yet on create, so spec or the default decides.
		home := o.Spec.HomeNamespace
		if home == "" {
			home = orgsv1alpha1.DefaultHomeNamespacePrefix + o.Name
		}
		if other, ok := r.ClaimedHomeNamespaces[home]; ok && other != o.Name {
			d := forbid("user %q may not create organization %q: namespace %q is already the home namespace of organization %q; set another spec.homeNamespace",
				r.Requester.User, o.Name, home, other)
			d.Field = "spec.homeNamespace"
			return d
		}
	case Delete:
		// Deleting removes every Member's access: make it deliberate.
		if r.Members > 0 && o.Annotations[orgsv1alpha1.ConfirmDeleteAnnotation] != o.Name {
			return forbid("user %q may not delete organization %q yet: it still has %s, whose access would go with it; to confirm, run: kubectl annotate organization %s %s=%s",
				r.Requester.User, o.Name, members(r.Members), o.Name, orgsv1alpha1.ConfirmDeleteAnnotation, o.Name)
		}
	}
	return allow()
}

func members(n int) string {
	if n == 1 {
		return "1 Member"
	}
	return fmt.Sprintf("%d Members", n)
}
