// Package fakeapi builds controller-runtime fake clients for Roster's unit
// tests (no control plane): with the field indexes the manager registers
// (internal/index) and SubjectAccessReviews answered by the test. It
// imports nothing of the manager, so a package the manager imports may use
// it in its own tests.
package fakeapi

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
)

// Scheme is a new scheme with client-go's built-in types and Roster's API.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(orgsv1alpha1.AddToScheme(scheme))
	return scheme
}

// Builder is fake.NewClientBuilder with scheme, objs and every field index
// of internal/index (index.Register and index.RegisterInvitationIndexes,
// as the manager's cache has them).
func Builder(scheme *runtime.Scheme, objs ...client.Object) *fake.ClientBuilder {
	b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...)
	indexer := builderIndexer{b}
	// builderIndexer never fails, so neither do the registrations.
	_ = index.Register(context.Background(), indexer)
	_ = index.RegisterInvitationIndexes(context.Background(), indexer)
	return b
}

type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	i.b.WithIndex(obj, field, extract)
	return nil
}

// Reviews answers every SubjectAccessReview created through the client
// with allowed(its spec), without storing it, and creates everything else.
func Reviews(allowed func(authorizationv1.SubjectAccessReviewSpec) bool) interceptor.Funcs {
	return interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		if sar, ok := obj.(*authorizationv1.SubjectAccessReview); ok {
			sar.Status.Allowed = allowed(sar.Spec)
			return nil
		}
		return c.Create(ctx, obj, opts...)
	}}
}
