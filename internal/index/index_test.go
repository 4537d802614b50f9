package index

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func org(name, home string, created time.Time) *orgsv1alpha1.Organization {
	return &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec:       orgsv1alpha1.OrganizationSpec{HomeNamespace: home},
	}
}

func TestOrganizationWithFallback(t *testing.T) {
	g := NewWithT(t)
	scheme := runtime.NewScheme()
	g.Expect(orgsv1alpha1.AddToScheme(scheme)).To(Succeed())
	now := time.Now()
	cached := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(org("acme", "acme-home", now)).
		WithIndex(&orgsv1alpha1.Organization{}, OrganizationByHomeNamespace, homeNamespaceOf).Build()
	// The live API knows one the cache has not seen yet, and a later,
	// second claim of the same namespace.
	live := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(org("acme", "acme-home", now), org("late", "new-home", now), org("early", "new-home", now.Add(-time.Hour))).Build()
	ctx := context.Background()

	got, err := OrganizationWithFallback(ctx, cached, live, "acme-home")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Name).To(Equal("acme"), "a cache hit")

	got, err = OrganizationWithFallback(ctx, cached, live, "new-home")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).NotTo(BeNil(), "a cache miss asks the live API")
	g.Expect(got.Name).To(Equal("early"), "the oldest claim wins")

	got, err = OrganizationWithFallback(ctx, cached, live, "nobody")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(BeNil())
}
