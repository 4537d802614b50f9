package project

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conditions"
)

// outcome is what one reconcile found, for the status setters.
type outcome struct {
	// missing: no Organization has the Project's namespace as its home.
	missing bool
	// overLimit says which bound the Project is past, "" when none.
	overLimit string
	// conflicts are namespaces of the Project's names that Roster did not create for it.
	conflicts []string
	// held are the refusals to delete namespaces that hold something.
	held []string
	// counting are namespaces to delete that Kubernetes is counting again.
	counting []string
	// deleting: the Project itself is being deleted.
	deleting bool
}

// setReady is the Project's Ready condition: a pure function of the
// outcome and the namespaces in status.
func setReady(p *orgsv1alpha1.Project, o outcome) {
	set := func(status metav1.ConditionStatus, reason, msg string) {
		conditions.Set(p, orgsv1alpha1.ReadyCondition, status, reason, msg)
	}
	switch {
	case o.missing:
		set(metav1.ConditionFalse, orgsv1alpha1.OrganizationMissingReason,
			fmt.Sprintf("No Organization has namespace %s as its home; create Projects in an organization's home namespace.", p.Namespace))
	case o.overLimit != "":
		set(metav1.ConditionFalse, orgsv1alpha1.ProjectLimitExceededReason, o.overLimit)
	case len(o.conflicts) > 0:
		set(metav1.ConditionFalse, orgsv1alpha1.NamespaceConflictReason, fmt.Sprintf(
			"Namespace %s exists and Roster did not create it for this Project, so Roster does not use it (it never adopts a namespace); delete that namespace, or rename the project or environment.",
			strings.Join(o.conflicts, ", ")))
	case len(o.held) > 0:
		set(metav1.ConditionFalse, orgsv1alpha1.DeletionNeedsConfirmationReason, strings.Join(o.held, " "))
	case len(o.counting) > 0:
		set(metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason, fmt.Sprintf(
			"Kubernetes is counting what namespace %s holds before Roster deletes it.", strings.Join(o.counting, ", ")))
	case o.deleting:
		set(metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason, "Roster is deleting the Project's namespaces.")
	default:
		for _, ns := range p.Status.Namespaces {
			if ns.Phase != orgsv1alpha1.ProjectNamespaceActive {
				set(metav1.ConditionFalse, orgsv1alpha1.ReconcilingReason, fmt.Sprintf("Namespace %s is %s.", ns.Name, ns.Phase))
				return
			}
		}
		set(metav1.ConditionTrue, orgsv1alpha1.ReadyReason, fmt.Sprintf("The Project's %d namespaces exist; every member has their role's access there.", len(p.Status.Namespaces)))
	}
}
