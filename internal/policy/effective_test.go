package policy

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func effMember(name, user string, role orgsv1alpha1.Role, age int) orgsv1alpha1.Member {
	return orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			CreationTimestamp: metav1.NewTime(time.Unix(1_700_000_000, 0).Add(time.Duration(age) * time.Minute)),
		},
		Spec: orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

func effDeleting(m orgsv1alpha1.Member) orgsv1alpha1.Member {
	now := metav1.NewTime(time.Unix(1_800_000_000, 0))
	m.DeletionTimestamp = &now
	return m
}

func TestEffectiveRoles(t *testing.T) {
	const (
		owner  = orgsv1alpha1.RoleOwner
		admin  = orgsv1alpha1.RoleAdmin
		viewer = orgsv1alpha1.RoleViewer
	)
	tests := []struct {
		name      string
		members   []orgsv1alpha1.Member
		committed []string
		releasing bool
		want      map[string]Outcome
		owners    []string
		held      []string
	}{{
		name:    "wishes apply when an owner remains",
		members: []orgsv1alpha1.Member{effMember("alice", "alice@x", owner, 0), effMember("bob", "bob@x", admin, 1)},
		want:    map[string]Outcome{"alice": {Role: owner}, "bob": {Role: admin}},
		owners:  []string{"alice@x"},
	}, {
		name:      "downgrading the last owner is held back",
		members:   []orgsv1alpha1.Member{effMember("alice", "alice@x", admin, 0)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}},
		owners:    []string{"alice@x"},
	}, {
		name:      "deleting the last owner is held back",
		members:   []orgsv1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0)), effMember("bob", "bob@x", viewer, 1)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "bob": {Role: viewer}},
		owners:    []string{"alice@x"},
	}, {
		name: "two owners demoted at once: the oldest committed owner stays",
		members: []orgsv1alpha1.Member{
			effMember("alice", "alice@x", admin, 0), effMember("bob", "bob@x", viewer, 1),
		},
		committed: []string{"alice@x", "bob@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "bob": {Role: viewer}},
		owners:    []string{"alice@x"},
	}, {
		name:      "the hold is released once another owner exists",
		members:   []orgsv1alpha1.Member{effMember("alice", "alice@x", admin, 0), effMember("bob", "bob@x", owner, 1)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: admin}, "bob": {Role: owner}},
		owners:    []string{"bob@x"},
	}, {
		name:      "a deleting owner is released once another owner exists",
		members:   []orgsv1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0)), effMember("bob", "bob@x", owner, 1)},
		committed: []string{"alice@x", "bob@x"},
		want:      map[string]Outcome{"alice": {Released: true}, "bob": {Role: owner}},
		owners:    []string{"bob@x"},
	}, {
		name:      "an organization being deleted releases everything",
		members:   []orgsv1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0))},
		committed: []string{"alice@x"},
		releasing: true,
		want:      map[string]Outcome{"alice": {Released: true}},
	}, {
		name:    "an organization that never had an owner holds nothing",
		members: []orgsv1alpha1.Member{effMember("bob", "bob@x", viewer, 0)},
		want:    map[string]Outcome{"bob": {Role: viewer}},
	}, {
		name: "a group owner does not count: the user owner is held",
		members: []orgsv1alpha1.Member{
			effMember("alice", "alice@x", admin, 0),
			{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, Spec: orgsv1alpha1.MemberSpec{Group: "ops", Role: owner}},
		},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "ops": {Role: owner}},
		owners:    []string{"alice@x"},
	}, {
		name:    "duplicates: the oldest wins",
		members: []orgsv1alpha1.Member{effMember("new", "alice@x", owner, 5), effMember("old", "alice@x", viewer, 0)},
		want:    map[string]Outcome{"old": {Role: viewer}, "new": {DuplicateOf: "old"}},
	}, {
		// RBAC binds both, so both are applied: the webhook refuses creating
		// the second, and the controller never merges what RBAC tells apart.
		name:    "look-alikes are two identities, as in RBAC",
		members: []orgsv1alpha1.Member{effMember("new", "\u0130van@x", owner, 5), effMember("old", "ivan@x", viewer, 0)},
		want:    map[string]Outcome{"old": {Role: viewer}, "new": {Role: owner}},
		owners:  []string{"\u0130van@x"},
	}, {
		// The last owner's Member was deleted before its last-owner
		// finalizer was added, or with it removed by hand.
		name:      "a committed owner whose Member is gone is held without one",
		members:   []orgsv1alpha1.Member{effMember("bob", "bob@x", viewer, 0)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"bob": {Role: viewer}},
		owners:    []string{"alice@x"},
		held:      []string{"alice@x"},
	}, {
		name:      "every Member gone: all the committed owners are held",
		committed: []string{"carol@x", "alice@x"},
		want:      map[string]Outcome{},
		owners:    []string{"alice@x", "carol@x"},
		held:      []string{"alice@x", "carol@x"},
	}, {
		name:      "a committed owner's Member that remains is held rather than one that is gone",
		members:   []orgsv1alpha1.Member{effMember("carol", "carol@x", admin, 0)},
		committed: []string{"alice@x", "carol@x"},
		want:      map[string]Outcome{"carol": {Role: owner, HeldBack: true}},
		owners:    []string{"carol@x"},
	}, {
		name:      "another owner user releases the hold without a Member",
		members:   []orgsv1alpha1.Member{effMember("bob", "bob@x", owner, 0)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"bob": {Role: owner}},
		owners:    []string{"bob@x"},
	}, {
		name: "a group owner does not release the hold without a Member",
		members: []orgsv1alpha1.Member{
			{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, Spec: orgsv1alpha1.MemberSpec{Group: "ops", Role: owner}},
		},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"ops": {Role: owner}},
		owners:    []string{"alice@x"},
		held:      []string{"alice@x"},
	}, {
		name:      "a new owner Member of the held user ends the hold without a Member",
		members:   []orgsv1alpha1.Member{effMember("alice2", "alice@x", owner, 9)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice2": {Role: owner}},
		owners:    []string{"alice@x"},
	}, {
		name:      "a new Member of the held user with a lower role holds that Member",
		members:   []orgsv1alpha1.Member{effMember("alice2", "alice@x", viewer, 9)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice2": {Role: owner, HeldBack: true}},
		owners:    []string{"alice@x"},
	}, {
		name:      "an organization being deleted holds no owner without a Member",
		members:   []orgsv1alpha1.Member{effMember("bob", "bob@x", viewer, 0)},
		committed: []string{"alice@x"},
		releasing: true,
		want:      map[string]Outcome{"bob": {Role: viewer}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := EffectiveRoles(tt.members, tt.committed, tt.releasing)
			g.Expect(got.Members).To(Equal(tt.want))
			g.Expect(got.Owners).To(Equal(tt.owners))
			g.Expect(got.HeldOwners).To(Equal(tt.held))
		})
	}
}

// The single-owner warning is advice on changes of membership; the
// controller's own metadata updates (finalizers) must not repeat it.
func TestSingleOwnerWarningOnlyOnMembershipChanges(t *testing.T) {
	g := NewWithT(t)
	alice := userMember("alice", "alice@example.com", owner)
	bob := userMember("bob", "bob@example.com", viewer)
	snapshot := Snapshot{Organization: acme(), Members: []orgsv1alpha1.Member{alice, bob}}

	changed := withRole(bob, admin)
	d := DecideMember(MemberRequest{Op: Update, Old: &bob, New: changed, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot})
	g.Expect(d.Allowed()).To(BeTrue())
	g.Expect(d.Warnings).To(ConsistOf(ContainSubstring("single owner")))

	finalized := alice.DeepCopy()
	finalized.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	d = DecideMember(MemberRequest{Op: Update, Old: &alice, New: finalized, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot})
	g.Expect(d.Allowed()).To(BeTrue())
	g.Expect(d.Warnings).To(BeEmpty())
}

// Deleting the home namespace empties it: the namespace controller holds no
// custom verb, and the last-owner rule cannot hold a namespace open.
func TestDeletesReleasedWhenHomeTerminates(t *testing.T) {
	g := NewWithT(t)
	alice := userMember("alice", "alice@example.com", owner)
	inv := invitation("inv", "x@example.com", owner, orgsv1alpha1.InvitationSent)
	nsController := Requester{User: "system:kube-controller-manager"}
	snapshot := Snapshot{Organization: acme(), Members: []orgsv1alpha1.Member{alice}, Invitations: []orgsv1alpha1.Invitation{inv}}

	g.Expect(DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: nsController, Snapshot: snapshot}).Allowed()).To(BeFalse())
	g.Expect(DecideInvitation(InvitationRequest{Op: Delete, Old: &inv, Requester: nsController, Snapshot: snapshot}).Allowed()).To(BeFalse())

	snapshot.HomeTerminating = true
	g.Expect(DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: nsController, Snapshot: snapshot}).Allowed()).To(BeTrue())
	g.Expect(DecideInvitation(InvitationRequest{Op: Delete, Old: &inv, Requester: nsController, Snapshot: snapshot}).Allowed()).To(BeTrue())
	// Only deletes: nothing can be added to a namespace on its way out.
	bob := userMember("bob", "bob@example.com", viewer)
	g.Expect(DecideMember(MemberRequest{Op: Create, New: &bob, Requester: nsController, Snapshot: snapshot}).Allowed()).To(BeFalse())
}
