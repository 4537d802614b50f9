package policy

import (
	"slices"
	"sort"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Outcome is a Member's effective role and why it is what it is.
type Outcome struct {
	// Role is the role that is applied; empty means no access (a duplicate,
	// or a Member whose deletion is released).
	Role orgsv1alpha1.Role
	// HeldBack: spec.role (or the deletion) is not applied because the
	// organization would be left without an owner user.
	HeldBack bool
	// DuplicateOf names the older Member with the same user or group.
	DuplicateOf string
	// Released: the Member is being deleted and nothing holds it any more.
	Released bool
	// Frozen: spec.role would add access while the home namespace is being
	// deleted, so the role last applied is kept (WithdrawOnly).
	Frozen bool
}

// OwnerUser reports whether the Member m, with this outcome, is an owner
// user: the kind of member the last-owner rule keeps at least one of, and
// whose Member the controller holds with the last-owner finalizer.
func (o Outcome) OwnerUser(m *orgsv1alpha1.Member) bool {
	return o.Role == orgsv1alpha1.RoleOwner && m.Spec.User != ""
}

// Effective is the membership as it is to be applied.
type Effective struct {
	// Members maps each Member's name to its outcome.
	Members map[string]Outcome
	// Owners are the users whose effective role is Owner, sorted: the set the
	// controller commits to the Organization's status.effectiveOwners.
	// It includes HeldOwners.
	Owners []string
	// HeldOwners are committed owners kept as owners with no Member, sorted:
	// every committed owner's Member is gone (deleted before its last-owner
	// finalizer was added, or with the finalizer removed by hand) and no
	// other user is an owner. The controller renders their Owner access from
	// this list until another owner user exists.
	HeldOwners []string
}

// EffectiveRoles turns the Members' wishes (spec.role, deletions) into
// effective roles. committedOwners is the owner set last committed; when the
// wishes would leave no owner user while one was committed, the oldest
// committed owner that still exists keeps the Owner role (or its Member
// stays, if it is being deleted) until another owner exists. When no
// committed owner's Member exists at all, the committed owners keep the
// Owner role without one (HeldOwners): the hold must not rest on a finalizer
// that anyone who may update Members can remove. releasing turns that rule
// off, for an Organization that is itself being deleted or whose home
// namespace is.
//
// Members with the same user or group (the same IdentityKey: exactly the
// same name, as RBAC compares them): the oldest wins, the others get no
// access.
func EffectiveRoles(members []orgsv1alpha1.Member, committedOwners []string, releasing bool) Effective {
	ordered := make([]*orgsv1alpha1.Member, len(members))
	for i := range members {
		ordered[i] = &members[i]
	}
	sort.SliceStable(ordered, func(i, j int) bool {
		a, b := ordered[i], ordered[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Name < b.Name
	})

	out := Effective{Members: make(map[string]Outcome, len(members))}
	claimed := map[Identity]string{}
	hasOwner := false
	for _, m := range ordered {
		if m.DeletionTimestamp != nil {
			// A Member on its way out claims nothing and grants nothing.
			out.Members[m.Name] = Outcome{Released: true}
			continue
		}
		key := MemberKey(m)
		if first, ok := claimed[key]; ok {
			out.Members[m.Name] = Outcome{DuplicateOf: first}
			continue
		}
		claimed[key] = m.Name
		out.Members[m.Name] = Outcome{Role: m.Spec.Role}
		if m.Spec.Role == orgsv1alpha1.RoleOwner && m.Spec.User != "" {
			hasOwner = true
		}
	}

	if !hasOwner && !releasing && len(committedOwners) > 0 {
		if held := oldestCommittedOwner(ordered, committedOwners, out.Members); held != nil {
			out.Members[held.Name] = Outcome{Role: orgsv1alpha1.RoleOwner, HeldBack: true}
		} else {
			out.HeldOwners = sortedSet(committedOwners)
		}
	}

	out.Owners = ownerUsers(ordered, out.Members, out.HeldOwners)
	return out
}

// ownerUsers is the sorted set of the owner users among members, with held.
func ownerUsers(members []*orgsv1alpha1.Member, outcomes map[string]Outcome, held []string) []string {
	owners := append([]string(nil), held...)
	for _, m := range members {
		if outcomes[m.Name].OwnerUser(m) {
			owners = append(owners, m.Spec.User)
		}
	}
	return sortedSet(owners)
}

// sortedSet returns a sorted copy of ss without repeats; nil when empty.
func sortedSet(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return slices.Compact(out)
}

// oldestCommittedOwner is the oldest user Member named in committed that is
// not a duplicate of another.
func oldestCommittedOwner(ordered []*orgsv1alpha1.Member, committed []string, outcomes map[string]Outcome) *orgsv1alpha1.Member {
	for _, m := range ordered {
		if m.Spec.User == "" || outcomes[m.Name].DuplicateOf != "" {
			continue
		}
		for _, user := range committed {
			if SameUser(user, m.Spec.User) {
				return m
			}
		}
	}
	return nil
}
