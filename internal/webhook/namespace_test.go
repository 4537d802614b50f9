package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("Attaching a namespace to an organization", func() {
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	// labeller may patch namespaces and create RoleBindings in ns, but not bind admin.
	grantLabelling := func(user, ns string, bind bool) {
		GinkgoHelper()
		name := "label-" + ns
		rules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "patch", "update"}}}
		Expect(env.Admin.Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules})).To(Succeed())
		Expect(env.Admin.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}},
		})).To(Succeed())
		nsRules := []rbacv1.PolicyRule{{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"rolebindings"}, Verbs: []string{"create"}}}
		if bind {
			nsRules = append(nsRules, rbacv1.PolicyRule{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"},
				ResourceNames: []string{"admin", "edit", "view", "roster-viewer"}})
		}
		Expect(env.Admin.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: nsRules})).To(Succeed())
		Expect(env.Admin.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user}},
		})).To(Succeed())
	}
	attach := func(c client.Client, ns, org string) error {
		n := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: ns}, n)).To(Succeed())
		patch := client.MergeFrom(n.DeepCopy())
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels[orgsv1alpha1.OrganizationLabel] = org
		return c.Patch(ctx, n, patch)
	}
	namespace := func(name string) *corev1.Namespace {
		GinkgoHelper()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		Expect(env.Admin.Create(ctx, ns)).To(Succeed())
		return ns
	}

	It("refuses someone who could not create the RoleBindings attaching makes", func() {
		ns := namespace(o.name + "-victim")
		grantLabelling("lou@example.com", ns.Name, false)
		refusedUnchanged(ns, func() error { return attach(env.As("lou@example.com"), ns.Name, o.name) },
			`user "lou@example.com" may not attach namespace`, "admin, edit, roster-viewer, view")
		Consistently(func() bool {
			return canDo(owner, "get", "", "secrets", ns.Name)
		}, "1s").Should(BeFalse())
	})

	It("lets someone who could bind those roles attach, and the members get access", func() {
		ns := namespace(o.name + "-own")
		grantLabelling("lou@example.com", ns.Name, true)
		Expect(attach(env.As("lou@example.com"), ns.Name, o.name)).To(Succeed())
		Eventually(func() bool { return canDo(viewer, "get", "", "secrets", ns.Name) }).Should(BeTrue())
	})

	It("refuses a home namespace, a system namespace and Roster's own, even to cluster admins", func() {
		other := newOrg()
		for ns, says := range map[string]string{other.home: "home namespace", "kube-system": "system namespace", "default": "system namespace"} {
			n := &corev1.Namespace{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: ns}, n)).To(Succeed())
			refusedUnchanged(n, func() error { return attach(env.Admin, ns, o.name) }, says)
		}
		own := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "roster-system", Labels: map[string]string{orgsv1alpha1.OrganizationLabel: o.name}}}
		refusedUnchanged(own, func() error { return env.Admin.Create(ctx, own.DeepCopy()) }, "Roster's own namespace")
	})

	It("records the Organization's UID, also for a namespace labelled before its Organization exists (GitOps applies Namespaces first)", func() {
		ns := namespace(o.name + "-uid")
		Expect(attach(env.Admin, ns.Name, o.name)).To(Succeed())
		org := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, org)).To(Succeed())
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(ns), ns)).To(Succeed())
		Expect(ns.Annotations).To(HaveKeyWithValue(orgsv1alpha1.OrganizationUIDAnnotation, string(org.UID)))

		later := testenv.UniqueName("later")
		early := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: later + "-web", Labels: map[string]string{orgsv1alpha1.OrganizationLabel: later}}}
		Expect(env.Admin.Create(ctx, early)).To(Succeed())
		Expect(early.Annotations).To(HaveKeyWithValue(orgsv1alpha1.OrganizationUIDAnnotation, orgsv1alpha1.OrganizationUIDPending))
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: later}})).To(Succeed())
		Eventually(func(g Gomega) {
			created := &orgsv1alpha1.Organization{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: later}, created)).To(Succeed())
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(early), early)).To(Succeed())
			g.Expect(early.Annotations).To(HaveKeyWithValue(orgsv1alpha1.OrganizationUIDAnnotation, string(created.UID)))
			g.Expect(created.Status.Projects).To(BeEquivalentTo(1))
		}).Should(Succeed())
	})

	It("does not stand in the way of other namespace changes", func() {
		ns := namespace(o.name + "-plain")
		patch := client.MergeFrom(ns.DeepCopy())
		ns.Labels = map[string]string{"team": "web"}
		Expect(env.Admin.Patch(ctx, ns, patch)).To(Succeed())
	})
})
