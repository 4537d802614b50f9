package organization

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// setMemberStatus computes a Member's status from its outcome: the
// effective role, RoleApplied, and Ready last.
func setMemberStatus(m *orgsv1alpha1.Member, org string, outcome policy.Outcome, accessApplied bool) {
	m.Status.ObservedGeneration = m.Generation
	m.Status.Organization = org
	m.Status.EffectiveRole = outcome.Role
	setRoleApplied(m, org, outcome)
	setMemberReady(m, accessApplied)
}

func setMemberCondition(m *orgsv1alpha1.Member, conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&m.Status.Conditions, metav1.Condition{
		Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: m.Generation,
	})
}

func setRoleApplied(m *orgsv1alpha1.Member, org string, outcome policy.Outcome) {
	switch {
	case outcome.DuplicateOf != "":
		setMemberCondition(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.DuplicateReason,
			fmt.Sprintf("Member %s already gives %s a role in organization %s; delete this one or that one.", outcome.DuplicateOf, m.Subject(), org))
	case outcome.HeldBack:
		wish := fmt.Sprintf("role %s", m.Spec.Role)
		if !m.DeletionTimestamp.IsZero() {
			wish = "removal"
		}
		setMemberCondition(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.LastOwnerReason,
			fmt.Sprintf("%s is the last owner of organization %s, so the %s is held back: assign the Owner role to another user first.", m.Subject(), org, wish))
	case outcome.Frozen:
		kept := "no role"
		if outcome.Role != "" {
			kept = "role " + string(outcome.Role)
		}
		setMemberCondition(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.HomeNamespaceTerminatingReason,
			fmt.Sprintf("Namespace %s, the home of organization %s, is being deleted: access can be taken away but not added until it is gone, so %s keeps %s instead of role %s.", m.Namespace, org, m.Subject(), kept, m.Spec.Role))
	default:
		setMemberCondition(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionTrue, orgsv1alpha1.RoleAppliedReason,
			fmt.Sprintf("%s has role %s in organization %s.", m.Subject(), outcome.Role, org))
	}
}

// setMemberReady: Ready when the role is applied and the RBAC written.
func setMemberReady(m *orgsv1alpha1.Member, accessApplied bool) {
	applied := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
	switch {
	case applied.Status != metav1.ConditionTrue:
		setMemberCondition(m, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, applied.Reason, applied.Message)
	case !accessApplied:
		setMemberCondition(m, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.AccessFailedReason,
			"The organization's RBAC could not be applied; see the Organization's AccessReady condition.")
	default:
		setMemberCondition(m, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, applied.Message)
	}
}

func isHeldBack(m *orgsv1alpha1.Member) bool {
	c := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
	return c != nil && c.Reason == orgsv1alpha1.LastOwnerReason
}
