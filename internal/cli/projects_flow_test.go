package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("kubectl roster projects, switch and project", func() {
	It("lets a Contributor create, list, switch to, shrink and delete a project; a Viewer is refused in Roster's words", func() {
		o := newOrg()
		dev, prod := o.name+"-web-dev", o.name+"-web-prod"

		r := run(contributor, "", "project", "create", "web", "--env", "dev,prod", "--display-name", "Web shop", "--org", o.name, "--wait")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("Created project web in organization %s; its namespaces %s, %s are Active.", o.name, dev, prod))

		// Everyone lists it, with their role's ClusterRole there.
		for user, access := range map[string]string{contributor: "edit", viewer: "roster-viewer", viewerNoSecrets: "view", owner: "admin"} {
			r = run(user, "", "projects", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(lineWith(r.out, dev)).To(MatchRegexp(`^%s\s+web\s+dev\s+%s\s+Active\s+%s$`, o.name, dev, access), "as %s", user)
			Expect(lineWith(r.out, prod)).To(MatchRegexp(`^%s\s+web\s+prod\s+%s\s+Active\s+%s$`, o.name, prod, access), "as %s", user)
		}
		r = run(contributor, "", "projects", "-o", "json")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		var list cli.ProjectList
		Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
		Expect(list.Items).To(ContainElement(SatisfyAll(HaveField("Organization", o.name), HaveField("Namespace", dev),
			HaveField("Environment", "dev"), HaveField("Role", orgsv1alpha1.RoleContributor), HaveField("Access", "edit"))))
		r = run(outsider, "", "projects")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).NotTo(ContainSubstring(o.name), "an outsider reaches none of it")
		r = run(outsider, "", "projects", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)

		// Completion offers switch's targets and the project names.
		r = run(contributor, "", "__complete", "switch", "--org", o.name, "")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("web/dev\t%s (%s, Active)\n", dev, o.name))
		Expect(r.out).To(ContainSubstring("web/prod\t%s (%s, Active)\n", prod, o.name))
		r = run(contributor, "", "__complete", "project", "env", "add", "--org", o.name, "")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("web\tWeb shop\n"))

		// switch writes the namespace into the current context of the
		// kubeconfig it is given, and nothing else.
		path := filepath.Join(GinkgoT().TempDir(), "config")
		raw, err := os.ReadFile(kubeconfigFor(contributor, ""))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(path, raw, 0o600)).To(Succeed())
		r = runWith(path, "", "switch", "web/dev", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(Equal(`Switched to namespace "` + dev + `" (project web, environment dev) in context "test".` + "\n"))
		kc, err := clientcmd.LoadFromFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(kc.Contexts["test"].Namespace).To(Equal(dev))
		r = runWith(path, "", "switch", o.name+"/web/prod")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		kc, err = clientcmd.LoadFromFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(kc.Contexts["test"].Namespace).To(Equal(prod))
		r = runWith(path, "", "switch", "web/qa", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
		Expect(r.err).To(ContainSubstring(`project web of organization %s has no environment "qa" (its environments: dev, prod)`, o.name))

		// A Viewer's create is refused by Roster's webhook, naming the row.
		r = run(viewer, "", "project", "create", "api", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
		Expect(r.err).To(ContainSubstring(`admission webhook "vproject.roster.dev" denied the request`))
		Expect(r.err).To(ContainSubstring(`row "Create - Update - Delete projects"`))
		Expect(r.err).NotTo(ContainSubstring("hint:"), "the webhook words its own fix")

		// Someone of no organization reaches none of it, and changes nothing.
		r = run(outsider, "", "project", "env", "remove", "web", "dev", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
		r = run(outsider, "", "project", "delete", "web", "--org", o.name, "--yes")
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
		r = run(outsider, "", "switch", o.name+"/web/dev")
		Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: "web"}, &orgsv1alpha1.Project{})).To(Succeed())

		// Removing an environment whose namespace holds a ConfigMap is
		// held; the plugin says so with the command that confirms it.
		Expect(env.As(testenv.Carol).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: prod, Name: "settings"}})).To(Succeed())
		r = run(contributor, "", "project", "env", "remove", "web", "prod", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
		Expect(r.err).To(ContainSubstring("Namespace %s holds 0 workloads, 0 Secrets and 1 ConfigMaps", prod))
		Expect(r.err).To(ContainSubstring("hint: to delete them with their contents: kubectl roster project env remove web prod --org %s --yes", o.name))
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: prod}, ns)).To(Succeed())
		Expect(ns.DeletionTimestamp).To(BeNil())
		r = run(contributor, "", "project", "env", "remove", "web", "prod", "--org", o.name, "--yes")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Eventually(func(g Gomega) {
			err := env.Admin.Get(ctx, client.ObjectKey{Name: prod}, ns)
			g.Expect(apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil).To(BeTrue(), "%v", err)
		}).Should(Succeed())

		r = run(contributor, "", "project", "env", "remove", "web", "dev", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
		Expect(r.err).To(ContainSubstring("removing every environment of project web"))
		r = run(contributor, "", "project", "env", "add", "web", "staging", "--org", o.name, "--wait")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("Added environment staging to project web of organization %s; namespace %s-web-staging is Active.", o.name, o.name))

		// delete asks first; n changes nothing.
		r = run(contributor, "n\n", "project", "delete", "web", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitCancelled), "%s", r)
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: "web"}, &orgsv1alpha1.Project{})).To(Succeed())
		r = run(viewer, "", "project", "delete", "web", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
		Expect(r.err).To(ContainSubstring(`row "Create - Update - Delete projects"`), "refused before the question")
		r = run(contributor, "y\n", "project", "delete", "web", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("project web of organization %s", o.name))
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: "web"}, &orgsv1alpha1.Project{}))
		}).Should(BeTrue())
		for _, name := range []string{dev, o.name + "-web-staging"} {
			err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)
			Expect(apierrors.IsNotFound(err) || ns.DeletionTimestamp != nil).To(BeTrue(), "%s: %v", name, err)
		}
	})
})
