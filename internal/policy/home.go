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
// resolution of one second) count as org's own.
func HomeStale(org *orgsv1alpha1.Organization, homeOfUID string, members []orgsv1alpha1.Member, invitations []orgsv1alpha1.Invitation) bool {
	if org == nil || (homeOfUID != "" && homeOfUID == string(org.UID)) {
		return false
	}
	if homeOfUID != "" {
		return len(members) > 0 || len(invitations) > 0
	}
	for i := range members {
		if members[i].CreationTimestamp.Before(&org.CreationTimestamp) {
			return true
		}
	}
	for i := range invitations {
		if invitations[i].CreationTimestamp.Before(&org.CreationTimestamp) {
			return true
		}
	}
	return false
}
