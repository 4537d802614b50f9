package policy

import orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"

// HomeStale reports whether the namespace org would take as its home still
// holds the membership of an earlier Organization of the same name (deleted
// since): its orgs.roster.dev/home-of-uid annotation (homeOfUID) names
// another Organization and it still holds Members or Invitations, or it
// carries no UID (a version of Roster before UIDs, or a namespace made by
// hand) and holds a Member or Invitation created before org was. Such a
// home grants nothing, and the controller does not adopt it, until those
// objects are deleted: a new Organization inherits no one.
//
// Objects created in the same second as org (creation timestamps have a
// resolution of one second) count as org's own, and so do objects that never
// were any organization's: those that waited for org in its future home
// (AwaitedOrganization), whose status Roster never gave an organization
// (Member status.organization empty; Invitation never sent nor settled).
func HomeStale(org *orgsv1alpha1.Organization, homeOfUID string, members []orgsv1alpha1.Member, invitations []orgsv1alpha1.Invitation) bool {
	if org == nil || (homeOfUID != "" && homeOfUID == string(org.UID)) {
		return false
	}
	if homeOfUID != "" {
		return len(members) > 0 || len(invitations) > 0
	}
	for i := range members {
		if members[i].CreationTimestamp.Before(&org.CreationTimestamp) && members[i].Status.Organization != "" {
			return true
		}
	}
	for i := range invitations {
		if invitations[i].CreationTimestamp.Before(&org.CreationTimestamp) && wasSettled(&invitations[i]) {
			return true
		}
	}
	return false
}

// wasSettled reports whether an organization's Invitation reconciler has
// acted on inv: sent it, or settled it in a phase other than Pending.
func wasSettled(inv *orgsv1alpha1.Invitation) bool {
	return inv.Status.SentAt != nil || (inv.Status.Phase != "" && inv.Status.Phase != orgsv1alpha1.InvitationPending)
}
