package project

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestSetReady(t *testing.T) {
	active := []orgsv1alpha1.ProjectNamespaceStatus{{Name: "acme-web-dev", Phase: "Active"}, {Name: "acme-web-prod", Phase: "Active"}}
	tests := []struct {
		name       string
		namespaces []orgsv1alpha1.ProjectNamespaceStatus
		o          outcome
		status     metav1.ConditionStatus
		reason     string
		says       string
	}{
		{"every namespace active", active, outcome{}, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, "2 namespaces exist"},
		{"a namespace pending", []orgsv1alpha1.ProjectNamespaceStatus{{Name: "acme-web-dev", Phase: "Pending"}}, outcome{}, metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason, "acme-web-dev is Pending"},
		{"no organization", nil, outcome{missing: true}, metav1.ConditionFalse, orgsv1alpha1.OrganizationMissingReason, "No Organization has namespace org-acme"},
		{"past the bound", nil, outcome{overLimit: "past spec.projects.maxProjects"}, metav1.ConditionFalse, orgsv1alpha1.ProjectLimitExceededReason, "maxProjects"},
		{"a foreign namespace", active, outcome{conflicts: []string{"acme-web-dev"}}, metav1.ConditionFalse, orgsv1alpha1.NamespaceConflictReason, "never adopts"},
		{"a deletion held", active, outcome{held: []string{"Namespace acme-web-prod holds"}}, metav1.ConditionFalse, orgsv1alpha1.DeletionNeedsConfirmationReason, "acme-web-prod holds"},
		{"a conflict says more than a held deletion", active, outcome{conflicts: []string{"x"}, held: []string{"y"}}, metav1.ConditionFalse, orgsv1alpha1.NamespaceConflictReason, "x exists"},
		{"deleting", active, outcome{deleting: true}, metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason, "deleting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			p := &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "org-acme", Generation: 3}}
			p.Status.Namespaces = tt.namespaces
			setReady(p, tt.o)
			c := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(tt.status))
			g.Expect(c.Reason).To(Equal(tt.reason))
			g.Expect(c.Message).To(ContainSubstring(tt.says))
			g.Expect(c.ObservedGeneration).To(Equal(int64(3)))
		})
	}
}
