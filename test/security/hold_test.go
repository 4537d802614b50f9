package security_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// When admission is bypassed (or two owners are removed at once), the
// controller holds the last effective owner with the last-owner finalizer.
// That hold is the backstop of invariant 1: nobody may release it, not an
// Admin with update on Members, not the held owner, not a cluster admin.
var _ = Describe("Releasing the controller's hold on the last owner", Ordered, func() {
	hold := org{name: "hold", home: "org-hold", members: []person{
		{"hana", "hana@example.com", orgsv1alpha1.RoleOwner},
		{"hugo", "hugo@example.com", orgsv1alpha1.RoleOwner},
		{"ivan", "ivan@example.com", orgsv1alpha1.RoleAdmin},
	}}
	var held *orgsv1alpha1.Member

	BeforeAll(func() {
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: hold.name}})).To(Succeed())
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKey{Name: hold.home}, &corev1.Namespace{}) }).Should(Succeed())
		for _, p := range hold.members {
			Expect(env.Admin.Create(ctx, newMember(hold.home, p.member, p.user, p.role))).To(Succeed())
		}
		waitConverged(hold)

		// Both owners removed while the Member webhook does not see the
		// namespace: what a race or a bypassed webhook can do.
		restore := bypassMemberWebhook(hold.home)
		Expect(env.Admin.Delete(ctx, member(hold, "hugo"))).To(Succeed())
		Eventually(func() error { return env.Admin.Delete(ctx, member(hold, "hana")) }).Should(Succeed())
		restore()

		Eventually(func(g Gomega) {
			var members orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &members, client.InNamespace(hold.home))).To(Succeed())
			held = nil
			for i := range members.Items {
				m := &members.Items[i]
				c := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
				if m.DeletionTimestamp != nil && c != nil && c.Reason == orgsv1alpha1.LastOwnerReason {
					held = m
				}
			}
			g.Expect(held).NotTo(BeNil(), "no owner is held")
			g.Expect(members.Items).To(HaveLen(2), "the other owner is still there")
			g.Expect(held.Finalizers).To(ContainElement(orgsv1alpha1.LastOwnerFinalizer))
		}).Should(Succeed())
	})

	strip := func(c client.Client) func() error {
		return func() error {
			m := member(hold, held.Name)
			base := m.DeepCopy()
			controllerutil.RemoveFinalizer(m, orgsv1alpha1.LastOwnerFinalizer)
			return c.Patch(ctx, m, client.MergeFrom(base))
		}
	}
	keep := func() []client.Object { return []client.Object{member(hold, held.Name)} }
	lastOwner := func() string { return `user "` + held.Spec.User + `" is the last owner of organization "hold"` }

	It("the admin removes the last-owner finalizer", func() {
		refusedKeeping(keep(), byMemberWebhook, strip(as("ivan@example.com")), lastOwner(), "assign the Owner role to another user first")
	})

	It("the held owner removes it herself", func() {
		refusedKeeping(keep(), byMemberWebhook, strip(as(held.Spec.User)), lastOwner())
	})

	It("a cluster admin removes it", func() {
		refusedKeeping(keep(), byMemberWebhook, strip(env.Admin), lastOwner())
	})

	It("lets the held owner go once another owner exists", func() {
		Expect(env.Admin.Create(ctx, newMember(hold.home, "nora", "nora@example.com", orgsv1alpha1.RoleOwner))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKeyFromObject(held), &orgsv1alpha1.Member{}))
		}).Should(BeTrue())
	})
})

// bypassMemberWebhook makes the Member webhook skip namespace, as if it
// were down with failurePolicy Ignore, until the returned func restores it.
func bypassMemberWebhook(namespace string) (restore func()) {
	GinkgoHelper()
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "validating-webhook-configuration"}, cfg)).To(Succeed())
	original := cfg.DeepCopy()
	found := false
	for i := range cfg.Webhooks {
		if cfg.Webhooks[i].Name == "vmember.roster.dev" {
			found = true
			cfg.Webhooks[i].NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{namespace},
			}}}
		}
	}
	Expect(found).To(BeTrue())
	Expect(env.Admin.Update(ctx, cfg)).To(Succeed())
	return func() {
		GinkgoHelper()
		cur := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: original.Name}, cur)).To(Succeed())
		cur.Webhooks = original.Webhooks
		Expect(env.Admin.Update(ctx, cur)).To(Succeed())
		// Enforced again once a dry run of a duplicate Member is refused.
		probe := newMember(namespace, "probe", "ivan@example.com", orgsv1alpha1.RoleViewer)
		Eventually(func() error {
			return env.Admin.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		}).Should(MatchError(ContainSubstring("admission webhook")))
	}
}
