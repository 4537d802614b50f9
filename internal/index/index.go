// Package index holds the cache indexes the webhooks and controllers share
// (Organization by home namespace, Invitation by token hash, Member by
// accepted token) and the one lookup of a namespace's organization.
package index

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// OrganizationByHomeNamespace indexes Organizations by their home
// namespace, so a Member's or Invitation's organization is one cache lookup.
const OrganizationByHomeNamespace = "roster.homeNamespace"

// Register adds Roster's indexes to the manager's cache. Call it once.
func Register(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &orgsv1alpha1.Organization{}, OrganizationByHomeNamespace, homeNamespaceOf); err != nil {
		return fmt.Errorf("indexing organizations by home namespace: %w", err)
	}
	return nil
}

func homeNamespaceOf(obj client.Object) []string {
	org, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return nil
	}
	return []string{org.HomeNamespaceName()}
}

// OrganizationFor returns the Organization whose home is namespace, from the
// cache, or nil when there is none. Admission refuses a second claim, so
// there is at most one unless a race made two; then the oldest wins.
func OrganizationFor(ctx context.Context, reader client.Reader, namespace string) (*orgsv1alpha1.Organization, error) {
	var orgs orgsv1alpha1.OrganizationList
	if err := reader.List(ctx, &orgs, client.MatchingFields{OrganizationByHomeNamespace: namespace}); err != nil {
		return nil, fmt.Errorf("looking up the organization of namespace %q: %w", namespace, err)
	}
	return OldestClaim(orgs.Items, namespace), nil
}

// OrganizationWithFallback returns the Organization whose home is
// namespace: from the cache, else from the API server (reader live), or
// nil when neither has one. A cache miss is not proof: `kubectl apply` of
// an Organization and its Members in one go, or an invitee's click just
// after the Organization appeared, can outrun it.
func OrganizationWithFallback(ctx context.Context, cached, live client.Reader, namespace string) (*orgsv1alpha1.Organization, error) {
	org, err := OrganizationFor(ctx, cached, namespace)
	if err != nil || org != nil {
		return org, err
	}
	var orgs orgsv1alpha1.OrganizationList
	if err := live.List(ctx, &orgs); err != nil {
		return nil, fmt.Errorf("looking up the organization of namespace %q: %w", namespace, err)
	}
	return OldestClaim(orgs.Items, namespace), nil
}

// OldestClaim returns the oldest organization whose home is namespace, or nil.
func OldestClaim(orgs []orgsv1alpha1.Organization, namespace string) *orgsv1alpha1.Organization {
	var oldest *orgsv1alpha1.Organization
	for i := range orgs {
		if orgs[i].HomeNamespaceName() != namespace {
			continue
		}
		if oldest == nil || orgs[i].CreationTimestamp.Before(&oldest.CreationTimestamp) {
			oldest = &orgs[i]
		}
	}
	return oldest
}
