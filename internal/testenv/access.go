package testenv

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// Allowed asks the API server's authorizer, with a SubjectAccessReview,
// whether user (in system:authenticated, as the API server adds) may do
// what attrs describe.
func (e *Env) Allowed(ctx context.Context, user string, attrs authorizationv1.ResourceAttributes) (bool, error) {
	return e.AllowedInGroups(ctx, user, nil, attrs)
}

// AllowedInGroups is Allowed for a user who is also in groups.
func (e *Env) AllowedInGroups(ctx context.Context, user string, groups []string, attrs authorizationv1.ResourceAttributes) (bool, error) {
	return Allowed(ctx, e.Admin, user, groups, attrs)
}

// Allowed asks the API server's authorizer, with a SubjectAccessReview
// created through c (who may create them), whether user, in groups and
// system:authenticated (as the API server adds), may do what attrs
// describe.
func Allowed(ctx context.Context, c client.Client, user string, groups []string, attrs authorizationv1.ResourceAttributes) (bool, error) {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               user,
		Groups:             append(append([]string(nil), groups...), "system:authenticated"),
		ResourceAttributes: &attrs,
	}}
	if err := c.Create(ctx, review); err != nil {
		return false, fmt.Errorf("asking whether %q may %s %s: %w", user, attrs.Verb, attrs.Resource, err)
	}
	return review.Status.Allowed, nil
}

// RoleInEffect returns nil when the API server's authorizer gives user
// what role gives in organization org, whose home namespace is home, and in
// its project namespaces projects, and an error naming the first
// difference otherwise. The empty role means no membership at all.
//
// An organization that is Ready, with its observedGeneration current and
// its Members counted, has its RBAC written; the API server's RBAC
// authorizer sees it once its own watch has delivered it. And with several
// Organization workers the organizations of a suite converge in any
// order. A test that acts as a member right after setting up an
// organization (or changing a role) waits until this returns nil, so that
// what it acts on is the role it set up and not the authorizer's lag.
//
// On the Organization and in the home namespace it checks exactly what
// tells the roles apart (get on the Organization, reading Members,
// creating Invitations, manage-members, manage-owners); in a project
// namespace only that the member's RoleBinding is there (every role may
// get ConfigMaps). Allowed asks about anything else.
func (e *Env) RoleInEffect(ctx context.Context, user, org, home string, role orgsv1alpha1.Role, projects ...string) error {
	return RoleInEffect(ctx, e.Admin, user, org, home, role, projects...)
}

// RoleInEffect is Env.RoleInEffect asking through c (who may create
// SubjectAccessReviews).
func RoleInEffect(ctx context.Context, c client.Client, user, org, home string, role orgsv1alpha1.Role, projects ...string) error {
	member := role != ""
	authority := policy.RoleAuthority(role)
	manager, owner := authority.ManageMembers, authority.ManageOwners
	group := orgsv1alpha1.GroupVersion.Group
	type check struct {
		attrs authorizationv1.ResourceAttributes
		want  bool
	}
	checks := []check{
		{authorizationv1.ResourceAttributes{Group: group, Resource: "organizations", Verb: "get", Name: org}, member},
		{authorizationv1.ResourceAttributes{Group: group, Resource: "members", Verb: "list", Namespace: home}, member},
		{authorizationv1.ResourceAttributes{Group: group, Resource: "invitations", Verb: "create", Namespace: home}, manager},
		{authorizationv1.ResourceAttributes{Group: group, Resource: "organizations", Verb: orgsv1alpha1.VerbManageMembers, Name: org}, manager},
		{authorizationv1.ResourceAttributes{Group: group, Resource: "organizations", Verb: orgsv1alpha1.VerbManageOwners, Name: org}, owner},
	}
	for _, ns := range projects {
		checks = append(checks, check{authorizationv1.ResourceAttributes{Resource: "configmaps", Verb: "get", Namespace: ns}, member})
	}
	for _, chk := range checks {
		allowed, err := Allowed(ctx, c, user, nil, chk.attrs)
		if err != nil {
			return err
		}
		if allowed != chk.want {
			what := chk.attrs.Resource + "/" + chk.attrs.Name
			if chk.attrs.Namespace != "" {
				what = chk.attrs.Resource + " in namespace " + chk.attrs.Namespace
			}
			return fmt.Errorf("the API server does not yet give %q the role %q in organization %q: %s %s allowed=%t",
				user, role, org, chk.attrs.Verb, what, allowed)
		}
	}
	return nil
}
