package conditions

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestSet(t *testing.T) {
	g := NewWithT(t)
	m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "alice", Generation: 3}}
	Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionTrue, orgsv1alpha1.RoleAppliedReason, "Applied.")
	c := Get(m, orgsv1alpha1.RoleAppliedCondition)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.ObservedGeneration).To(BeEquivalentTo(3))
	g.Expect(IsTrue(m, orgsv1alpha1.RoleAppliedCondition)).To(BeTrue())
	first := c.LastTransitionTime
	Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionTrue, orgsv1alpha1.RoleAppliedReason, "Still applied.")
	g.Expect(m.Status.Conditions).To(HaveLen(1))
	g.Expect(Get(m, orgsv1alpha1.RoleAppliedCondition).LastTransitionTime).To(Equal(first), "no transition, no new time")
	g.Expect(Get(m, orgsv1alpha1.ReadyCondition)).To(BeNil())
}

func TestSetSummary(t *testing.T) {
	cond := func(status metav1.ConditionStatus, reason string) *metav1.Condition {
		return &metav1.Condition{Status: status, Reason: reason, Message: reason + "."}
	}
	for _, tc := range []struct {
		name       string
		from       []*metav1.Condition
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"all true", []*metav1.Condition{cond(metav1.ConditionTrue, "A"), cond(metav1.ConditionTrue, "B")}, metav1.ConditionTrue, orgsv1alpha1.ReadyReason},
		{"the first not true wins", []*metav1.Condition{cond(metav1.ConditionTrue, "A"), cond(metav1.ConditionFalse, "B"), cond(metav1.ConditionFalse, "C")}, metav1.ConditionFalse, "B"},
		{"unknown stays unknown", []*metav1.Condition{cond(metav1.ConditionUnknown, "A")}, metav1.ConditionUnknown, "A"},
		{"not decided yet", []*metav1.Condition{nil, cond(metav1.ConditionFalse, "B")}, metav1.ConditionUnknown, orgsv1alpha1.ReconcilingReason},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Generation: 2}}
			SetSummary(org, "ready.", tc.from...)
			ready := Get(org, orgsv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(tc.wantStatus))
			g.Expect(ready.Reason).To(Equal(tc.wantReason))
			g.Expect(ready.ObservedGeneration).To(BeEquivalentTo(2))
		})
	}
}
