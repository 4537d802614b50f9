package security_test

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// byProjectWebhookInvalid: the Project webhook refused a field's value.
var byProjectWebhookInvalid = refusal{layer: "webhook vproject.roster.dev", is: apierrors.IsInvalid,
	shows: `admission webhook "vproject.roster.dev" denied the request`}

// Projects: only Owners, Admins and Contributors of the organization whose
// home holds the Project create, change or delete it; names cannot
// collide across organizations or with namespaces Roster did not make;
// status is Roster's; a Project's namespace cannot be detached.
var _ = Describe("Projects", Ordered, func() {
	proj := org{name: "proj", home: "org-proj", members: []person{
		{"pia", "pia@example.com", orgsv1alpha1.RoleOwner},
		{"cody", "cody@example.com", orgsv1alpha1.RoleContributor},
		{"vic", "vic@example.com", orgsv1alpha1.RoleViewer},
		{"nico", "nico@example.com", orgsv1alpha1.RoleViewerNoSecrets},
	}}
	// projShop's name makes its namespaces collide with proj's project shop:
	// proj-shop-dev is proj's shop/dev and proj-shop's dev.
	projShop := org{name: "proj-shop", home: "org-proj-shop", members: []person{
		{"sam", "sam@example.com", orgsv1alpha1.RoleOwner},
	}}
	const cody, vic, nico, sam = "cody@example.com", "vic@example.com", "nico@example.com", "sam@example.com"
	byProjectWebhook := byWebhook("vproject.roster.dev")
	newProject := func(namespace, name string, envs ...string) *orgsv1alpha1.Project {
		return &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: orgsv1alpha1.ProjectSpec{Environments: envs}}
	}
	var shop *orgsv1alpha1.Project

	BeforeAll(func() {
		createOrg(proj)
		createOrg(projShop)
		shop = newProject(proj.home, "shop", "dev")
		Expect(env.As(cody).Create(ctx, shop)).To(Succeed())
	})

	It("a Viewer creates a Project", func() {
		p := newProject(proj.home, "web", "dev")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.As(vic).Create(ctx, p) },
			`user "vic@example.com" may not create Project "web" in organization "proj": is Viewer there`,
			`row "Create - Update - Delete projects"`)
	})
	It("a Viewer creates a Project in a dry run", func() {
		p := newProject(proj.home, "web", "dev")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.As(vic).Create(ctx, p, client.DryRunAll) },
			"is Viewer there", "Create - Update - Delete projects")
	})
	It("a ViewerNoSecrets deletes a Project", func() {
		refusedKeeping([]client.Object{shop}, byProjectWebhook, func() error { return env.As(nico).Delete(ctx, shop.DeepCopy()) },
			`may not delete Project "shop"`, "is ViewerNoSecrets there")
	})
	It("a Viewer adds an environment", func() {
		refusedKeeping([]client.Object{shop}, byProjectWebhook, func() error {
			return mergePatch(env.As(vic), shop.DeepCopy(), func(p *orgsv1alpha1.Project) { p.Spec.Environments = append(p.Spec.Environments, "prod") })
		}, `may not update Project "shop"`, "Create - Update - Delete projects")
	})
	It("a Contributor creates a Project in another organization", func() {
		p := newProject(globex.home, "web")
		refusedKeeping([]client.Object{p}, byRBAC, func() error { return env.As(cody).Create(ctx, p) },
			rbacMessage(cody, "create", "projects"))
	})
	It("an Owner of one organization, Viewer of another, creates a Project in the other", func() {
		p := newProject(globex.home, "web")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.As(alice).Create(ctx, p) },
			`organization "globex": is Viewer there`)
	})
	It("a Contributor forges a Project's status", func() {
		refusedKeeping([]client.Object{shop}, byRBAC, func() error {
			p := shop.DeepCopy()
			Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
			p.Status.Namespaces = []orgsv1alpha1.ProjectNamespaceStatus{{Name: acme.project, UID: "forged", Phase: "Active"}}
			return env.As(cody).Status().Update(ctx, p)
		}, "projects/status")
	})
	It("a Contributor creates a case variant of a Project's name", func() {
		p := newProject(proj.home, "Shop", "dev")
		refusedKeeping([]client.Object{p}, bySchema, func() error { return env.As(cody).Create(ctx, p) }, "RFC 1123")
	})
	It("a Contributor creates a Unicode variant of a Project's name", func() {
		p := newProject(proj.home, "sh\u043ep", "dev") // Cyrillic o
		refusedKeeping([]client.Object{p}, bySchema, func() error { return env.As(cody).Create(ctx, p) }, "RFC 1123")
	})
	It("a Contributor creates a Project whose name is no DNS label", func() {
		p := newProject(proj.home, "shop.dev")
		refusedKeeping([]client.Object{p}, bySchema, func() error { return env.As(cody).Create(ctx, p) }, "must be a DNS label")
	})
	It("an Owner of another organization takes a Project's namespace name", func() {
		p := newProject(projShop.home, "dev")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.As(sam).Create(ctx, p) },
			`would need namespace "proj-shop-dev", which Project org-proj/shop already derives`)
	})
	It("a Contributor names a Project after a namespace Roster did not make", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "proj-legacy"}}
		Expect(env.Admin.Create(ctx, ns)).To(Succeed())
		p := newProject(proj.home, "legacy")
		refusedKeeping([]client.Object{p, ns}, byProjectWebhook, func() error { return env.As(cody).Create(ctx, p) },
			`namespace "proj-legacy", which exists and was not created by Roster for this Project (Roster never adopts a namespace)`)
	})
	It("a Contributor asks for a namespace name over 63 characters", func() {
		p := newProject(proj.home, "a-very-long-project-name-for-the-namespace", "a-long-environment")
		refusedKeeping([]client.Object{p}, byProjectWebhookInvalid, func() error { return env.As(cody).Create(ctx, p) },
			"Kubernetes allows 63")
	})
	// madeNamespace waits until Roster has made p's namespace name and
	// returns it.
	madeNamespace := func(p *orgsv1alpha1.Project, name string) *corev1.Namespace {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			got := &orgsv1alpha1.Project{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
			g.Expect(got.Status.Namespaces).To(ContainElement(And(
				HaveField("Name", name), HaveField("Phase", string(corev1.NamespaceActive)), Not(HaveField("UID", BeEmpty())))))
		}).Should(Succeed())
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
		return ns
	}
	readyReason := func(p *orgsv1alpha1.Project) func(g Gomega) string {
		return func(g Gomega) string {
			got := &orgsv1alpha1.Project{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
			ready := meta.FindStatusCondition(got.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			return ready.Reason
		}
	}

	It("a Contributor derives another Project's namespace within the organization", func() {
		// shop-dev without environments wants proj-shop-dev, shop's dev.
		p := newProject(proj.home, "shop-dev")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.As(cody).Create(ctx, p) },
			`would need namespace "proj-shop-dev", which Project org-proj/shop already derives`)
	})
	It("a cluster admin creates a Project outside a home namespace", func() {
		// acme-web is a namespace attached to acme, not a home.
		p := newProject(acme.project, "web")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return env.Admin.Create(ctx, p) },
			`namespace "acme-web" is not the home namespace of any Organization`)
	})
	It("a Viewer forges the confirmation to delete a Project's namespaces", func() {
		refusedKeeping([]client.Object{shop}, byProjectWebhook, func() error {
			return mergePatch(env.As(vic), shop.DeepCopy(), func(p *orgsv1alpha1.Project) {
				p.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: "proj-shop-dev"}
			})
		}, `user "vic@example.com" may not update Project "shop"`, "is Viewer there")
	})
	It("an Owner loosens a project namespace's Pod Security label", func() {
		ns := madeNamespace(shop, "proj-shop-dev")
		refusedKeeping([]client.Object{ns}, byRBAC, func() error {
			return mergePatch(env.As(proj.members[0].user), ns.DeepCopy(), func(n *corev1.Namespace) {
				n.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
			})
		}, rbacMessage(proj.members[0].user, "patch", "namespaces"))
	})
	It("an Owner deletes a project namespace's roster-contents ResourceQuota", func() {
		madeNamespace(shop, "proj-shop-dev")
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "proj-shop-dev", Name: "roster-contents"}}
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKeyFromObject(q), &corev1.ResourceQuota{}) }).Should(Succeed())
		refusedKeeping([]client.Object{q}, byRBAC, func() error { return env.As(proj.members[0].user).Delete(ctx, q.DeepCopy()) },
			rbacMessage(proj.members[0].user, "delete", "resourcequotas"))
	})
	It("a cluster admin moves a Project's namespace to another organization", func() {
		ns := madeNamespace(shop, "proj-shop-dev")
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(env.Admin, ns.DeepCopy(), func(n *corev1.Namespace) { n.Labels[orgsv1alpha1.OrganizationLabel] = acme.name })
		}, `namespace "proj-shop-dev" is a namespace of Project "shop" of organization "proj"`, "label orgs.roster.dev/organization cannot be removed or changed")
	})
	It("a cluster admin rewrites a project namespace's project-uid, and Roster restores it", func() {
		ns := madeNamespace(shop, "proj-shop-dev")
		uid := ns.Annotations[orgsv1alpha1.ProjectUIDAnnotation]
		Expect(uid).NotTo(BeEmpty())
		Expect(mergePatch(env.Admin, ns.DeepCopy(), func(n *corev1.Namespace) { n.Annotations[orgsv1alpha1.ProjectUIDAnnotation] = "forged" })).To(Succeed())
		Eventually(func(g Gomega) string {
			got := &corev1.Namespace{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(ns), got)).To(Succeed())
			return got.Annotations[orgsv1alpha1.ProjectUIDAnnotation]
		}).Should(Equal(uid))
		Eventually(readyReason(shop)).Should(Equal(orgsv1alpha1.ReadyReason))
	})
	It("a cluster admin forges a pre-created namespace's project-uid for a Contributor to add", func() {
		// Anyone who may create namespaces can write the annotation: it
		// makes nothing the Project's, so admission refuses the name too.
		current := &orgsv1alpha1.Project{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(shop), current)).To(Succeed())
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "proj-shop-qa", Annotations: map[string]string{
			orgsv1alpha1.ProjectUIDAnnotation: string(current.UID)}}}
		Expect(env.Admin.Create(ctx, ns)).To(Succeed())
		refusedKeeping([]client.Object{current, ns}, byProjectWebhook, func() error {
			return mergePatch(env.As(cody), current.DeepCopy(), func(p *orgsv1alpha1.Project) { p.Spec.Environments = append(p.Spec.Environments, "qa") })
		}, `namespace "proj-shop-qa", which exists and was not created by Roster for this Project`)
	})
	It("a Contributor removes a deleted Project's finalizer to leave its namespace behind", func() {
		keep := newProject(proj.home, "keep")
		Expect(env.As(cody).Create(ctx, keep)).To(Succeed())
		ns := madeNamespace(keep, "proj-keep")
		// What it holds keeps the deletion waiting for the confirmation.
		Expect(env.Admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "proj-keep", Name: "settings"}})).To(Succeed())
		// Once Kubernetes has counted it (the quota controller counts from
		// its informers, which may not have seen a ConfigMap made at once).
		Eventually(func(g Gomega) {
			var cms corev1.ConfigMapList
			g.Expect(env.Admin.List(ctx, &cms, client.InNamespace("proj-keep"))).To(Succeed())
			q := &corev1.ResourceQuota{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: "proj-keep", Name: "roster-contents"}, q)).To(Succeed())
			used := q.Status.Used["count/configmaps"]
			g.Expect(used.Value()).To(BeEquivalentTo(len(cms.Items)))
		}).Should(Succeed())
		// A finalizer of someone else's keeps the namespace Terminating once
		// deleted, for the last step.
		const held = "example.com/hold"
		Expect(mergePatch(env.Admin, ns, func(n *corev1.Namespace) { n.Finalizers = append(n.Finalizers, held) })).To(Succeed())
		DeferCleanup(func() {
			Expect(mergePatch(env.Admin, ns, func(n *corev1.Namespace) { n.Finalizers = nil })).To(Succeed())
		})
		Expect(env.As(cody).Delete(ctx, keep.DeepCopy())).To(Succeed())
		Eventually(readyReason(keep)).Should(Equal(orgsv1alpha1.DeletionNeedsConfirmationReason))
		current := &orgsv1alpha1.Project{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(keep), current)).To(Succeed())
		refusedKeeping([]client.Object{current, ns}, byProjectWebhook, func() error {
			return mergePatch(env.As(cody), current.DeepCopy(), func(p *orgsv1alpha1.Project) { p.Finalizers = nil })
		}, `Project "keep"`, "proj-keep", orgsv1alpha1.ProjectFinalizer)

		By("the confirmation lets Roster delete the namespace and release the Project")
		Expect(mergePatch(env.As(cody), current.DeepCopy(), func(p *orgsv1alpha1.Project) {
			p.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: "proj-keep"}
		})).To(Succeed())
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKeyFromObject(keep), &orgsv1alpha1.Project{}) }).Should(Satisfy(apierrors.IsNotFound))

		By("a Project recreated with the same name does not take over the old one's namespace")
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(ns), ns)).To(Succeed())
			g.Expect(ns.DeletionTimestamp).NotTo(BeNil())
		}).Should(Succeed())
		again := newProject(proj.home, "keep")
		refusedKeeping([]client.Object{again, ns}, byProjectWebhook, func() error { return env.As(cody).Create(ctx, again) },
			`namespace "proj-keep", which exists and was not created by Roster for this Project`)
	})
	It("Contributors create Projects at once past maxProjects", func() {
		// shop is the organization's one Project; the bound leaves room for two.
		pia := proj.members[0].user
		Expect(mergePatch(env.As(pia), organization(proj), func(o *orgsv1alpha1.Organization) {
			o.Spec.Projects = &orgsv1alpha1.ProjectPolicy{MaxProjects: ptr.To[int32](3)}
		})).To(Succeed())
		DeferCleanup(func() {
			Expect(mergePatch(env.As(pia), organization(proj), func(o *orgsv1alpha1.Organization) { o.Spec.Projects = nil })).To(Succeed())
		})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var created []*orgsv1alpha1.Project
		for i := range 5 {
			wg.Go(func() {
				defer GinkgoRecover()
				p := newProject(proj.home, fmt.Sprintf("race-%d", i))
				if err := env.As(cody).Create(ctx, p); err == nil {
					mu.Lock()
					created = append(created, p)
					mu.Unlock()
				} else {
					Expect(err.Error()).To(ContainSubstring("spec.projects.maxProjects"))
				}
			})
		}
		wg.Wait()
		for _, p := range created {
			DeferCleanup(func() { Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, p))).To(Succeed()) })
		}
		Expect(len(created)).To(BeNumerically(">=", 2))
		// Admission may let more through than the bound; then the oldest
		// (creation time, then name) get namespaces and the others none.
		var all orgsv1alpha1.ProjectList
		Expect(env.Admin.List(ctx, &all, client.InNamespace(proj.home))).To(Succeed())
		sort.Slice(all.Items, func(i, j int) bool {
			a, b := all.Items[i].CreationTimestamp, all.Items[j].CreationTimestamp
			if !a.Equal(&b) {
				return a.Before(&b)
			}
			return all.Items[i].Name < all.Items[j].Name
		})
		for i := range all.Items {
			p := &all.Items[i]
			ns := policy.ProjectNamespaceFor(proj.name, p.Name, "")
			if p.Name == "shop" {
				continue
			}
			if i < 3 {
				madeNamespace(p, ns)
				continue
			}
			Eventually(readyReason(p)).Should(Equal(orgsv1alpha1.ProjectLimitExceededReason))
			Consistently(func(g Gomega) {
				got := &orgsv1alpha1.Project{}
				g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
				g.Expect(got.Status.Namespaces).To(BeEmpty())
				g.Expect(apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: ns}, &corev1.Namespace{}))).To(BeTrue(), "%s was made", ns)
			}).WithTimeout(2 * time.Second).Should(Succeed())
		}
	})
	It("a cluster admin detaches a Project's namespace", func() {
		// A namespace labelled as a Project's, of an organization that does
		// not exist, so that nothing reconciles it during the attempt.
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nobody-web", Labels: map[string]string{
			orgsv1alpha1.OrganizationLabel: "nobody", orgsv1alpha1.ProjectLabel: "web"}}}
		Expect(env.Admin.Create(ctx, ns)).To(Succeed())
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(env.Admin, ns.DeepCopy(), func(n *corev1.Namespace) { delete(n.Labels, orgsv1alpha1.OrganizationLabel) })
		}, `namespace "nobody-web" is a namespace of Project "web" of organization "nobody"`, "cannot be removed or changed")
		refusedKeeping([]client.Object{ns}, byNamespaceGuard, func() error {
			return mergePatch(env.Admin, ns.DeepCopy(), func(n *corev1.Namespace) { delete(n.Labels, orgsv1alpha1.ProjectLabel) })
		}, "label orgs.roster.dev/project cannot be removed")
	})
})
