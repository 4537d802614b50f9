package ui_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// projectRow is the selector of project name's row in the Projects view.
func projectRow(name string) string { return fmt.Sprintf(`#project-rows tr[data-project=%q]`, name) }

// namespaces are the namespaces project name's row shows, with their phase
// ("Held" for one Roster keeps until its deletion is confirmed).
func (p *page) namespaces(name string) map[string]string {
	return eval[map[string]string](p, fmt.Sprintf(`Object.fromEntries([...document.querySelectorAll(%q)].map(n => [n.dataset.namespace, n.dataset.held ? 'Held' : n.dataset.phase]))`,
		projectRow(name)+` .ns`))
}

// projects are the names in the Projects table.
func (p *page) projects() []string {
	return eval[[]string](p, `[...document.querySelectorAll('#project-rows tr[data-project]')].map(r => r.dataset.project)`)
}

// openProjects goes to the Projects view from the navigation.
func (p *page) openProjects() {
	GinkgoHelper()
	p.do(chromedp.Click(chromedp.CSS("#nav-projects")), chromedp.WaitVisible(chromedp.CSS("#projects-view")))
}

// chooseProject picks an action from project name's menu.
func (p *page) chooseProject(name, key string) {
	GinkgoHelper()
	p.pick(projectRow(name), key)
}

func project(org testenv.Org, name string) (*orgsv1alpha1.Project, error) {
	p := &orgsv1alpha1.Project{}
	return p, env.Admin.Get(ctx, client.ObjectKey{Namespace: org.Home, Name: name}, p)
}

// gone says whether namespace name is deleted or being deleted.
func gone(name string) bool {
	ns := &corev1.Namespace{}
	err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)
	return apierrors.IsNotFound(err) || (err == nil && ns.DeletionTimestamp != nil)
}

var _ = Describe("The Projects view", func() {
	It("creates a project with two environments as a Contributor, refuses a Viewer in Roster's words, adds and removes an environment and deletes the project", func() {
		org := newOrg()
		dev, prod, qa := org.Name+"-web-dev", org.Name+"-web-prod", org.Name+"-web-qa"
		p := openUI(contrib, org.Name)
		p.openProjects()
		// The view shows before its first answer is in.
		Eventually(func() string { return p.text("#projects-access") }).Should(ContainSubstring("You are Contributor in " + org.Name + ": edit in every project namespace"))
		Eventually(func() string { return p.text("#project-rows") }).Should(ContainSubstring("No projects yet"))

		By("+ Create Project marks a malformed name before anything is sent")
		p.do(chromedp.Click(chromedp.CSS("#create-project")), chromedp.WaitVisible(chromedp.CSS("#project-dialog")))
		p.labels()
		p.do(chromedp.SendKeys(chromedp.CSS("#project-name"), "Web"),
			chromedp.SendKeys(chromedp.CSS("#project-envs"), "dev, Prod_1"))
		Expect(p.text("#project-name-error")).To(ContainSubstring(`The project name "Web" is not a DNS label`))
		Expect(p.text("#project-envs-error")).To(ContainSubstring(`The environment name "Prod_1" is not a DNS label`))
		Expect(eval[string](p, `document.getElementById('project-name').getAttribute('aria-invalid')`)).To(Equal("true"))
		p.do(chromedp.Click(chromedp.CSS("#project-create")))
		Expect(p.visible("#project-dialog")).To(BeTrue())
		Consistently(func() error { _, err := project(org, "web"); return err }, 500*time.Millisecond).Should(Satisfy(apierrors.IsNotFound), "nothing was sent")

		By("a well-formed project with two environments goes through, and both namespaces become Active")
		eval[bool](p, `(() => { for (const id of ['project-name', 'project-envs']) document.getElementById(id).value = ''; return true; })()`)
		p.do(chromedp.SendKeys(chromedp.CSS("#project-name"), "web"), chromedp.SendKeys(chromedp.CSS("#project-envs"), "dev, prod"),
			chromedp.SendKeys(chromedp.CSS("#project-display"), "Web shop"))
		Expect(p.visible("#project-name-error")).To(BeFalse())
		Expect(p.text("#project-namespaces")).To(Equal("Namespaces: " + dev + ", " + prod))
		p.do(chromedp.Click(chromedp.CSS("#project-create")), chromedp.WaitNotVisible(chromedp.CSS("#project-dialog")))
		Expect(p.text("#projects-notice")).To(ContainSubstring("Project web created"))
		Eventually(func() map[string]string { return p.namespaces("web") }).Should(Equal(map[string]string{dev: "Active", prod: "Active"}))
		Eventually(func() string { return p.text(projectRow("web") + " .status-cell .status") }).Should(Equal("Ready"))
		Expect(p.text(projectRow("web") + " .name-cell")).To(ContainSubstring("Web shop"))
		Expect(p.text(projectRow("web") + " .pill")).To(Equal("edit"))
		w, err := project(org, "web")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Spec.Environments).To(Equal([]string{"dev", "prod"}))
		Expect(w.Spec.DisplayName).To(Equal("Web shop"))
		for _, name := range []string{dev, prod} {
			ns := &corev1.Namespace{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)).To(Succeed())
			Expect(ns.Labels).To(HaveKeyWithValue(orgsv1alpha1.OrganizationLabel, org.Name))
		}
		// A second project, made with kubectl, appears by itself.
		Expect(env.As(contrib).Create(ctx, &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: org.Home, Name: "api"},
			Spec: orgsv1alpha1.ProjectSpec{DisplayName: "Public API", Environments: []string{"dev", "staging", "prod"}}})).To(Succeed())
		Eventually(func() string { return p.text(projectRow("api") + " .status-cell .status") }).Should(Equal("Ready"))
		Expect(p.projects()).To(Equal([]string{"api", "web"}))
		p.screenshot("ui-projects")

		By("a Viewer sees the project, and their create is refused in Roster's words beside the control")
		v := openUI(viewer, org.Name)
		v.openProjects()
		Eventually(v.projects).Should(Equal([]string{"api", "web"}))
		Expect(v.text("#projects-access")).To(ContainSubstring("You are Viewer in " + org.Name + ": roster-viewer in every project namespace"))
		v.do(chromedp.Click(chromedp.CSS("#create-project")), chromedp.WaitVisible(chromedp.CSS("#project-dialog")),
			chromedp.SendKeys(chromedp.CSS("#project-name"), "dave"), chromedp.SendKeys(chromedp.CSS("#project-envs"), "dev"),
			chromedp.Click(chromedp.CSS("#project-create")), chromedp.WaitVisible(chromedp.CSS("#project-error")))
		Expect(v.text("#project-error > span:first-child")).To(Equal(`user "` + viewer + `" may not create Project "dave" in organization "` + org.Name +
			`": is Viewer there, and the permission matrix's row "Create - Update - Delete projects" allows Owners, Admins and Contributors only; ask an Admin or Owner for the Contributor role`))
		Expect(v.text("#project-error")).NotTo(ContainSubstring("admission webhook"))
		Expect(v.visible("#project-dialog")).To(BeTrue(), "the refusal stays beside the control")
		_, err = project(org, "dave")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)

		By("Add environment, with keys only")
		p.labels()
		Expect(p.tabTo("Actions for web", 40)).To(BeTrue(), "Tab reaches the project's menu")
		p.keys(kb.Enter)
		Eventually(p.focused).Should(Equal("Add environment"))
		p.labels()
		p.keys(kb.Enter)
		Eventually(func() bool { return p.visible("#env-dialog") }).Should(BeTrue())
		Expect(eval[string](p, `document.activeElement.id`)).To(Equal("env-name"))
		p.labels()
		p.do(chromedp.KeyEvent("qa"))
		Expect(p.text("#env-text")).To(Equal("Roster creates namespace " + qa + "."))
		p.keys(kb.Enter)
		Eventually(func() bool { return p.visible("#env-dialog") }).Should(BeFalse())
		Eventually(p.focused).Should(Equal("Actions for web"), "the focus goes back to the project's menu")
		Eventually(func() map[string]string { return p.namespaces("web") }).Should(Equal(map[string]string{dev: "Active", prod: "Active", qa: "Active"}))
		Eventually(func() map[string]string { return v.namespaces("web") }).Should(HaveKey(qa), "the Viewer's page follows by itself")

		By("Remove environment: one that holds a ConfigMap is held until the deletion is confirmed")
		Expect(env.Admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: prod, Name: "settings"}})).To(Succeed())
		p.chooseProject("web", "remove-env")
		p.do(chromedp.WaitVisible(chromedp.CSS("#env-dialog")))
		p.selectOption("#env-choice", "prod")
		Expect(p.text("#env-text")).To(ContainSubstring("Roster deletes namespace " + prod))
		p.do(chromedp.Click(chromedp.CSS("#env-yes")), chromedp.WaitNotVisible(chromedp.CSS("#env-dialog")))
		Eventually(func() map[string]string { return p.namespaces("web") }).WithTimeout(time.Minute).Should(HaveKeyWithValue(prod, "Held"))
		Eventually(func() string { return p.text(projectRow("web") + " .status-cell .message") }).Should(ContainSubstring("Namespace " + prod + " holds 0 workloads, 0 Secrets and 1 ConfigMaps"))
		Expect(gone(prod)).To(BeFalse())
		p.screenshot("ui-projects-held")
		p.do(chromedp.Click(chromedp.CSS(projectRow("web")+" .confirm-btn")), chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-text")).To(ContainSubstring("Roster holds " + prod + " of project web"))
		p.do(chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		w, err = project(org, "web")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Annotations).To(HaveKeyWithValue(orgsv1alpha1.ConfirmDeleteNamespacesAnnotation, prod))
		Eventually(func() bool { return gone(prod) }).WithTimeout(time.Minute).Should(BeTrue())
		Eventually(func() map[string]string { return p.namespaces("web") }).WithTimeout(time.Minute).Should(Equal(map[string]string{dev: "Active", qa: "Active"}))

		By("Delete, after the confirmation")
		p.chooseProject("web", "delete")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-title")).To(Equal("Delete Project"))
		Expect(p.text("#confirm-text")).To(ContainSubstring("Delete project web of " + org.Name))
		p.do(chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		Eventually(func() error { _, err := project(org, "web"); return err }).WithTimeout(time.Minute).Should(Satisfy(apierrors.IsNotFound))
		Expect(gone(dev) && gone(qa)).To(BeTrue())
		Eventually(p.projects).Should(Equal([]string{"api"}))
		Eventually(v.projects).Should(Equal([]string{"api"}), "the Viewer's page follows by itself")
	})
})

// call runs Roster.api(path, body) in the page, as the page's own
// controls do, and returns "ok" or "refused: " and the message shown.
func (p *page) call(path string, body any) string {
	GinkgoHelper()
	js := fmt.Sprintf(`Roster.api(%q, %s).then(() => 'ok', (e) => 'refused: ' + e.message)`, path, toJSON(body))
	if body == nil {
		js = fmt.Sprintf(`Roster.api(%q).then(() => 'ok', (e) => 'refused: ' + e.message)`, path)
	}
	v, err := chromedp.Run(p.tab, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	Expect(err).NotTo(HaveOccurred(), js)
	return v
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

var _ = Describe("The Projects view's API, attacked from the page", func() {
	It("refuses another organization's projects, a lower role, a case or Unicode variant of a name and a forged field", func() {
		org := newOrg()
		other := env.NewOrg(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: testenv.UniqueName("ui")}}, testenv.Team[0])
		Expect(env.As(owner).Create(ctx, &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: other.Home, Name: "shop"}})).To(Succeed())
		Expect(env.As(contrib).Create(ctx, &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: org.Home, Name: "web"}})).To(Succeed())

		c := openUI(contrib, org.Name)
		By("another organization, where carol is no member")
		Expect(c.call("/api/projects?org="+other.Name, nil)).To(HavePrefix("refused: "))
		Expect(c.call("/api/projects/delete", map[string]any{"org": other.Name, "project": "shop"})).To(HavePrefix("refused: "))
		Expect(c.call("/api/projects/environments/add", map[string]any{"org": other.Name, "project": "shop", "environment": "dev"})).To(HavePrefix("refused: "))
		Expect(c.call("/api/projects/confirm-delete", map[string]any{"org": other.Name, "project": "shop", "namespaces": []string{other.Name + "-shop"}})).To(HavePrefix("refused: "))
		Expect(c.call("/api/projects", map[string]any{"org": other.Name, "project": "mine"})).To(HavePrefix("refused: "))
		shop, err := project(other, "shop")
		Expect(err).NotTo(HaveOccurred())
		Expect(shop.DeletionTimestamp).To(BeNil())
		Expect(shop.Spec.Environments).To(BeEmpty())
		Expect(shop.Annotations).NotTo(HaveKey(orgsv1alpha1.ConfirmDeleteNamespacesAnnotation))
		_, err = project(other, "mine")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)

		By("a case or Unicode variant of a name")
		for _, name := range []string{"WEB", "Web", "wéb", "web\u200b"} {
			Expect(c.call("/api/projects", map[string]any{"org": org.Name, "project": name})).To(
				And(HavePrefix("refused: "), ContainSubstring("metadata.name")), name)
		}
		Expect(c.call("/api/projects/environments/add", map[string]any{"org": org.Name, "project": "web", "environment": "Dev"})).To(
			And(HavePrefix("refused: "), ContainSubstring("spec.environments")))

		By("a forged field is refused, not ignored")
		Expect(c.call("/api/projects", map[string]any{"org": org.Name, "project": "api", "status": map[string]any{"namespaces": []any{}}})).To(
			And(HavePrefix("refused: "), ContainSubstring("unknown field")))
		_, err = project(org, "api")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)

		By("a lower role: a Viewer's delete and environment change are refused, naming the row")
		v := openUI(viewer, org.Name)
		for _, call := range []struct {
			path string
			body map[string]any
		}{
			{"/api/projects/delete", map[string]any{"org": org.Name, "project": "web"}},
			{"/api/projects/environments/add", map[string]any{"org": org.Name, "project": "web", "environment": "dev"}},
			{"/api/projects/confirm-delete", map[string]any{"org": org.Name, "project": "web", "namespaces": []string{org.Name + "-web"}}},
		} {
			Expect(v.call(call.path, call.body)).To(And(HavePrefix(`refused: user "`+viewer+`" may not`), ContainSubstring(`row "Create - Update - Delete projects"`)), call.path)
		}
		w, err := project(org, "web")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.DeletionTimestamp).To(BeNil())
		Expect(w.Spec.Environments).To(BeEmpty())
		Expect(w.Annotations).NotTo(HaveKey(orgsv1alpha1.ConfirmDeleteNamespacesAnnotation))
	})
})
