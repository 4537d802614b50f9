package cli

import (
	"context"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// membership is the caller's place in one organization.
type membership struct {
	Org orgsv1alpha1.Organization
	// Role is the caller's role ("" when not a member): their user
	// Member's spec.role, else the highest role of a group they are in.
	Role orgsv1alpha1.Role
	// EffectiveRole is what Roster applied (status.effectiveRole).
	EffectiveRole orgsv1alpha1.Role
	// Via is "user" or "group <name>".
	Via string
	// Member is the Member that gives the role.
	Member string
	// Visible is false when the caller may not list the organization's
	// Members, and so is not a member of it.
	Visible bool
}

// memberships finds the caller's role in each organization by listing its
// Members (members may; others are refused, which means "not a member").
// Organizations are looked at in parallel, a few at a time.
func memberships(ctx context.Context, cl client.Client, id identity, orgs []orgsv1alpha1.Organization) []membership {
	out := make([]membership, len(orgs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range orgs {
		out[i].Org = orgs[i]
		wg.Add(1)
		sem <- struct{}{}
		go func(m *membership) {
			defer wg.Done()
			defer func() { <-sem }()
			var members orgsv1alpha1.MemberList
			if err := cl.List(ctx, &members, client.InNamespace(m.Org.HomeNamespaceName())); err != nil {
				return
			}
			m.Visible = true
			if mb := callerMember(members.Items, id); mb != nil {
				m.Role, m.EffectiveRole, m.Member = mb.Spec.Role, mb.Status.EffectiveRole, mb.Name
				m.Via = "user"
				if mb.Spec.Group != "" {
					m.Via = "group " + mb.Spec.Group
				}
			}
		}(&out[i])
	}
	wg.Wait()
	return out
}

// callerMember is the Member that makes id a member: their own user
// Member, else the highest-ranking Member of one of their groups.
func callerMember(members []orgsv1alpha1.Member, id identity) *orgsv1alpha1.Member {
	if m := userMember(members, id.Username); m != nil {
		return m
	}
	var best *orgsv1alpha1.Member
	for i := range members {
		m := &members[i]
		if m.Spec.Group == "" || !slices.Contains(id.Groups, m.Spec.Group) || m.DeletionTimestamp != nil {
			continue
		}
		if best == nil || m.Spec.Role.Rank() > best.Spec.Role.Rank() {
			best = m
		}
	}
	return best
}

// userMember is the Member whose spec.user is exactly user (policy.SameUser,
// as RBAC matches users).
func userMember(members []orgsv1alpha1.Member, user string) *orgsv1alpha1.Member {
	for i := range members {
		if members[i].Spec.User != "" && policy.SameUser(members[i].Spec.User, user) {
			return &members[i]
		}
	}
	return nil
}

// findMember is the Member a USER argument names: a user (as the
// authenticator reports it, exactly), "group:<name>", or the
// Member object's name.
func findMember(members []orgsv1alpha1.Member, who string) *orgsv1alpha1.Member {
	if m := userMember(members, who); m != nil {
		return m
	}
	if group, ok := strings.CutPrefix(who, "group:"); ok {
		for i := range members {
			if members[i].Spec.Group == group {
				return &members[i]
			}
		}
	}
	for i := range members {
		if members[i].Name == who {
			return &members[i]
		}
	}
	return nil
}

// displayName is how the directory names a Member: its user, or
// "group:<name>".
func displayName(m *orgsv1alpha1.Member) string {
	if m.Spec.User != "" {
		return m.Spec.User
	}
	return "group:" + m.Spec.Group
}

// invitationsFor are the Invitations for email, pending ones first.
func invitationsFor(invitations []orgsv1alpha1.Invitation, email string) []orgsv1alpha1.Invitation {
	var pending, other []orgsv1alpha1.Invitation
	for _, inv := range invitations {
		if !policy.SameUser(inv.Spec.Email, email) {
			continue
		}
		if inv.IsPending() && inv.DeletionTimestamp == nil {
			pending = append(pending, inv)
		} else {
			other = append(other, inv)
		}
	}
	return append(pending, other...)
}
