package invitation

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conditions"
)

// An Invitation has two conditions: Delivered (did the link reach the
// notifier) and Ready, the summary, computed last from the phase and
// Delivered. Ready is True while the invitation waits for its invitee
// (Sent) and once it was accepted: nothing is in progress and nothing is
// wrong, so kstatus and Argo CD call it healthy. It is False when a person
// must act (Declined, Expired, Failed, a failing delivery) and Unknown
// while a link is being delivered.

// setDeliverySending: a new link is on its way.
func setDeliverySending(inv *orgsv1alpha1.Invitation, notifier string) {
	conditions.Set(inv, orgsv1alpha1.DeliveredCondition, metav1.ConditionUnknown, orgsv1alpha1.SendingReason,
		fmt.Sprintf("Sending the invitation link to %s through the %s notifier.", inv.Spec.Email, notifier))
}

// setDeliverySucceeded: the notifier took the link.
func setDeliverySucceeded(inv *orgsv1alpha1.Invitation, notifier string, at time.Time) {
	conditions.Set(inv, orgsv1alpha1.DeliveredCondition, metav1.ConditionTrue, orgsv1alpha1.DeliveredReason,
		fmt.Sprintf("Sent the invitation link to %s through the %s notifier at %s.", inv.Spec.Email, notifier, at.UTC().Format(time.RFC3339)))
}

// setDeliveryFailed: the notifier refused or could not be reached; the
// reconciler retries after retryIn.
func setDeliveryFailed(inv *orgsv1alpha1.Invitation, notifier string, err error, retryIn time.Duration) {
	conditions.Set(inv, orgsv1alpha1.DeliveredCondition, metav1.ConditionFalse, orgsv1alpha1.DeliveryFailedReason,
		fmt.Sprintf("Sending the invitation link to %s through the %s notifier failed: %s. Roster retries in %s; check the notifier's configuration (manager flags and credentials Secret).",
			inv.Spec.Email, notifier, truncate(err.Error(), 1024), retryIn.Round(time.Second)))
}

// setNotSent: nothing is sent, for reason (AlreadyMember, OrganizationNotFound).
func setNotSent(inv *orgsv1alpha1.Invitation, reason, message string) {
	conditions.Set(inv, orgsv1alpha1.DeliveredCondition, metav1.ConditionFalse, reason, message)
}

// setInvitationReady summarises; note explains an outcome the phase alone
// does not (why the invitee already is a member, why the inviter's
// authority no longer holds). An empty note keeps the current explanation.
func setInvitationReady(inv *orgsv1alpha1.Invitation, note string) {
	st := &inv.Status
	keep := func(reason, fallback string) string {
		if note != "" {
			return note
		}
		if c := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition); c != nil && c.Reason == reason && c.Message != "" {
			return c.Message
		}
		return fallback
	}
	switch st.Phase {
	case orgsv1alpha1.InvitationSent:
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.SentReason,
			fmt.Sprintf("The invitation link was sent to %s%s; it waits for an answer until %s.", inv.Spec.Email, at(st.SentAt), timeOrUnknown(st.ExpiresAt)))
	case orgsv1alpha1.InvitationAccepted:
		if st.AcceptedAt != nil {
			conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.AcceptedReason,
				fmt.Sprintf("%s accepted%s; Roster creates their Member and then removes this Invitation.", inv.Spec.Email, at(st.AcceptedAt)))
			return
		}
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.AlreadyMemberReason,
			keep(orgsv1alpha1.AlreadyMemberReason, fmt.Sprintf("%s is already a member; nothing more is sent. Delete this Invitation when it is no longer needed.", inv.Spec.Email)))
	case orgsv1alpha1.InvitationDeclined:
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.DeclinedReason,
			fmt.Sprintf("%s declined the invitation. Delete this Invitation; to invite them again, create a new one.", inv.Spec.Email))
	case orgsv1alpha1.InvitationExpired:
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.ExpiredReason,
			fmt.Sprintf("The link sent to %s expired at %s without an answer. To send a new one, set the annotation %s to a new value (for example the current time).",
				inv.Spec.Email, timeOrUnknown(st.ExpiresAt), orgsv1alpha1.ResendRequestedAtAnnotation))
	case orgsv1alpha1.InvitationFailed:
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.InviterLostAuthorityReason,
			keep(orgsv1alpha1.InviterLostAuthorityReason, fmt.Sprintf("Whoever invited %s may no longer grant the role %s; delete this Invitation and have an Admin or Owner create a new one.", inv.Spec.Email, inv.Spec.Role)))
	default:
		delivered := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.DeliveredCondition)
		if delivered != nil && delivered.Status == metav1.ConditionFalse {
			conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, delivered.Reason, delivered.Message)
			return
		}
		conditions.Set(inv, orgsv1alpha1.ReadyCondition, metav1.ConditionUnknown, orgsv1alpha1.ReconcilingReason,
			fmt.Sprintf("Roster is delivering the invitation link to %s.", inv.Spec.Email))
	}
}

// setInvitationObserved records that the status describes the current
// spec and the recorded inviter.
func setInvitationObserved(inv *orgsv1alpha1.Invitation) {
	inv.Status.ObservedGeneration = inv.Generation
	inv.Status.InvitedBy = inv.Annotations[orgsv1alpha1.InvitedByAnnotation]
}

func at(t *metav1.Time) string {
	if t == nil {
		return ""
	}
	return " at " + t.UTC().Format(time.RFC3339)
}

func timeOrUnknown(t *metav1.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
