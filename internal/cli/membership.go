package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// lookalikeHint points at the one of names that resembles who without
// being it, if there is one: the plugin matches names exactly, as RBAC
// does, and a case variant otherwise only reads as "not found".
func lookalikeHint(who string, names ...string) string {
	for _, name := range names {
		if policy.Resembles(who, name) {
			return fmt.Sprintf("did you mean %s? Names are compared exactly, as Kubernetes does, letter case included", name)
		}
	}
	return ""
}

// memberUsers are the user names of members, for lookalikeHint.
func memberUsers(members []orgsv1alpha1.Member) []string {
	users := make([]string, 0, len(members))
	for i := range members {
		if members[i].Spec.User != "" {
			users = append(users, members[i].Spec.User)
		}
	}
	return users
}

// invitationEmails are the addresses of invitations, for lookalikeHint.
func invitationEmails(invitations []orgsv1alpha1.Invitation) []string {
	emails := make([]string, 0, len(invitations))
	for i := range invitations {
		emails = append(emails, invitations[i].Spec.Email)
	}
	return emails
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

// visibleOrganizations are the Organizations the caller may read. Whoever
// may list them (a cluster admin) gets them all, listed is true. Members
// may not: an Organization's status names its owners, and RBAC cannot
// restrict a list to names, so Roster grants each member get on their own
// organizations by name and nothing more. The plugin asks the API server
// which names those are (a SelfSubjectRulesReview) and gets each one.
func (o *Options) visibleOrganizations(ctx context.Context) (orgs []orgsv1alpha1.Organization, listed bool, err error) {
	cl, err := o.client()
	if err != nil {
		return nil, false, err
	}
	var list orgsv1alpha1.OrganizationList
	listErr := cl.List(ctx, &list)
	if listErr == nil {
		return list.Items, true, nil
	}
	if !apierrors.IsForbidden(listErr) {
		return nil, false, listErr
	}
	// Organizations are cluster-scoped: only ClusterRoleBindings grant
	// them, and a rules review reports those in any namespace's answer.
	review := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: metav1.NamespaceDefault}}
	if err := cl.Create(ctx, review); err != nil {
		return nil, false, withHint(listErr, "the API server could not say which organizations you may read (SelfSubjectRulesReview, authorization.k8s.io/v1)")
	}
	names, anyName := gettableOrganizations(review.Status.ResourceRules)
	if anyName || (len(names) == 0 && review.Status.Incomplete) {
		// Allowed to get organizations it cannot enumerate, or an
		// authorizer that cannot list its rules: only --org will do.
		return nil, false, withHint(listErr, "you may not list organizations, and the API server cannot say which ones you may read")
	}
	for _, name := range names {
		org := &orgsv1alpha1.Organization{}
		switch err := cl.Get(ctx, client.ObjectKey{Name: name}, org); {
		case apierrors.IsNotFound(err), apierrors.IsForbidden(err):
			// A rule left from a deleted organization, or one that does
			// not apply at the cluster scope.
			continue
		case err != nil:
			return nil, false, err
		}
		orgs = append(orgs, *org)
	}
	return orgs, false, nil
}

// gettableOrganizations reads from RBAC rules the names of the
// Organizations they let one get. anyName is true when a rule lets one get
// every Organization without naming them.
func gettableOrganizations(rules []authorizationv1.ResourceRule) (names []string, anyName bool) {
	matches := func(values []string, want string) bool {
		return slices.Contains(values, want) || slices.Contains(values, "*")
	}
	for _, rule := range rules {
		if !matches(rule.APIGroups, orgsv1alpha1.GroupVersion.Group) || !matches(rule.Resources, "organizations") || !matches(rule.Verbs, "get") {
			continue
		}
		if len(rule.ResourceNames) == 0 {
			anyName = true
			continue
		}
		names = append(names, rule.ResourceNames...)
	}
	slices.Sort(names)
	return slices.Compact(names), anyName
}
