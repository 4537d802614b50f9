package deploy_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/yaml"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/internal/certs"
	_ "github.com/roster-dev/roster/internal/manager" // registers everything the manager serves
	"github.com/roster-dev/roster/internal/metrics"
)

// These tests need no API server: they check what the kustomizations and
// the Helm chart render. install_test.go applies the same renders to one.

func mustRender(t *testing.T, v variant) []*unstructured.Unstructured {
	t.Helper()
	objs, err := v.render()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestChartFilesAreCurrent(t *testing.T) {
	// The chart renders the generated CRDs, ClusterRole and webhook
	// configurations from copies (make manifests refreshes them).
	g := NewWithT(t)
	root, err := repoRoot()
	g.Expect(err).NotTo(HaveOccurred())
	copies := map[string]string{
		"config/rbac/role.yaml":                "charts/roster/files/rbac/role.yaml",
		"config/rbac/roster_gitops_role.yaml":  "charts/roster/files/rbac/roster_gitops_role.yaml",
		"config/rbac/roster_viewer_role.yaml":  "charts/roster/files/rbac/roster_viewer_role.yaml",
		"config/rbac/manager_rbac_policy.yaml": "charts/roster/files/rbac/manager_rbac_policy.yaml",
		"config/webhook/manifests.yaml":        "charts/roster/files/webhook/manifests.yaml",
		"config/prometheus/rules.yaml":         "charts/roster/files/prometheus/rules.yaml",
	}
	crds, err := filepath.Glob(filepath.Join(root, "config/crd/bases/*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crds).NotTo(BeEmpty())
	for _, crd := range crds {
		copies["config/crd/bases/"+filepath.Base(crd)] = "charts/roster/files/crds/" + filepath.Base(crd)
	}
	chartCRDs, err := filepath.Glob(filepath.Join(root, "charts/roster/files/crds/*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(chartCRDs).To(HaveLen(len(crds)), "charts/roster/files/crds has CRDs config/crd/bases does not: run make manifests")
	for source, copied := range copies {
		want, err := os.ReadFile(filepath.Join(root, source))
		g.Expect(err).NotTo(HaveOccurred())
		got, err := os.ReadFile(filepath.Join(root, copied))
		g.Expect(err).NotTo(HaveOccurred(), "run make manifests")
		g.Expect(string(got)).To(Equal(string(want)), "%s is stale: run make manifests", copied)
	}
}

func TestHelmLint(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"--set", "certificates.mode=cert-manager"},
		{"--set", "notifier.kind=smtp,notifier.smtp.host=smtp.example.com,notifier.smtp.from=roster@example.com"},
		{"--set", "metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,invitations.ingress.enabled=true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := run("helm", append([]string{"lint", "--strict", "charts/roster", "--namespace", installNamespace}, args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), "0 chart(s) failed") {
				t.Fatalf("helm lint: %s", out)
			}
		})
	}
	t.Run("refuses an unknown certificate mode", func(t *testing.T) {
		_, err := helmTemplate("--set", "certificates.mode=self-signed")
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("certificates/mode")))
	})
}

// TestInstallIsComplete checks each rendered install has what a production
// install needs, the way a reviewer would read it.
func TestInstallIsComplete(t *testing.T) {
	generated, err := generatedManagerRules()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := config.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			g := NewWithT(t)
			objs := mustRender(t, v)

			if v.namespaceShipped {
				ns := find(objs, "Namespace", installNamespace)
				g.Expect(ns).NotTo(BeNil())
				g.Expect(ns.GetLabels()).To(HaveKeyWithValue("pod-security.kubernetes.io/enforce", "restricted"))
			}
			for _, o := range objs {
				if ns := o.GetNamespace(); ns != "" {
					g.Expect(ns).To(Equal(installNamespace), "%s %s", o.GetKind(), o.GetName())
				}
			}
			for _, crd := range crds {
				g.Expect(find(objs, "CustomResourceDefinition", crd.Name)).NotTo(BeNil(), crd.Name)
			}

			// The manager's ClusterRole is exactly the one generated from the markers.
			role := find(objs, "ClusterRole", managerRole)
			g.Expect(role).NotTo(BeNil())
			rules, err := rulesOf(role)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(equality.Semantic.DeepEqual(rules, generated)).To(BeTrue(), "rendered %v\ngenerated %v", rules, generated)

			checkLeastPrivilege(g, objs)
			checkManagerRBACPolicy(g, objs, "roster-manager-rbac")
			checkDeployment(g, objs, v)
			checkWebhooks(g, objs, v)

			svc := find(objs, "Service", "roster-metrics-service")
			g.Expect(svc).NotTo(BeNil())
			policies := ofKind(objs, "NetworkPolicy")
			g.Expect(policies).To(HaveLen(1))
			np := &networkingv1.NetworkPolicy{}
			g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(policies[0].Object, np)).To(Succeed())
			var ports []int32
			for _, rule := range np.Spec.Ingress {
				for _, p := range rule.Ports {
					ports = append(ports, p.Port.IntVal)
				}
			}
			g.Expect(ports).To(ConsistOf(int32(9443), int32(8082), int32(8443)))
			g.Expect(ofKind(objs, "PodDisruptionBudget")).To(HaveLen(1))
		})
	}
}

func checkLeastPrivilege(g Gomega, objs []*unstructured.Unstructured) {
	for _, kind := range []string{"ClusterRole", "Role"} {
		for _, o := range ofKind(objs, kind) {
			rules, err := rulesOf(o)
			g.Expect(err).NotTo(HaveOccurred())
			for _, r := range rules {
				g.Expect(r.Verbs).NotTo(ContainElement("*"), "%s %s", kind, o.GetName())
				g.Expect(r.Verbs).NotTo(ContainElement("escalate"), "%s %s", kind, o.GetName())
				g.Expect(r.Resources).NotTo(ContainElement("*"), "%s %s", kind, o.GetName())
				if contains(r.Resources, "secrets") && o.GetName() != "roster-viewer-secrets" {
					// Secrets: only the manager's own namespace, and writes only by name.
					g.Expect(kind).To(Equal("Role"), "%s %s may read Secrets cluster-wide", kind, o.GetName())
					if containsAny(r.Verbs, "create", "update", "patch", "delete") {
						g.Expect(r.ResourceNames).NotTo(BeEmpty(), "%s %s writes any Secret", kind, o.GetName())
					}
				}
				if contains(r.Verbs, "bind") {
					g.Expect(r.ResourceNames).NotTo(BeEmpty(), "%s %s may bind any role", kind, o.GetName())
				}
			}
		}
	}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, o := range ofKind(objs, kind) {
			name, _, _ := unstructured.NestedString(o.Object, "roleRef", "name")
			g.Expect(name).NotTo(Equal("cluster-admin"), "%s %s", kind, o.GetName())
		}
	}
}

// checkManagerRBACPolicy checks the install limits the manager's own RBAC
// writes with config/rbac/manager_rbac_policy.yaml, matched on the service
// account the Deployment runs as, in the namespace it is installed in.
func checkManagerRBACPolicy(g Gomega, objs []*unstructured.Unstructured, name string) {
	policy := find(objs, "ValidatingAdmissionPolicy", name)
	g.Expect(policy).NotTo(BeNil(), "no ValidatingAdmissionPolicy %s", name)
	binding := find(objs, "ValidatingAdmissionPolicyBinding", name)
	g.Expect(binding).NotTo(BeNil(), "no ValidatingAdmissionPolicyBinding %s", name)
	g.Expect(policy.GetNamespace()).To(BeEmpty(), "cluster-scoped")
	g.Expect(binding.GetNamespace()).To(BeEmpty(), "cluster-scoped")
	g.Expect(binding.Object["spec"]).To(HaveKeyWithValue("policyName", name))
	g.Expect(binding.Object["spec"]).To(HaveKeyWithValue("validationActions", ConsistOf("Deny")))

	shipped, _, err := config.ManagerRBACPolicy()
	g.Expect(err).NotTo(HaveOccurred())
	rendered := &admissionregistrationv1.ValidatingAdmissionPolicy{}
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(policy.Object, rendered)).To(Succeed())
	d := &appsv1.Deployment{}
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(ofKind(objs, "Deployment")[0].Object, d)).To(Succeed())
	manager := "system:serviceaccount:" + d.Namespace + ":" + d.Spec.Template.Spec.ServiceAccountName
	g.Expect(rendered.Spec.MatchConditions).To(ConsistOf(HaveField("Expression", "request.userInfo.username == '"+manager+"'")))
	// Everything else is config/rbac's, unchanged.
	rendered.Spec.MatchConditions = shipped.Spec.MatchConditions
	g.Expect(rendered.Spec).To(Equal(shipped.Spec))
}

func checkDeployment(g Gomega, objs []*unstructured.Unstructured, v variant) {
	deployments := ofKind(objs, "Deployment")
	g.Expect(deployments).To(HaveLen(1))
	d := &appsv1.Deployment{}
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(deployments[0].Object, d)).To(Succeed())
	g.Expect(d.Name).To(Equal("roster-controller-manager"))
	g.Expect(*d.Spec.Replicas).To(BeEquivalentTo(2), "two replicas")
	g.Expect(d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue()).To(BeZero())
	pod := d.Spec.Template.Spec
	g.Expect(pod.ServiceAccountName).To(Equal("roster-controller-manager"))
	g.Expect(*pod.SecurityContext.RunAsNonRoot).To(BeTrue())
	g.Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(pod.Affinity.PodAntiAffinity).NotTo(BeNil(), "replicas spread over nodes")
	g.Expect(pod.Containers).To(HaveLen(1))
	c := pod.Containers[0]
	g.Expect(*c.SecurityContext.ReadOnlyRootFilesystem).To(BeTrue())
	g.Expect(*c.SecurityContext.AllowPrivilegeEscalation).To(BeFalse())
	g.Expect(c.SecurityContext.Capabilities.Drop).To(ContainElement(corev1.Capability("ALL")))
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		g.Expect(c.Resources.Requests).To(HaveKey(r))
		g.Expect(c.Resources.Limits).To(HaveKey(r))
	}
	g.Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	g.Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	g.Expect(c.Env).To(ContainElement(HaveField("Name", "POD_NAMESPACE")))

	args, _, err := managerArgs(objs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(args).To(HaveKeyWithValue("leader-elect", "true"))
	g.Expect(args).To(HaveKeyWithValue("metrics-bind-address", ":8443"))
	g.Expect(args).To(HaveKey("invite-base-url"))
	mode := args["webhook-cert-mode"]
	if mode == "" {
		mode = certs.ModeExternal
	}
	secret := pod.Volumes[0].Secret.SecretName
	g.Expect(secret).To(Equal("roster-webhook-server-cert"))
	if v.certManager {
		g.Expect(mode).To(Equal(certs.ModeExternal))
		cert := find(objs, "Certificate", "roster-serving-cert")
		g.Expect(cert).NotTo(BeNil())
		g.Expect(cert.Object["spec"]).To(HaveKeyWithValue("secretName", secret))
		g.Expect(cert.Object["spec"]).To(HaveKeyWithValue("dnsNames", ConsistOf(
			"roster-webhook-service.roster-system.svc", "roster-webhook-service.roster-system.svc.cluster.local")))
		issuer, _, _ := unstructured.NestedString(cert.Object, "spec", "issuerRef", "name")
		g.Expect(find(objs, "Issuer", issuer)).NotTo(BeNil(), "the Certificate's issuer %q is installed", issuer)
		g.Expect(find(objs, "Secret", secret)).To(BeNil(), "cert-manager creates the Secret")
		g.Expect(find(objs, "ClusterRole", "roster-cert-rotation")).To(BeNil(), "no rotation RBAC with cert-manager")
	} else {
		g.Expect(mode).To(Equal(certs.ModeSelfManaged))
		g.Expect(find(objs, "Secret", secret)).NotTo(BeNil(), "the Secret exists before the pod mounts it")
		g.Expect(ofKind(objs, "Certificate")).To(BeEmpty())
		// The flags name what the RBAC lets the manager update.
		role := find(objs, "Role", "roster-cert-rotation")
		g.Expect(role).NotTo(BeNil())
		rules, err := rulesOf(role)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rules).To(ContainElement(HaveField("ResourceNames", ConsistOf(orDefault(args["webhook-cert-secret"], certs.DefaultSecretName)))))
		cr := find(objs, "ClusterRole", "roster-cert-rotation")
		g.Expect(cr).NotTo(BeNil())
		rules, err = rulesOf(cr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rules).To(ContainElement(HaveField("ResourceNames", ConsistOf(
			orDefault(args["validating-webhook-configuration"], certs.DefaultValidatingWebhookConfiguration),
			orDefault(args["mutating-webhook-configuration"], certs.DefaultMutatingWebhookConfiguration)))))
		g.Expect(find(objs, "Service", orDefault(args["webhook-service"], certs.DefaultServiceName))).NotTo(BeNil())
	}
}

func checkWebhooks(g Gomega, objs []*unstructured.Unstructured, v variant) {
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		configs := ofKind(objs, kind)
		g.Expect(configs).To(HaveLen(1), kind)
		wc := configs[0]
		g.Expect(wc.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/name", "roster"))
		if v.certManager {
			g.Expect(wc.GetAnnotations()).To(HaveKeyWithValue("cert-manager.io/inject-ca-from", "roster-system/roster-serving-cert"))
		} else {
			g.Expect(wc.GetAnnotations()).NotTo(HaveKey("cert-manager.io/inject-ca-from"))
		}
		webhooks, _, _ := unstructured.NestedSlice(wc.Object, "webhooks")
		g.Expect(webhooks).NotTo(BeEmpty())
		for _, w := range webhooks {
			svc, _, _ := unstructured.NestedStringMap(w.(map[string]any), "clientConfig", "service")
			g.Expect(svc).To(HaveKeyWithValue("name", "roster-webhook-service"))
			g.Expect(svc).To(HaveKeyWithValue("namespace", installNamespace))
		}
	}
}

// TestHelmManagerRBACPolicyFollowsTheRelease renders the chart under
// another release name and namespace: the policy must follow the manager's
// service account there, or it would limit nobody.
func TestHelmManagerRBACPolicyFollowsTheRelease(t *testing.T) {
	g := NewWithT(t)
	out, err := run("helm", "template", "directory", "charts/roster", "--namespace", "identity")
	g.Expect(err).NotTo(HaveOccurred())
	objs, err := decode(out)
	g.Expect(err).NotTo(HaveOccurred())
	checkManagerRBACPolicy(g, objs, "directory-roster-manager-rbac")
	g.Expect(string(out)).NotTo(ContainSubstring("roster-system"))
}

func TestKustomizeAndHelmInstallTheSameObjects(t *testing.T) {
	pairs := [][2]variant{{variants[0], variants[2]}, {variants[1], variants[3]}}
	for _, pair := range pairs {
		t.Run(pair[0].name+" = "+pair[1].name, func(t *testing.T) {
			g := NewWithT(t)
			key := func(o *unstructured.Unstructured) string {
				return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
			}
			keys := func(objs []*unstructured.Unstructured) []string {
				var out []string
				for _, o := range objs {
					if o.GetKind() == "Namespace" {
						continue // Helm installs into an existing namespace.
					}
					out = append(out, key(o))
				}
				sort.Strings(out)
				return out
			}
			k, h := mustRender(t, pair[0]), mustRender(t, pair[1])
			g.Expect(keys(h)).To(Equal(keys(k)))

			// The same rules in every (Cluster)Role, and every flag
			// kustomize passes is passed by Helm with the same value.
			for _, o := range k {
				if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
					continue
				}
				kr, err := rulesOf(o)
				g.Expect(err).NotTo(HaveOccurred())
				hr, err := rulesOf(find(h, o.GetKind(), o.GetName()))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(hr).To(Equal(kr), "%s %s", o.GetKind(), o.GetName())
			}
			kargs, _, err := managerArgs(k)
			g.Expect(err).NotTo(HaveOccurred())
			hargs, _, err := managerArgs(h)
			g.Expect(err).NotTo(HaveOccurred())
			for flag, value := range kargs {
				g.Expect(hargs).To(HaveKeyWithValue(flag, value), "--%s", flag)
			}
		})
	}
}

// TestRenderedArgsAreManagerFlags runs the manager binary with each
// install's arguments and -h: it exits 0 only when every argument is one of
// its flags with a valid value, so the manifests cannot drift from main.go.
func TestRenderedArgsAreManagerFlags(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "manager")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/manager: %v\n%s", err, out)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			_, args, err := managerArgs(mustRender(t, v))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(ctx, bin, append(args, "-h")...)
			cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("manager %s -h: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 5))
			}
		})
	}
	t.Run("a wrong flag is caught", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, "--no-such-flag", "-h")
		if err := cmd.Run(); err == nil {
			t.Fatal("the manager accepted an unknown flag: this test cannot fail")
		}
	})
}

func TestPrometheusRulesAndDocsNameServedMetrics(t *testing.T) {
	g := NewWithT(t)
	root, err := repoRoot()
	g.Expect(err).NotTo(HaveOccurred())

	// What the manager serves: every metric registered with
	// controller-runtime's registry by the packages the manager links
	// (internal/manager imports them all), with an organization in the cache.
	scheme := runtime.NewScheme()
	g.Expect(orgsv1alpha1.AddToScheme(scheme)).To(Succeed())
	metrics.Watch(fake.NewClientBuilder().WithScheme(scheme).WithObjects(&orgsv1alpha1.Organization{}).Build())
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	g.Expect(registered(metrics.OrganizationOwnersName)).To(BeTrue())
	g.Expect(registered("roster_no_such_metric")).To(BeFalse(), "registered() can fail")
	// Counted by the invitation notifier (internal/notify, internal/metrics).
	const deliveries = "roster_invitation_deliveries_total"

	rules, err := os.ReadFile(filepath.Join(root, "config/prometheus/rules.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var rule struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Alert string `json:"alert"`
					Expr  string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	g.Expect(yaml.Unmarshal(rules, &rule)).To(Succeed())
	names := regexp.MustCompile(`\b(roster_[a-z_]+|controller_runtime_[a-z_]+)\b`)
	alerts := map[string]string{}
	for _, group := range rule.Spec.Groups {
		for _, r := range group.Rules {
			alerts[r.Alert] = r.Expr
			for _, name := range names.FindAllString(r.Expr, -1) {
				if name == deliveries && !registered(name) {
					t.Logf("%s is not registered yet (the invitation notifier's metric)", name)
					continue
				}
				g.Expect(registered(name)).To(BeTrue(), "alert %s uses %s, which the manager does not serve", r.Alert, name)
			}
		}
	}
	g.Expect(alerts).To(HaveKeyWithValue("RosterOrganizationWithoutOwner", ContainSubstring(metrics.OrganizationOwnersName)))
	g.Expect(alerts).To(HaveKeyWithValue("RosterInvitationDeliveriesFailing", ContainSubstring(deliveries+`{result="failure"}`)))

	// docs/metrics.md lists every roster_ metric the manager serves.
	doc, err := os.ReadFile(filepath.Join(root, "docs/metrics.md"))
	g.Expect(err).NotTo(HaveOccurred())
	for name := range served {
		if strings.HasPrefix(name, "roster_") {
			g.Expect(string(doc)).To(ContainSubstring("`"+name+"`"), "docs/metrics.md does not list %s", name)
		}
	}
}

// registered says whether a metric of that name is registered with
// controller-runtime's registry, even a vector with no series yet: a probe
// of the same name is refused then.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
	if err := ctrlmetrics.Registry.Register(probe); err != nil {
		return true
	}
	ctrlmetrics.Registry.Unregister(probe)
	return false
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsAny(list []string, s ...string) bool {
	for _, v := range s {
		if contains(list, v) {
			return true
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
