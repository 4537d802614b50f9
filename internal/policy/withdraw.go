package policy

import orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"

// WithdrawOnly caps the membership e at what is already applied, for an
// organization whose home namespace is being deleted: such a home may stop
// access from being added, never from being taken away. Each Member keeps
// the lower of its effective role and the role last applied to it
// (status.effectiveRole; none means no access), so a removal or a demotion
// takes effect while a promotion or a new Member does not (Frozen). Roles
// are ordered Owner > Admin > Contributor > Viewer > ViewerNoSecrets, and
// each role's access includes every lower role's. Members held without a
// Member (HeldOwners) are dropped: e is computed with the last-owner rule
// released, as a home namespace on its way out removes the membership
// wholesale.
func WithdrawOnly(e Effective, members []orgsv1alpha1.Member) Effective {
	out := Effective{Members: make(map[string]Outcome, len(e.Members))}
	ordered := make([]*orgsv1alpha1.Member, len(members))
	for i := range members {
		m := &members[i]
		ordered[i] = m
		o := e.Members[m.Name]
		if applied := m.Status.EffectiveRole; o.Role != "" && applied.Rank() < o.Role.Rank() {
			// An unknown or absent applied role ranks 0: no access.
			o.Role, o.Frozen = applied, true
			if !applied.IsValid() {
				o.Role = ""
			}
		}
		out.Members[m.Name] = o
	}
	out.Owners = ownerUsers(ordered, out.Members, nil)
	return out
}
