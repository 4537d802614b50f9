package policy

import (
	"encoding/json"
	"fmt"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The manager holds every verb itself, so when an invitee accepts it acts
// for someone else: the person who invited them. These rules decide, at the
// time of acceptance, whether that person's invitation still stands.

// InviterOf is the inviter recorded in inv's invited-by annotations at
// admission: the inverse of InviterAnnotations. ok is false when the
// annotations are absent or malformed (the invitation was created while
// the webhook was off, or edited around it), so nobody vouches for it.
func InviterOf(inv *orgsv1alpha1.Invitation) (r Requester, ok bool) {
	if inv == nil {
		return Requester{}, false
	}
	user, hasUser := inv.Annotations[orgsv1alpha1.InvitedByAnnotation]
	groups, hasGroups := inv.Annotations[orgsv1alpha1.InvitedByGroupsAnnotation]
	if !hasUser || user == "" || !hasGroups {
		return Requester{}, false
	}
	if err := json.Unmarshal([]byte(groups), &r.Groups); err != nil {
		return Requester{}, false
	}
	r.User = user
	return r, true
}

// AcceptanceOutcome is what becomes of an invitation its invitee accepts.
type AcceptanceOutcome string

// Acceptance outcomes.
const (
	// AcceptanceAllowed: create the Member and remove the Invitation.
	AcceptanceAllowed AcceptanceOutcome = "Allowed"
	// AcceptanceAlreadyMember: the invitee is already a Member; the
	// invitation resolves itself (Accepted, reason AlreadyMember).
	AcceptanceAlreadyMember AcceptanceOutcome = "AlreadyMember"
	// AcceptanceInviterLostAuthority: nobody with the authority to grant
	// the role vouches for the invitation any more (Failed, reason
	// InviterLostAuthority); the invitee needs a new invitation.
	AcceptanceInviterLostAuthority AcceptanceOutcome = "InviterLostAuthority"
	// AcceptanceRefused: another invariant refuses the Member (for example
	// the namespace is no organization's home any more); nothing changes.
	AcceptanceRefused AcceptanceOutcome = "Refused"
)

// AcceptanceRequest is the acceptance of one invitation.
type AcceptanceRequest struct {
	Invitation *orgsv1alpha1.Invitation
	// Member is the Member accepting would create.
	Member *orgsv1alpha1.Member
	// Inviter is who invited, from InviterOf; InviterKnown is its ok.
	Inviter      Requester
	InviterKnown bool
	// InviterAuthority is which custom verbs the inviter holds now (a
	// SubjectAccessReview for the inviter's username and groups, asked for
	// the verb AcceptanceVerb names).
	InviterAuthority Authority
	Snapshot         Snapshot
}

// Acceptance is the answer to an AcceptanceRequest.
type Acceptance struct {
	Outcome AcceptanceOutcome
	// Message is a sentence for the invitee (and the Invitation's status)
	// that says what happened and what to do.
	Message string
	// Member is the existing Member, for AcceptanceAlreadyMember.
	Member *orgsv1alpha1.Member
}

// AcceptanceVerb is the custom verb the inviter must still hold for the
// Member that accepting creates: the verb creating that Member needs.
func AcceptanceVerb(m *orgsv1alpha1.Member) string { return MemberVerb(Create, nil, m) }

// DecideAcceptance decides whether accepting inv creates its Member: the
// invitee must not be a Member already, the recorded inviter must still
// hold the authority to grant the role, and creating the Member with that
// authority must meet every invariant DecideMember checks.
func DecideAcceptance(r AcceptanceRequest) Acceptance {
	inv, m := r.Invitation, r.Member
	if inv == nil || m == nil {
		return Acceptance{Outcome: AcceptanceRefused, Message: "There is no invitation to accept."}
	}
	org := inv.Namespace
	if r.Snapshot.Organization != nil {
		org = r.Snapshot.Organization.Name
	}
	for i := range r.Snapshot.Members {
		e := &r.Snapshot.Members[i]
		if MemberMatchesEmail(e, inv.Spec.Email, r.Snapshot.UserPrefix) {
			return Acceptance{
				Outcome: AcceptanceAlreadyMember,
				Message: fmt.Sprintf("%s is already a member of organization %q with role %s.", inv.Spec.Email, org, e.Spec.Role),
				Member:  e,
			}
		}
	}
	if !r.InviterKnown {
		return Acceptance{
			Outcome: AcceptanceInviterLostAuthority,
			Message: fmt.Sprintf("The invitation for %s to organization %q records no inviter, so nobody with the authority to grant the role %s vouches for it; ask an Admin or Owner of the organization for a new invitation.",
				inv.Spec.Email, org, inv.Spec.Role),
		}
	}
	if verb := AcceptanceVerb(m); !r.InviterAuthority.Holds(verb) {
		return Acceptance{
			Outcome: AcceptanceInviterLostAuthority,
			Message: fmt.Sprintf("%s, who invited %s, may no longer grant the role %s in organization %q; ask %s of the organization for a new invitation.",
				r.Inviter.User, inv.Spec.Email, inv.Spec.Role, org, grantor(inv.Spec.Role)),
		}
	}
	d := DecideMember(MemberRequest{
		Op:        Create,
		New:       m,
		Requester: r.Inviter,
		Authority: r.InviterAuthority,
		Snapshot:  r.Snapshot,
	})
	if !d.Allowed() {
		return Acceptance{Outcome: AcceptanceRefused, Message: d.Message}
	}
	return Acceptance{
		Outcome: AcceptanceAllowed,
		Message: fmt.Sprintf("%s joined organization %q with role %s.", inv.Spec.Email, org, inv.Spec.Role),
	}
}

// grantor names who may grant role, for messages.
func grantor(role orgsv1alpha1.Role) string {
	if roleVerb(role) == orgsv1alpha1.VerbManageOwners {
		return "an Owner"
	}
	return "an Admin or Owner"
}

// RevivesInvitation decides whether an invitation that is no longer pending
// (Expired) may become pending again on a resend: the invariants of a new
// invitation hold (the e-mail is not a Member's, no other invitation for it
// is pending).
func RevivesInvitation(inv *orgsv1alpha1.Invitation, s Snapshot) Decision {
	if inv == nil {
		return refuseRequest("Invitations", Update)
	}
	if s.Organization == nil {
		return notHome(Update, "Invitations", inv.Namespace)
	}
	return newInvitee(Requester{}, Authority{}, inv, s, s.Organization.Name)
}
