package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestInvitationVerb(t *testing.T) {
	adminInv := invitation("inv", "erin@example.com", admin, orgsv1alpha1.InvitationSent)
	ownerInv := invitation("inv", "erin@example.com", owner, orgsv1alpha1.InvitationSent)
	resent := func(inv orgsv1alpha1.Invitation) *orgsv1alpha1.Invitation {
		inv.Annotations = map[string]string{orgsv1alpha1.ResendRequestedAtAnnotation: "now"}
		return &inv
	}
	labelled := func(inv orgsv1alpha1.Invitation) *orgsv1alpha1.Invitation {
		inv.Labels = map[string]string{"batch": "1"}
		return &inv
	}
	retargeted := func(inv orgsv1alpha1.Invitation) *orgsv1alpha1.Invitation {
		inv.Spec.Email = "eve@example.com"
		return &inv
	}
	withInviteRole := func(inv orgsv1alpha1.Invitation, role orgsv1alpha1.Role) *orgsv1alpha1.Invitation {
		inv.Spec.Role = role
		return &inv
	}
	cases := []struct {
		name     string
		op       Operation
		old, new *orgsv1alpha1.Invitation
		want     string
	}{
		{"invite non-owner", Create, nil, &adminInv, orgsv1alpha1.VerbManageMembers},
		{"invite owner", Create, nil, &ownerInv, orgsv1alpha1.VerbManageOwners},
		{"resend non-owner", Update, &adminInv, resent(adminInv), orgsv1alpha1.VerbManageMembers},
		{"resend owner", Update, &ownerInv, resent(ownerInv), orgsv1alpha1.VerbManageOwners},
		{"raise to owner", Update, &adminInv, withInviteRole(adminInv, owner), orgsv1alpha1.VerbManageOwners},
		{"lower from owner", Update, &ownerInv, withInviteRole(ownerInv, admin), orgsv1alpha1.VerbManageOwners},
		{"change non-owner role", Update, &adminInv, withInviteRole(adminInv, viewer), orgsv1alpha1.VerbManageMembers},
		{"retarget an owner invitation", Update, &ownerInv, retargeted(ownerInv), orgsv1alpha1.VerbManageOwners},
		{"label an owner invitation", Update, &ownerInv, labelled(ownerInv), orgsv1alpha1.VerbManageMembers},
		{"label a non-owner invitation", Update, &adminInv, labelled(adminInv), orgsv1alpha1.VerbManageMembers},
		{"update without old object", Update, nil, &ownerInv, orgsv1alpha1.VerbManageOwners},
		{"revoke non-owner", Delete, &adminInv, nil, orgsv1alpha1.VerbManageMembers},
		{"revoke owner", Delete, &ownerInv, nil, orgsv1alpha1.VerbManageOwners},
		{"unknown operation asks for the most", "CONNECT", &adminInv, &adminInv, orgsv1alpha1.VerbManageOwners},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(InvitationVerb(c.op, c.old, c.new)).To(Equal(c.want))
		})
	}
}

// A GitOps identity holds manage-members and manage-owners through
// SubjectAccessReviews, one verb each: the webhook must ask about
// manage-owners too for an invitation of an existing member, or the
// re-applied Invitation is refused like an Admin's.
func TestInvitationVerbs(t *testing.T) {
	s := snapshot([]orgsv1alpha1.Member{alice, bob, userMember("oidc-carol", "oidc:carol@example.com", contributor)})
	s.UserPrefix = "oidc:"
	viewerInv := func(email string) *orgsv1alpha1.Invitation {
		inv := invitation("inv", email, viewer, orgsv1alpha1.InvitationSent)
		return &inv
	}
	cases := []struct {
		name     string
		op       Operation
		old, new *orgsv1alpha1.Invitation
		want     []string
	}{
		{"a newcomer: the operation's verb only", Create, nil, viewerInv("erin@example.com"), []string{orgsv1alpha1.VerbManageMembers}},
		{"an existing member: manage-owners too", Create, nil, viewerInv("bob@example.com"),
			[]string{orgsv1alpha1.VerbManageMembers, orgsv1alpha1.VerbManageOwners}},
		{"a member under the user prefix: manage-owners too", Create, nil, viewerInv("carol@example.com"),
			[]string{orgsv1alpha1.VerbManageMembers, orgsv1alpha1.VerbManageOwners}},
		{"a member's look-alike is no member", Create, nil, viewerInv("Bob@Example.com"), []string{orgsv1alpha1.VerbManageMembers}},
		{"a resend never asks more", Update, viewerInv("bob@example.com"), viewerInv("bob@example.com"), []string{orgsv1alpha1.VerbManageMembers}},
		{"a revocation never asks more", Delete, viewerInv("bob@example.com"), nil, []string{orgsv1alpha1.VerbManageMembers}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(InvitationVerbs(c.op, c.old, c.new)(s)).To(Equal(c.want))
		})
	}
}

func TestDecideInvitationOutsideHomeNamespace(t *testing.T) {
	g := NewWithT(t)
	inv := invitedBy(invitation("inv", "erin@example.com", admin, ""), clusterAdmin)
	inv.Namespace = "team-a"
	d := DecideInvitation(InvitationRequest{Op: Create, New: inv, Requester: clusterAdmin, Authority: bothVerbs})
	g.Expect(d.Code).To(Equal(Forbidden))
	g.Expect(d.Message).To(Equal(`namespace "team-a" is not the home namespace of any Organization; create Invitations in their organization's home namespace`))

	// Revoking what is left once the Organization is gone is fine.
	d = DecideInvitation(InvitationRequest{Op: Delete, Old: inv, Requester: outsider, Authority: noVerbs})
	g.Expect(d.Code).To(Equal(Allowed), d.Message)
}

func TestDecideInvitationNoObject(t *testing.T) {
	g := NewWithT(t)
	d := DecideInvitation(InvitationRequest{Op: Delete, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(nil)})
	g.Expect(d.Code).To(Equal(Forbidden))
	g.Expect(d.Message).To(ContainSubstring("on Invitations"))
}

func TestDecideInvitationAuthorityMessages(t *testing.T) {
	ownerInv := invitedBy(invitation("inv", "erin@example.com", owner, orgsv1alpha1.InvitationSent), aliceAsker)
	adminInv := invitedBy(invitation("inv", "erin@example.com", admin, orgsv1alpha1.InvitationSent), aliceAsker)
	resent := ownerInv.DeepCopy()
	resent.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "now"
	raised := adminInv.DeepCopy()
	raised.Spec.Role = owner
	retargeted := ownerInv.DeepCopy()
	retargeted.Spec.Email = "eve@example.com"
	labelled := ownerInv.DeepCopy()
	labelled.Labels = map[string]string{"batch": "1"}
	cases := []struct {
		name      string
		op        Operation
		old, new  *orgsv1alpha1.Invitation
		authority Authority
		want      string // "" when allowed
	}{
		{"invite owner", Create, nil, invitedBy(invitation("", "erin@example.com", owner, ""), bobAsker), membersVerb, "may not invite erin@example.com with role Owner"},
		{"resend owner invitation", Update, ownerInv, resent, membersVerb, "may not resend the Owner invitation for erin@example.com"},
		{"raise to owner", Update, adminInv, raised, membersVerb, "may not change the invitation for erin@example.com from Admin to Owner"},
		// Spec changes on an Owner invitation other than the role need manage-owners too:
		// else an Admin could hand someone else an Owner invitation.
		{"retarget owner invitation", Update, ownerInv, retargeted, membersVerb, "may not change the Owner invitation for eve@example.com"},
		{"revoke owner invitation", Delete, ownerInv, nil, membersVerb, "may not revoke the Owner invitation for erin@example.com"},
		{"label owner invitation as admin", Update, ownerInv, labelled, membersVerb, ""},
		{"label owner invitation as outsider", Update, ownerInv, labelled, noVerbs, "may not change the Owner invitation for erin@example.com"},
		{"update without old object", Update, nil, labelled, membersVerb, "may not change the invitation for erin@example.com"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideInvitation(InvitationRequest{Op: c.op, Old: c.old, New: c.new, Requester: bobAsker, Authority: c.authority,
				Snapshot: snapshot([]orgsv1alpha1.Member{alice, bob})})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring(`user "bob@example.com" ` + c.want + ` in organization "acme"`))
		})
	}
}

func TestDecideInvitationInvariants(t *testing.T) {
	members := []orgsv1alpha1.Member{alice, bob, groupMember("team", "erin@example.com", viewer), userMember("oidc-carol", "oidc:carol@example.com", contributor)}
	invites := []orgsv1alpha1.Invitation{
		invitation("inv-dave", "dave@example.com", admin, orgsv1alpha1.InvitationSent),
		invitation("inv-frank", "frank@example.com", viewer, orgsv1alpha1.InvitationPending),
		invitation("inv-gina", "gina@example.com", admin, orgsv1alpha1.InvitationExpired),
		invitation("inv-hal", "hal@example.com", admin, orgsv1alpha1.InvitationSent),
	}
	invites[3].DeletionTimestamp = deleting(alice).DeletionTimestamp // revoked, not gone yet

	cases := []struct {
		name  string
		email string
		want  string // "" when allowed
	}{
		{"already a member", "bob@example.com",
			`bob@example.com is already a member of organization "acme" with role Admin; change their role with "kubectl roster set-role" instead of inviting them`},
		{"a Member's look-alike, other case", "Bob@Example.com",
			`may not add an invitation for Bob@Example.com to organization "acme": it looks the same as bob@example.com, Member "bob", but is a different identity`},
		{"a Member's look-alike under the user prefix", "Carol@example.com", `it looks the same as oidc:carol@example.com, Member`},
		{"a Member's look-alike, fullwidth letters", "\uff42ob@example.com", `it looks the same as bob@example.com`},
		{"already a member under the user prefix", "carol@example.com", `carol@example.com is already a member of organization "acme" with role Contributor`},
		{"a group Member named like the e-mail is not that person", "erin@example.com", ""},
		{"a pending invitation", "dave@example.com",
			`dave@example.com already has a pending invitation to organization "acme" (Invitation "inv-dave", role Admin); resend or revoke it instead of inviting them again`},
		{"a pending invitation's look-alike, other case", "DAVE@example.com",
			`it looks the same as dave@example.com, Invitation "inv-dave"`},
		{"an invitation not yet sent is pending", "frank@example.com", `(Invitation "inv-frank", role Viewer)`},
		{"an expired invitation is not pending", "gina@example.com", ""},
		{"a revoked invitation being deleted is not pending", "hal@example.com", ""},
		{"someone new", "ivan@example.com", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			s := snapshot(members, invites...)
			s.UserPrefix = "oidc:"
			d := DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(invitation("", c.email, viewer, ""), bobAsker), Requester: bobAsker, Authority: membersVerb, Snapshot: s})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring(c.want))
		})
	}

	t.Run("an update that changes the e-mail meets the same rules", func(t *testing.T) {
		g := NewWithT(t)
		old := invitedBy(invitation("inv-x", "xena@example.com", viewer, orgsv1alpha1.InvitationSent), bobAsker)
		s := snapshot(members, append(invites, *old)...)
		retargeted := old.DeepCopy()
		retargeted.Spec.Email = "bob@example.com"
		d := DecideInvitation(InvitationRequest{Op: Update, Old: old, New: retargeted, Requester: bobAsker, Authority: membersVerb, Snapshot: s})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("is already a member"))

		// An invitation is not its own duplicate: resending it is fine.
		resent := old.DeepCopy()
		resent.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "now"
		d = DecideInvitation(InvitationRequest{Op: Update, Old: old, New: resent, Requester: bobAsker, Authority: membersVerb, Snapshot: s})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
		recased := old.DeepCopy()
		recased.Spec.Email = "Xena@example.com"
		d = DecideInvitation(InvitationRequest{Op: Update, Old: old, New: recased, Requester: bobAsker, Authority: membersVerb, Snapshot: s})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})

	t.Run("a holder of manage-owners may file an invitation for an existing member, never for a look-alike", func(t *testing.T) {
		// A GitOps sync re-creating an Invitation that was accepted.
		cases := []struct {
			name, email string
			want        string // "" when allowed
		}{
			{"the member's exact e-mail", "bob@example.com", ""},
			{"the member under the user prefix", "carol@example.com", ""},
			{"a Member's look-alike, other case", "Bob@Example.com", `it looks the same as bob@example.com, Member "bob", but is a different identity`},
			{"a Member's look-alike, fullwidth letters", "\uff42ob@example.com", `it looks the same as bob@example.com`},
			{"a pending invitation is still one too many", "dave@example.com", `already has a pending invitation`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				g := NewWithT(t)
				s := snapshot(members, invites...)
				s.UserPrefix = "oidc:"
				d := DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(invitation("", c.email, viewer, ""), aliceAsker), Requester: aliceAsker, Authority: bothVerbs, Snapshot: s})
				if c.want == "" {
					g.Expect(d.Code).To(Equal(Allowed), d.Message)
					g.Expect(d.Warnings).To(ConsistOf(ContainSubstring("is already a member of organization \"acme\"")), "the requester is told it sends nothing")
					g.Expect(d.Warnings[0]).To(ContainSubstring("this Invitation sends nothing and is reported Accepted (AlreadyMember)"))
					return
				}
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Message).To(ContainSubstring(c.want))
			})
		}
		g := NewWithT(t)
		g.Expect(InvitesExistingMembers(bothVerbs)).To(BeTrue())
		g.Expect(InvitesExistingMembers(membersVerb)).To(BeFalse(), "an Admin is told to change the role instead")
	})

	t.Run("authority comes before the invariants", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(invitation("", "bob@example.com", viewer, ""), outsider), Requester: outsider, Authority: noVerbs,
			Snapshot: snapshot(members, invites...)})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("holders of manage-members"))
		g.Expect(d.Message).NotTo(ContainSubstring("already"))
	})
}

func TestDecideInvitationInviter(t *testing.T) {
	bobGroups := Requester{User: "bob@example.com", Groups: []string{"system:authenticated", "team-a"}}
	fresh := func(annotations map[string]string) *orgsv1alpha1.Invitation {
		inv := invitation("", "erin@example.com", admin, "")
		inv.Annotations = annotations
		return &inv
	}
	right := InviterAnnotations(bobGroups)
	cases := []struct {
		name        string
		annotations map[string]string
		field       string // "" when allowed
	}{
		{"set by the mutating webhook", right, ""},
		{"missing", nil, "metadata.annotations[orgs.roster.dev/invited-by]"},
		{"forged user", map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: right[orgsv1alpha1.InvitedByGroupsAnnotation]},
			"metadata.annotations[orgs.roster.dev/invited-by]"},
		{"forged groups", map[string]string{orgsv1alpha1.InvitedByAnnotation: "bob@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: `["system:masters"]`},
			"metadata.annotations[orgs.roster.dev/invited-by-groups]"},
		{"groups missing", map[string]string{orgsv1alpha1.InvitedByAnnotation: "bob@example.com"},
			"metadata.annotations[orgs.roster.dev/invited-by-groups]"},
	}
	for _, c := range cases {
		t.Run("create/"+c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideInvitation(InvitationRequest{Op: Create, New: fresh(c.annotations), Requester: bobGroups, Authority: membersVerb, Snapshot: snapshot([]orgsv1alpha1.Member{alice})})
			if c.field == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Field).To(Equal(c.field))
			g.Expect(d.Message).To(ContainSubstring(`user "bob@example.com" may not set annotation`))
			g.Expect(d.Message).To(ContainSubstring(`organization "acme"`))
			g.Expect(d.Message).To(ContainSubstring("may not be set by hand"))
		})
	}

	recorded := invitedBy(invitation("inv", "erin@example.com", admin, orgsv1alpha1.InvitationSent), aliceAsker)
	unrecorded := invitation("inv", "erin@example.com", admin, orgsv1alpha1.InvitationSent)
	update := func(old *orgsv1alpha1.Invitation, annotations map[string]string) Decision {
		new := old.DeepCopy()
		new.Annotations = annotations
		new.Labels = map[string]string{"edited": "yes"}
		return DecideInvitation(InvitationRequest{Op: Update, Old: old, New: new, Requester: bobGroups, Authority: membersVerb, Snapshot: snapshot([]orgsv1alpha1.Member{alice})})
	}
	updates := []struct {
		name        string
		old         *orgsv1alpha1.Invitation
		annotations map[string]string
		field       string
	}{
		{"kept", recorded, recorded.Annotations, ""},
		{"replaced by the updater's identity", recorded, right, "metadata.annotations[orgs.roster.dev/invited-by]"},
		{"dropped", recorded, nil, "metadata.annotations[orgs.roster.dev/invited-by]"},
		{"groups changed", recorded, map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: `["system:masters"]`},
			"metadata.annotations[orgs.roster.dev/invited-by-groups]"},
		{"none before, none after", &unrecorded, nil, ""},
		{"none before, the updater's identity after", &unrecorded, right, ""},
		{"none before, someone else after", &unrecorded, map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com"},
			"metadata.annotations[orgs.roster.dev/invited-by]"},
	}
	for _, c := range updates {
		t.Run("update/"+c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := update(c.old, c.annotations)
			if c.field == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Field).To(Equal(c.field))
			g.Expect(d.Message).To(ContainSubstring("may not be set by hand"))
		})
	}

	t.Run("revoking does not look at the annotations", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideInvitation(InvitationRequest{Op: Delete, Old: &unrecorded, Requester: bobGroups, Authority: membersVerb, Snapshot: snapshot([]orgsv1alpha1.Member{alice})})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})
}
