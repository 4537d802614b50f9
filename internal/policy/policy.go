// Package policy is Roster's permission matrix and invariants as pure
// functions. Admission webhooks gather the facts (who asks, which custom
// verbs they hold, the organization's membership) and call it; controllers
// call it too. It does no I/O and reads no clock, so every rule can be
// table-tested and fuzzed without an API server. It never modifies what it
// is given: the webhooks hand it objects shared with the manager's cache.
package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Operation is the admission operation being decided.
type Operation string

// Operations, spelled as in admission.k8s.io.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// Requester is who asks, as the API server authenticated them.
type Requester struct {
	User   string
	Groups []string
}

// Authority is which custom verbs the requester holds on organizations/<org>
// (answered by SubjectAccessReviews; cluster admins and the roster-gitops
// role hold both).
type Authority struct {
	ManageOwners, ManageMembers bool
}

// Union is what a requester holds who holds a or b.
func (a Authority) Union(b Authority) Authority {
	return Authority{ManageOwners: a.ManageOwners || b.ManageOwners, ManageMembers: a.ManageMembers || b.ManageMembers}
}

// Holds reports whether the requester holds verb. The empty verb (nothing
// needed) is always held.
func (a Authority) Holds(verb string) bool {
	switch verb {
	case "":
		return true
	case orgsv1alpha1.VerbManageOwners:
		return a.ManageOwners
	case orgsv1alpha1.VerbManageMembers:
		return a.ManageMembers
	}
	return false
}

// Snapshot is the organization's membership as the caller saw it.
type Snapshot struct {
	// Organization is nil when no Organization has this namespace as its home.
	Organization *orgsv1alpha1.Organization
	// Members is every Member in the home namespace (it may include the
	// object being changed, in its old state).
	Members []orgsv1alpha1.Member
	// Invitations is every Invitation in the home namespace.
	Invitations []orgsv1alpha1.Invitation
	// UserPrefix is put before an e-mail when an invitation becomes a Member
	// (manager flag --user-prefix), e.g. "oidc:".
	UserPrefix string
	// HomeTerminating: the home namespace is being deleted. Whoever could
	// delete it has removed the membership wholesale; the namespace
	// controller, which holds no custom verb, must be able to empty it.
	HomeTerminating bool
	// HomeClaimedByOther: the namespace's orgs.roster.dev/home-of label
	// names another organization, so the controller renders no RBAC for
	// this one (HomeNamespaceConflict) and its Members grant nothing.
	HomeClaimedByOther bool
	// HomeStale: the namespace still holds the membership of an earlier
	// Organization of the same name (HomeStale), so the controller does not
	// adopt it (HomeNamespaceStale), its Members grant nothing, and
	// deleting them, the fix, needs no decision: they are no current
	// organization's.
	HomeStale bool
	// Awaited, when Organization is nil, is the organization the namespace
	// will be the home of (AwaitedOrganization), when no Organization of
	// that name exists yet; "" otherwise.
	Awaited string
}

// Code says whether a request is allowed and, if not, how to refuse it.
type Code string

// Codes. Forbidden is for authority and invariants, Invalid for a field's value.
const (
	Allowed   Code = ""
	Forbidden Code = "Forbidden"
	Invalid   Code = "Invalid"
)

// Decision is the answer to one request.
type Decision struct {
	// Code is Allowed, or why not.
	Code Code
	// Field is the field path the refusal is about, e.g.
	// "metadata.annotations[orgs.roster.dev/invited-by]". Always set for
	// Invalid; set for Forbidden when one field is to blame.
	Field string
	// Message is a sentence naming the user, the organization and the fix.
	Message string
	// Warnings is advice, e.g. that the organization has a single owner.
	Warnings []string
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Code == Allowed }

func allow(warnings ...string) Decision { return Decision{Warnings: warnings} }

func forbid(format string, args ...any) Decision {
	return Decision{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// MemberMatchesEmail reports whether member is the user an invitation to
// email would create: spec.user is exactly email or prefix+email. Group
// Members never match.
func MemberMatchesEmail(member *orgsv1alpha1.Member, email, prefix string) bool {
	u := member.Spec.User
	if u == "" || email == "" {
		return false
	}
	// Compare the prefix and the rest separately rather than building
	// prefix+email, which would allocate on every Member checked.
	return SameUser(u, email) ||
		(prefix != "" && strings.HasPrefix(u, prefix) && SameUser(u[len(prefix):], email))
}

// InviterAnnotations is what the invited-by annotations of an Invitation
// must be when r creates it: the username, and the groups as a JSON array in
// the order the API server reported them.
func InviterAnnotations(r Requester) map[string]string {
	groups := r.Groups
	if groups == nil {
		groups = []string{} // "[]", never "null"
	}
	b, _ := json.Marshal(groups) // a []string always marshals
	return map[string]string{
		orgsv1alpha1.InvitedByAnnotation:       r.User,
		orgsv1alpha1.InvitedByGroupsAnnotation: string(b),
	}
}

// countOwnerUsers counts Members whose spec.role is Owner, that name a user
// (groups never count: their membership is invisible to us) and are not
// being deleted (so "promote bob, then leave" works at once).
func countOwnerUsers(members []orgsv1alpha1.Member) int {
	n := 0
	for i := range members {
		if isOwnerUser(&members[i]) {
			n++
		}
	}
	return n
}

func isOwnerUser(m *orgsv1alpha1.Member) bool {
	return m != nil && m.Spec.Role == orgsv1alpha1.RoleOwner && m.Spec.User != "" && m.DeletionTimestamp == nil
}

// roleVerb is the verb needed to touch these roles: manage-owners when Owner
// is on either side of the change, else manage-members.
func roleVerb(roles ...orgsv1alpha1.Role) string {
	for _, r := range roles {
		if r == orgsv1alpha1.RoleOwner {
			return orgsv1alpha1.VerbManageOwners
		}
	}
	return orgsv1alpha1.VerbManageMembers
}

// refuseAuthority is the refusal for a missing custom verb: who, what, in
// which organization, which verb, and whom to ask instead.
func refuseAuthority(r Requester, org, action, verb string) Decision {
	who := "owners"
	can := "create, invite, promote to, demote from or remove an Owner"
	ask := "an Owner"
	if verb == orgsv1alpha1.VerbManageMembers {
		who = "owners and admins"
		can = "invite people, resend or revoke invitations, and add, change the role of or remove members who are not Owners"
		ask = "an Admin or Owner"
	}
	return forbid("user %q may not %s in organization %q: only %s (holders of %s on organizations/%s) may %s; ask %s of the organization to do it",
		r.User, action, org, who, verb, org, can, ask)
}

// refuseRequest is the refusal for a request this package cannot decide
// (an operation it does not know, or no object): fail closed.
func refuseRequest(kind string, op Operation) Decision {
	return forbid("Roster does not allow operation %q on %s without an object to decide on", op, kind)
}

// notHome refuses Members and Invitations outside an organization's home
// namespace. Deleting them is allowed: with no organization there is nothing
// to protect, and the namespace controller must be able to empty a home
// namespace whose Organization is gone (else it stays Terminating).
// releasedDelete reports whether a delete needs no decision: the home
// namespace is going, and with it every Member and Invitation in it, or
// they are a deleted organization's (HomeStale).
func releasedDelete(op Operation, s Snapshot) bool {
	return op == Delete && (s.HomeTerminating || s.HomeStale)
}

func notHome(op Operation, kind, namespace string) Decision {
	if op == Delete {
		return allow()
	}
	return forbid("namespace %q is not the home namespace of any Organization; create %s in their organization's home namespace",
		namespace, kind)
}
