package policy

import (
	"fmt"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// InvitationRequest is one admission request for an Invitation.
type InvitationRequest struct {
	Op        Operation
	Old, New  *orgsv1alpha1.Invitation
	Requester Requester
	Authority Authority
	Snapshot  Snapshot
}

// inviterKeys are the annotations that record who invited whom, in the
// order they are checked.
var inviterKeys = []string{orgsv1alpha1.InvitedByAnnotation, orgsv1alpha1.InvitedByGroupsAnnotation}

// InvitationVerb is the custom verb an Invitation operation needs:
// manage-owners to create, change, resend or revoke an invitation with Owner
// on either side, else manage-members. Any other update (labels,
// finalizers, other annotations) needs manage-members too: the simplest safe
// rule, since nobody without authority over invitations has a reason to edit
// one.
func InvitationVerb(op Operation, old, new *orgsv1alpha1.Invitation) string {
	switch op {
	case Create:
		return roleVerb(invitationRole(new))
	case Delete:
		return roleVerb(invitationRole(old))
	case Update:
		if old == nil || new == nil || old.Spec != new.Spec || resendChanged(old, new) {
			return roleVerb(invitationRole(old), invitationRole(new))
		}
		return orgsv1alpha1.VerbManageMembers
	}
	return orgsv1alpha1.VerbManageOwners // unknown operation: ask for the most
}

// DecideInvitation decides an Invitation request: home namespace, then
// authority, then the recorded inviter, then the invariants (one pending
// invitation per e-mail, none for someone who is already a Member).
func DecideInvitation(r InvitationRequest) Decision {
	inv := subject(r.Op, r.Old, r.New)
	if inv == nil {
		return refuseRequest("Invitations", r.Op)
	}
	if r.Snapshot.Organization == nil {
		d := waiting(r.Op, "Invitations", inv.Namespace, r.Requester, r.Authority, r.Snapshot)
		if d.Allowed() && r.Op == Create {
			// The recorded inviter is checked as in a home: it is what
			// acceptance will check the authority of.
			if d2 := inviterOnCreate(r.Requester, r.New, r.Snapshot.Awaited); !d2.Allowed() {
				return d2
			}
		}
		return d
	}
	if releasedDelete(r.Op, r.Snapshot) {
		return allow()
	}
	org := r.Snapshot.Organization.Name

	if verb := InvitationVerb(r.Op, r.Old, r.New); !r.Authority.Holds(verb) {
		return refuseAuthority(r.Requester, org, invitationAction(r), verb)
	}
	switch r.Op {
	case Create:
		if d := inviterOnCreate(r.Requester, r.New, org); !d.Allowed() {
			return d
		}
	case Update:
		if d := inviterOnUpdate(r.Requester, r.Old, r.New, org); !d.Allowed() {
			return d
		}
	}
	// An update that changes the e-mail is a new invitation in disguise,
	// so it meets the same invariants as a create.
	if r.Op == Create || (r.Op == Update && (r.Old == nil || !SameUser(r.Old.Spec.Email, r.New.Spec.Email))) {
		return newInvitee(r.Requester, r.Authority, r.New, r.Snapshot, org)
	}
	return allow()
}

func invitationRole(i *orgsv1alpha1.Invitation) orgsv1alpha1.Role {
	if i == nil {
		return ""
	}
	return i.Spec.Role
}

func resendChanged(old, new *orgsv1alpha1.Invitation) bool {
	return old.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] != new.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]
}

// invitationAction says, for a refusal, what the requester tried to do.
func invitationAction(r InvitationRequest) string {
	switch {
	case r.Op == Delete:
		return fmt.Sprintf("revoke the %s invitation for %s", r.Old.Spec.Role, r.Old.Spec.Email)
	case r.Op == Create:
		return fmt.Sprintf("invite %s with role %s", r.New.Spec.Email, r.New.Spec.Role)
	case r.Old == nil:
		return "change the invitation for " + r.New.Spec.Email
	case r.Old.Spec.Role != r.New.Spec.Role:
		return fmt.Sprintf("change the invitation for %s from %s to %s", r.New.Spec.Email, r.Old.Spec.Role, r.New.Spec.Role)
	case resendChanged(r.Old, r.New):
		return fmt.Sprintf("resend the %s invitation for %s", r.New.Spec.Role, r.New.Spec.Email)
	}
	return fmt.Sprintf("change the %s invitation for %s", r.New.Spec.Role, r.New.Spec.Email)
}

// inviterOnCreate: the invited-by annotations must be exactly the
// requester's identity (the mutating webhook sets them when absent), so
// nobody can make an invitation look like someone else's.
func inviterOnCreate(who Requester, inv *orgsv1alpha1.Invitation, org string) Decision {
	want := InviterAnnotations(who)
	for _, key := range inviterKeys {
		if got, ok := inv.Annotations[key]; !ok || got != want[key] {
			return forgedInviter(who, inv, org, key, want[key])
		}
	}
	return allow()
}

// inviterOnUpdate: once recorded, the inviter never changes. An invitation
// that has none (made while the webhook was off) may only gain the
// requester's own identity, as the mutating webhook would record it.
func inviterOnUpdate(who Requester, old, new *orgsv1alpha1.Invitation, org string) Decision {
	want := InviterAnnotations(who)
	for _, key := range inviterKeys {
		got, has := new.Annotations[key]
		if was, had := oldAnnotation(old, key); had {
			if !has || got != was {
				return forgedInviter(who, new, org, key, was)
			}
		} else if has && got != want[key] {
			return forgedInviter(who, new, org, key, want[key])
		}
	}
	return allow()
}

func oldAnnotation(old *orgsv1alpha1.Invitation, key string) (string, bool) {
	if old == nil {
		return "", false
	}
	v, ok := old.Annotations[key]
	return v, ok
}

func forgedInviter(who Requester, inv *orgsv1alpha1.Invitation, org, key, want string) Decision {
	d := forbid("user %q may not set annotation %s on the invitation for %s in organization %q: it records who invited them and may not be set by hand; it must be %q, so remove it from your manifest and Roster records it",
		who.User, key, inv.Spec.Email, org, want)
	d.Field = "metadata.annotations[" + key + "]"
	return d
}

// InvitesExistingMembers reports whether a requester may file an Invitation
// for someone who is already a Member: only a holder of manage-owners (the
// GitOps identity, the cluster's admins). A repository that keeps an
// Invitation after it was accepted re-creates it on every sync; admitting it
// keeps the sync from failing, and the Invitation controller answers it
// Accepted (AlreadyMember) without sending anything. Anyone else meant to
// change the member's role and is told how.
func InvitesExistingMembers(a Authority) bool { return a.ManageOwners }

// InvitationVerbs is what the webhook asks about for an Invitation request,
// given the snapshot: the verb the operation needs (InvitationVerb), and
// for a creation for someone who is already a Member, manage-owners too,
// which InvitesExistingMembers decides with. Asking the second only then
// keeps other requests at one SubjectAccessReview.
func InvitationVerbs(op Operation, old, new *orgsv1alpha1.Invitation) func(Snapshot) []string {
	return func(s Snapshot) []string {
		verbs := []string{InvitationVerb(op, old, new)}
		if op != Create || new == nil {
			return verbs
		}
		for i := range s.Members {
			if MemberMatchesEmail(&s.Members[i], new.Spec.Email, s.UserPrefix) {
				return append(verbs, orgsv1alpha1.VerbManageOwners)
			}
		}
		return verbs
	}
}

// newInvitee: nobody is invited twice, nobody who is already a Member
// (unless InvitesExistingMembers), and nobody whose e-mail resembles a
// Member's user or a pending invitation's e-mail without being it.
func newInvitee(who Requester, a Authority, inv *orgsv1alpha1.Invitation, s Snapshot, org string) Decision {
	look := newResemblance(inv.Spec.Email)
	prefixed := newResemblance(s.UserPrefix + inv.Spec.Email)
	subject := "an invitation for " + inv.Spec.Email
	var warnings []string
	for i := range s.Members {
		m := &s.Members[i]
		if MemberMatchesEmail(m, inv.Spec.Email, s.UserPrefix) {
			if !InvitesExistingMembers(a) {
				return forbid("%s", AlreadyMemberMessage(inv.Spec.Email, org, m))
			}
			warnings = append(warnings, fmt.Sprintf(`%s is already a member of organization %q (Member %q, role %s): this Invitation sends nothing and is reported Accepted (AlreadyMember); change their role with "kubectl roster set-role"`,
				inv.Spec.Email, org, m.Name, m.Spec.Role))
			continue
		}
		if m.Spec.User != "" && (look.of(m.Spec.User) || (s.UserPrefix != "" && prefixed.of(m.Spec.User))) {
			return refuseLookalike(who, subject, org, Lookalike{Name: m.Spec.User, Object: fmt.Sprintf("Member %q", m.Name)})
		}
	}
	for i := range s.Invitations {
		e := &s.Invitations[i]
		// Invitations being deleted are revoked: re-inviting is the point.
		if (inv.Name != "" && e.Name == inv.Name) || e.DeletionTimestamp != nil || !e.IsPending() {
			continue
		}
		if SameUser(e.Spec.Email, inv.Spec.Email) {
			return forbid(`%s already has a pending invitation to organization %q (Invitation %q, role %s); resend or revoke it instead of inviting them again`,
				inv.Spec.Email, org, e.Name, e.Spec.Role)
		}
	}
	if l := invitationResembling(look, s, inv.Name); l.Found() {
		return refuseLookalike(who, subject, org, l)
	}
	return allow(warnings...)
}

// AlreadyMemberMessage is the refusal of an invitation for m, who is
// already a member: what to do instead. The plugin words its own check
// with it, so both say the same.
func AlreadyMemberMessage(email, org string, m *orgsv1alpha1.Member) string {
	return fmt.Sprintf(`%s is already a member of organization %q with role %s; change their role with "kubectl roster set-role" instead of inviting them`,
		email, org, m.Spec.Role)
}
