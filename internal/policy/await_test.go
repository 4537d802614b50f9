package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestAwaitedOrganization(t *testing.T) {
	cases := []struct {
		name, namespace, homeOf, want string
	}{
		{"default name", "org-acme", "", "acme"},
		{"the label wins", "platform-acme", "acme", "acme"},
		{"the label wins over the default name", "org-acme", "globex", "globex"},
		{"no label, another name", "acme", "", ""},
		{"the prefix alone", "org-", "", ""},
		{"a case variant of the label names no organization", "platform-acme", "ACME", ""},
		{"a label that is no Organization name", "platform-acme", "acme_", ""},
		{"a nested default name", "org-org-acme", "", "org-acme"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(AwaitedOrganization(c.namespace, c.homeOf)).To(Equal(c.want))
		})
	}
}

// waitingSnapshot is a namespace that awaits organization acme, which does
// not exist yet.
func waitingSnapshot(members ...orgsv1alpha1.Member) Snapshot {
	return Snapshot{Awaited: orgName, Members: members}
}

func TestDecideMemberWaiting(t *testing.T) {
	owners := Authority{ManageOwners: true}
	system := userMember("sys", "system:kube-controller-manager", owner)
	cases := []struct {
		name      string
		op        Operation
		member    orgsv1alpha1.Member
		asker     Requester
		authority Authority
		snapshot  Snapshot
		allowed   bool
		code      Code
	}{
		{"manage-owners creates an owner", Create, alice, clusterAdmin, owners, waitingSnapshot(), true, ""},
		{"manage-owners creates a viewer", Create, carol, clusterAdmin, owners, waitingSnapshot(), true, ""},
		{"manage-owners changes a waiting Member", Update, carol, clusterAdmin, owners, waitingSnapshot(carol), true, ""},
		{"manage-members alone may not", Create, carol, bobAsker, membersVerb, waitingSnapshot(), false, Forbidden},
		{"an outsider may not", Create, alice, outsider, noVerbs, waitingSnapshot(), false, Forbidden},
		{"an outsider may not change one", Update, carol, outsider, noVerbs, waitingSnapshot(carol), false, Forbidden},
		{"deleting needs nothing", Delete, carol, outsider, noVerbs, waitingSnapshot(carol), true, ""},
		{"no awaited organization: refused whoever asks", Create, alice, clusterAdmin, bothVerbs, Snapshot{}, false, Forbidden},
		{"system identities are refused while waiting too", Create, system, clusterAdmin, owners, waitingSnapshot(), false, Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			m := c.member
			m.Namespace = home
			d := DecideMember(MemberRequest{Op: c.op, Old: &m, New: &m, Requester: c.asker, Authority: c.authority, Snapshot: c.snapshot})
			g.Expect(d.Allowed()).To(Equal(c.allowed), d.Message)
			g.Expect(d.Code).To(Equal(c.code))
			if c.allowed && c.op != Delete {
				g.Expect(d.Warnings).To(ConsistOf(WaitingMessage("Members", home, orgName)))
			}
			if !c.allowed && c.snapshot.Awaited != "" && c.code == Forbidden {
				g.Expect(d.Message).To(ContainSubstring(`organization "acme", whose home it will be, does not exist yet`))
				g.Expect(d.Message).To(ContainSubstring("manage-owners on organizations/acme"))
			}
		})
	}
}

func TestDecideInvitationWaiting(t *testing.T) {
	inv := invitation("dave", "dave@example.com", viewer, "")
	inv.Namespace = home
	g := NewWithT(t)

	d := DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(inv, clusterAdmin), Requester: clusterAdmin,
		Authority: Authority{ManageOwners: true}, Snapshot: waitingSnapshot()})
	g.Expect(d.Allowed()).To(BeTrue(), d.Message)
	g.Expect(d.Warnings).To(ConsistOf(WaitingMessage("Invitations", home, orgName)))

	d = DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(inv, clusterAdmin), Requester: bobAsker,
		Authority: membersVerb, Snapshot: waitingSnapshot()})
	g.Expect(d.Code).To(Equal(Forbidden))

	// The recorded inviter must be the requester, as in a home.
	d = DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(inv, outsider), Requester: clusterAdmin,
		Authority: Authority{ManageOwners: true}, Snapshot: waitingSnapshot()})
	g.Expect(d.Allowed()).To(BeFalse())
}
