package bench

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Sizes is one workload's shape: Orgs organizations, each with Members
// Members and Projects project namespaces.
type Sizes struct {
	Orgs, Members, Projects int
}

// TotalMembers is Orgs × Members.
func (s Sizes) TotalMembers() int { return s.Orgs * s.Members }

// Namespaces counts the home and project namespaces.
func (s Sizes) Namespaces() int { return s.Orgs * (1 + s.Projects) }

func (s Sizes) String() string {
	return fmt.Sprintf("%d orgs × %d members × %d projects (%d members, %d namespaces)",
		s.Orgs, s.Members, s.Projects, s.TotalMembers(), s.Namespaces())
}

// OrgName names organization i; a prefix keeps two workloads in one
// cluster apart.
func OrgName(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }

// HomeNamespace is the home namespace Roster gives an organization.
func HomeNamespace(org string) string { return orgsv1alpha1.DefaultHomeNamespacePrefix + org }

// ProjectNamespace names project j of org.
func ProjectNamespace(org string, j int) string { return fmt.Sprintf("prj-%s-%d", org, j) }

// MemberName names member i of an organization.
func MemberName(i int) string { return fmt.Sprintf("m%03d", i) }

// UserName is the user of member i of org.
func UserName(org string, i int) string { return fmt.Sprintf("%s-u%03d@example.com", org, i) }

// RoleOf is member i's role among n: two Owners, then about 10% Admins,
// 40% Contributors, 30% Viewers and the rest ViewersNoSecrets, so every
// project RoleBinding exists.
func RoleOf(i, n int) orgsv1alpha1.Role {
	f := float64(i) / float64(n)
	switch {
	case i < 2:
		return orgsv1alpha1.RoleOwner
	case i < max(3, n/10):
		return orgsv1alpha1.RoleAdmin
	case f < 0.5:
		return orgsv1alpha1.RoleContributor
	case f < 0.8:
		return orgsv1alpha1.RoleViewer
	default:
		return orgsv1alpha1.RoleViewerNoSecrets
	}
}

// NewMember is member i of org with its role.
func NewMember(org string, i int, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org), Name: MemberName(i)},
		Spec:       orgsv1alpha1.MemberSpec{User: UserName(org, i), Role: role},
	}
}

// NewProject is project namespace j of org, labelled as its project.
func NewProject(org string, j int) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   ProjectNamespace(org, j),
		Labels: map[string]string{orgsv1alpha1.OrganizationLabel: org},
	}}
}

// memberOrder is the order members are created in: member 0 of every
// organization, then member 1 of every organization, and so on, so every
// organization changes throughout (a bulk import of many organizations at
// once, the hard case for write batching).
func memberOrder(orgs []string, s Sizes) []*orgsv1alpha1.Member {
	out := make([]*orgsv1alpha1.Member, 0, s.TotalMembers())
	for i := range s.Members {
		for _, org := range orgs {
			out = append(out, NewMember(org, i, RoleOf(i, s.Members)))
		}
	}
	return out
}
