package project_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("Projects", Ordered, func() {
	var o testenv.Org
	key := func(name string) client.ObjectKey { return client.ObjectKey{Namespace: o.Home, Name: name} }
	newProject := func(name string, envs ...string) *orgsv1alpha1.Project {
		return &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: o.Home, Name: name}, Spec: orgsv1alpha1.ProjectSpec{Environments: envs}}
	}
	ready := func(name string) *orgsv1alpha1.Project {
		GinkgoHelper()
		p := &orgsv1alpha1.Project{}
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, key(name), p)).To(Succeed())
			g.Expect(p.Status.ObservedGeneration).To(Equal(p.Generation))
			g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "%v", p.Status.Conditions)
		}).Should(Succeed())
		return p
	}

	BeforeAll(func() {
		o = env.NewOrg(ctx, &orgsv1alpha1.Organization{
			ObjectMeta: metav1.ObjectMeta{Name: "acme"},
			Spec: orgsv1alpha1.OrganizationSpec{Projects: &orgsv1alpha1.ProjectPolicy{
				MaxProjects:     ptr.To[int32](2),
				NamespaceLabels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"},
			}},
		}, testenv.Team...)
	})

	It("a Contributor creates a project with two environments: two namespaces, everyone's access in both", func() {
		Expect(env.As(testenv.Carol).Create(ctx, newProject("web", "dev", "prod"))).To(Succeed())
		p := ready("web")
		Expect(p.Status.Namespaces).To(HaveLen(2))
		for i, name := range []string{"acme-web-dev", "acme-web-prod"} {
			Expect(p.Status.Namespaces[i].Name).To(Equal(name))
			Expect(p.Status.Namespaces[i].Phase).To(Equal("Active"))
			ns := &corev1.Namespace{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
			Expect(ns.UID).To(Equal(p.Status.Namespaces[i].UID))
			Expect(ns.Labels).To(HaveKeyWithValue(orgsv1alpha1.OrganizationLabel, "acme"))
			Expect(ns.Labels).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "baseline"))
		}
		// Every role's access, by SubjectAccessReview, in both namespaces.
		secrets := map[orgsv1alpha1.Role]bool{
			orgsv1alpha1.RoleOwner: true, orgsv1alpha1.RoleAdmin: true, orgsv1alpha1.RoleContributor: true,
			orgsv1alpha1.RoleViewer: true, orgsv1alpha1.RoleViewerNoSecrets: false,
		}
		Eventually(func(g Gomega) {
			for _, person := range testenv.Team {
				for _, ns := range []string{"acme-web-dev", "acme-web-prod"} {
					for _, c := range []struct {
						attrs authorizationv1.ResourceAttributes
						want  bool
					}{
						{authorizationv1.ResourceAttributes{Resource: "secrets", Verb: "get", Namespace: ns}, secrets[person.Role]},
						{authorizationv1.ResourceAttributes{Resource: "configmaps", Verb: "list", Namespace: ns}, true},
						{authorizationv1.ResourceAttributes{Group: "apps", Resource: "deployments", Verb: "create", Namespace: ns},
							person.Role.Rank() >= orgsv1alpha1.RoleContributor.Rank()},
					} {
						allowed, err := testenv.Allowed(ctx, env.Admin, person.User, nil, c.attrs)
						g.Expect(err).NotTo(HaveOccurred())
						g.Expect(allowed).To(Equal(c.want), "%s (%s): %s %s in %s", person.User, person.Role, c.attrs.Verb, c.attrs.Resource, ns)
					}
				}
			}
		}).Should(Succeed())
	})

	// docs/permissions.md, "Configuration (project) permissions": every row
	// of the product's matrix as what each role may do in a project
	// namespace (SubjectAccessReview against the aggregated admin, edit and
	// view roles) or to a Project (a dry run through the webhook).
	It("maps every configuration row of the matrix to each role's access", func() {
		const ns = "acme-web-dev"
		all := func(orgsv1alpha1.Role) bool { return true }
		contributorUp := func(r orgsv1alpha1.Role) bool { return r.Rank() >= orgsv1alpha1.RoleContributor.Rank() }
		nobody := func(orgsv1alpha1.Role) bool { return false }
		attrs := func(resource string, verbs ...string) []authorizationv1.ResourceAttributes {
			var out []authorizationv1.ResourceAttributes
			for _, v := range verbs {
				out = append(out, authorizationv1.ResourceAttributes{Resource: resource, Verb: v, Namespace: ns})
			}
			return out
		}
		rows := []struct {
			row   string
			attrs []authorizationv1.ResourceAttributes
			may   func(orgsv1alpha1.Role) bool
		}{
			{"Switch projects (work in a project namespace)", attrs("pods", "list", "watch"), all},
			{"View project parameters (ConfigMaps)", attrs("configmaps", "get", "list", "watch"), all},
			{"View project templates (ConfigMaps labelled orgs.roster.dev/template=true)", attrs("configmaps", "get", "list", "watch"), all},
			{"View project secrets (Secrets)", attrs("secrets", "get", "list", "watch"),
				func(r orgsv1alpha1.Role) bool { return r != orgsv1alpha1.RoleViewerNoSecrets }},
			{"Create - Update - Delete project parameters and templates (ConfigMaps)", attrs("configmaps", "create", "update", "patch", "delete"), contributorUp},
			{"Secrets are config a Contributor writes", attrs("secrets", "create", "update", "delete"), contributorUp},
			{"Owners' bounds: ResourceQuotas and LimitRanges", append(attrs("resourcequotas", "create", "update", "delete"), attrs("limitranges", "create", "update", "delete")...), nobody},
		}
		Eventually(func(g Gomega) {
			for _, person := range testenv.Team {
				for _, row := range rows {
					for _, a := range row.attrs {
						allowed, err := testenv.Allowed(ctx, env.Admin, person.User, nil, a)
						g.Expect(err).NotTo(HaveOccurred())
						g.Expect(allowed).To(Equal(row.may(person.Role)), "row %q: %s (%s) %s %s in %s", row.row, person.User, person.Role, a.Verb, a.Resource, ns)
					}
				}
			}
		}).Should(Succeed())
		// "Create - Update - Delete projects" and "environments": the webhook
		// decides (RBAC lets every member ask, so the refusal names the row).
		for _, person := range testenv.Team {
			c := env.As(person.User)
			p := &orgsv1alpha1.Project{}
			Expect(c.Get(ctx, key("web"), p)).To(Succeed(), "every member lists and reads Projects")
			errs := map[string]error{
				"create a project":      c.Create(ctx, newProject("try", "dev"), client.DryRunAll),
				"add an environment":    c.Patch(ctx, p, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"environments":["dev","prod","qa"]}}`)), client.DryRunAll),
				"remove an environment": c.Patch(ctx, p, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"environments":["dev"]}}`)), client.DryRunAll),
				"delete a project":      c.Delete(ctx, newProject("web"), client.DryRunAll),
			}
			for what, err := range errs {
				if contributorUp(person.Role) {
					Expect(err).NotTo(HaveOccurred(), "%s (%s) may %s", person.User, person.Role, what)
					continue
				}
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s (%s) may not %s: %v", person.User, person.Role, what, err)
				Expect(err.Error()).To(ContainSubstring(`row "Create - Update - Delete projects"`))
			}
		}
		Expect(env.Admin.Get(ctx, key("web"), &orgsv1alpha1.Project{})).To(Succeed())
	})

	It("refuses a Viewer's create, naming the matrix row", func() {
		err := env.As(testenv.Dave).Create(ctx, newProject("dave", "dev"))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring(`row "Create - Update - Delete projects"`))
	})

	It("refuses a Contributor past maxProjects, naming the bound", func() {
		Expect(env.As(testenv.Carol).Create(ctx, newProject("api"))).To(Succeed())
		ready("api")
		err := env.As(testenv.Carol).Create(ctx, newProject("ops"))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("spec.projects.maxProjects"))
	})

	It("keeps an environment that holds a ConfigMap until the removal is confirmed", func() {
		Expect(env.As(testenv.Carol).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "acme-web-prod", Name: "settings"}})).To(Succeed())
		p := &orgsv1alpha1.Project{}
		Expect(env.As(testenv.Carol).Get(ctx, key("web"), p)).To(Succeed())
		p.Spec.Environments = []string{"dev"}
		Expect(env.As(testenv.Carol).Update(ctx, p)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, key("web"), p)).To(Succeed())
			c := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(orgsv1alpha1.DeletionNeedsConfirmationReason))
			g.Expect(c.Message).To(ContainSubstring("kubectl annotate project web -n org-acme orgs.roster.dev/confirm-delete-namespaces=acme-web-prod --overwrite"))
		}).Should(Succeed())
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "acme-web-prod"}, ns)).To(Succeed())
		Expect(ns.DeletionTimestamp).To(BeNil())

		patch := client.MergeFrom(p.DeepCopy())
		p.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: "acme-web-prod"}
		Expect(env.As(testenv.Carol).Patch(ctx, p, patch)).To(Succeed())
		p = ready("web")
		Expect(p.Status.Namespaces).To(HaveLen(1))
		Eventually(func(g Gomega) {
			err := env.Admin.Get(ctx, client.ObjectKey{Name: "acme-web-prod"}, ns)
			g.Expect(apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil).To(BeTrue(), "%v", err)
		}).Should(Succeed())
	})

	It("deletes a deleted project's namespaces", func() {
		Expect(env.As(testenv.Carol).Delete(ctx, newProject("api"))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(apierrors.IsNotFound(env.Admin.Get(ctx, key("api"), &orgsv1alpha1.Project{}))).To(BeTrue())
			ns := &corev1.Namespace{}
			err := env.Admin.Get(ctx, client.ObjectKey{Name: "acme-api"}, ns)
			g.Expect(apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil).To(BeTrue(), "%v", err)
		}).Should(Succeed())
	})
})

var _ = Describe("Deleting an Organization", func() {
	It("deletes its projects' namespaces once the Organization's own guard is satisfied", func() {
		o := env.NewOrg(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "gone"}}, testenv.Team[0], testenv.Team[2])
		Expect(env.As(testenv.Carol).Create(ctx, &orgsv1alpha1.Project{
			ObjectMeta: metav1.ObjectMeta{Namespace: o.Home, Name: "web"}, Spec: orgsv1alpha1.ProjectSpec{Environments: []string{"dev"}},
		})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "gone-web-dev"}, &corev1.Namespace{})).To(Succeed())
		}).Should(Succeed())

		org := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "gone"}, org)).To(Succeed())
		// The Organization's guard: it still has Members.
		err := env.As(testenv.Alice).Delete(ctx, org)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: "gone-web-dev"}, &corev1.Namespace{})).To(Succeed())

		patch := client.MergeFrom(org.DeepCopy())
		org.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: "gone"}
		Expect(env.As(testenv.Alice).Patch(ctx, org, patch)).To(Succeed())
		Expect(env.As(testenv.Alice).Delete(ctx, org)).To(Succeed())
		Eventually(func(g Gomega) {
			for _, name := range []string{o.Home, "gone-web-dev"} {
				ns := &corev1.Namespace{}
				err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "namespace %s: %v %v", name, err, ns.Status)
			}
		}).WithTimeout(90 * time.Second).Should(Succeed())
	})
})
