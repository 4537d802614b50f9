// Package webhook holds Roster's admission webhooks. They gather the facts a
// decision needs (who asks, which custom verbs they hold, the organization's
// membership) and ask internal/policy; they decide nothing themselves.
package webhook

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// facts gathers what internal/policy needs from the cluster.
type facts struct {
	// reader reads from the manager's cache.
	reader client.Reader
	// live reads from the API server, for an Organization the cache has not seen yet.
	live client.Reader
	// reviews creates SubjectAccessReviews (never cached).
	reviews client.Client
	// userPrefix is put before an e-mail when an invitation becomes a Member.
	userPrefix string
}

// requester is who sent the admission request.
func requester(ctx context.Context) (authenticationv1.UserInfo, policy.Requester, error) {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return authenticationv1.UserInfo{}, policy.Requester{}, fmt.Errorf("reading the admission request: %w", err)
	}
	return req.UserInfo, policy.Requester{User: req.UserInfo.Username, Groups: req.UserInfo.Groups}, nil
}

// organizationFor returns the Organization whose home namespace is namespace, or nil.
// `kubectl apply` of an Organization and its Members in one go can
// outrun the cache: the API server is asked before refusing.
func (f *facts) organizationFor(ctx context.Context, namespace string) (*orgsv1alpha1.Organization, error) {
	return index.OrganizationWithFallback(ctx, f.reader, f.live, namespace)
}

// snapshot reads the membership of the organization whose home is namespace.
func (f *facts) snapshot(ctx context.Context, namespace string) (policy.Snapshot, error) {
	org, err := f.organizationFor(ctx, namespace)
	if err != nil || org == nil {
		if err == nil {
			return f.awaiting(ctx, namespace)
		}
		return policy.Snapshot{UserPrefix: f.userPrefix}, err
	}
	// The snapshot shares the cache's objects rather than copying the whole
	// membership on every request: internal/policy only reads them.
	var members orgsv1alpha1.MemberList
	if err := f.reader.List(ctx, &members, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return policy.Snapshot{}, fmt.Errorf("listing the members of organization %q: %w", org.Name, err)
	}
	var invitations orgsv1alpha1.InvitationList
	if err := f.reader.List(ctx, &invitations, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return policy.Snapshot{}, fmt.Errorf("listing the invitations of organization %q: %w", org.Name, err)
	}
	ns := &corev1.Namespace{}
	if err := f.reader.Get(ctx, client.ObjectKey{Name: namespace}, ns); client.IgnoreNotFound(err) != nil {
		return policy.Snapshot{}, fmt.Errorf("reading namespace %q: %w", namespace, err)
	}
	return policy.Snapshot{
		Organization:    org,
		Members:         members.Items,
		Invitations:     invitations.Items,
		UserPrefix:      f.userPrefix,
		HomeTerminating: !ns.DeletionTimestamp.IsZero(),
		HomeClaimedByOther: ns.Labels[orgsv1alpha1.HomeOfLabel] != "" &&
			ns.Labels[orgsv1alpha1.HomeOfLabel] != org.Name,
		HomeStale: policy.HomeStale(org, ns.Annotations[orgsv1alpha1.HomeOfUIDAnnotation], members.Items, invitations.Items),
	}, nil
}

// awaiting is the snapshot of a namespace that is no Organization's home:
// the organization it awaits (policy.AwaitedOrganization), when no
// Organization of that name exists yet. The API server is asked, not the
// cache, so a dry run of a whole folder and the real apply answer alike.
func (f *facts) awaiting(ctx context.Context, namespace string) (policy.Snapshot, error) {
	snapshot := policy.Snapshot{UserPrefix: f.userPrefix}
	ns := &corev1.Namespace{}
	err := f.reader.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	if apierrors.IsNotFound(err) {
		// Applied with the Members in one go, it can outrun the cache.
		err = f.live.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	}
	if err != nil {
		return snapshot, client.IgnoreNotFound(err)
	}
	awaited := policy.AwaitedOrganization(namespace, ns.Labels[orgsv1alpha1.HomeOfLabel])
	if awaited == "" {
		return snapshot, nil
	}
	err = f.live.Get(ctx, client.ObjectKey{Name: awaited}, &orgsv1alpha1.Organization{})
	switch {
	case apierrors.IsNotFound(err):
		snapshot.Awaited = awaited
	case err != nil:
		return snapshot, fmt.Errorf("looking up organization %q, which namespace %q awaits: %w", awaited, namespace, err)
	}
	return snapshot, nil
}

// decideInHome gathers the facts about a request for obj, a Member or an
// Invitation in an organization's home namespace: who asks, the membership
// snapshot, and which of verbs (what the operation needs, then what the
// decision may use) they hold on the organization. Then decide answers,
// and the answer becomes the admission response.
func (f *facts) decideInHome(ctx context.Context, obj client.Object, kind, resource string, verbs func(policy.Snapshot) []string,
	decide func(policy.Requester, policy.Authority, policy.Snapshot) policy.Decision) (admission.Warnings, error) {
	user, who, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	snapshot, err := f.snapshot(ctx, obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	var authority policy.Authority
	for _, verb := range verbs(snapshot) {
		held, err := f.authority(ctx, user, who, snapshot, verb)
		if err != nil {
			return nil, err
		}
		authority = authority.Union(held)
	}
	return respond(kind, resource, obj.GetName(), decide(who, authority, snapshot))
}

// authority says whether the requester holds verb on the snapshot's
// organization. Owners and Admins hold their verbs through the membership
// the webhook already has, which is exactly what Roster's RBAC grants them
// (policy.MembershipAuthority): no API round trip. Anyone else (a cluster
// admin, a GitOps service account, a refusal) is asked about with one
// SubjectAccessReview for the verb the operation needs.
func (f *facts) authority(ctx context.Context, user authenticationv1.UserInfo, who policy.Requester, snapshot policy.Snapshot, verb string) (policy.Authority, error) {
	if snapshot.Organization == nil && snapshot.Awaited != "" {
		// Filling the home of an organization that does not exist yet
		// takes what creating its owners will (policy.AwaitedOrganization).
		return f.reviewedAuthority(ctx, user, snapshot.Awaited, orgsv1alpha1.VerbManageOwners)
	}
	if verb == "" || snapshot.Organization == nil {
		return policy.Authority{}, nil
	}
	if a := policy.MembershipAuthority(who, snapshot); a.Holds(verb) {
		return a, nil
	}
	return f.reviewedAuthority(ctx, user, snapshot.Organization.Name, verb)
}

// reviewedAuthority asks the API server whether user holds verb on
// organizations/<org>: one SubjectAccessReview, for that verb only.
func (f *facts) reviewedAuthority(ctx context.Context, user authenticationv1.UserInfo, org, verb string) (policy.Authority, error) {
	if verb == "" || org == "" {
		return policy.Authority{}, nil
	}
	allowed, err := f.holds(ctx, user, org, verb)
	if err != nil {
		return policy.Authority{}, err
	}
	return policy.ReviewedAuthority(verb, allowed)
}

// holds runs one SubjectAccessReview for user, verb and organizations/<org>.
func (f *facts) holds(ctx context.Context, user authenticationv1.UserInfo, org, verb string) (bool, error) {
	return f.allowed(ctx, user, resourceCheck{group: orgsv1alpha1.GroupVersion.Group, resource: "organizations", verb: verb, name: org})
}

// allowed runs one SubjectAccessReview for user and c.
func (f *facts) allowed(ctx context.Context, user authenticationv1.UserInfo, c resourceCheck) (bool, error) {
	extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review := &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   user.Username,
			Groups: user.Groups,
			UID:    user.UID,
			Extra:  extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group:     c.group,
				Resource:  c.resource,
				Verb:      c.verb,
				Name:      c.name,
				Namespace: c.namespace,
			},
		},
	}
	if err := f.reviews.Create(ctx, review); err != nil {
		return false, fmt.Errorf("checking whether %q may %s: %w", user.Username, c, err)
	}
	return review.Status.Allowed, nil
}

// accessToken reads the AccessToken name in namespace from the API server
// (nil when there is none: a revocation a moment ago counts), its owner's
// effective role now and its organization's maxTTL.
func (f *facts) accessToken(ctx context.Context, namespace, name string) (*orgsv1alpha1.AccessToken, orgsv1alpha1.Role, time.Duration, error) {
	t := &orgsv1alpha1.AccessToken{}
	err := f.live.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, t)
	if apierrors.IsNotFound(err) {
		return nil, "", 0, nil
	}
	if err != nil {
		return nil, "", 0, err
	}
	snapshot, err := f.snapshot(ctx, namespace)
	if err != nil || snapshot.Organization == nil {
		return t, "", policy.TokenMaxTTL(nil), err
	}
	effective := policy.EffectiveRoles(snapshot.Members, snapshot.Organization.Status.EffectiveOwners, false)
	return t, policy.UserRole(t.Spec.Owner, snapshot.Members, effective), policy.TokenMaxTTL(snapshot.Organization), nil
}

// tokenActor is what policy.TokenActorRole needs about a requester that is
// an AccessToken's ServiceAccount (policy.TokenServiceAccountUser), or nil
// for anyone else. The ServiceAccount and the token are read from the API
// server, as for a TokenRequest.
func (f *facts) tokenActor(ctx context.Context, who policy.Requester, now time.Time) (*policy.TokenActor, error) {
	namespace, name, ok := policy.TokenServiceAccountUser(who.User)
	if !ok {
		return nil, nil
	}
	token, ownerRole, maxTTL, err := f.accessToken(ctx, namespace, name)
	if err != nil {
		return nil, fmt.Errorf("reading AccessToken %s/%s, whose ServiceAccount asks: %w", namespace, name, err)
	}
	a := &policy.TokenActor{Namespace: namespace, Name: name, Token: token, OwnerRole: ownerRole, MaxTTL: maxTTL, Now: now}
	if token != nil {
		sa := &corev1.ServiceAccount{}
		err := f.live.Get(ctx, client.ObjectKey{Namespace: namespace, Name: token.ServiceAccountName()}, sa)
		if client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("reading ServiceAccount %s/%s: %w", namespace, token.ServiceAccountName(), err)
		}
		a.Owned = err == nil && policy.TokenServiceAccountOwned(token, sa)
	}
	return a, nil
}
