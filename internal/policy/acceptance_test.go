package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestInviterOf(t *testing.T) {
	alice := Requester{User: "alice@example.com", Groups: []string{"devs", "system:authenticated"}}
	noGroups := Requester{User: "ci-bot"}
	inv := invitation("inv", "erin@example.com", viewer, orgsv1alpha1.InvitationSent)
	annotated := func(ann map[string]string) *orgsv1alpha1.Invitation {
		i := inv
		i.Annotations = ann
		return &i
	}
	cases := []struct {
		name   string
		inv    *orgsv1alpha1.Invitation
		want   Requester
		wantOK bool
	}{
		{"round trip", invitedBy(inv, alice), alice, true},
		{"no groups round trip", invitedBy(inv, noGroups), Requester{User: "ci-bot", Groups: []string{}}, true},
		{"nil", nil, Requester{}, false},
		{"no annotations", &inv, Requester{}, false},
		{"user only", annotated(map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice"}), Requester{}, false},
		{"empty user", annotated(map[string]string{orgsv1alpha1.InvitedByAnnotation: "", orgsv1alpha1.InvitedByGroupsAnnotation: "[]"}), Requester{}, false},
		{"malformed groups", annotated(map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice", orgsv1alpha1.InvitedByGroupsAnnotation: "devs"}), Requester{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, ok := InviterOf(tc.inv)
			g.Expect(ok).To(Equal(tc.wantOK))
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestAcceptanceVerb(t *testing.T) {
	for _, role := range orgsv1alpha1.Roles {
		m := userMember("erin", "erin@example.com", role)
		want := orgsv1alpha1.VerbManageMembers
		if role == owner {
			want = orgsv1alpha1.VerbManageOwners
		}
		NewWithT(t).Expect(AcceptanceVerb(&m)).To(Equal(want), "role %s", role)
	}
}

func TestDecideAcceptance(t *testing.T) {
	alice := Requester{User: "alice@example.com", Groups: []string{"system:authenticated"}}
	owners := []orgsv1alpha1.Member{userMember("alice", "alice@example.com", owner)}
	newMember := func(user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
		m := userMember("erin-at-example-com", user, role)
		return &m
	}
	inv := func(role orgsv1alpha1.Role) *orgsv1alpha1.Invitation {
		return invitedBy(invitation("erin", "erin@example.com", role, orgsv1alpha1.InvitationSent), alice)
	}
	withPrefix := func(s Snapshot, prefix string) Snapshot { s.UserPrefix = prefix; return s }
	cases := []struct {
		name      string
		inv       *orgsv1alpha1.Invitation
		member    *orgsv1alpha1.Member
		inviter   Requester
		known     bool
		authority Authority
		snapshot  Snapshot
		want      AcceptanceOutcome
		message   string
	}{
		{"admin invites viewer", inv(viewer), newMember("erin@example.com", viewer), alice, true, membersVerb, snapshot(owners), AcceptanceAllowed, "joined"},
		{"owner invites owner", inv(owner), newMember("erin@example.com", owner), alice, true, bothVerbs, snapshot(owners), AcceptanceAllowed, "joined"},
		{"inviter demoted: no verb", inv(viewer), newMember("erin@example.com", viewer), alice, true, noVerbs, snapshot(owners), AcceptanceInviterLostAuthority, "may no longer grant the role Viewer"},
		{"inviter now admin: owner invitation", inv(owner), newMember("erin@example.com", owner), alice, true, membersVerb, snapshot(owners), AcceptanceInviterLostAuthority, "ask an Owner"},
		{"no recorded inviter", inv(viewer), newMember("erin@example.com", viewer), Requester{}, false, bothVerbs, snapshot(owners), AcceptanceInviterLostAuthority, "records no inviter"},
		{"a look-alike Member, other case: refused, not merged", inv(viewer), newMember("erin@example.com", viewer), alice, true, membersVerb,
			snapshot(append(owners, userMember("erin-upper", "ERIN@example.com", contributor))), AcceptanceRefused, `looks the same as user ERIN@example.com, Member "erin-upper"`},
		{"already member with prefix", inv(viewer), newMember("oidc:erin@example.com", viewer), alice, true, membersVerb,
			withPrefix(snapshot(append(owners, userMember("erin", "oidc:erin@example.com", contributor))), "oidc:"), AcceptanceAlreadyMember, "already a member"},
		{"already member beats lost authority", inv(viewer), newMember("erin@example.com", viewer), alice, true, noVerbs,
			snapshot(append(owners, userMember("erin", "erin@example.com", viewer))), AcceptanceAlreadyMember, "already a member"},
		{"group member does not count", inv(viewer), newMember("erin@example.com", viewer), alice, true, membersVerb,
			snapshot(append(owners, groupMember("devs", "erin@example.com", viewer))), AcceptanceAllowed, "joined"},
		{"organization gone", inv(viewer), newMember("erin@example.com", viewer), alice, true, membersVerb,
			Snapshot{Members: owners}, AcceptanceRefused, "not the home namespace"},
		{"no invitation", nil, newMember("erin@example.com", viewer), alice, true, membersVerb, snapshot(owners), AcceptanceRefused, "no invitation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := DecideAcceptance(AcceptanceRequest{
				Invitation: tc.inv, Member: tc.member,
				Inviter: tc.inviter, InviterKnown: tc.known, InviterAuthority: tc.authority,
				Snapshot: tc.snapshot,
			})
			g.Expect(got.Outcome).To(Equal(tc.want), got.Message)
			g.Expect(got.Message).To(ContainSubstring(tc.message))
			if tc.want == AcceptanceAlreadyMember {
				g.Expect(got.Member).NotTo(BeNil())
			}
		})
	}
}

func TestRevivesInvitation(t *testing.T) {
	expired := invitation("erin", "erin@example.com", viewer, orgsv1alpha1.InvitationExpired)
	cases := []struct {
		name     string
		snapshot Snapshot
		allowed  bool
		message  string
	}{
		{"nothing else", snapshot(nil, expired), true, ""},
		{"another expired one", snapshot(nil, expired, invitation("erin2", "erin@example.com", viewer, orgsv1alpha1.InvitationExpired)), true, ""},
		{"another pending one", snapshot(nil, expired, invitation("erin2", "erin@example.com", viewer, orgsv1alpha1.InvitationSent)), false, "already has a pending invitation"},
		{"a pending look-alike", snapshot(nil, expired, invitation("erin2", "ERIN@example.com", viewer, orgsv1alpha1.InvitationSent)), false, `looks the same as ERIN@example.com, Invitation "erin2"`},
		{"now a member", snapshot([]orgsv1alpha1.Member{userMember("erin", "erin@example.com", viewer)}, expired), false, "already a member"},
		{"no organization", Snapshot{}, false, "not the home namespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			d := RevivesInvitation(&expired, tc.snapshot)
			g.Expect(d.Allowed()).To(Equal(tc.allowed), d.Message)
			g.Expect(d.Message).To(ContainSubstring(tc.message))
		})
	}
	NewWithT(t).Expect(RevivesInvitation(nil, snapshot(nil)).Allowed()).To(BeFalse())
}
