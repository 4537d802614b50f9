package policy

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestRoleAuthority(t *testing.T) {
	want := map[orgsv1alpha1.Role]Authority{
		owner: bothVerbs, admin: membersVerb, contributor: noVerbs, viewer: noVerbs, viewerNoSecrets: noVerbs, "": noVerbs,
	}
	for role, w := range want {
		if got := RoleAuthority(role); got != w {
			t.Errorf("RoleAuthority(%q) = %+v, want %+v", role, got, w)
		}
	}
}

func TestReviewedAuthority(t *testing.T) {
	cases := []struct {
		verb    string
		allowed bool
		want    Authority
		wantErr bool
	}{
		{verb: orgsv1alpha1.VerbManageOwners, allowed: true, want: Authority{ManageOwners: true}},
		{verb: orgsv1alpha1.VerbManageOwners, allowed: false, want: noVerbs},
		{verb: orgsv1alpha1.VerbManageMembers, allowed: true, want: membersVerb},
		{verb: orgsv1alpha1.VerbManageMembers, allowed: false, want: noVerbs},
		{verb: "delete", allowed: true, want: noVerbs, wantErr: true},
	}
	for _, c := range cases {
		got, err := ReviewedAuthority(c.verb, c.allowed)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("ReviewedAuthority(%q, %v) = %+v, %v; want %+v, error %v", c.verb, c.allowed, got, err, c.want, c.wantErr)
		}
	}
}

func TestMembershipAuthority(t *testing.T) {
	alice := Requester{User: "alice@example.com", Groups: []string{"system:authenticated", "platform"}}
	newer := func(m orgsv1alpha1.Member) orgsv1alpha1.Member {
		m.CreationTimestamp = metav1.NewTime(time.Now())
		return m
	}
	deletingOrg := acme()
	now := metav1.Now()
	deletingOrg.DeletionTimestamp = &now
	heldOrg := acme()
	heldOrg.Status.EffectiveOwners = []string{"alice@example.com"}

	for _, tc := range []struct {
		name string
		who  Requester
		s    Snapshot
		want Authority
	}{
		{"an owner", alice, snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", owner)}), bothVerbs},
		{"an admin", alice, snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", admin)}), membersVerb},
		{"a contributor", alice, snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", contributor)}), noVerbs},
		{"a viewer", alice, snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", viewer)}), noVerbs},
		{"not a member", outsider, snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", owner)}), noVerbs},
		// RBAC compares users exactly: so must this, or it grants what RBAC does not.
		{"another case of the user", Requester{User: "Alice@example.com"},
			snapshot([]orgsv1alpha1.Member{userMember("alice", "alice@example.com", owner)}), noVerbs},
		{"an admin group", alice, snapshot([]orgsv1alpha1.Member{groupMember("platform", "platform", admin)}), membersVerb},
		{"a group of another case", alice, snapshot([]orgsv1alpha1.Member{groupMember("platform", "Platform", admin)}), noVerbs},
		{"the highest of user and group", alice, snapshot([]orgsv1alpha1.Member{
			userMember("alice", "alice@example.com", viewer), groupMember("platform", "platform", owner)}), bothVerbs},
		// A duplicate gets no RBAC: the older Member's role is the one applied.
		{"a duplicate", alice, snapshot([]orgsv1alpha1.Member{
			userMember("a-old", "alice@example.com", viewer), newer(userMember("alice", "alice@example.com", owner))}), noVerbs},
		// A look-alike is another identity: it neither grants nor takes away.
		{"a look-alike of the user is someone else", alice, snapshot([]orgsv1alpha1.Member{
			userMember("a-old", "ALICE@example.com", viewer), newer(userMember("alice", "alice@example.com", owner))}), bothVerbs},
		// A Member on its way out grants nothing once released...
		{"a removed owner", alice, snapshot([]orgsv1alpha1.Member{
			deleting(userMember("alice", "alice@example.com", owner)), userMember("bob", "bob@example.com", owner)}), noVerbs},
		// ...but the last owner keeps the role while held.
		{"the held last owner", alice, Snapshot{Organization: heldOrg, Members: []orgsv1alpha1.Member{
			userMember("alice", "alice@example.com", viewer)}}, bothVerbs},
		{"an organization being deleted", alice, Snapshot{Organization: deletingOrg, Members: []orgsv1alpha1.Member{
			userMember("alice", "alice@example.com", owner)}}, noVerbs},
		{"a home namespace being deleted", alice, Snapshot{Organization: acme(), HomeTerminating: true, Members: []orgsv1alpha1.Member{
			userMember("alice", "alice@example.com", owner)}}, noVerbs},
		{"a home namespace another organization holds", alice, Snapshot{Organization: acme(), HomeClaimedByOther: true, Members: []orgsv1alpha1.Member{
			userMember("alice", "alice@example.com", owner)}}, noVerbs},
		{"no organization", alice, Snapshot{Members: []orgsv1alpha1.Member{userMember("alice", "alice@example.com", owner)}}, noVerbs},
		{"an anonymous requester", Requester{Groups: []string{"platform"}}, snapshot([]orgsv1alpha1.Member{groupMember("platform", "platform", owner)}), noVerbs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MembershipAuthority(tc.who, tc.s); got != tc.want {
				t.Errorf("MembershipAuthority() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The webhooks hand the policy the cache's own objects (no copy): deciding
// must leave them as they were.
func TestDecisionsDoNotModifyTheSnapshot(t *testing.T) {
	org := acme()
	org.Status.EffectiveOwners = []string{"alice@example.com"}
	s := Snapshot{Organization: org, Members: []orgsv1alpha1.Member{
		userMember("bob", "bob@example.com", admin),
		userMember("alice", "alice@example.com", owner),
		groupMember("platform", "platform", viewer),
		deleting(userMember("carol", "carol@example.com", owner)),
	}, Invitations: []orgsv1alpha1.Invitation{invitation("dave", "dave@example.com", viewer, orgsv1alpha1.InvitationPending)}}
	before := Snapshot{Organization: org.DeepCopy()}
	for i := range s.Members {
		before.Members = append(before.Members, *s.Members[i].DeepCopy())
	}
	before.Invitations = []orgsv1alpha1.Invitation{*s.Invitations[0].DeepCopy()}
	alice := Requester{User: "alice@example.com"}

	MembershipAuthority(alice, s)
	EffectiveRoles(s.Members, org.Status.EffectiveOwners, false)
	DecideMember(MemberRequest{Op: Update, Old: &s.Members[1], New: withRole(s.Members[1], viewer), Requester: alice, Authority: bothVerbs, Snapshot: s})
	DecideMember(MemberRequest{Op: Delete, Old: &s.Members[1], Requester: alice, Authority: bothVerbs, Snapshot: s})
	inv := invitation("erin", "erin@example.com", admin, "")
	DecideInvitation(InvitationRequest{Op: Create, New: invitedBy(inv, alice), Requester: alice, Authority: bothVerbs, Snapshot: s})

	if !equality.Semantic.DeepEqual(before, s) {
		t.Fatalf("a decision modified the snapshot:\nbefore %+v\nafter  %+v", before, s)
	}
}
