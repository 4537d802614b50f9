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
	"k8s.io/apimachinery/pkg/api/resource"
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
		// Made at once, before the quota controller's first count may have
		// seen it: Roster has Kubernetes count again before it deletes.
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

// Projects by AccessTokens (CI making preview environments): a token acts
// with its effective role, the lower of its spec.role and its owner's
// current role, in its own organization only. And the Organization's
// ResourceQuota template is out of every member's and token's reach.
var _ = Describe("Projects by AccessTokens", Ordered, func() {
	tok := org{name: "tokproj", home: "org-tokproj", members: []person{
		{"tia", "tia@example.com", orgsv1alpha1.RoleOwner},
		{"cal", "cal@example.com", orgsv1alpha1.RoleContributor},
	}}
	other := org{name: "tokother", home: "org-tokother", members: []person{
		{"oz", "oz@example.com", orgsv1alpha1.RoleOwner},
	}}
	const tia, cal, oz = "tia@example.com", "cal@example.com", "oz@example.com"
	byProjectWebhook := byWebhook("vproject.roster.dev")
	newProject := func(o org, name string, envs ...string) *orgsv1alpha1.Project {
		return &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}, Spec: orgsv1alpha1.ProjectSpec{Environments: envs}}
	}
	newToken := func(o org, owner, name string, role orgsv1alpha1.Role) {
		GinkgoHelper()
		t := &orgsv1alpha1.AccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}, Spec: orgsv1alpha1.AccessTokenSpec{Role: role}}
		Expect(env.As(owner).Create(ctx, t)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(t), t)).To(Succeed())
			g.Expect(t.Status.Phase).To(Equal(orgsv1alpha1.AccessTokenReady))
		}).Should(Succeed())
	}
	var calCI, tiaRO, ozCI client.Client

	BeforeAll(func() {
		createOrg(tok)
		createOrg(other)
		o := organization(tok)
		patch := client.MergeFrom(o.DeepCopy())
		o.Spec.Projects = &orgsv1alpha1.ProjectPolicy{ResourceQuota: &corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("5")}}}
		Expect(env.Admin.Patch(ctx, o, patch)).To(Succeed())
		newToken(tok, cal, "cal-ci", "")
		newToken(tok, tia, "tia-ro", orgsv1alpha1.RoleViewer)
		newToken(other, oz, "oz-ci", "")
		calCI, tiaRO, ozCI = withToken(tok, cal, "cal-ci"), withToken(tok, tia, "tia-ro"), withToken(other, oz, "oz-ci")
	})

	It("a Contributor's token creates, changes and deletes a Project of its organization", func() {
		p := newProject(tok, "preview-1", "dev")
		Expect(calCI.Create(ctx, p)).To(Succeed())
		Expect(mergePatch(calCI, p, func(p *orgsv1alpha1.Project) { p.Spec.Environments = append(p.Spec.Environments, "qa") })).To(Succeed())
		Eventually(func(g Gomega) {
			q := &corev1.ResourceQuota{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: "tokproj-preview-1-dev", Name: "roster-quota"}, q)).To(Succeed())
		}).Should(Succeed())
	})
	It("a token and its Owner loosen the organization's ResourceQuota template in a project namespace", func() {
		q := &corev1.ResourceQuota{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: "tokproj-preview-1-dev", Name: "roster-quota"}, q)).To(Succeed())
		for _, c := range []struct {
			user   string
			client client.Client
		}{{"system:serviceaccount:org-tokproj:roster-token-cal-ci", calCI}, {tia, env.As(tia)}, {cal, env.As(cal)}} {
			refusedKeeping([]client.Object{q}, byRBAC, func() error {
				return mergePatch(c.client, q.DeepCopy(), func(q *corev1.ResourceQuota) { q.Spec.Hard["pods"] = resource.MustParse("1000") })
			}, rbacMessage(c.user, "patch", "resourcequotas"))
			refusedKeeping([]client.Object{q}, byRBAC, func() error { return c.client.Delete(ctx, q.DeepCopy()) },
				rbacMessage(c.user, "delete", "resourcequotas"))
		}
	})
	It("an Owner sets templates past the CRD's bounds", func() {
		o := organization(tok)
		hard := corev1.ResourceList{}
		for i := range 65 {
			hard[corev1.ResourceName(fmt.Sprintf("count/thing%d.example.com", i))] = resource.MustParse("1")
		}
		refusedKeeping([]client.Object{o}, bySchema, func() error {
			return mergePatch(env.As(tia), o.DeepCopy(), func(o *orgsv1alpha1.Organization) { o.Spec.Projects.ResourceQuota.Hard = hard })
		}, "spec.projects.resourceQuota.hard may have at most 64 entries")
		limits := make([]corev1.LimitRangeItem, 17)
		for i := range limits {
			limits[i] = corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: corev1.ResourceList{"cpu": resource.MustParse("1")}}
		}
		refusedKeeping([]client.Object{o}, bySchema, func() error {
			return mergePatch(env.As(tia), o.DeepCopy(), func(o *orgsv1alpha1.Organization) {
				o.Spec.Projects.LimitRange = &corev1.LimitRangeSpec{Limits: limits}
			})
		}, "spec.projects.limitRange.limits may have at most 16 entries")
	})
	It("an Owner's token limited to Viewer creates a Project", func() {
		p := newProject(tok, "preview-2")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return tiaRO.Create(ctx, p) },
			`user "system:serviceaccount:org-tokproj:roster-token-tia-ro" may not create Project "preview-2" in organization "tokproj"`,
			`AccessToken "tia-ro", which acts as Viewer`, `row "Create - Update - Delete projects"`)
	})
	It("an Owner's token limited to Viewer deletes a Project", func() {
		p := newProject(tok, "preview-1")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return tiaRO.Delete(ctx, p) },
			`may not delete Project "preview-1"`, "which acts as Viewer")
	})
	It("a token of another organization creates a Project", func() {
		p := newProject(tok, "preview-3")
		refusedKeeping([]client.Object{p}, byRBAC, func() error { return ozCI.Create(ctx, p) },
			rbacMessage("system:serviceaccount:org-tokother:roster-token-oz-ci", "create", "projects"))
	})
	It("a cluster admin named as another organization's token creates a Project", func() {
		// Past RBAC (system:masters), the webhook still sees a token of
		// another organization: a token's name acts with the token's role only.
		p := newProject(tok, "preview-4")
		forged := env.As("system:serviceaccount:org-tokother:roster-token-oz-ci", "system:serviceaccounts", "system:masters")
		refusedKeeping([]client.Object{p}, byProjectWebhook, func() error { return forged.Create(ctx, p) },
			"a token acts only in its own organization", `row "Create - Update - Delete projects"`)
	})
	It("a revoked token deletes a Project", func() {
		newToken(tok, cal, "cal-old", "")
		old := withToken(tok, cal, "cal-old")
		t := &orgsv1alpha1.AccessToken{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: tok.home, Name: "cal-old"}, t)).To(Succeed())
		Expect(mergePatch(env.As(cal), t, func(t *orgsv1alpha1.AccessToken) { t.Spec.Revoked = true })).To(Succeed())
		p := newProject(tok, "preview-1")
		// Its ServiceAccount is deleted: the value stops authenticating
		// (after the API server's token cache, up to 10 seconds).
		// Until then the webhook refuses it (it reads the token live).
		Eventually(func(g Gomega) {
			err := old.Delete(ctx, p.DeepCopy(), client.DryRunAll)
			if err == nil || (!apierrors.IsUnauthorized(err) && !apierrors.IsForbidden(err)) {
				StopTrying(fmt.Sprintf("a revoked token's delete was not refused: %v", err)).Now()
			}
			g.Expect(apierrors.IsUnauthorized(err)).To(BeTrue(), "%v", err)
		}).WithTimeout(30 * time.Second).Should(Succeed())
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		Expect(p.DeletionTimestamp).To(BeNil())
	})
	It("a Contributor's token deletes its Project", func() {
		Expect(calCI.Delete(ctx, newProject(tok, "preview-1"))).To(Succeed())
	})
})
