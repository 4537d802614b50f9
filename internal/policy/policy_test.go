package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestAuthorityHolds(t *testing.T) {
	cases := []struct {
		authority Authority
		verb      string
		want      bool
	}{
		{noVerbs, "", true},
		{noVerbs, orgsv1alpha1.VerbManageMembers, false},
		{noVerbs, orgsv1alpha1.VerbManageOwners, false},
		{membersVerb, orgsv1alpha1.VerbManageMembers, true},
		{membersVerb, orgsv1alpha1.VerbManageOwners, false},
		{Authority{ManageOwners: true}, orgsv1alpha1.VerbManageOwners, true},
		{Authority{ManageOwners: true}, orgsv1alpha1.VerbManageMembers, false},
		{bothVerbs, "delete", false},
	}
	for _, c := range cases {
		t.Run(c.verb, func(t *testing.T) {
			NewWithT(t).Expect(c.authority.Holds(c.verb)).To(Equal(c.want))
		})
	}
}

func TestDecisionAllowed(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Decision{}.Allowed()).To(BeTrue())
	g.Expect(Decision{Warnings: []string{"advice"}}.Allowed()).To(BeTrue())
	g.Expect(Decision{Code: Forbidden}.Allowed()).To(BeFalse())
	g.Expect(Decision{Code: Invalid}.Allowed()).To(BeFalse())
}

func TestSameUser(t *testing.T) {
	g := NewWithT(t)
	g.Expect(SameUser("alice@example.com", "alice@example.com")).To(BeTrue())
	// RBAC tells these apart, so Roster does too.
	g.Expect(SameUser("Alice@Example.com", "alice@example.COM")).To(BeFalse())
	g.Expect(SameUser("\u0130van@example.com", "ivan@example.com")).To(BeFalse())
	g.Expect(SameUser("alice@example.com", "alice@example.org")).To(BeFalse())
	g.Expect(SameUser("oidc:alice@example.com", "alice@example.com")).To(BeFalse())
}

func TestMemberMatchesEmail(t *testing.T) {
	cases := []struct {
		name   string
		member orgsv1alpha1.Member
		email  string
		prefix string
		want   bool
	}{
		{"plain", userMember("a", "alice@example.com", viewer), "alice@example.com", "", true},
		{"other case is someone else", userMember("a", "Alice@Example.com", viewer), "alice@example.COM", "", false},
		{"with prefix", userMember("a", "oidc:alice@example.com", viewer), "alice@example.com", "oidc:", true},
		{"prefix in other case is someone else", userMember("a", "OIDC:alice@example.com", viewer), "alice@example.com", "oidc:", false},
		{"prefix flag set, member without it", userMember("a", "alice@example.com", viewer), "alice@example.com", "oidc:", true},
		{"prefix not configured", userMember("a", "oidc:alice@example.com", viewer), "alice@example.com", "", false},
		{"other prefix", userMember("a", "ldap:alice@example.com", viewer), "alice@example.com", "oidc:", false},
		{"only the prefix", userMember("a", "oidc:", viewer), "", "oidc:", false},
		{"someone else", userMember("a", "oidc:bob@example.com", viewer), "alice@example.com", "oidc:", false},
		{"a group is never a person", groupMember("g", "alice@example.com", viewer), "alice@example.com", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(MemberMatchesEmail(&c.member, c.email, c.prefix)).To(Equal(c.want))
		})
	}
}

func TestInviterAnnotations(t *testing.T) {
	g := NewWithT(t)
	g.Expect(InviterAnnotations(Requester{User: "bob@example.com", Groups: []string{"system:authenticated", "team-a"}})).To(Equal(map[string]string{
		orgsv1alpha1.InvitedByAnnotation:       "bob@example.com",
		orgsv1alpha1.InvitedByGroupsAnnotation: `["system:authenticated","team-a"]`,
	}))
	g.Expect(InviterAnnotations(Requester{User: "bob"})).To(HaveKeyWithValue(orgsv1alpha1.InvitedByGroupsAnnotation, "[]"))
	g.Expect(InviterAnnotations(Requester{User: "bob", Groups: []string{`a"b`}})).To(HaveKeyWithValue(orgsv1alpha1.InvitedByGroupsAnnotation, `["a\"b"]`))
}

func TestCountOwnerUsers(t *testing.T) {
	g := NewWithT(t)
	g.Expect(countOwnerUsers(nil)).To(Equal(0))
	g.Expect(countOwnerUsers([]orgsv1alpha1.Member{
		userMember("a", "a@example.com", owner),
		userMember("b", "b@example.com", owner),
		userMember("c", "c@example.com", admin),
		groupMember("g", "owners", owner),
		deleting(userMember("d", "d@example.com", owner)),
	})).To(Equal(2))
}
