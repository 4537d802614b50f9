package organization_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var _ = Describe("Access as RBAC", func() {
	var org, home, project string
	const (
		owner, admin, contributor = "o@example.com", "a@example.com", "c@example.com"
		viewer, viewerNoSecrets   = "v@example.com", "vns@example.com"
		outsider                  = "x@example.com"
	)

	BeforeEach(func() {
		org = uniqueName("access")
		home = createOrg(org)
		project = org + "-web"
		createProject(project, org)
		createMember(home, "o", owner, orgsv1alpha1.RoleOwner)
		createMember(home, "a", admin, orgsv1alpha1.RoleAdmin)
		createMember(home, "c", contributor, orgsv1alpha1.RoleContributor)
		createMember(home, "v", viewer, orgsv1alpha1.RoleViewer)
		createMember(home, "vns", viewerNoSecrets, orgsv1alpha1.RoleViewerNoSecrets)
		waitOrgReady(org, 5, 1)
		// The tests ask the authorizer at once, and expect it to answer for
		// the RBAC Roster wrote.
		waitRoles(org, home, map[string]orgsv1alpha1.Role{
			owner: orgsv1alpha1.RoleOwner, admin: orgsv1alpha1.RoleAdmin, contributor: orgsv1alpha1.RoleContributor,
			viewer: orgsv1alpha1.RoleViewer, viewerNoSecrets: orgsv1alpha1.RoleViewerNoSecrets, outsider: "",
		}, project)
	})

	It("gives each role its project access", func() {
		Expect(can(viewerNoSecrets, "get", "", "secrets", project, "")).To(BeFalse(), "ViewerNoSecrets reads secrets")
		Expect(can(viewerNoSecrets, "get", "", "configmaps", project, "")).To(BeTrue())
		Expect(can(viewer, "get", "", "secrets", project, "")).To(BeTrue(), "Viewer cannot read secrets")
		Expect(can(viewer, "create", "apps", "deployments", project, "")).To(BeFalse())
		Expect(can(contributor, "create", "apps", "deployments", project, "")).To(BeTrue())
		Expect(can(contributor, "create", "rbac.authorization.k8s.io", "rolebindings", project, "")).To(BeFalse())
		Expect(can(admin, "create", "rbac.authorization.k8s.io", "rolebindings", project, "")).To(BeTrue())
		Expect(can(owner, "create", "rbac.authorization.k8s.io", "rolebindings", project, "")).To(BeTrue())
		for _, verb := range []string{"get", "create", "list"} {
			Expect(can(outsider, verb, "", "configmaps", project, "")).To(BeFalse())
		}
		// Nothing leaks into a namespace that is not the organization's.
		Expect(can(owner, "get", "", "configmaps", "default", "")).To(BeFalse())
	})

	It("materializes the custom verbs as the matrix says", func() {
		grants := map[string][2]bool{ // user: manage-owners, manage-members
			owner: {true, true}, admin: {false, true}, contributor: {false, false},
			viewer: {false, false}, viewerNoSecrets: {false, false}, outsider: {false, false},
		}
		for user, want := range grants {
			Expect(can(user, orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)).To(Equal(want[0]), "%s manage-owners", user)
			Expect(can(user, orgsv1alpha1.VerbManageMembers, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)).To(Equal(want[1]), "%s manage-members", user)
		}
		// Authority in one organization is none in another.
		Expect(can(owner, orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", "some-other-org")).To(BeFalse())
		// Admins and owners manage Members in the home namespace; others read them.
		Expect(can(admin, "create", orgsv1alpha1.GroupVersion.Group, "members", home, "")).To(BeTrue())
		Expect(can(viewer, "create", orgsv1alpha1.GroupVersion.Group, "members", home, "")).To(BeFalse())
		Expect(can(viewer, "list", orgsv1alpha1.GroupVersion.Group, "members", home, "")).To(BeTrue())
		Expect(can(outsider, "list", orgsv1alpha1.GroupVersion.Group, "members", home, "")).To(BeFalse())
		// Nobody but the manager writes status.
		Expect(can(owner, "update", orgsv1alpha1.GroupVersion.Group, "members/status", home, "")).To(BeFalse())
	})

	It("applies a role change and a removal", func() {
		m := &orgsv1alpha1.Member{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "c"}, m)).To(Succeed())
		patch := client.MergeFrom(m.DeepCopy())
		m.Spec.Role = orgsv1alpha1.RoleViewerNoSecrets
		Expect(env.Admin.Patch(ctx, m, patch)).To(Succeed())
		Eventually(func() bool { return can(contributor, "create", "apps", "deployments", project, "") }).Should(BeFalse())
		Eventually(func(g Gomega) {
			g.Expect(memberOf(home, "c")(g).Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleViewerNoSecrets))
		}).Should(Succeed())
		Expect(can(contributor, "get", "", "configmaps", project, "")).To(BeTrue())

		Expect(env.Admin.Delete(ctx, m)).To(Succeed())
		Eventually(func() bool { return can(contributor, "get", "", "configmaps", project, "") }).Should(BeFalse())
		waitOrgReady(org, 4, 1)
	})

	It("gives a namespace labelled later the bindings, and takes them from one unlabelled", func() {
		late := org + "-late"
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: late}})).To(Succeed())
		Expect(can(viewer, "get", "", "configmaps", late, "")).To(BeFalse())

		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: late}, ns)).To(Succeed())
		patch := client.MergeFrom(ns.DeepCopy())
		attach(ns, org)
		Expect(env.Admin.Patch(ctx, ns, patch)).To(Succeed())
		Eventually(func() bool { return can(viewer, "get", "", "configmaps", late, "") }).Should(BeTrue())

		patch = client.MergeFrom(ns.DeepCopy())
		delete(ns.Labels, orgsv1alpha1.OrganizationLabel)
		Expect(env.Admin.Patch(ctx, ns, patch)).To(Succeed())
		Eventually(func() bool { return can(viewer, "get", "", "configmaps", late, "") }).Should(BeFalse())
	})

	It("never treats kube-system, a home namespace or the manager's namespace as a project", func() {
		for _, name := range []string{"kube-system", "default"} {
			ns := &corev1.Namespace{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
			patch := client.MergeFrom(ns.DeepCopy())
			attach(ns, org)
			Expect(env.Admin.Patch(ctx, ns, patch)).To(Succeed())
		}
		other := uniqueName("other")
		otherHome := createOrg(other)
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: otherHome}, ns)).To(Succeed())
		patch := client.MergeFrom(ns.DeepCopy())
		attach(ns, org)
		Expect(env.Admin.Patch(ctx, ns, patch)).To(Succeed())

		// Give the controller a chance to (wrongly) act, then check it did not.
		Eventually(func(g Gomega) {
			g.Expect(getOrg(g, org).Status.Projects).To(BeEquivalentTo(1))
		}).Should(Succeed())
		Consistently(func() bool {
			return can(owner, "get", "", "secrets", "kube-system", "") ||
				can(owner, "get", "", "secrets", "default", "") ||
				can(owner, "get", "", "configmaps", otherHome, "")
		}, "2s").Should(BeFalse())
	})
})
