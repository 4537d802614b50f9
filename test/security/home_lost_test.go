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
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/testenv"
)

// A home namespace on its way out, or claimed by another organization,
// may stop access from being added, never from being taken away. These
// organizations are their own (not acme or globex): the specs delete or
// relabel their home namespace.

// withdrawn is how soon a removal must reach the API server's authorizer.
const withdrawn = 10 * time.Second

var _ = Describe("Deleting the home namespace while a Member holds it open", Ordered, func() {
	const (
		name    = "frozen"
		home    = "org-frozen"
		project = "frozen-app"
		group   = "frozen-ops"
		// gil is in group frozen-ops, whose Member is an Admin.
		gil     = "gil@example.com"
		fay     = "fay@example.com"
		vic     = "vic@example.com"
		stan    = "stan@example.com"
		foreign = "example.com/keep"
	)
	deploy := authorizationv1.ResourceAttributes{Namespace: project, Verb: "create", Group: "apps", Resource: "deployments"}
	read := authorizationv1.ResourceAttributes{Namespace: project, Verb: "get", Resource: "configmaps"}
	groupMay := func(attrs authorizationv1.ResourceAttributes) func() (bool, error) {
		return func() (bool, error) { return env.AllowedInGroups(ctx, gil, []string{group}, attrs) }
	}
	userMay := func(user string, attrs authorizationv1.ResourceAttributes) func() (bool, error) {
		return func() (bool, error) { return env.Allowed(ctx, user, attrs) }
	}
	var releaseVic func()

	BeforeAll(func() {
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKey{Name: home}, &corev1.Namespace{}) }).Should(Succeed())
		ops := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "ops"},
			Spec: orgsv1alpha1.MemberSpec{Group: group, Role: orgsv1alpha1.RoleAdmin}}
		for _, m := range []*orgsv1alpha1.Member{
			testenv.NewMember(home, "fay", fay, orgsv1alpha1.RoleOwner), ops,
			testenv.NewMember(home, "vic", vic, orgsv1alpha1.RoleViewer), testenv.NewMember(home, "stan", stan, orgsv1alpha1.RoleViewer),
		} {
			Expect(env.Admin.Create(ctx, m)).To(Succeed())
		}
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: project, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: name},
		}})).To(Succeed())
		Eventually(groupMay(deploy)).Should(BeTrue(), "the group Admin may create deployments in the project")
		Eventually(userMay(vic, read)).Should(BeTrue())

		// stan's Member keeps the namespace Terminating, as any foreign
		// finalizer does.
		stanMember := &orgsv1alpha1.Member{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "stan"}, stanMember)).To(Succeed())
		Expect(mergePatch(env.Admin, stanMember, func(m *orgsv1alpha1.Member) { controllerutil.AddFinalizer(m, foreign) })).To(Succeed())
		// vic's Member is kept from the namespace controller, as a failing
		// admission policy of someone else's would: a Member that stays
		// while its home namespace is Terminating, whose role can change.
		releaseVic = keepFromNamespaceController(home, "vic")

		Expect(env.Admin.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: home}})).To(Succeed())
		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(organization(org{name: name}).Status.Conditions, orgsv1alpha1.HomeNamespaceReadyCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(orgsv1alpha1.HomeNamespaceTerminatingReason))
		}).Should(Succeed())
	})

	AfterAll(func() {
		if releaseVic != nil {
			releaseVic()
		}
		stanMember := &orgsv1alpha1.Member{}
		if err := env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "stan"}, stanMember); err == nil {
			Expect(mergePatch(env.Admin, stanMember, func(m *orgsv1alpha1.Member) { controllerutil.RemoveFinalizer(m, foreign) })).To(Succeed())
		}
		deleteOrganization(name)
		Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: project}}))).To(Succeed())
	})

	It("withdraws a removed group Admin's access to the project within seconds", func() {
		// The namespace controller deletes them too, when it gets there.
		for _, m := range []string{"ops", "stan"} {
			Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: m}}))).To(Succeed())
		}
		Eventually(groupMay(deploy)).WithTimeout(withdrawn).Should(BeFalse(), "the removed group still creates deployments")
		// stan's Member is on its way out, held only by a foreign finalizer: it grants nothing.
		Eventually(userMay(stan, read)).WithTimeout(withdrawn).Should(BeFalse(), "the removed viewer still reads the project")
	})

	It("does not apply a promotion, and keeps the role that was applied", func() {
		vicMember := &orgsv1alpha1.Member{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "vic"}, vicMember)).To(Succeed())
		Expect(vicMember.DeletionTimestamp).To(BeNil())
		Expect(mergePatch(env.Admin, vicMember, func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleAdmin })).To(Succeed())
		Eventually(func(g Gomega) {
			m := &orgsv1alpha1.Member{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "vic"}, m)).To(Succeed())
			g.Expect(m.Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleViewer))
			c := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(orgsv1alpha1.HomeNamespaceTerminatingReason))
			g.Expect(c.Message).To(ContainSubstring("keeps role Viewer instead of role Admin"))
		}).Should(Succeed())
		Consistently(userMay(vic, deploy)).WithTimeout(2*time.Second).Should(BeFalse(), "the promotion was applied")
		Expect(userMay(vic, read)()).To(BeTrue(), "the role vic had is kept")
		Expect(env.Allowed(ctx, vic, authorizationv1.ResourceAttributes{
			Group: orgsv1alpha1.GroupVersion.Group, Resource: "organizations", Verb: orgsv1alpha1.VerbManageMembers, Name: name,
		})).To(BeFalse())
	})
})

var _ = Describe("Another organization's label on the home namespace", Ordered, func() {
	const (
		name    = "claimed"
		home    = "org-claimed"
		project = "claimed-app"
		group   = "claimed-ops"
		cleo    = "cleo@example.com"
	)
	deploy := authorizationv1.ResourceAttributes{Namespace: project, Verb: "create", Group: "apps", Resource: "deployments"}
	manageOwners := authorizationv1.ResourceAttributes{Group: orgsv1alpha1.GroupVersion.Group, Resource: "organizations", Verb: orgsv1alpha1.VerbManageOwners, Name: name}
	relabel := func(owner string) {
		GinkgoHelper()
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: home}, ns)).To(Succeed())
		Expect(mergePatch(env.Admin, ns, func(ns *corev1.Namespace) { ns.Labels[orgsv1alpha1.HomeOfLabel] = owner })).To(Succeed())
	}

	BeforeAll(func() {
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKey{Name: home}, &corev1.Namespace{}) }).Should(Succeed())
		Expect(env.Admin.Create(ctx, testenv.NewMember(home, "cleo", cleo, orgsv1alpha1.RoleOwner))).To(Succeed())
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "ops"},
			Spec: orgsv1alpha1.MemberSpec{Group: group, Role: orgsv1alpha1.RoleAdmin}})).To(Succeed())
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: project, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: name},
		}})).To(Succeed())
		Eventually(func() (bool, error) { return env.AllowedInGroups(ctx, "gus@example.com", []string{group}, deploy) }).Should(BeTrue())
		Eventually(func() (bool, error) { return env.Allowed(ctx, cleo, manageOwners) }).Should(BeTrue())
	})

	AfterAll(func() {
		deleteOrganization(name)
		Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: project}}))).To(Succeed())
	})

	It("grants nothing while the label names another organization, and everything again once it is back", func() {
		relabel("someone-else")
		Eventually(func() (bool, error) { return env.AllowedInGroups(ctx, "gus@example.com", []string{group}, deploy) }).
			WithTimeout(withdrawn).Should(BeFalse())
		Eventually(func() (bool, error) { return env.Allowed(ctx, cleo, manageOwners) }).WithTimeout(withdrawn).Should(BeFalse())
		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(organization(org{name: name}).Status.Conditions, orgsv1alpha1.AccessReadyCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(orgsv1alpha1.AccessWithdrawnReason))
			g.Expect(c.Message).To(ContainSubstring("another organization's home"))
		}).Should(Succeed())

		relabel(name)
		Eventually(func() (bool, error) { return env.Allowed(ctx, cleo, manageOwners) }).Should(BeTrue())
		Eventually(func() (bool, error) { return env.AllowedInGroups(ctx, "gus@example.com", []string{group}, deploy) }).Should(BeTrue())
	})
})

// deleteOrganization deletes an organization of a spec, confirmed as the
// Organization webhook asks, and waits until it is gone.
func deleteOrganization(name string) {
	GinkgoHelper()
	o := &orgsv1alpha1.Organization{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, o)).To(Succeed())
	Expect(mergePatch(env.Admin, o, func(o *orgsv1alpha1.Organization) {
		metav1.SetMetaDataAnnotation(&o.ObjectMeta, orgsv1alpha1.ConfirmDeleteAnnotation, name)
	})).To(Succeed())
	Expect(env.Admin.Delete(ctx, o)).To(Succeed())
	Eventually(func() bool {
		return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: name}, &orgsv1alpha1.Organization{}))
	}).WithTimeout(time.Minute).Should(BeTrue())
}

// keepFromNamespaceController refuses, with a ValidatingAdmissionPolicy,
// the namespace controller's deletion of Member name in namespace, until
// release is called.
func keepFromNamespaceController(namespace, name string) (release func()) {
	GinkgoHelper()
	const controllerManager = "system:kube-controller-manager"
	policyName := "keep-" + namespace + "-" + name
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: policyName},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
					Rule: admissionregistrationv1.Rule{
						APIGroups: []string{orgsv1alpha1.GroupVersion.Group}, APIVersions: []string{"*"}, Resources: []string{"members"},
					},
				},
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name: "namespace-controller",
				Expression: "request.userInfo.username == '" + controllerManager + "' && request.namespace == '" + namespace +
					"' && request.name == '" + name + "'",
			}},
			Validations: []admissionregistrationv1.Validation{{Expression: "false", Message: "kept by the attack suite"}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policyName},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policyName, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	Expect(env.Admin.Create(ctx, policy)).To(Succeed())
	Expect(env.Admin.Create(ctx, binding)).To(Succeed())
	// In force once a dry run of that deletion, as the namespace
	// controller, is refused.
	cfg := rest.CopyConfig(env.Cluster.Config())
	cfg.Impersonate = rest.ImpersonationConfig{UserName: controllerManager, Groups: []string{"system:masters"}}
	kcm, err := client.New(cfg, client.Options{Scheme: manager.Scheme, Mapper: env.Admin.RESTMapper()})
	Expect(err).NotTo(HaveOccurred())
	Eventually(func() error {
		return kcm.Delete(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, client.DryRunAll)
	}).Should(MatchError(ContainSubstring("kept by the attack suite")))
	return func() {
		GinkgoHelper()
		Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, binding))).To(Succeed())
		Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, policy))).To(Succeed())
	}
}
