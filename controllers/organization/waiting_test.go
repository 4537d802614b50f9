package organization_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Members created before their Organization, in the namespace that will be
// its home (a GitOps folder applied in one go; admission lets only holders
// of manage-owners do it, and this suite runs without webhooks).
var _ = Describe("Members waiting for their Organization", func() {
	const owner, viewer = "wait-o@example.com", "wait-v@example.com"

	readyReason := func(g Gomega, namespace, name string) (metav1.ConditionStatus, string) {
		m := &orgsv1alpha1.Member{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m)).To(Succeed())
		g.Expect(m.Status.EffectiveRole).To(Or(BeEmpty(), Equal(m.Spec.Role)))
		c := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
		if c == nil {
			return "", ""
		}
		return c.Status, c.Reason
	}

	It("wait, granting nothing, then take effect when the Organization appears", func() {
		org := uniqueName("waiting")
		home := orgsv1alpha1.DefaultHomeNamespacePrefix + org
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: home}})).To(Succeed())
		createMember(home, "o", owner, orgsv1alpha1.RoleOwner)
		createMember(home, "v", viewer, orgsv1alpha1.RoleViewer)
		for _, name := range []string{"o", "v"} {
			Eventually(func(g Gomega) {
				status, reason := readyReason(g, home, name)
				g.Expect(status).To(Equal(metav1.ConditionFalse))
				g.Expect(reason).To(Equal(orgsv1alpha1.OrganizationNotFoundReason))
			}).Should(Succeed())
		}
		Consistently(func() bool {
			return can(owner, orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)
		},
			"1s").Should(BeFalse(), "a waiting Member grants nothing")

		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: org}})).To(Succeed())
		waitOrgReady(org, 2, 0)
		waitRoles(org, home, map[string]orgsv1alpha1.Role{owner: orgsv1alpha1.RoleOwner, viewer: orgsv1alpha1.RoleViewer})
		for _, name := range []string{"o", "v"} {
			Eventually(func(g Gomega) {
				status, _ := readyReason(g, home, name)
				g.Expect(status).To(Equal(metav1.ConditionTrue))
			}).Should(Succeed())
		}
	})

	It("say HomeNamespaceMismatch, and grant nothing, when the Organization has another home", func() {
		org := uniqueName("mismatch")
		awaiting := orgsv1alpha1.DefaultHomeNamespacePrefix + org
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: awaiting}})).To(Succeed())
		createMember(awaiting, "o", owner, orgsv1alpha1.RoleOwner)
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: org},
			Spec: orgsv1alpha1.OrganizationSpec{HomeNamespace: org + "-home"}})).To(Succeed())
		Eventually(func(g Gomega) {
			status, reason := readyReason(g, awaiting, "o")
			g.Expect(status).To(Equal(metav1.ConditionFalse))
			g.Expect(reason).To(Equal(orgsv1alpha1.HomeNamespaceMismatchReason))
		}).Should(Succeed())
		Expect(can(owner, orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)).To(BeFalse())
	})
})
