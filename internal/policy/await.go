package policy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// AwaitedOrganization is the organization a namespace that is no
// Organization's home will be the home of: the one its
// orgs.roster.dev/home-of label (homeOf) names, else, for a namespace named
// org-<name>, <name>. "" when it names none, or names something that cannot
// be an Organization's name. Names are compared byte for byte, as the API
// server compares them: a case variant names another organization (one
// that cannot exist), never this one.
//
// So a GitOps folder can hold the Namespace, the Members and their
// Organization, applied in any order: Members created in the awaited home
// before the Organization exists wait for it (DecideMember).
func AwaitedOrganization(namespace, homeOf string) string {
	name := homeOf
	if name == "" {
		var ok bool
		if name, ok = strings.CutPrefix(namespace, orgsv1alpha1.DefaultHomeNamespacePrefix); !ok {
			return ""
		}
	}
	// An Organization's name is a DNS label of at most 59 characters
	// (the CRD's rule), so that org-<name> is one too.
	if len(name) > 59 || len(validation.IsDNS1123Label(name)) > 0 {
		return ""
	}
	return name
}

// waiting decides a request for a Member or an Invitation (kind) in a
// namespace that is no Organization's home. Deletes are allowed, as before.
// When the namespace awaits an Organization that does not exist yet
// (Snapshot.Awaited), it may be filled ahead of that Organization only by
// who could create its owners once it exists: holders of manage-owners on
// organizations/<awaited> (cluster admins, the roster-gitops role). Such
// objects wait: they grant nothing until the Organization appears with this
// namespace as its home. Everyone else gets the refusal of notHome.
func waiting(op Operation, kind, namespace string, r Requester, a Authority, s Snapshot) Decision {
	if op == Delete || s.Awaited == "" {
		return notHome(op, kind, namespace)
	}
	if !a.ManageOwners {
		return forbid("user %q may not create or change %s in namespace %q: organization %q, whose home it will be, does not exist yet, and until it does only holders of %s on organizations/%s (its future owners' grantors: cluster admins, the roster-gitops role) may; create Organization %q first, or ask who manages it",
			r.User, kind, namespace, s.Awaited, orgsv1alpha1.VerbManageOwners, s.Awaited, s.Awaited)
	}
	return allow(WaitingMessage(kind, namespace, s.Awaited))
}

// WaitingMessage says that objects of kind in namespace wait for
// organization org: the admission warning, and the status a controller
// writes on them.
func WaitingMessage(kind, namespace, org string) string {
	return fmt.Sprintf("Organization %q does not exist yet: %s in namespace %s wait for it and grant nothing until it is created with home namespace %s (kubectl get organization %s).",
		org, kind, namespace, namespace, org)
}

// MismatchMessage says that objects of kind in namespace waited for
// organization org, which was created with another home namespace.
func MismatchMessage(kind, namespace, org, home string) string {
	return fmt.Sprintf("Organization %q was created with home namespace %s, not %s: %s in namespace %s grant nothing; move them to namespace %s, or delete the Organization and create it with spec.homeNamespace: %s.",
		org, home, namespace, kind, namespace, home, namespace)
}
