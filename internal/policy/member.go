package policy

import (
	"fmt"
	"slices"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// MemberRequest is one admission request for a Member.
type MemberRequest struct {
	Op        Operation
	Old, New  *orgsv1alpha1.Member
	Requester Requester
	Authority Authority
	Snapshot  Snapshot
}

// MemberVerb is the custom verb a Member operation needs, whoever asks:
// manage-owners when Owner is on either side, else manage-members, and
// nothing for an update that leaves the spec alone (labels, annotations,
// finalizers are RBAC's business). Leaving is an exemption DecideMember
// grants from this, because it depends on who asks.
func MemberVerb(op Operation, old, new *orgsv1alpha1.Member) string {
	switch op {
	case Create:
		return roleVerb(memberRole(new))
	case Delete:
		return roleVerb(memberRole(old))
	case Update:
		if old != nil && new != nil && old.Spec == new.Spec {
			return ""
		}
		return roleVerb(memberRole(old), memberRole(new))
	}
	return orgsv1alpha1.VerbManageOwners // unknown operation: ask for the most
}

// DecideMember decides a Member request. It checks, in this order, that the
// namespace is an organization's home, that the requester has the authority,
// and only then the invariants, so an outsider learns nothing about the
// membership from a refusal.
func DecideMember(r MemberRequest) Decision {
	m := subject(r.Op, r.Old, r.New)
	if m == nil {
		return refuseRequest("Members", r.Op)
	}
	if r.Snapshot.Organization == nil {
		d := waiting(r.Op, "Members", m.Namespace, r.Requester, r.Authority, r.Snapshot)
		if !d.Allowed() || r.Op != Create {
			return d
		}
		return waitingMember(r, m, d)
	}
	if releasedDelete(r.Op, r.Snapshot) {
		return allow()
	}
	org := r.Snapshot.Organization.Name

	if d := memberAuthority(r, org); !d.Allowed() {
		return d
	}
	if r.Op == Create || (r.Op == Update && r.Old != nil && MemberKey(r.Old) != MemberKey(r.New)) {
		if d := notSystemIdentity(r.Requester, r.New, org); !d.Allowed() {
			return d
		}
	}
	if r.Op == Create {
		if d := notTokenServiceAccount(r.New, org); !d.Allowed() {
			return d
		}
		if d := uniqueMember(r.Requester, r.New, r.Snapshot, org); !d.Allowed() {
			return d
		}
	}

	old, new := r.Old, r.New
	switch r.Op {
	case Create:
		old = nil
	case Delete:
		new = nil
	}
	if r.Snapshot.Organization.DeletionTimestamp != nil {
		// The organization is going: the owner rule is released so that its
		// home namespace, Members included, can be deleted.
		return allow()
	}
	before, after, sole := ownerChange(r.Snapshot.Members, m.Name, old, new)
	if before > 0 && after == 0 {
		// Whoever asks, cluster admins and GitOps included. Only the old
		// object changes, so it was the owner being lost.
		return forbid("user %q is the last owner of organization %q; assign the Owner role to another user first",
			old.Spec.User, org)
	}
	if releasesHold(r.Op, r.Old, r.New) && !r.Snapshot.HomeTerminating && !otherOwnerHolds(r.Snapshot.Members, m.Name) {
		// The controller's hold is the backstop of the rule above when a
		// race or a bypassed webhook got a removal through: removing the
		// finalizer by hand would complete that removal.
		return forbid("user %q is the last owner of organization %q and its removal is held until another owner exists: the %s finalizer may not be removed by hand; assign the Owner role to another user first",
			old.Spec.User, org, orgsv1alpha1.LastOwnerFinalizer)
	}
	// Advise on changes of membership only, not on metadata updates such as
	// the controller's finalizers.
	if after == 1 && MemberVerb(r.Op, r.Old, r.New) != "" {
		return allow(singleOwnerWarning(org, sole))
	}
	return allow()
}

// waitingMember checks what can be checked of a new Member before its
// Organization exists: the identity rules, which need no membership.
func waitingMember(r MemberRequest, m *orgsv1alpha1.Member, d Decision) Decision {
	if d := notSystemIdentity(r.Requester, m, r.Snapshot.Awaited); !d.Allowed() {
		return d
	}
	if d := notTokenServiceAccount(m, r.Snapshot.Awaited); !d.Allowed() {
		return d
	}
	return d
}

// subject is the object an operation is about: the new one for a create or
// update, the old one for a delete. nil means nothing to decide on.
func subject[T any](op Operation, old, new *T) *T {
	switch op {
	case Create, Update:
		return new
	case Delete:
		return old
	}
	return nil
}

func memberRole(m *orgsv1alpha1.Member) orgsv1alpha1.Role {
	if m == nil {
		return ""
	}
	return m.Spec.Role
}

func memberAuthority(r MemberRequest, org string) Decision {
	verb := MemberVerb(r.Op, r.Old, r.New)
	if r.Authority.Holds(verb) {
		return allow()
	}
	// Deleting one's own Member is leaving: the matrix lets Owners and
	// Admins leave whatever RBAC says (the last-owner rule still applies),
	// and nobody else.
	if r.Op == Delete && r.Old != nil && r.Old.Spec.User != "" && SameUser(r.Old.Spec.User, r.Requester.User) {
		switch r.Old.Spec.Role {
		case orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleAdmin:
			return allow()
		}
		return forbid("user %q may not leave organization %q: only Admins and Owners can leave organization %s; ask an Admin or Owner to remove you",
			r.Requester.User, org, org)
	}
	return refuseAuthority(r.Requester, org, memberAction(r), verb)
}

// memberAction says, for a refusal, what the requester tried to do.
func memberAction(r MemberRequest) string {
	switch {
	case r.Op == Delete:
		return fmt.Sprintf("remove %s (role %s)", r.Old.Subject(), r.Old.Spec.Role)
	case r.New.Spec.Role == orgsv1alpha1.RoleOwner && memberRole(r.Old) != orgsv1alpha1.RoleOwner:
		return "grant the Owner role to " + r.New.Subject()
	case r.Op == Create:
		return fmt.Sprintf("add %s with role %s", r.New.Subject(), r.New.Spec.Role)
	case r.Old != nil && r.Old.Spec.Role != r.New.Spec.Role:
		return fmt.Sprintf("change the role of %s from %s to %s", r.New.Subject(), r.Old.Spec.Role, r.New.Spec.Role)
	}
	return "change the Member for " + r.New.Subject()
}

// notSystemIdentity refuses a Member for an identity Kubernetes reserves
// (SystemIdentity). A Member stored before this rule may still be changed
// and removed; access.Render binds it to nothing.
func notSystemIdentity(who Requester, m *orgsv1alpha1.Member, org string) Decision {
	key := MemberKey(m)
	if !SystemIdentity(key.Kind, key.Name) {
		return allow()
	}
	field, what := "spec.user", "a user"
	if key.Kind == GroupIdentity {
		field, what = "spec.group", "a group"
	}
	return Decision{Code: Invalid, Field: field, Message: fmt.Sprintf(
		"user %q may not add %s to organization %q: %q is %s Kubernetes reserves for itself (prefix %q), not a person or an identity-provider group, and binding it would give the role to cluster components, the cluster's admins or every client; name the username or group your authenticator reports for the person",
		who.User, m.Subject(), org, key.Name, what, SystemPrefix)}
}

// notTokenServiceAccount refuses a Member for an AccessToken's
// ServiceAccount, or for a group that holds the home namespace's
// (HoldsTokenServiceAccounts): tokens are personal, and a token made a
// Member would keep its access, and could make tokens of its own, after its
// owner is removed or it is revoked. Identities cannot change, so a create
// is all to check.
func notTokenServiceAccount(m *orgsv1alpha1.Member, org string) Decision {
	if m.Spec.Group != "" {
		if !HoldsTokenServiceAccounts(GroupIdentity, m.Spec.Group, m.Namespace) {
			return allow()
		}
		return Decision{Code: Invalid, Field: "spec.group", Message: fmt.Sprintf(
			"spec.group %q holds the ServiceAccounts of namespace %q, among them those of its AccessTokens, and tokens are personal (the permission matrix's row %q): organization %q may not give that group a role; name a group of people, or the ServiceAccount itself (system:serviceaccount:NAMESPACE:NAME) in spec.user",
			m.Spec.Group, m.Namespace, TokenRow, org)}
	}
	ns, token, ok := TokenServiceAccountUser(m.Spec.User)
	if !ok {
		return allow()
	}
	return Decision{Code: Invalid, Field: "spec.user", Message: fmt.Sprintf(
		"spec.user %q is the ServiceAccount of AccessToken %q in namespace %q, and tokens are personal (the permission matrix's row %q): a token may not be a Member of organization %q; add the person the token acts for instead",
		m.Spec.User, token, ns, TokenRow, org)}
}

// uniqueMember refuses a second Member for the same identity, and one
// whose user or group resembles an existing Member's or a pending
// invitation's without being it. Members being deleted still count: they
// hold RBAC until gone.
func uniqueMember(who Requester, m *orgsv1alpha1.Member, s Snapshot, org string) Decision {
	key := MemberKey(m)
	look := newResemblance(key.Name)
	for i := range s.Members {
		e := &s.Members[i]
		if m.Name != "" && e.Name == m.Name {
			continue
		}
		existing := MemberKey(e)
		if existing.Kind != key.Kind {
			continue
		}
		if existing == key {
			fix := `change that Member's role with "kubectl roster set-role" instead of adding another`
			if e.DeletionTimestamp != nil {
				fix = "it is being deleted; try again once it is gone"
			}
			return forbid("user %q may not add %s to organization %q: Member %q already gives %s the role %s; %s",
				who.User, m.Subject(), org, e.Name, e.Subject(), e.Spec.Role, fix)
		}
		if look.of(existing.Name) {
			return refuseLookalike(who, m.Subject(), org, Lookalike{Name: e.Subject(), Object: fmt.Sprintf("Member %q", e.Name)})
		}
	}
	if key.Kind == UserIdentity {
		if l := invitationResembling(look, s, ""); l.Found() {
			return refuseLookalike(who, m.Subject(), org, l)
		}
	}
	return allow()
}

// invitationResembling is the pending Invitation (other than the one named
// skip) whose invitee's username resembles the name look holds.
func invitationResembling(look resemblance, s Snapshot, skip string) Lookalike {
	for i := range s.Invitations {
		e := &s.Invitations[i]
		if e.Name == skip || e.DeletionTimestamp != nil || !e.IsPending() {
			continue
		}
		if look.of(e.Spec.Email) || (s.UserPrefix != "" && look.of(s.UserPrefix+e.Spec.Email)) {
			return Lookalike{Name: e.Spec.Email, Object: fmt.Sprintf("Invitation %q", e.Name)}
		}
	}
	return Lookalike{}
}

// refuseLookalike refuses an identity that resembles an existing one: to
// Kubernetes they are two people, to a person reading the directory one.
func refuseLookalike(who Requester, subject, org string, l Lookalike) Decision {
	actor := "Roster"
	if who.User != "" {
		actor = fmt.Sprintf("user %q", who.User)
	}
	return forbid("%s may not add %s to organization %q: it looks the same as %s, %s, but is a different identity to Kubernetes, "+
		"which compares names exactly (letter case and Unicode variants included); if they are the same, use exactly the name %s has, "+
		"and if not, use a name that does not resemble it",
		actor, subject, org, l.Name, l.Object, l.Object)
}

// ownerChange counts owner users before and after the change of the Member
// named name from old to new (nil for absent), taking old and new from the
// request rather than the snapshot, which may lag. sole is the owner user
// left when after == 1. It counts in place: no copy of the membership.
func ownerChange(members []orgsv1alpha1.Member, name string, old, new *orgsv1alpha1.Member) (before, after int, sole string) {
	base := 0
	for i := range members {
		e := &members[i]
		if name != "" && e.Name == name {
			continue
		}
		if isOwnerUser(e) {
			base++
			sole = e.Spec.User
		}
	}
	before, after = base, base
	if isOwnerUser(old) {
		before++
	}
	if isOwnerUser(new) {
		after++
		sole = new.Spec.User
	}
	return before, after, sole
}

func singleOwnerWarning(org, owner string) string {
	return fmt.Sprintf("organization %q has a single owner (%s); at least two owners are recommended in case one needs to leave or be removed",
		org, owner)
}

// releasesHold reports whether an update removes the last-owner finalizer
// from an owner user's Member that is being deleted.
func releasesHold(op Operation, old, new *orgsv1alpha1.Member) bool {
	return op == Update && old != nil && new != nil && old.DeletionTimestamp != nil &&
		old.Spec.Role == orgsv1alpha1.RoleOwner && old.Spec.User != "" &&
		slices.Contains(old.Finalizers, orgsv1alpha1.LastOwnerFinalizer) &&
		!slices.Contains(new.Finalizers, orgsv1alpha1.LastOwnerFinalizer)
}

// otherOwnerHolds reports whether an owner user other than the Member named
// name remains: one not being deleted, or one the controller still holds.
func otherOwnerHolds(members []orgsv1alpha1.Member, name string) bool {
	for i := range members {
		e := &members[i]
		if e.Name != name && e.Spec.Role == orgsv1alpha1.RoleOwner && e.Spec.User != "" &&
			(e.DeletionTimestamp == nil || slices.Contains(e.Finalizers, orgsv1alpha1.LastOwnerFinalizer)) {
			return true
		}
	}
	return false
}
