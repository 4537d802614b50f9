package security_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// Attaching a namespace (the orgs.roster.dev/organization label) makes
// Roster bind the organization's members there. The namespace guard lets
// only someone who could create those RoleBindings do it, and never for a
// home namespace, a system namespace or Roster's own.
var _ = Describe("Attaching namespaces as projects", func() {
	// lou may label any namespace (a typical "namespace admin" grant), but
	// holds no RBAC inside them.
	const lou = "lou@example.com"
	BeforeEach(func() {
		grantCluster(lou, "label-namespaces", rbacRule("", "namespaces", "get", "list", "patch", "update", "create"))
	})

	get := func(name string) *corev1.Namespace {
		GinkgoHelper()
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
		return ns
	}

	It("creates a namespace already labelled for acme, without the rights to bind there", func() {
		ns := labelled(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lou-new"}}, acme.name)
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error { return env.As(lou).Create(ctx, ns.DeepCopy()) },
			`user "lou@example.com" may not attach namespace "lou-new" to organization "acme"`, "admin, edit, roster-viewer, view")
	})

	It("labels an existing namespace with a merge patch, without the rights to bind there", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lou-existing"}}
		createIgnoringExisting(ns)
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(env.As(lou), get(ns.Name), func(n *corev1.Namespace) { labelled(n, acme.name) })
		}, `may not attach namespace "lou-existing" to organization "acme"`)
		Expect(canI(mallory, "get", "", "secrets", ns.Name)).To(BeFalse())
	})

	It("moves globex's project to acme with a JSON patch, without the rights to bind there", func() {
		refused(byNamespaceGuard, func() error {
			return jsonPatch(env.As(lou), get(globex.project), `[{"op":"replace","path":"/metadata/labels/orgs.roster.dev~1organization","value":"acme"}]`)
		}, `may not attach namespace "globex-api" to organization "acme"`)
	})

	It("attaches globex's home namespace to acme", func() {
		refused(byNamespaceGuard, func() error {
			return mergePatch(env.As(lou), get(globex.home), func(n *corev1.Namespace) { labelled(n, acme.name) })
		}, `namespace "org-globex" is the home namespace of organization "globex" and cannot be a project of organization "acme"`)
	})

	It("attaches acme's own home namespace to acme, as a cluster admin", func() {
		refused(byNamespaceGuard, func() error {
			return mergePatch(env.Admin, get(acme.home), func(n *corev1.Namespace) { labelled(n, acme.name) })
		}, `namespace "org-acme" is the home namespace of organization "acme"`)
	})

	It("attaches kube-system with a JSON patch, as a cluster admin", func() {
		refused(byNamespaceGuard, func() error {
			return jsonPatch(env.Admin, get("kube-system"), `[{"op":"add","path":"/metadata/labels/orgs.roster.dev~1organization","value":"acme"}]`)
		}, `namespace "kube-system" is a system namespace and cannot be a project of organization "acme"`)
	})

	It("attaches Roster's own namespace by server-side apply, as a cluster admin", func() {
		createIgnoringExisting(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testenv.ManagerNamespace}})
		refused(byNamespaceGuard, func() error {
			return applyAs(env.Admin, "v1", "Namespace", "", testenv.ManagerNamespace, map[string]any{
				"metadata": map[string]any{"labels": map[string]any{orgsv1alpha1.OrganizationLabel: acme.name}},
			})
		}, `namespace "roster-system" is Roster's own namespace and cannot be a project of organization "acme"`)
	})

	// namespaces/status and namespaces/finalize take a whole Namespace and
	// keep the labels it carries: a way around a guard that only watched
	// the main resource.
	It("labels kube-system through the namespaces/status subresource, as a cluster admin", func() {
		refused(byNamespaceGuard, func() error {
			ns := labelled(get("kube-system"), acme.name)
			return env.Admin.Status().Update(ctx, ns)
		}, `namespace "kube-system" is a system namespace`)
	})

	It("labels a namespace through the namespaces/finalize subresource, without the rights to bind there", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lou-finalize"}}
		createIgnoringExisting(ns)
		grantCluster(lou, "finalize-namespaces", rbacRule("", "namespaces/finalize", "update"))
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			n := labelled(get(ns.Name), acme.name)
			return env.As(lou).SubResource("finalize").Update(ctx, n)
		}, `may not attach namespace "lou-finalize" to organization "acme"`)
	})
})

// Roster's RBAC is RBAC: whoever wants to grant access by hand meets the
// API server's escalation check, and whatever is labelled as Roster's but
// was not rendered by Roster is pruned.
var _ = Describe("Creating RBAC by hand to gain access", func() {
	It("the contributor creates a Roster-labelled RoleBinding in the project", func() {
		rb := rosterLabelled(acme.project, "roster:sneaky", "admin", carol)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return env.As(carol).Create(ctx, rb.DeepCopy()) },
			rbacMessage(carol, "create", "rolebindings"))
	})

	It("the admin binds the organization's owner ClusterRole to himself in the project", func() {
		rb := rosterLabelled(acme.project, "roster:owner-for-bob", "roster:org:acme:owner", bob)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return env.As(bob).Create(ctx, rb.DeepCopy()) },
			"is attempting to grant RBAC permissions not currently held", "manage-owners")
	})

	It("the admin binds the organization's owner ClusterRole to himself cluster-wide", func() {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "roster:org:acme:owner-bob", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster:org:acme:owner"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: bob}},
		}
		refusedKeeping([]client.Object{crb}, byRBAC, func() error { return env.As(bob).Create(ctx, crb.DeepCopy()) },
			rbacMessage(bob, "create", "clusterrolebindings"))
	})

	It("the admin adds manage-owners to the organization's admin ClusterRole", func() {
		refused(byRBAC, func() error {
			cr := &rbacv1.ClusterRole{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "roster:org:acme:admin"}, cr)).To(Succeed())
			cr.Rules[0].Verbs = append(cr.Rules[0].Verbs, orgsv1alpha1.VerbManageOwners)
			return env.As(bob).Update(ctx, cr)
		}, rbacMessage(bob, "update", "clusterroles"))
	})

	It("the admin binds himself in the home namespace beyond Members and Invitations", func() {
		rb := rosterLabelled(acme.home, "roster:home-admin", "admin", bob)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return env.As(bob).Create(ctx, rb.DeepCopy()) },
			rbacMessage(bob, "create", "rolebindings"), `in the namespace "org-acme"`)
	})

	It("the admin adds an outsider to Roster's owner RoleBinding in globex's project", func() {
		refused(byRBAC, func() error {
			rb := &rbacv1.RoleBinding{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: globex.project, Name: "roster:owner"}, rb)).To(Succeed())
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: mallory})
			return env.As(bob).Update(ctx, rb)
		}, rbacMessage(bob, "update", "rolebindings"), `in the namespace "globex-api"`)
	})

	// What RBAC does let through: the admin holds admin in acme's project,
	// so the escalation check lets him bind admin, edit and view there. A
	// binding he labels as Roster's is not his to keep: Roster prunes what
	// it did not render, and puts back what it did.
	It("a binding the admin labelled as Roster's is pruned", func() {
		rb := rosterLabelled(acme.project, "roster:contractor", "view", mallory)
		Expect(env.As(bob).Create(ctx, rb)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKeyFromObject(rb), &rbacv1.RoleBinding{}))
		}).Should(BeTrue(), "Roster left a RoleBinding labelled as its own that it did not render")
		Expect(canI(mallory, "get", "", "configmaps", acme.project)).To(BeFalse())
		waitConverged(acme)
	})

	It("an outsider the admin added to Roster's RoleBinding is removed again", func() {
		rb := &rbacv1.RoleBinding{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.project, Name: "roster:viewer"}, rb)).To(Succeed())
		rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: mallory})
		Expect(env.As(bob).Update(ctx, rb)).To(Succeed())
		Eventually(func() bool { return canI(mallory, "get", "", "secrets", acme.project) }).Should(BeFalse())
		waitConverged(acme)
	})

	It("a Roster binding the admin deleted is put back", func() {
		rb := &rbacv1.RoleBinding{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.project, Name: "roster:contributor"}, rb)).To(Succeed())
		Expect(env.As(bob).Delete(ctx, rb)).To(Succeed())
		Eventually(func() bool { return canI(carol, "create", "", "configmaps", acme.project) }).Should(BeTrue())
		waitConverged(acme)
	})
})

func rosterLabels(org string) map[string]string {
	return map[string]string{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue, "orgs.roster.dev/access-for": org}
}

// rosterLabelled is a RoleBinding that carries Roster's labels.
func rosterLabelled(namespace, name, clusterRole, user string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: rosterLabels(acme.name)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
}

// An Organization is its UID, not its name. Deleting an organization and
// creating another of the same name must hand the new one nothing of the
// old: not the namespaces still labelled for the name (with their
// Secrets), not a home namespace still holding the old Members. These
// specs use organizations of their own and remove them.
var _ = Describe("Inheriting a deleted organization by its name", func() {
	group := orgsv1alpha1.GroupVersion.Group

	newOrganization := func(name, home string) *orgsv1alpha1.Organization {
		GinkgoHelper()
		o := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: orgsv1alpha1.OrganizationSpec{HomeNamespace: home}}
		Expect(env.Admin.Create(ctx, o)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.HomeNamespaceName()}, &corev1.Namespace{})).To(Succeed())
		}).Should(Succeed())
		return o
	}
	// deleteOrganization deletes an organization (confirming, as its
	// Members require) and waits until it is gone.
	deleteOrganization := func(name string) {
		GinkgoHelper()
		o := &orgsv1alpha1.Organization{}
		if apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: name}, o)) {
			return
		}
		Expect(mergePatch(env.Admin, o, func(o *orgsv1alpha1.Organization) {
			o.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: name}
		})).To(Succeed())
		Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, o))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: name}, &orgsv1alpha1.Organization{}))
		}).Should(BeTrue())
	}
	get := func(name string) *corev1.Namespace {
		GinkgoHelper()
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
		return ns
	}
	deleteNamespace := func(name string) {
		_ = env.Admin.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}
	condition := func(name, conditionType string) *metav1.Condition {
		GinkgoHelper()
		o := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, o)).To(Succeed())
		return meta.FindStatusCondition(o.Status.Conditions, conditionType)
	}

	It("a new organization's Viewer cannot read the Secrets of a project attached to the deleted one, until a cluster admin re-attaches it", func() {
		const name, vault = "relic", "relic-vault"
		const owner, viewer = "rhea@example.com", "vic@example.com"
		DeferCleanup(deleteNamespace, vault)
		DeferCleanup(deleteOrganization, name)

		By("the first relic, with a project that holds a Secret")
		first := newOrganization(name, "")
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: vault, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: name},
		}})).To(Succeed())
		Expect(env.Admin.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: vault, Name: "keys"},
			StringData: map[string]string{"key": "the first relic's"}})).To(Succeed())

		By("deleting it: the project keeps its label and its Secret")
		deleteOrganization(name)
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: first.HomeNamespaceName()}, &corev1.Namespace{}))
		}).Should(BeTrue(), "the first relic's home namespace is gone")
		Expect(get(vault).Labels).To(HaveKeyWithValue(orgsv1alpha1.OrganizationLabel, name))

		By("a new relic, with an Owner and a Viewer of its own")
		second := newOrganization(name, "")
		Expect(second.UID).NotTo(Equal(first.UID))
		home := second.HomeNamespaceName()
		Expect(env.Admin.Create(ctx, testenv.NewMember(home, "rhea", owner, orgsv1alpha1.RoleOwner))).To(Succeed())
		Expect(env.Admin.Create(ctx, testenv.NewMember(home, "vic", viewer, orgsv1alpha1.RoleViewer))).To(Succeed())
		Eventually(func() error { return env.RoleInEffect(ctx, viewer, name, home, orgsv1alpha1.RoleViewer) }).Should(Succeed())

		Consistently(func() bool { return canI(viewer, "get", "", "secrets", vault) }, "2s").Should(BeFalse(),
			"the new relic inherited the deleted relic's project")
		Expect(canI(owner, "create", "apps", "deployments", vault)).To(BeFalse())
		c := condition(name, orgsv1alpha1.ProjectsAttachedCondition)
		Expect(c).NotTo(BeNil())
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Message).To(ContainSubstring(vault))
		Expect(c.Message).To(ContainSubstring("kubectl annotate namespace %s %s=%s --overwrite", vault, orgsv1alpha1.OrganizationUIDAnnotation, second.UID))

		By("a cluster admin re-attaching it, with the command the condition gives")
		Expect(mergePatch(env.Admin, get(vault), func(n *corev1.Namespace) {
			if n.Annotations == nil {
				n.Annotations = map[string]string{}
			}
			n.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] = string(second.UID)
		})).To(Succeed())
		Eventually(func() bool { return canI(viewer, "get", "", "secrets", vault) }).Should(BeTrue())
		Eventually(func() metav1.ConditionStatus { return condition(name, orgsv1alpha1.ProjectsAttachedCondition).Status }).Should(Equal(metav1.ConditionTrue))
	})

	It("an Owner who may attach namespaces records a UID that is not the organization's", func() {
		const name, shop, owner = "forge", "forge-shop", "fay@example.com"
		DeferCleanup(deleteNamespace, shop)
		DeferCleanup(deleteOrganization, name)
		o := newOrganization(name, "")
		Expect(env.Admin.Create(ctx, testenv.NewMember(o.HomeNamespaceName(), "fay", owner, orgsv1alpha1.RoleOwner))).To(Succeed())
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: shop}}
		createIgnoringExisting(ns)
		// fay may attach shop: she could create the RoleBindings herself.
		grantCluster(owner, "label-namespaces-fay", rbacRule("", "namespaces", "get", "patch"))
		grantInNamespace(owner, shop, "attach-shop", rbacRule(rbacv1.GroupName, "rolebindings", "create"),
			rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}})
		Eventually(func() error { return env.RoleInEffect(ctx, owner, name, o.HomeNamespaceName(), orgsv1alpha1.RoleOwner) }).Should(Succeed())
		globexUID := string(organization(globex).UID)

		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(env.As(owner), get(shop), func(n *corev1.Namespace) {
				labelled(n, name)
				n.Annotations = map[string]string{orgsv1alpha1.OrganizationUIDAnnotation: globexUID}
			})
		}, fmt.Sprintf(`annotation orgs.roster.dev/organization-uid of namespace "forge-shop" is %q, but organization "forge" has UID %q`, globexUID, o.UID))

		By("attaching it without forging: Roster records the UID")
		Expect(mergePatch(env.As(owner), get(shop), func(n *corev1.Namespace) { labelled(n, name) })).To(Succeed())
		Expect(get(shop).Annotations).To(HaveKeyWithValue(orgsv1alpha1.OrganizationUIDAnnotation, string(o.UID)))

		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return jsonPatch(env.As(owner), get(shop), `[{"op":"replace","path":"/metadata/annotations/orgs.roster.dev~1organization-uid","value":"00000000-0000-0000-0000-000000000000"}]`)
		}, `annotation orgs.roster.dev/organization-uid of namespace "forge-shop" is "00000000-0000-0000-0000-000000000000"`)
	})

	It("a new organization whose home still holds a deleted one's Member grants that Member nothing", func() {
		const name, home, old = "heir", "heir-home", "olaf@example.com"
		DeferCleanup(deleteNamespace, home)
		DeferCleanup(deleteOrganization, name)
		// A namespace of its own that Roster adopts: deleting the
		// organization leaves it, Members and all.
		createIgnoringExisting(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: home}})

		By("the first heir, whose Owner is olaf")
		newOrganization(name, home)
		Expect(env.Admin.Create(ctx, testenv.NewMember(home, "olaf", old, orgsv1alpha1.RoleOwner))).To(Succeed())
		Eventually(func() error { return env.RoleInEffect(ctx, old, name, home, orgsv1alpha1.RoleOwner) }).Should(Succeed())

		By("deleting it: olaf's Member stays in the namespace")
		deleteOrganization(name)
		Eventually(func() bool { return holds(old, "get", name) }).Should(BeFalse())
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: "olaf"}, &orgsv1alpha1.Member{})).To(Succeed())

		By("a new heir with the same home namespace")
		newOrganization(name, home)
		Eventually(func() *metav1.Condition { return condition(name, orgsv1alpha1.HomeNamespaceReadyCondition) }).ShouldNot(BeNil())
		Consistently(func() bool {
			return holds(old, "get", name) || holds(old, orgsv1alpha1.VerbManageOwners, name) ||
				canI(old, "create", group, "members", home)
		}, "3s").Should(BeFalse(), "the deleted heir's Owner became the new heir's")
		c := condition(name, orgsv1alpha1.HomeNamespaceReadyCondition)
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Reason).To(Equal(orgsv1alpha1.HomeNamespaceStaleReason))
		Expect(c.Message).To(ContainSubstring("kubectl delete members,invitations --all -n heir-home"))

		By("deleting the old Member, as the condition says: the home is adopted")
		Expect(env.Admin.Delete(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "olaf"}})).To(Succeed())
		Eventually(func() metav1.ConditionStatus { return condition(name, orgsv1alpha1.HomeNamespaceReadyCondition).Status }).Should(Equal(metav1.ConditionTrue))
		Expect(holds(old, "get", name)).To(BeFalse())
	})
})

// labelled adds the project label for org to ns.
func labelled(ns *corev1.Namespace, org string) *corev1.Namespace {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[orgsv1alpha1.OrganizationLabel] = org
	return ns
}
