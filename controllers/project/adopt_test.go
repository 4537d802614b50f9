package project_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/project"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/manager"
)

// A namespace of a Project's name that Roster did not create for it is
// reported (NamespaceConflict) and left alone: not labelled, not deleted,
// whatever labels it carries. Plain client, no API server: the race that
// gets such a namespace past admission is not reproducible on demand.
func TestNeverAdoptsOrDeletesForeignNamespaces(t *testing.T) {
	g := NewWithT(t)
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "org-uid"}}
	p := &orgsv1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "web", UID: "p-uid", Finalizers: []string{orgsv1alpha1.ProjectFinalizer}},
		Spec:       orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}},
		// prod was Roster's namespace (UID ours) and is gone; someone made another of its name.
		Status: orgsv1alpha1.ProjectStatus{Namespaces: []orgsv1alpha1.ProjectNamespaceStatus{{Name: "acme-web-prod", Environment: "prod", UID: "ours", Phase: "Active"}}},
	}
	// Forged labels and annotations: they make nothing Roster's.
	forged := map[string]string{orgsv1alpha1.ProjectLabel: "web", orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue}
	dev := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acme-web-dev", UID: "theirs", Labels: forged,
		Annotations: map[string]string{orgsv1alpha1.ProjectUIDAnnotation: "p-uid"}}}
	prod := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acme-web-prod", UID: "theirs-too", Labels: forged}}
	c := fake.NewClientBuilder().WithScheme(manager.Scheme).
		WithObjects(org, p, dev, prod).
		WithStatusSubresource(&orgsv1alpha1.Project{}).
		WithIndex(&orgsv1alpha1.Organization{}, index.OrganizationByHomeNamespace, func(o client.Object) []string {
			return []string{o.(*orgsv1alpha1.Organization).HomeNamespaceName()}
		}).Build()
	r := &project.Reconciler{Client: c}
	_, err := r.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(p)})
	g.Expect(err).NotTo(HaveOccurred())

	got := &orgsv1alpha1.Project{}
	g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(p), got)).To(Succeed())
	ready := meta.FindStatusCondition(got.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready).NotTo(BeNil())
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.NamespaceConflictReason))
	g.Expect(ready.Message).To(ContainSubstring("acme-web-dev exists and Roster did not create it"))
	g.Expect(got.Status.Namespaces).To(Equal([]orgsv1alpha1.ProjectNamespaceStatus{{Name: "acme-web-dev", Environment: "dev", Phase: orgsv1alpha1.ProjectNamespaceConflict}}))
	for _, ns := range []*corev1.Namespace{dev, prod} {
		now := &corev1.Namespace{}
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(ns), now)).To(Succeed(), "%s was deleted", ns.Name)
		g.Expect(now.DeletionTimestamp).To(BeNil())
		g.Expect(now.Labels).To(Equal(forged), "%s was labelled", ns.Name)
	}
}
