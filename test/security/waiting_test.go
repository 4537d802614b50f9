package security_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// A namespace may be filled before the Organization whose home it will be
// exists (a GitOps folder applied in one go), but only by who could create
// that Organization's owners: holders of manage-owners on
// organizations/<name>. What waits grants nothing.
var _ = Describe("Filling the home of an organization that does not exist yet", Ordered, func() {
	const (
		name = "initech"
		home = "org-initech"
		// lookalike is labelled for a case variant of initech.
		lookalike = "initech-home"
		// wade may create Members and Invitations in those namespaces
		// (RBAC) and holds manage-members on organizations/initech, not
		// manage-owners.
		wade = "wade@example.com"
		// gina holds manage-owners on organizations/initech, as the
		// roster-gitops role does for every organization.
		gina = "gina@example.com"
		// wendy is the user of the Member gina makes.
		wendy = "wendy@example.com"
		// milo may create Members there (RBAC) and holds no custom verb.
		milo = "milo@example.com"
	)
	write := rbacRule(orgsv1alpha1.GroupVersion.Group, "members", "create", "update", "patch", "get", "list")
	invite := rbacRule(orgsv1alpha1.GroupVersion.Group, "invitations", "create", "get", "list")
	verb := func(v string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{orgsv1alpha1.GroupVersion.Group}, Resources: []string{"organizations"},
			Verbs: []string{v}, ResourceNames: []string{name}}
	}
	waitingOwner := func(member, user string) *orgsv1alpha1.Member {
		return testenv.NewMember(home, member, user, orgsv1alpha1.RoleOwner)
	}

	BeforeAll(func() {
		createIgnoringExisting(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: home}})
		createIgnoringExisting(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: lookalike,
			Labels: map[string]string{orgsv1alpha1.HomeOfLabel: "Initech"}}})
		for _, ns := range []string{home, lookalike} {
			grantInNamespace(wade, ns, "wade-writes", write, invite)
			grantInNamespace(gina, ns, "gina-writes", write, invite)
			grantInNamespace(milo, ns, "milo-writes", write, invite)
		}
		grantCluster(wade, "wade-initech-members", verb(orgsv1alpha1.VerbManageMembers))
		grantCluster(gina, "gina-initech-owners", verb(orgsv1alpha1.VerbManageOwners))
		DeferCleanup(func() {
			for _, ns := range []string{home, lookalike} {
				Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))).To(Succeed())
			}
		})
	})

	It("refuses an outsider, even one RBAC lets create Members there, a Member there", func() {
		refused(byRBAC, func() error { return env.As(mallory).Create(ctx, waitingOwner("mallory", mallory)) })
		refused(byMemberWebhook, func() error { return env.As(milo).Create(ctx, waitingOwner("milo", milo)) },
			`user "milo@example.com" may not create or change Members in namespace "org-initech"`)
	})

	It("refuses a holder of manage-members, not manage-owners, a Member or an Invitation there", func() {
		says := []string{`organization "initech", whose home it will be, does not exist yet`, "manage-owners on organizations/initech"}
		refused(byMemberWebhook, func() error {
			return env.As(wade).Create(ctx, testenv.NewMember(home, "wade", wade, orgsv1alpha1.RoleViewer))
		}, says...)
		refused(byMemberWebhook, func() error { return env.As(wade).Create(ctx, waitingOwner("wade", wade)) }, says...)
		refused(byInvitationWebhook, func() error {
			return env.As(wade).Create(ctx, testenv.NewInvitation(home, "wade-friend", "friend@example.com", orgsv1alpha1.RoleAdmin))
		}, says...)
	})

	It("answers a dry run as the real request", func() {
		refused(byMemberWebhook, func() error {
			return env.As(wade).Create(ctx, waitingOwner("wade", wade), client.DryRunAll)
		}, `organization "initech", whose home it will be, does not exist yet`)
		Expect(env.As(gina).Create(ctx, waitingOwner("dry", wendy), client.DryRunAll)).To(Succeed())
	})

	It("does not take a case variant for the organization: a namespace labelled Initech awaits nothing", func() {
		refused(byMemberWebhook, func() error {
			return env.As(gina).Create(ctx, testenv.NewMember(lookalike, "gina", gina, orgsv1alpha1.RoleOwner))
		}, `namespace "initech-home" is not the home namespace of any Organization`)
	})

	It("lets a holder of manage-owners create it, and what waits grants nothing", func() {
		Expect(env.As(gina).Create(ctx, waitingOwner("wendy", wendy))).To(Succeed())
		Eventually(func(g Gomega) {
			m := &orgsv1alpha1.Member{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "wendy"}, m)).To(Succeed())
			ready := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(orgsv1alpha1.OrganizationNotFoundReason))
			g.Expect(m.Status.EffectiveRole).To(BeEmpty())
		}).Should(Succeed())
		Consistently(func(g Gomega) {
			for _, v := range []string{"get", orgsv1alpha1.VerbManageOwners, orgsv1alpha1.VerbManageMembers} {
				g.Expect(canIName(wendy, v, orgsv1alpha1.GroupVersion.Group, "organizations", name)).To(BeFalse(), v)
			}
			g.Expect(canI(wendy, "list", orgsv1alpha1.GroupVersion.Group, "members", home)).To(BeFalse())
			g.Expect(canI(wendy, "create", orgsv1alpha1.GroupVersion.Group, "invitations", home)).To(BeFalse())
		}).WithTimeout(2 * time.Second).Should(Succeed())
	})
})
