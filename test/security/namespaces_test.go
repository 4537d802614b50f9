package security_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

	labelled := func(ns *corev1.Namespace, org string) *corev1.Namespace {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[orgsv1alpha1.OrganizationLabel] = org
		return ns
	}
	get := func(name string) *corev1.Namespace {
		GinkgoHelper()
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
		return ns
	}

	It("creates a namespace already labelled for acme, without the rights to bind there", func() {
		ns := labelled(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lou-new"}}, acme.name)
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error { return as(lou).Create(ctx, ns.DeepCopy()) },
			`user "lou@example.com" may not attach namespace "lou-new" to organization "acme"`, "admin, edit, roster-viewer, view")
	})

	It("labels an existing namespace with a merge patch, without the rights to bind there", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lou-existing"}}
		createIgnoringExisting(ns)
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(as(lou), get(ns.Name), func(n *corev1.Namespace) { labelled(n, acme.name) })
		}, `may not attach namespace "lou-existing" to organization "acme"`)
		Expect(canI(mallory, "get", "", "secrets", ns.Name)).To(BeFalse())
	})

	It("moves globex's project to acme with a JSON patch, without the rights to bind there", func() {
		refused(byNamespaceGuard, func() error {
			return jsonPatch(as(lou), get(globex.project), `[{"op":"replace","path":"/metadata/labels/orgs.roster.dev~1organization","value":"acme"}]`)
		}, `may not attach namespace "globex-api" to organization "acme"`)
	})

	It("attaches globex's home namespace to acme", func() {
		refused(byNamespaceGuard, func() error {
			return mergePatch(as(lou), get(globex.home), func(n *corev1.Namespace) { labelled(n, acme.name) })
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
			return as(lou).SubResource("finalize").Update(ctx, n)
		}, `may not attach namespace "lou-finalize" to organization "acme"`)
	})
})

// Roster's RBAC is RBAC: whoever wants to grant access by hand meets the
// API server's escalation check, and whatever is labelled as Roster's but
// was not rendered by Roster is pruned.
var _ = Describe("Creating RBAC by hand to gain access", func() {
	It("the contributor creates a Roster-labelled RoleBinding in the project", func() {
		rb := rosterLabelled(acme.project, "roster:sneaky", "admin", carol)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return as(carol).Create(ctx, rb.DeepCopy()) },
			rbacMessage(carol, "create", "rolebindings"))
	})

	It("the admin binds the organization's owner ClusterRole to himself in the project", func() {
		rb := rosterLabelled(acme.project, "roster:owner-for-bob", "roster:org:acme:owner", bob)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return as(bob).Create(ctx, rb.DeepCopy()) },
			"is attempting to grant RBAC permissions not currently held", "manage-owners")
	})

	It("the admin binds the organization's owner ClusterRole to himself cluster-wide", func() {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "roster:org:acme:owner-bob", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster:org:acme:owner"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: bob}},
		}
		refusedKeeping([]client.Object{crb}, byRBAC, func() error { return as(bob).Create(ctx, crb.DeepCopy()) },
			rbacMessage(bob, "create", "clusterrolebindings"))
	})

	It("the admin adds manage-owners to the organization's admin ClusterRole", func() {
		refused(byRBAC, func() error {
			cr := &rbacv1.ClusterRole{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "roster:org:acme:admin"}, cr)).To(Succeed())
			cr.Rules[0].Verbs = append(cr.Rules[0].Verbs, orgsv1alpha1.VerbManageOwners)
			return as(bob).Update(ctx, cr)
		}, rbacMessage(bob, "update", "clusterroles"))
	})

	It("the admin binds himself in the home namespace beyond Members and Invitations", func() {
		rb := rosterLabelled(acme.home, "roster:home-admin", "admin", bob)
		refusedKeeping([]client.Object{rb}, byRBAC, func() error { return as(bob).Create(ctx, rb.DeepCopy()) },
			rbacMessage(bob, "create", "rolebindings"), `in the namespace "org-acme"`)
	})

	It("the admin adds an outsider to Roster's owner RoleBinding in globex's project", func() {
		refused(byRBAC, func() error {
			rb := &rbacv1.RoleBinding{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: globex.project, Name: "roster:owner"}, rb)).To(Succeed())
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: mallory})
			return as(bob).Update(ctx, rb)
		}, rbacMessage(bob, "update", "rolebindings"), `in the namespace "globex-api"`)
	})

	// What RBAC does let through: the admin holds admin in acme's project,
	// so the escalation check lets him bind admin, edit and view there. A
	// binding he labels as Roster's is not his to keep: Roster prunes what
	// it did not render, and puts back what it did.
	It("a binding the admin labelled as Roster's is pruned", func() {
		rb := rosterLabelled(acme.project, "roster:contractor", "view", mallory)
		Expect(as(bob).Create(ctx, rb)).To(Succeed())
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
		Expect(as(bob).Update(ctx, rb)).To(Succeed())
		Eventually(func() bool { return canI(mallory, "get", "", "secrets", acme.project) }).Should(BeFalse())
		waitConverged(acme)
	})

	It("a Roster binding the admin deleted is put back", func() {
		rb := &rbacv1.RoleBinding{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.project, Name: "roster:contributor"}, rb)).To(Succeed())
		Expect(as(bob).Delete(ctx, rb)).To(Succeed())
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
