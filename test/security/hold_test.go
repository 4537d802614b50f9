package security_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
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
		createOrg(hold)

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
		refusedKeeping(keep(), byMemberWebhook, strip(env.As("ivan@example.com")), lastOwner(), "assign the Owner role to another user first")
	})

	It("the held owner removes it herself", func() {
		refusedKeeping(keep(), byMemberWebhook, strip(env.As(held.Spec.User)), lastOwner())
	})

	It("a cluster admin removes it", func() {
		refusedKeeping(keep(), byMemberWebhook, strip(env.Admin), lastOwner())
	})

	It("lets the held owner go once another owner exists", func() {
		Expect(env.Admin.Create(ctx, testenv.NewMember(hold.home, "nora", "nora@example.com", orgsv1alpha1.RoleOwner))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKeyFromObject(held), &orgsv1alpha1.Member{}))
		}).Should(BeTrue())
	})
})

// With the Member webhook out of the way, an Admin deletes the only
// Owner's Member and removes the last-owner finalizer, which nothing
// restores. The controller's hold does not rest on that finalizer: the
// owner committed last keeps their Owner access, with no Member, until
// another owner's access is in effect, and the Organization says so.
var _ = Describe("An admin deleting the last owner and removing the hold, the webhook bypassed", Ordered, func() {
	orphan := org{name: "orphan", home: "org-orphan", members: []person{
		{"olive", "olive@example.com", orgsv1alpha1.RoleOwner},
		// ivan: bypassMemberWebhook's probe is a duplicate of him (not an Owner).
		{"ivan", "ivan@example.com", orgsv1alpha1.RoleAdmin},
	}}
	const olive, ivan = "olive@example.com", "ivan@example.com"
	manageOwners := authorizationv1.ResourceAttributes{
		Group: orgsv1alpha1.GroupVersion.Group, Resource: "organizations", Verb: orgsv1alpha1.VerbManageOwners, Name: orphan.name,
	}
	holds := func(user string) func() (bool, error) {
		return func() (bool, error) { return env.Allowed(ctx, user, manageOwners) }
	}

	BeforeAll(func() {
		createOrg(orphan)
		Eventually(func() []string { return member(orphan, "olive").Finalizers }).Should(ContainElement(orgsv1alpha1.LastOwnerFinalizer))
	})

	AfterAll(func() {
		deleteOrganization(orphan.name)
	})

	It("keeps the removed owner's access, without a Member, and says so", func() {
		restore := bypassMemberWebhook(orphan.home)
		Expect(env.As(ivan).Delete(ctx, member(orphan, "olive"))).To(Succeed())
		Eventually(func() error {
			return mergePatch(env.As(ivan), member(orphan, "olive"), func(m *orgsv1alpha1.Member) {
				controllerutil.RemoveFinalizer(m, orgsv1alpha1.LastOwnerFinalizer)
			})
		}).Should(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: orphan.home, Name: "olive"}, &orgsv1alpha1.Member{}))
		}).Should(BeTrue(), "the Member is gone")
		restore()

		Eventually(func(g Gomega) {
			o := organization(orphan)
			g.Expect(o.Status.EffectiveOwners).To(Equal([]string{olive}))
			c := meta.FindStatusCondition(o.Status.Conditions, orgsv1alpha1.OwnerPresentCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(orgsv1alpha1.OwnerHeldWithoutMemberReason))
			g.Expect(c.Message).To(ContainSubstring("the owner access of " + olive + " is kept"))
			g.Expect(c.Message).To(ContainSubstring("assign the Owner role to another user"))
		}).Should(Succeed())
		Consistently(holds(olive)).WithTimeout(3*time.Second).Should(BeTrue(), "the removed last owner lost manage-owners with nobody to replace her")
		Expect(holds(ivan)()).To(BeFalse())
	})

	It("hands the access over once another owner exists", func() {
		const nora = "nora@example.com"
		Expect(env.Admin.Create(ctx, testenv.NewMember(orphan.home, "nora", nora, orgsv1alpha1.RoleOwner))).To(Succeed())
		Eventually(holds(nora)).Should(BeTrue())
		Eventually(holds(olive)).Should(BeFalse())
		Eventually(func(g Gomega) {
			o := organization(orphan)
			g.Expect(o.Status.EffectiveOwners).To(Equal([]string{nora}))
			g.Expect(meta.IsStatusConditionTrue(o.Status.Conditions, orgsv1alpha1.OwnerPresentCondition)).To(BeTrue())
		}).Should(Succeed())
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
	// The API server applies a changed configuration a moment later: a
	// duplicate of an existing Member, refused only by the webhook, says when.
	duplicate := duplicateMember(namespace)
	Expect(env.Admin.Update(ctx, cfg)).To(Succeed())
	Eventually(func() error {
		return env.Admin.Create(ctx, duplicate.DeepCopy(), client.DryRunAll)
	}).Should(Succeed(), "the Member webhook still sees namespace %s", namespace)
	return func() {
		GinkgoHelper()
		cur := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: original.Name}, cur)).To(Succeed())
		cur.Webhooks = original.Webhooks
		Expect(env.Admin.Update(ctx, cur)).To(Succeed())
		Eventually(func() error {
			return env.Admin.Create(ctx, duplicate.DeepCopy(), client.DryRunAll)
		}).Should(MatchError(ContainSubstring("admission webhook")))
	}
}

// duplicateMember is a new Member for the user of a Member in namespace:
// a request only the Member webhook refuses. Not an Owner's, whom the
// specs remove while the webhook is bypassed.
func duplicateMember(namespace string) *orgsv1alpha1.Member {
	GinkgoHelper()
	var members orgsv1alpha1.MemberList
	Expect(env.Admin.List(ctx, &members, client.InNamespace(namespace))).To(Succeed())
	for _, m := range members.Items {
		if m.Spec.User != "" && m.Spec.Role != orgsv1alpha1.RoleOwner {
			return testenv.NewMember(namespace, "duplicate-probe", m.Spec.User, orgsv1alpha1.RoleViewer)
		}
	}
	Fail("namespace " + namespace + " has no user Member to duplicate")
	return nil
}
