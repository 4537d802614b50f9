package cli

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/ui"
)

func TestProjectRow(t *testing.T) {
	now := metav1.Now()
	ready := func(status metav1.ConditionStatus, reason string) []metav1.Condition {
		return []metav1.Condition{{Type: orgsv1alpha1.ReadyCondition, Status: status, Reason: reason, Message: "m"}}
	}
	ns := func(name, env, phase string) orgsv1alpha1.ProjectNamespaceStatus {
		return orgsv1alpha1.ProjectNamespaceStatus{Name: name, Environment: env, Phase: phase}
	}
	for _, tc := range []struct {
		name    string
		p       orgsv1alpha1.Project
		want    []ui.ProjectNamespace
		ready   bool
		reason  string
		deleted bool
	}{{
		name: "ready, in the order of the environments",
		p: orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev", "staging", "prod"}},
			Status: orgsv1alpha1.ProjectStatus{Conditions: ready(metav1.ConditionTrue, orgsv1alpha1.ReadyReason),
				Namespaces: []orgsv1alpha1.ProjectNamespaceStatus{ns("acme-web-dev", "dev", "Active"), ns("acme-web-prod", "prod", "Active"), ns("acme-web-staging", "staging", "Active")}}},
		want: []ui.ProjectNamespace{{Name: "acme-web-dev", Environment: "dev", Phase: "Active"}, {Name: "acme-web-staging", Environment: "staging", Phase: "Active"},
			{Name: "acme-web-prod", Environment: "prod", Phase: "Active"}},
		ready: true, reason: orgsv1alpha1.ReadyReason,
	}, {
		name: "a namespace not made yet is Pending",
		p:    orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}}},
		want: []ui.ProjectNamespace{{Name: "acme-web-dev", Environment: "dev", Phase: "Pending"}},
	}, {
		name: "a removed environment holding something is held; a confirmed one is not",
		p: orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: "acme-web-qa"}},
			Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}},
			Status: orgsv1alpha1.ProjectStatus{Conditions: ready(metav1.ConditionFalse, orgsv1alpha1.DeletionNeedsConfirmationReason),
				Namespaces: []orgsv1alpha1.ProjectNamespaceStatus{ns("acme-web-dev", "dev", "Active"), ns("acme-web-prod", "prod", "Active"), ns("acme-web-qa", "qa", "Active")}}},
		want: []ui.ProjectNamespace{{Name: "acme-web-dev", Environment: "dev", Phase: "Active"},
			{Name: "acme-web-prod", Environment: "prod", Phase: "Active", Retiring: true, Held: true},
			{Name: "acme-web-qa", Environment: "qa", Phase: "Active", Retiring: true}},
		reason: orgsv1alpha1.DeletionNeedsConfirmationReason,
	}, {
		name: "a removed environment Roster deletes is retiring, not held",
		p: orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}},
			Status: orgsv1alpha1.ProjectStatus{Conditions: ready(metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason),
				Namespaces: []orgsv1alpha1.ProjectNamespaceStatus{ns("acme-web-dev", "dev", "Active"), ns("acme-web-prod", "prod", "Terminating")}}},
		want: []ui.ProjectNamespace{{Name: "acme-web-dev", Environment: "dev", Phase: "Active"},
			{Name: "acme-web-prod", Environment: "prod", Phase: "Terminating", Retiring: true}},
		reason: orgsv1alpha1.ReconcilingReason,
	}, {
		name: "a deleted project's namespaces all retire",
		p: orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web", DeletionTimestamp: &now, Finalizers: []string{"x"}},
			Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}},
			Status: orgsv1alpha1.ProjectStatus{Conditions: ready(metav1.ConditionFalse, orgsv1alpha1.DeletionNeedsConfirmationReason),
				Namespaces: []orgsv1alpha1.ProjectNamespaceStatus{ns("acme-web-dev", "dev", "Active")}}},
		want:    []ui.ProjectNamespace{{Name: "acme-web-dev", Environment: "dev", Phase: "Active", Retiring: true, Held: true}},
		reason:  orgsv1alpha1.DeletionNeedsConfirmationReason,
		deleted: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			row := projectRow("acme", &tc.p)
			g.Expect(row.Namespaces).To(Equal(tc.want))
			g.Expect(row.Ready).To(Equal(tc.ready))
			g.Expect(row.Reason).To(Equal(tc.reason))
			g.Expect(row.Deleting).To(Equal(tc.deleted))
		})
	}
}
