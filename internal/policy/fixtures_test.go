package policy

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Shared fixtures: organization "acme", home namespace "org-acme".

const (
	orgName = "acme"
	home    = "org-acme"
)

var (
	owner           = orgsv1alpha1.RoleOwner
	admin           = orgsv1alpha1.RoleAdmin
	contributor     = orgsv1alpha1.RoleContributor
	viewer          = orgsv1alpha1.RoleViewer
	viewerNoSecrets = orgsv1alpha1.RoleViewerNoSecrets

	bothVerbs   = Authority{ManageOwners: true, ManageMembers: true}
	membersVerb = Authority{ManageMembers: true}
	noVerbs     = Authority{}

	clusterAdmin = Requester{User: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}
	outsider     = Requester{User: "mallory@example.com", Groups: []string{"system:authenticated"}}
)

func acme() *orgsv1alpha1.Organization {
	return &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: orgName}}
}

func userMember(name, user string, role orgsv1alpha1.Role) orgsv1alpha1.Member {
	return orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: home},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

func groupMember(name, group string, role orgsv1alpha1.Role) orgsv1alpha1.Member {
	return orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: home},
		Spec:       orgsv1alpha1.MemberSpec{Group: group, Role: role},
	}
}

func deleting(m orgsv1alpha1.Member) orgsv1alpha1.Member {
	now := metav1.Now()
	m.DeletionTimestamp = &now
	return m
}

func withRole(m orgsv1alpha1.Member, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	m.Spec.Role = role
	return &m
}

func invitation(name, email string, role orgsv1alpha1.Role, phase orgsv1alpha1.InvitationPhase) orgsv1alpha1.Invitation {
	return orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: home},
		Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: role},
		Status:     orgsv1alpha1.InvitationStatus{Phase: phase},
	}
}

// invitedBy returns inv with the inviter annotations of r, as the mutating
// webhook would set them.
func invitedBy(inv orgsv1alpha1.Invitation, r Requester) *orgsv1alpha1.Invitation {
	inv.Annotations = map[string]string{}
	for k, v := range InviterAnnotations(r) {
		inv.Annotations[k] = v
	}
	return &inv
}

func snapshot(members []orgsv1alpha1.Member, invitations ...orgsv1alpha1.Invitation) Snapshot {
	return Snapshot{Organization: acme(), Members: members, Invitations: invitations}
}

func ptr[T any](v T) *T { return &v }
