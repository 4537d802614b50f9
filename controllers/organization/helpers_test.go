package organization_test

import (
	"fmt"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
)

var orgSeq atomic.Int32

func uniqueName(prefix string) string { return fmt.Sprintf("%s%d", prefix, orgSeq.Add(1)) }

func createOrg(name string) string {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	home := orgsv1alpha1.DefaultHomeNamespacePrefix + name
	Eventually(func(g Gomega) {
		ns := &corev1.Namespace{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: home}, ns)).To(Succeed())
	}).Should(Succeed())
	return home
}

func createMember(namespace, name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	GinkgoHelper()
	m := &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
	Expect(env.Admin.Create(ctx, m)).To(Succeed())
	return m
}

// createProject attaches a new namespace to org as Roster's webhooks would
// (this suite runs without them): the label and the Organization's UID.
func createProject(name, org string) {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: org},
		Annotations: map[string]string{orgsv1alpha1.OrganizationUIDAnnotation: orgUID(org)},
	}})).To(Succeed())
}

// attach labels ns for org with org's UID, as the webhooks would.
func attach(ns *corev1.Namespace, org string) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Labels[orgsv1alpha1.OrganizationLabel] = org
	ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] = orgUID(org)
}

func orgUID(name string) string {
	GinkgoHelper()
	org := &orgsv1alpha1.Organization{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, org)).To(Succeed())
	return string(org.UID)
}

func getOrg(g Gomega, name string) *orgsv1alpha1.Organization {
	org := &orgsv1alpha1.Organization{}
	g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, org)).To(Succeed())
	return org
}

// waitOrgReady waits until the organization is Ready, current, with
// members Members and projects project namespaces counted in the same
// status: the RBAC of all of them is written.
func waitOrgReady(name string, members, projects int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		org := getOrg(g, name)
		g.Expect(org.Status.ObservedGeneration).To(Equal(org.Generation))
		g.Expect(meta.IsStatusConditionTrue(org.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "%v", org.Status.Conditions)
		g.Expect(org.Status.Members).To(BeEquivalentTo(members))
		g.Expect(org.Status.Projects).To(BeEquivalentTo(projects))
	}).Should(Succeed())
}

// waitRoles waits until the API server's authorizer gives every user the
// role roles says, in the organization and in projects (see
// testenv.Env.RoleInEffect): waitOrgReady says the RBAC is written, and
// the authorizer sees it a moment later.
func waitRoles(org, home string, roles map[string]orgsv1alpha1.Role, projects ...string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		for user, role := range roles {
			g.Expect(env.RoleInEffect(ctx, user, org, home, role, projects...)).To(Succeed())
		}
	}).Should(Succeed())
}

// can asks the API server whether user may do verb on resource (group/resource)
// in namespace ("" for cluster scope), optionally on a named object.
func can(user, verb, group, resource, namespace, name string) bool {
	GinkgoHelper()
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user,
		Groups: []string{"system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: group, Resource: resource, Name: name,
		},
	}}
	Expect(env.Admin.Create(ctx, review)).To(Succeed())
	return review.Status.Allowed
}

func memberOf(namespace, name string) func(g Gomega) *orgsv1alpha1.Member {
	return func(g Gomega) *orgsv1alpha1.Member {
		m := &orgsv1alpha1.Member{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m)).To(Succeed())
		return m
	}
}

type corev1Namespace = corev1.Namespace

// countAccessObjects counts the RBAC objects labelled as rendered for org.
func countAccessObjects(org string) int {
	GinkgoHelper()
	sel := client.MatchingLabels{access.AccessForLabel: org}
	var crs rbacv1.ClusterRoleList
	var crbs rbacv1.ClusterRoleBindingList
	var rbs rbacv1.RoleBindingList
	Expect(env.Admin.List(ctx, &crs, sel)).To(Succeed())
	Expect(env.Admin.List(ctx, &crbs, sel)).To(Succeed())
	Expect(env.Admin.List(ctx, &rbs, sel)).To(Succeed())
	return len(crs.Items) + len(crbs.Items) + len(rbs.Items)
}
