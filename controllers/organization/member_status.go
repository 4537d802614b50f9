package organization

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conditions"
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

func setRoleApplied(m *orgsv1alpha1.Member, org string, outcome policy.Outcome) {
	switch {
	case outcome.DuplicateOf != "":
		conditions.Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.DuplicateReason,
			fmt.Sprintf("Member %s already gives %s a role in organization %s; delete this one or that one.", outcome.DuplicateOf, m.Subject(), org))
	case outcome.HeldBack:
		wish := fmt.Sprintf("role %s", m.Spec.Role)
		if !m.DeletionTimestamp.IsZero() {
			wish = "removal"
		}
		conditions.Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.LastOwnerReason,
			fmt.Sprintf("%s is the last owner of organization %s, so the %s is held back: assign the Owner role to another user first.", m.Subject(), org, wish))
	case outcome.Frozen:
		kept := "no role"
		if outcome.Role != "" {
			kept = "role " + string(outcome.Role)
		}
		conditions.Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.HomeNamespaceTerminatingReason,
			fmt.Sprintf("Namespace %s, the home of organization %s, is being deleted: access can be taken away but not added until it is gone, so %s keeps %s instead of role %s.", m.Namespace, org, m.Subject(), kept, m.Spec.Role))
	default:
		conditions.Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionTrue, orgsv1alpha1.RoleAppliedReason,
			fmt.Sprintf("%s has role %s in organization %s.", m.Subject(), outcome.Role, org))
	}
}

// setMemberReady: Ready when the role is applied and the RBAC written.
func setMemberReady(m *orgsv1alpha1.Member, accessApplied bool) {
	applied := conditions.Get(m, orgsv1alpha1.RoleAppliedCondition)
	from := []*metav1.Condition{applied}
	if !accessApplied {
		from = append(from, &metav1.Condition{Status: metav1.ConditionFalse, Reason: orgsv1alpha1.AccessFailedReason,
			Message: "The organization's RBAC could not be applied; see the Organization's AccessReady condition."})
	}
	conditions.SetSummary(m, applied.Message, from...)
}

func isHeldBack(m *orgsv1alpha1.Member) bool {
	c := conditions.Get(m, orgsv1alpha1.RoleAppliedCondition)
	return c != nil && c.Reason == orgsv1alpha1.LastOwnerReason
}

// setWaitingStatus is the status of a Member in a namespace that awaits
// organization org (policy.AwaitedOrganization) and is not its home: org
// does not exist yet (reason OrganizationNotFound), or it was created with
// home namespace home instead (HomeNamespaceMismatch). The Member grants
// nothing: no effective role. status.organization is left as it was, so a
// Member that never was an organization's stays recognisable as one that
// waited (policy.HomeStale).
func setWaitingStatus(m *orgsv1alpha1.Member, org, home string) {
	m.Status.ObservedGeneration = m.Generation
	m.Status.EffectiveRole = ""
	reason, msg := orgsv1alpha1.OrganizationNotFoundReason, policy.WaitingMessage("Members", m.Namespace, org)
	if home != "" {
		reason, msg = orgsv1alpha1.HomeNamespaceMismatchReason, policy.MismatchMessage("Members", m.Namespace, org, home)
	}
	conditions.Set(m, orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, reason, msg)
	setMemberReady(m, true)
}
