package organization_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/testenv"
)

// The suite's fixtures are testenv's, under the names its specs use.

func uniqueName(prefix string) string { return testenv.UniqueName(prefix) }

// createOrg creates the Organization name and waits until its home
// namespace exists; it returns the home namespace.
func createOrg(name string) string {
	GinkgoHelper()
	return env.CreateHome(ctx, name)
}

func createMember(namespace, name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	GinkgoHelper()
	return env.CreateMember(ctx, namespace, name, user, role)
}

// createProject attaches a new namespace to org as Roster's webhooks would
// (this suite runs without them): the label and the Organization's UID.
func createProject(name, org string) {
	GinkgoHelper()
	env.CreateAttachedProject(ctx, name, org)
}

// attach labels ns for org with org's UID, as the webhooks would.
func attach(ns *corev1.Namespace, org string) {
	GinkgoHelper()
	env.Attach(ctx, ns, org)
}

func getOrg(g Gomega, name string) *orgsv1alpha1.Organization { return env.GetOrg(ctx, g, name) }

// waitOrgReady waits until the organization is Ready, current, with
// members Members and projects project namespaces counted in the same
// status: the RBAC of all of them is written.
func waitOrgReady(name string, members, projects int) {
	GinkgoHelper()
	env.WaitReadyProjects(ctx, name, members, projects)
}

// waitRoles waits until the API server's authorizer gives every user the
// role roles says, in the organization and in projects (testenv's
// WaitRoles).
func waitRoles(org, home string, roles map[string]orgsv1alpha1.Role, projects ...string) {
	GinkgoHelper()
	people := make([]testenv.Person, 0, len(roles))
	for user, role := range roles {
		people = append(people, testenv.Person{User: user, Role: role})
	}
	env.WaitRoles(ctx, testenv.Org{Name: org, Home: home}, people, projects...)
}

// can asks the API server whether user may do verb on resource (group/resource)
// in namespace ("" for cluster scope), optionally on a named object.
func can(user, verb, group, resource, namespace, name string) bool {
	GinkgoHelper()
	return env.Can(ctx, user, nil, authorizationv1.ResourceAttributes{
		Namespace: namespace, Verb: verb, Group: group, Resource: resource, Name: name,
	})
}

func memberOf(namespace, name string) func(g Gomega) *orgsv1alpha1.Member {
	return func(g Gomega) *orgsv1alpha1.Member { return env.GetMember(ctx, g, namespace, name) }
}

type corev1Namespace = corev1.Namespace

// countAccessObjects counts the RBAC objects labelled as rendered for org.
func countAccessObjects(org string) int {
	GinkgoHelper()
	objs, err := testenv.ListRBAC(ctx, env.Admin, client.MatchingLabels{access.AccessForLabel: org})
	Expect(err).NotTo(HaveOccurred())
	return len(objs)
}
