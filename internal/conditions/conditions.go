// Package conditions is the one condition setter and the one Ready summary
// of Roster's kinds (Organization, Member, AccessToken, Invitation), after
// Cluster API's util/conditions: status setters call Set for each
// condition, then SetSummary to compute Ready last from the others.
package conditions

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Getter is an object with conditions.
type Getter interface {
	GetName() string
	GetGeneration() int64
	GetConditions() []metav1.Condition
}

// Setter is an object whose conditions can be set.
type Setter interface {
	Getter
	SetConditions([]metav1.Condition)
}

// Set sets one condition of obj, observed at obj's generation. The last
// transition time moves only when the status changes.
func Set(obj Setter, conditionType string, status metav1.ConditionStatus, reason, message string) {
	conds := obj.GetConditions()
	meta.SetStatusCondition(&conds, metav1.Condition{
		Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: obj.GetGeneration(),
	})
	obj.SetConditions(conds)
}

// Get returns obj's condition of that type, or nil.
func Get(obj Getter, conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(obj.GetConditions(), conditionType)
}

// IsTrue reports whether obj's condition of that type is True.
func IsTrue(obj Getter, conditionType string) bool {
	return meta.IsStatusConditionTrue(obj.GetConditions(), conditionType)
}

// SetSummary sets Ready from the conditions that make it, in order of
// precedence (usually Get of each type): the first that is not True gives
// Ready its status (False, or Unknown), reason and message; a nil one,
// not decided yet, makes Ready Unknown (Reconciling). When every one is
// True, Ready is True with reason Ready and readyMessage. Conditions not
// passed are advice and do not count.
func SetSummary(obj Setter, readyMessage string, from ...*metav1.Condition) {
	for _, c := range from {
		switch {
		case c == nil:
			Set(obj, orgsv1alpha1.ReadyCondition, metav1.ConditionUnknown, orgsv1alpha1.ReconcilingReason,
				fmt.Sprintf("Roster is reconciling %s.", obj.GetName()))
			return
		case c.Status != metav1.ConditionTrue:
			Set(obj, orgsv1alpha1.ReadyCondition, c.Status, c.Reason, c.Message)
			return
		}
	}
	Set(obj, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, readyMessage)
}
