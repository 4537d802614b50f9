package deploy_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	fluxpolling "github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
	"github.com/roster-dev/roster/test/argocd"
)

// oneFolder is examples/gitops/acme, the layout docs/gitops.md recommends:
// Namespaces, Members, an Invitation and the Organization in one folder,
// its files read in name order (the Organization last). Each spec applies
// its own copy, with "acme" renamed org, so that they share one cluster.
func oneFolder(org string) (files map[string]string, objs []*unstructured.Unstructured) {
	GinkgoHelper()
	root, err := repoRoot()
	Expect(err).NotTo(HaveOccurred())
	paths, err := filepath.Glob(filepath.Join(root, "examples", "gitops", "acme", "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(paths).NotTo(BeEmpty())
	sort.Strings(paths)
	files = map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		Expect(err).NotTo(HaveOccurred())
		text := strings.ReplaceAll(string(data), "acme", org)
		files[filepath.Base(p)] = text
		decoded, err := decode([]byte(text))
		Expect(err).NotTo(HaveOccurred())
		objs = append(objs, decoded...)
	}
	return files, objs
}

// The people of examples/gitops/acme and their roles.
var oneFolderPeople = map[string]orgsv1alpha1.Role{
	"alice@example.com": orgsv1alpha1.RoleOwner, "olivia@example.com": orgsv1alpha1.RoleOwner,
	"bob@example.com": orgsv1alpha1.RoleAdmin, "carol@example.com": orgsv1alpha1.RoleContributor,
	"dave@example.com": orgsv1alpha1.RoleViewer, "erin@example.com": orgsv1alpha1.RoleViewerNoSecrets,
	"frank@example.com": "", // invited, not a member yet
}

var _ = Describe("GitOps: one folder applied in one go", Ordered, ContinueOnFailure, func() {
	var (
		env       *testenv.Env
		gitops    client.Client
		gitopsCfg *rest.Config
		rm        *ssa.ResourceManager
		ctx       = context.Background()
	)

	BeforeAll(func() {
		testenv.RequireAssets()
		var err error
		env, err = testenv.Start(ctx, testenv.Options{Webhooks: true, Controllers: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })
		bindGitOps(ctx, env.Admin)
		groups := []string{"system:serviceaccounts", "system:serviceaccounts:flux-system"}
		gitopsCfg, err = env.UserConfig(gitopsUser, groups...)
		Expect(err).NotTo(HaveOccurred())
		gitops, err = env.User(gitopsUser, groups...)
		Expect(err).NotTo(HaveOccurred())
		poller := fluxpolling.NewStatusPoller(gitops, gitops.RESTMapper(), fluxpolling.Options{})
		rm = ssa.NewResourceManager(gitops, poller, ssa.Owner{Field: gitopsManager, Group: "kustomize.toolkit.fluxcd.io"})
	})

	// converged: every object kstatus Current, Roster's Ready for the
	// current generation (Invitations: never Degraded), and every person's
	// role in effect in the home and the project namespace.
	converged := func(org string, objs []*unstructured.Unstructured) {
		GinkgoHelper()
		root, err := repoRoot()
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			for _, o := range objs {
				live := get(g, env.Admin, o)
				res, err := status.Compute(live)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.Status).To(Equal(status.CurrentStatus), "%s: %s", key(o), res.Message)
				if live.GroupVersionKind().Group != orgsv1alpha1.GroupVersion.Group {
					continue
				}
				health, err := argocd.Health(root, live)
				g.Expect(err).NotTo(HaveOccurred())
				if o.GetKind() == "Invitation" {
					g.Expect(health.Status).NotTo(Equal(argocd.Degraded), "%s: %s", key(o), health.Message)
					continue
				}
				g.Expect(readyFor(live)).To(BeTrue(), "%s is not Ready for generation %d", key(o), live.GetGeneration())
				g.Expect(health.Status).To(Equal(argocd.Healthy), "%s: %s", key(o), health.Message)
			}
			for user, role := range oneFolderPeople {
				g.Expect(env.RoleInEffect(ctx, user, org, "org-"+org, role, org+"-web")).To(Succeed())
			}
		}).Should(Succeed())
	}

	It("Flux: one Kustomization (the whole set dry-run, then applied) converges, and applying it again changes nothing", func() {
		const org = "fluxco"
		_, objs := oneFolder(org)
		cs, err := rm.ApplyAllStaged(ctx, copies(objs), ssa.DefaultApplyOptions())
		Expect(err).NotTo(HaveOccurred())
		Expect(cs.Entries).To(HaveLen(len(objs)))
		for _, e := range cs.Entries {
			Expect(e.Action).To(Equal(ssa.CreatedAction), e.Subject)
		}
		converged(org, objs)

		var drifted []string
		for _, o := range objs {
			if d := drift(rm, o); d != "" {
				drifted = append(drifted, key(o)+": "+d)
			}
		}
		cs, err = rm.ApplyAllStaged(ctx, copies(objs), ssa.DefaultApplyOptions())
		Expect(err).NotTo(HaveOccurred())
		for _, e := range cs.Entries {
			if e.Action != ssa.UnchangedAction {
				drifted = append(drifted, e.Subject+" "+string(e.Action))
			}
		}
		Expect(drifted).To(BeEmpty(), "drift after the second apply")
	})

	It("kubectl apply -f dir/: Namespaces, then Members, then their Organization, succeeds at once and converges", func() {
		const org = "kubectlco"
		files, objs := oneFolder(org)
		dir := GinkgoT().TempDir()
		for name, text := range files {
			Expect(os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600)).To(Succeed())
		}
		kubeconfig := filepath.Join(dir, "..", org+".kubeconfig")
		Expect(writeKubeconfig(gitopsCfg, kubeconfig)).To(Succeed())
		kubectl := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
		if _, err := os.Stat(kubectl); err != nil {
			Fail("no kubectl in KUBEBUILDER_ASSETS: " + err.Error())
		}
		out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "-f", dir).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		// Files and objects in the order kubectl read them: the Organization last.
		Expect(objs[len(objs)-1].GetKind()).To(Equal("Organization"))
		Expect(string(out)).To(ContainSubstring("member.orgs.roster.dev/alice created"))
		converged(org, objs)
	})

	It("Argo CD: one sync in its kind order (no waves) converges, health Progressing then Healthy", func() {
		const org = "argoco"
		_, objs := oneFolder(org)
		ordered := argoOrder(objs)
		Expect(ordered[len(ordered)-1].GetKind()).To(Equal("Organization"), "Argo CD orders kinds it does not know by name: Invitation, Member, Organization")
		apply := func(o *unstructured.Unstructured, opts ...client.ApplyOption) error {
			return gitops.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()),
				append(opts, client.FieldOwner("argocd-controller"), client.ForceOwnership)...)
		}
		for _, o := range ordered {
			if o.GetKind() == "Namespace" {
				Expect(apply(o)).To(Succeed(), key(o))
			}
		}
		// Argo CD dry-runs every resource of the sync before applying any
		// (those in a namespace the sync creates once it exists): all of them
		// here, the Organization not yet existing.
		for _, o := range ordered {
			Expect(apply(o, client.DryRunAll)).To(Succeed(), "dry run of "+key(o))
		}
		root, err := repoRoot()
		Expect(err).NotTo(HaveOccurred())
		var organization *unstructured.Unstructured
		for _, o := range ordered {
			if o.GetKind() == "Organization" {
				organization = o
				continue
			}
			Expect(apply(o)).To(Succeed(), key(o))
		}
		// Before the Organization is applied: the Members wait, Progressing.
		for _, o := range ordered {
			if o.GetKind() != "Member" {
				continue
			}
			Eventually(func(g Gomega) {
				live := get(g, env.Admin, o)
				health, err := argocd.Health(root, live)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(health.Status).To(Equal(argocd.Progressing))
				g.Expect(health.Message).To(ContainSubstring("does not exist yet"))
			}).Should(Succeed())
		}
		Expect(apply(organization)).To(Succeed())
		converged(org, objs)
	})
})

func copies(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
	}
	return out
}

// argoOrder sorts objs as Argo CD's sync does without waves or hooks:
// kinds it knows first, in its order (Namespace first), then the others by
// kind name, then by name.
func argoOrder(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	known := map[string]int{"Namespace": 0}
	rank := func(o *unstructured.Unstructured) int {
		if r, ok := known[o.GetKind()]; ok {
			return r
		}
		return len(known)
	}
	out := copies(objs)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if a.GetKind() != b.GetKind() {
			return a.GetKind() < b.GetKind()
		}
		return a.GetName() < b.GetName()
	})
	return out
}

// writeKubeconfig writes a kubeconfig for cfg, for kubectl.
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	return clientcmd.WriteToFile(*kc, path)
}
