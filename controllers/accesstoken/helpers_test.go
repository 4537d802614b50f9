package accesstoken_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
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
	m := testenv.NewMember(namespace, name, user, role)
	Expect(env.Admin.Create(ctx, m)).To(Succeed())
	return m
}

// createProject attaches a new namespace to org as Roster's webhooks would
// (this suite runs without them): the label and the Organization's UID.
func createProject(name, org string) {
	GinkgoHelper()
	ns := &corev1.Namespace{}
	ns.Name = name
	env.Attach(ctx, ns, org)
	Expect(env.Admin.Create(ctx, ns)).To(Succeed())
}

func getOrg(g Gomega, name string) *orgsv1alpha1.Organization { return env.GetOrg(ctx, g, name) }

// waitOrgReady waits until the organization is Ready, current, with
// members Members and projects project namespaces counted in the same
// status: the RBAC of all of them is written.
func waitOrgReady(name string, members, projects int) {
	GinkgoHelper()
	env.WaitReadyProjects(ctx, name, members, projects)
}

func memberOf(namespace, name string) func(g Gomega) *orgsv1alpha1.Member {
	return func(g Gomega) *orgsv1alpha1.Member {
		m := &orgsv1alpha1.Member{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m)).To(Succeed())
		return m
	}
}
