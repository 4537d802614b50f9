package policy

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// applied gives m the effective role last applied to it.
func applied(m orgsv1alpha1.Member, role orgsv1alpha1.Role) orgsv1alpha1.Member {
	m.Status.EffectiveRole = role
	return m
}

// While the home namespace is being deleted, the controller only takes
// access away: each Member gets the lower of its wish and what it had.
func TestWithdrawOnly(t *testing.T) {
	ops := orgsv1alpha1.Member{Spec: orgsv1alpha1.MemberSpec{Group: "ops", Role: admin}}
	ops.Name = "ops"
	tests := []struct {
		name    string
		members []orgsv1alpha1.Member
		want    map[string]Outcome
		owners  []string
	}{{
		name:    "a demotion is applied",
		members: []orgsv1alpha1.Member{applied(effMember("alice", "alice@x", viewer, 0), owner)},
		want:    map[string]Outcome{"alice": {Role: viewer}},
	}, {
		name:    "a promotion is not: the applied role stays",
		members: []orgsv1alpha1.Member{applied(effMember("bob", "bob@x", admin, 0), viewer)},
		want:    map[string]Outcome{"bob": {Role: viewer, Frozen: true}},
	}, {
		name:    "a promotion to Owner makes no owner",
		members: []orgsv1alpha1.Member{applied(effMember("bob", "bob@x", owner, 0), contributor)},
		want:    map[string]Outcome{"bob": {Role: contributor, Frozen: true}},
	}, {
		name:    "a Member never applied gets nothing",
		members: []orgsv1alpha1.Member{effMember("new", "new@x", owner, 0)},
		want:    map[string]Outcome{"new": {Frozen: true}},
	}, {
		name:    "an unknown applied role gives nothing",
		members: []orgsv1alpha1.Member{applied(effMember("odd", "odd@x", viewer, 0), "Superuser")},
		want:    map[string]Outcome{"odd": {Frozen: true}},
	}, {
		name:    "an unchanged owner stays an owner",
		members: []orgsv1alpha1.Member{applied(effMember("alice", "alice@x", owner, 0), owner), applied(ops, admin)},
		want:    map[string]Outcome{"alice": {Role: owner}, "ops": {Role: admin}},
		owners:  []string{"alice@x"},
	}, {
		name:    "a removal is applied",
		members: []orgsv1alpha1.Member{applied(effDeleting(ops), admin), applied(effMember("alice", "alice@x", owner, 0), owner)},
		want:    map[string]Outcome{"ops": {Released: true}, "alice": {Role: owner}},
		owners:  []string{"alice@x"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := WithdrawOnly(EffectiveRoles(tt.members, []string{"alice@x"}, true), tt.members)
			g.Expect(got.Members).To(Equal(tt.want))
			g.Expect(got.Owners).To(Equal(tt.owners))
			g.Expect(got.HeldOwners).To(BeEmpty())
		})
	}
}

// Whatever the wishes and what was applied, withdraw-only never gives a
// Member a role above the one it had.
func TestWithdrawOnlyNeverRaises(t *testing.T) {
	g := NewWithT(t)
	roles := append([]orgsv1alpha1.Role{""}, orgsv1alpha1.Roles...)
	for _, wish := range orgsv1alpha1.Roles {
		for _, had := range roles {
			m := applied(effMember("m", "m@x", wish, 0), had)
			got := WithdrawOnly(EffectiveRoles([]orgsv1alpha1.Member{m}, nil, true), []orgsv1alpha1.Member{m}).Members["m"]
			g.Expect(got.Role.Rank()).To(BeNumerically("<=", had.Rank()), "wish %s, had %q", wish, had)
			g.Expect(got.Role.Rank()).To(BeNumerically("<=", wish.Rank()), "wish %s, had %q", wish, had)
		}
	}
}
