package policy

import (
	"fmt"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// RoleAuthority is the custom verbs a role holds on its organization:
// Owners manage owners and members, Admins manage members, the other roles
// neither. internal/access binds its owner and admin ClusterRoles by this
// function, so the webhooks and RBAC agree by construction.
func RoleAuthority(role orgsv1alpha1.Role) Authority {
	switch role {
	case orgsv1alpha1.RoleOwner:
		return Authority{ManageOwners: true, ManageMembers: true}
	case orgsv1alpha1.RoleAdmin:
		return Authority{ManageMembers: true}
	}
	return Authority{}
}

// ReviewedAuthority is the Authority a SubjectAccessReview's answer grants:
// allowed is its status for verb on organizations/<org>, and the Authority
// holds that one verb (or not). The webhooks and the acceptor both turn
// their reviews into an Authority with it.
func ReviewedAuthority(verb string, allowed bool) (Authority, error) {
	switch verb {
	case orgsv1alpha1.VerbManageOwners:
		return Authority{ManageOwners: allowed}, nil
	case orgsv1alpha1.VerbManageMembers:
		return Authority{ManageMembers: allowed}, nil
	}
	return Authority{}, fmt.Errorf("unknown verb %q", verb)
}

// MembershipAuthority is the authority the requester holds through the
// organization's own membership: RoleAuthority of every effective role the
// requester has, as a user or through a group. It is what Roster's RBAC
// grants them once applied, known without asking the API server; the
// webhooks ask a SubjectAccessReview only for what it does not grant
// (cluster admins, GitOps service accounts, and refusals).
//
// It must never grant more than that RBAC would, so users and groups are
// compared by IdentityKey, exactly as RBAC compares subjects, and an
// organization being deleted, whose home namespace is, or whose home
// namespace another organization (or an earlier one of its name) holds,
// grants nothing.
// It is RBAC's answer, not the whole authorizer chain's: a deny from
// another authorizer (a webhook authorizer, a scoped token) is not seen.
func MembershipAuthority(who Requester, s Snapshot) Authority {
	org := s.Organization
	if org == nil || org.DeletionTimestamp != nil || s.HomeTerminating || s.HomeClaimedByOther || s.HomeStale || who.User == "" {
		return Authority{}
	}
	var candidates []string
	for i := range s.Members {
		if isSubject(who, &s.Members[i]) {
			candidates = append(candidates, s.Members[i].Name)
		}
	}
	if len(candidates) == 0 {
		// Not a member: no sort, no map.
		return Authority{}
	}
	effective := EffectiveRoles(s.Members, org.Status.EffectiveOwners, false)
	var a Authority
	for _, name := range candidates {
		a = a.Union(RoleAuthority(effective.Members[name].Role))
	}
	return a
}

// isSubject reports whether m names the requester exactly as an RBAC
// subject would: its user is the requester, or its group one of theirs.
func isSubject(who Requester, m *orgsv1alpha1.Member) bool {
	key := MemberKey(m)
	if m.Spec.User != "" {
		return key == IdentityKey(UserIdentity, who.User)
	}
	for _, g := range who.Groups {
		if g != "" && key == IdentityKey(GroupIdentity, g) {
			return true
		}
	}
	return false
}
