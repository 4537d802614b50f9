package organization

import (
	"fmt"
	"math"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conditions"
	"github.com/roster-dev/roster/internal/policy"
)

// setOrganizationStatus computes the Organization's status from the scope:
// one setter per condition, Ready last, observedGeneration current.
func setOrganizationStatus(s *scope) {
	st := &s.org.Status
	st.ObservedGeneration = s.org.Generation
	st.HomeNamespace = s.home.name
	setHomeNamespaceReady(s)
	if s.mode == noAccess {
		// The membership was not looked at: say so rather than keep stale answers.
		for _, t := range []string{orgsv1alpha1.OwnerPresentCondition, orgsv1alpha1.OwnerRedundancyCondition} {
			conditions.Set(s.org, t, metav1.ConditionUnknown, orgsv1alpha1.ReconcilingReason, "Waiting for the home namespace.")
		}
		setAccessReady(s)
		setOrganizationReady(s.org)
		return
	}
	setCounts(s)
	setOwnerPresent(s)
	setOwnerRedundancy(s)
	setAccessReady(s)
	setProjectsAttached(s)
	setOrganizationReady(s.org)
}

// ownerMembers is the number of user Members that are effective owners.
func ownerMembers(s *scope) int {
	return len(s.effective.Owners) - len(s.effective.HeldOwners)
}

func setHomeNamespaceReady(s *scope) {
	status := metav1.ConditionFalse
	if s.home.ok {
		status = metav1.ConditionTrue
	}
	conditions.Set(s.org, orgsv1alpha1.HomeNamespaceReadyCondition, status, s.home.reason, s.home.msg)
}

// setCounts counts Members by effective role (duplicates and Members on
// their way out do not count), pending invitations and projects.
func setCounts(s *scope) {
	st := &s.org.Status
	st.RoleCounts = orgsv1alpha1.RoleCounts{}
	st.Members = 0
	for _, outcome := range s.effective.Members {
		switch outcome.Role {
		case orgsv1alpha1.RoleOwner:
			st.RoleCounts.Owners++
		case orgsv1alpha1.RoleAdmin:
			st.RoleCounts.Admins++
		case orgsv1alpha1.RoleContributor:
			st.RoleCounts.Contributors++
		case orgsv1alpha1.RoleViewer:
			st.RoleCounts.Viewers++
		case orgsv1alpha1.RoleViewerNoSecrets:
			st.RoleCounts.ViewersNoSecrets++
		default:
			continue
		}
		st.Members++
	}
	st.Owners = count32(ownerMembers(s))
	st.PendingInvitations = s.pending
	st.Projects = count32(len(s.projects))
}

func setOwnerPresent(s *scope) {
	switch {
	case len(s.effective.HeldOwners) > 0:
		conditions.Set(s.org, orgsv1alpha1.OwnerPresentCondition, metav1.ConditionFalse, orgsv1alpha1.OwnerHeldWithoutMemberReason,
			fmt.Sprintf("No Member of organization %s is an owner user, so the owner access of %s is kept although no Member gives it: assign the Owner role to another user (a Member in namespace %s with spec.user and role Owner); the kept access goes in the same write that grants theirs.",
				s.org.Name, strings.Join(s.effective.HeldOwners, ", "), s.home.name))
	case len(s.effective.Owners) == 0:
		conditions.Set(s.org, orgsv1alpha1.OwnerPresentCondition, metav1.ConditionFalse, orgsv1alpha1.NoOwnerReason,
			fmt.Sprintf("Organization %s has no owner user: create a Member in namespace %s with spec.user and role Owner.", s.org.Name, s.home.name))
	default:
		conditions.Set(s.org, orgsv1alpha1.OwnerPresentCondition, metav1.ConditionTrue, orgsv1alpha1.OwnerPresentReason,
			"Owners: "+strings.Join(s.effective.Owners, ", ")+".")
	}
}

func setOwnerRedundancy(s *scope) {
	switch n := ownerMembers(s); n {
	case 0:
		conditions.Set(s.org, orgsv1alpha1.OwnerRedundancyCondition, metav1.ConditionFalse, orgsv1alpha1.NoOwnerReason,
			"The organization has no owner user; at least two are recommended.")
	case 1:
		conditions.Set(s.org, orgsv1alpha1.OwnerRedundancyCondition, metav1.ConditionFalse, orgsv1alpha1.SingleOwnerReason,
			fmt.Sprintf("%s is the only owner; at least two owners are recommended in case one needs to leave or be removed.", s.effective.Owners[0]))
	default:
		conditions.Set(s.org, orgsv1alpha1.OwnerRedundancyCondition, metav1.ConditionTrue, orgsv1alpha1.RedundantOwnersReason,
			fmt.Sprintf("The organization has %d owners.", n))
	}
}

func setAccessReady(s *scope) {
	switch {
	case s.accessErr != nil:
		conditions.Set(s.org, orgsv1alpha1.AccessReadyCondition, metav1.ConditionFalse, orgsv1alpha1.AccessFailedReason,
			"Applying RBAC failed: "+s.accessErr.Error())
	case s.mode == noAccess:
		conditions.Set(s.org, orgsv1alpha1.AccessReadyCondition, metav1.ConditionFalse, orgsv1alpha1.AccessWithdrawnReason,
			fmt.Sprintf("Namespace %s is another organization's home, so organization %s grants nothing: its RBAC is deleted.", s.home.name, s.org.Name))
	case s.mode == withdrawAccess:
		conditions.Set(s.org, orgsv1alpha1.AccessReadyCondition, metav1.ConditionFalse, orgsv1alpha1.AccessWithdrawOnlyReason,
			fmt.Sprintf("Namespace %s is being deleted: until it is gone, removals and demotions are applied, and nothing is granted that was not already.", s.home.name))
	default:
		conditions.Set(s.org, orgsv1alpha1.AccessReadyCondition, metav1.ConditionTrue, orgsv1alpha1.AccessAppliedReason,
			fmt.Sprintf("RBAC applied in the home namespace and %d project namespace(s).", len(s.projects)))
	}
}

// setProjectsAttached names the namespaces labelled for the organization's
// name that are not its projects, because they were attached to an earlier
// Organization of that name or never through the attach guard, and says how
// to attach them. Advice only: it does not count towards Ready.
func setProjectsAttached(s *scope) {
	if len(s.unattached) == 0 {
		conditions.Set(s.org, orgsv1alpha1.ProjectsAttachedCondition, metav1.ConditionTrue, orgsv1alpha1.ProjectsAttachedReason,
			fmt.Sprintf("Every namespace labelled %s=%s is attached to this Organization.", orgsv1alpha1.OrganizationLabel, s.org.Name))
		return
	}
	names := slices.Sorted(slices.Values(s.unattached))
	shown := names
	if len(shown) > 5 {
		shown = shown[:5]
	}
	msg := fmt.Sprintf("%d namespace(s) labelled %s=%s grant nothing: they were attached to an earlier Organization named %s, or never through Roster's attach guard (%s); if they belong to this Organization, someone who may attach them re-attaches each: %s",
		len(names), orgsv1alpha1.OrganizationLabel, s.org.Name, s.org.Name, strings.Join(shown, ", "), policy.ReattachCommand(names[0], s.org))
	if len(names) > 1 {
		msg += " (and likewise for the others)"
	}
	conditions.Set(s.org, orgsv1alpha1.ProjectsAttachedCondition, metav1.ConditionFalse, orgsv1alpha1.NotAttachedReason, msg+".")
}

// setOrganizationReady summarises: Ready when the home namespace, an owner
// and the RBAC are in place. A single owner and unattached namespaces are
// advice, not unreadiness.
func setOrganizationReady(org *orgsv1alpha1.Organization) {
	conditions.SetSummary(org, fmt.Sprintf("Organization %s is ready.", org.Name),
		conditions.Get(org, orgsv1alpha1.HomeNamespaceReadyCondition),
		conditions.Get(org, orgsv1alpha1.OwnerPresentCondition),
		conditions.Get(org, orgsv1alpha1.AccessReadyCondition))
}

// count32 converts a count for status, saturating rather than wrapping.
func count32(n int) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n) //nolint:gosec // bounded just above
}
