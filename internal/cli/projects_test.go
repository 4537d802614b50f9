package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// goldenProjects are two organizations' projects as a Contributor of acme
// and a Viewer of globex reaches them: every namespace phase the table shows.
func goldenProjects() []reachable {
	ready := condition(orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, "")
	acme := orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	globex := orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "globex"}}
	project := func(name, display string, envs []string, cond metav1.Condition, ns ...orgsv1alpha1.ProjectNamespaceStatus) orgsv1alpha1.Project {
		return orgsv1alpha1.Project{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "org-acme", CreationTimestamp: ago(time.Hour)},
			Spec:       orgsv1alpha1.ProjectSpec{DisplayName: display, Environments: envs},
			Status:     orgsv1alpha1.ProjectStatus{Namespaces: ns, Conditions: []metav1.Condition{cond}},
		}
	}
	st := func(name, env, phase string) orgsv1alpha1.ProjectNamespaceStatus {
		return orgsv1alpha1.ProjectNamespaceStatus{Name: name, Environment: env, Phase: phase, UID: "u-" + "x"}
	}
	return []reachable{
		{membership: membership{Org: globex, Role: orgsv1alpha1.RoleViewer, EffectiveRole: orgsv1alpha1.RoleViewer, Visible: true}, projects: []orgsv1alpha1.Project{
			project("web", "", []string{"dev"}, condition(orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.NamespaceConflictReason, "namespace globex-web-dev exists"),
				st("globex-web-dev", "dev", orgsv1alpha1.ProjectNamespaceConflict)),
		}},
		{membership: membership{Org: acme, Role: orgsv1alpha1.RoleContributor, EffectiveRole: orgsv1alpha1.RoleContributor, Visible: true}, projects: []orgsv1alpha1.Project{
			project("web", "Web shop", []string{"dev", "prod", "staging"}, condition(orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.DeletionNeedsConfirmationReason, "Namespace acme-web-qa holds"),
				st("acme-web-dev", "dev", orgsv1alpha1.ProjectNamespaceActive), st("acme-web-prod", "prod", orgsv1alpha1.ProjectNamespaceActive),
				st("acme-web-qa", "qa", orgsv1alpha1.ProjectNamespaceActive)),
			project("tools", "Internal tools", nil, ready, st("acme-tools", "", orgsv1alpha1.ProjectNamespaceActive)),
		}},
	}
}

func TestGoldenProjects(t *testing.T) {
	for name, output := range map[string]string{"projects": outputTable, "projects-wide": outputWide, "projects-json": outputJSON} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			o, out := goldenOptions(output)
			g.Expect(o.print(projectList(goldenProjects()))).To(Succeed())
			path := filepath.Join("testdata", name+".golden")
			if *update {
				g.Expect(os.WriteFile(path, out.Bytes(), 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "run with -update to create %s", path)
			g.Expect(out.String()).To(Equal(string(want)), "%s differs; run `go test ./internal/cli/ -run TestGolden -update` and review the diff", path)
		})
	}
}

func TestProjectListAccess(t *testing.T) {
	g := NewWithT(t)
	l := projectList(goldenProjects())
	byNS := map[string]ProjectInfo{}
	for _, p := range l.Items {
		byNS[p.Namespace] = p
	}
	g.Expect(byNS["acme-web-dev"].Access).To(Equal("edit"), "a Contributor edits")
	g.Expect(byNS["globex-web-dev"].Access).To(Equal("roster-viewer"), "a Viewer reads, Secrets included")
	g.Expect(byNS["acme-web-staging"].Phase).To(Equal(orgsv1alpha1.ProjectNamespacePending), "asked for, not in status yet")
	g.Expect(byNS["acme-web-qa"].Environment).To(Equal("qa"), "removed but held: still listed")
	g.Expect(byNS["acme-tools"].Environment).To(BeEmpty())
}

func TestResolveSwitch(t *testing.T) {
	rows := projectList(goldenProjects()).Items
	cases := []struct {
		arg, org  string
		namespace string
		code      int
		message   string
	}{
		{arg: "web/prod", namespace: "acme-web-prod"},
		{arg: "tools", namespace: "acme-tools"},
		{arg: "acme/tools", namespace: "acme-tools"},
		{arg: "acme/web/dev", namespace: "acme-web-dev"},
		{arg: "web/dev", org: "globex", namespace: "globex-web-dev"},
		{arg: "web/dev", code: ExitUsage, message: `"web/dev" is ambiguous: acme/web/dev, globex/web/dev; write ORGANIZATION/PROJECT/ENVIRONMENT or pass --org`},
		{arg: "acme/web/dev", org: "globex", code: ExitUsage, message: "names organization acme but --org is globex"},
		{arg: "web", org: "acme", code: ExitNotFound, message: `project web of organization acme has no namespace without an environment (its environments: dev, prod, staging, qa)`},
		{arg: "web/test", org: "acme", code: ExitNotFound, message: `project web of organization acme has no environment "test"`},
		{arg: "tools/dev", code: ExitNotFound, message: `project tools of organization acme has no environments, so no environment "dev"`},
		{arg: "Web/Dev", code: ExitNotFound, message: "no project Web in any organization you can reach"},
		{arg: "shop", org: "acme", code: ExitNotFound, message: "no project shop in organization acme"},
		{arg: "a/b/c/d", code: ExitUsage, message: "write PROJECT/ENVIRONMENT"},
		{arg: "web/", code: ExitUsage, message: "write PROJECT/ENVIRONMENT"},
	}
	for _, tc := range cases {
		t.Run(tc.arg+"@"+tc.org, func(t *testing.T) {
			g := NewWithT(t)
			got, err := resolveSwitch(tc.arg, tc.org, rows)
			if tc.message == "" {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(got.Namespace).To(Equal(tc.namespace))
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.message)))
			g.Expect(ExitCode(err)).To(Equal(tc.code))
		})
	}
	_, err := resolveSwitch("Web/Dev", "", rows)
	NewWithT(t).Expect(hintOf(err)).To(ContainSubstring("did you mean web/dev?"))
}

// testKubeconfig has two contexts, a namespace set in one, and content
// switch must leave alone.
func testKubeconfig() *clientcmdapi.Config {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("ca")}
	kc.Clusters["prod"] = &clientcmdapi.Cluster{Server: "https://prod.example.com"}
	kc.AuthInfos["carol"] = &clientcmdapi.AuthInfo{Token: "secret-token"}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "carol", Namespace: "org-acme"}
	kc.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod", AuthInfo: "carol", Namespace: "payments"}
	kc.CurrentContext = "local"
	kc.Preferences.Colors = true
	return kc
}

func flagsFor(path, context string) *genericclioptions.ConfigFlags {
	f := genericclioptions.NewConfigFlags(false)
	f.KubeConfig = &path
	if context != "" {
		f.Context = &context
	}
	return f
}

func TestSetContextNamespace(t *testing.T) {
	t.Run("the current context of --kubeconfig, and nothing else", func(t *testing.T) {
		g := NewWithT(t)
		path := filepath.Join(t.TempDir(), "config")
		g.Expect(clientcmd.WriteToFile(*testKubeconfig(), path)).To(Succeed())
		name, err := setContextNamespace(flagsFor(path, "").ToRawKubeConfigLoader(), "", "acme-web-dev")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(name).To(Equal("local"))
		got, err := clientcmd.LoadFromFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		want := testKubeconfig()
		want.Contexts["local"].Namespace = "acme-web-dev"
		g.Expect(got.Contexts).To(HaveLen(len(want.Contexts)))
		for n, w := range want.Contexts {
			g.Expect(got.Contexts).To(HaveKeyWithValue(n, SatisfyAll(HaveField("Cluster", w.Cluster), HaveField("AuthInfo", w.AuthInfo), HaveField("Namespace", w.Namespace))))
		}
		g.Expect(got.Clusters).To(HaveLen(len(want.Clusters)))
		for n, w := range want.Clusters {
			g.Expect(got.Clusters).To(HaveKeyWithValue(n, SatisfyAll(HaveField("Server", w.Server), HaveField("CertificateAuthorityData", w.CertificateAuthorityData))))
		}
		g.Expect(got.AuthInfos).To(HaveKeyWithValue("carol", HaveField("Token", "secret-token")))
		g.Expect(got.CurrentContext).To(Equal("local"))
		g.Expect(got.Preferences.Colors).To(BeTrue())
	})

	t.Run("--context names another context", func(t *testing.T) {
		g := NewWithT(t)
		path := filepath.Join(t.TempDir(), "config")
		g.Expect(clientcmd.WriteToFile(*testKubeconfig(), path)).To(Succeed())
		name, err := setContextNamespace(flagsFor(path, "prod").ToRawKubeConfigLoader(), "prod", "acme-web-prod")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(name).To(Equal("prod"))
		got, err := clientcmd.LoadFromFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Contexts["prod"].Namespace).To(Equal("acme-web-prod"))
		g.Expect(got.Contexts["local"].Namespace).To(Equal("org-acme"))
		g.Expect(got.CurrentContext).To(Equal("local"), "switch does not change the current context")
	})

	t.Run("KUBECONFIG with several files: the file that defines the context", func(t *testing.T) {
		g := NewWithT(t)
		dir := t.TempDir()
		first, second := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		a := clientcmdapi.NewConfig()
		a.CurrentContext = "local"
		a.Contexts["other"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "carol", Namespace: "kept"}
		g.Expect(clientcmd.WriteToFile(*a, first)).To(Succeed())
		b := testKubeconfig()
		b.CurrentContext = ""
		g.Expect(clientcmd.WriteToFile(*b, second)).To(Succeed())
		before, err := os.ReadFile(first)
		g.Expect(err).NotTo(HaveOccurred())
		t.Setenv(clientcmd.RecommendedConfigPathEnvVar, first+string(os.PathListSeparator)+second)

		f := genericclioptions.NewConfigFlags(false)
		name, err := setContextNamespace(f.ToRawKubeConfigLoader(), "", "acme-web-dev")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(name).To(Equal("local"))
		after, err := os.ReadFile(first)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(after)).To(Equal(string(before)), "the first file does not define the context")
		got, err := clientcmd.LoadFromFile(second)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Contexts["local"].Namespace).To(Equal("acme-web-dev"))
		g.Expect(got.Contexts["prod"].Namespace).To(Equal("payments"))
		g.Expect(got.AuthInfos["carol"].Token).To(Equal("secret-token"))
	})

	t.Run("no current context, or an unknown one: nothing written", func(t *testing.T) {
		g := NewWithT(t)
		path := filepath.Join(t.TempDir(), "config")
		kc := testKubeconfig()
		kc.CurrentContext = ""
		g.Expect(clientcmd.WriteToFile(*kc, path)).To(Succeed())
		before, err := os.ReadFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = setContextNamespace(flagsFor(path, "").ToRawKubeConfigLoader(), "", "acme-web-dev")
		g.Expect(err).To(MatchError(ContainSubstring("has no current context")))
		g.Expect(ExitCode(err)).To(Equal(ExitUsage))
		_, err = setContextNamespace(flagsFor(path, "nope").ToRawKubeConfigLoader(), "nope", "acme-web-dev")
		g.Expect(err).To(MatchError(ContainSubstring(`context "nope" is not in the kubeconfig`)))
		after, err := os.ReadFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(after)).To(Equal(string(before)))
	})
}

func TestConfirmed(t *testing.T) {
	g := NewWithT(t)
	p := &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: " acme-web-qa, ,acme-web-qa"}}}
	g.Expect(confirmed(p, []string{"acme-web-prod", "acme-web-qa"})).To(Equal("acme-web-qa,acme-web-prod"))
	g.Expect(confirmed(&orgsv1alpha1.Project{}, []string{"acme-web-prod"})).To(Equal("acme-web-prod"))
}

func TestParseEnvironments(t *testing.T) {
	g := NewWithT(t)
	envs, err := parseEnvironments([]string{"dev, prod", "staging"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(envs).To(Equal([]string{"dev", "prod", "staging"}))
	_, err = parseEnvironments([]string{"dev,dev"})
	g.Expect(ExitCode(err)).To(Equal(ExitUsage))
}
