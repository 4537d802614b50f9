package deploy_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/certs"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/testenv"
)

// installer is the field manager of the install: a GitOps tool or kubectl
// apply --server-side.
const installer = "roster-install"

// certManagerCRDs stand in for cert-manager's: the API server only has to
// store Issuers and Certificates, not act on them. Installing cert-manager
// itself would need its controllers and webhook running.
func certManagerCRDs() []*apiextensionsv1.CustomResourceDefinition {
	crd := func(kind, plural string) *apiextensionsv1.CustomResourceDefinition {
		preserve := true
		return &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: plural + ".cert-manager.io"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "cert-manager.io",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: plural[:len(plural)-1]},
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: &preserve,
					}},
				}},
			},
		}
	}
	return []*apiextensionsv1.CustomResourceDefinition{crd("Issuer", "issuers"), crd("Certificate", "certificates")}
}

// apply applies objects with server-side apply, as their owner.
func apply(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) (map[string]string, error) {
	for _, o := range objs {
		obj := o.DeepCopy()
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(installer), client.ForceOwnership); err != nil {
			return nil, fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
	return resourceVersions(ctx, c, objs)
}

// installScheme knows the built-in types, CRDs and Roster's.
func installScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(orgsv1alpha1.AddToScheme(s))
	return s
}

func key(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// installOrder: what others depend on first (CRDs, the namespace), the
// webhook configurations last, as kubectl, Argo CD and Flux order them.
func installOrder(objs []*unstructured.Unstructured) (first, rest []*unstructured.Unstructured) {
	var last []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "CustomResourceDefinition", "Namespace":
			first = append(first, o)
		case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
			last = append(last, o)
		default:
			rest = append(rest, o)
		}
	}
	return first, append(rest, last...)
}

var _ = Describe("The rendered install, applied with server-side apply", func() {
	for _, v := range variants {
		It("installs cleanly from "+v.name, func(ctx SpecContext) {
			assets := testenv.RequireAssets()
			objs, err := v.render()
			Expect(err).NotTo(HaveOccurred())

			env := &envtest.Environment{BinaryAssetsDirectory: assets}
			if v.certManager {
				env.CRDInstallOptions = envtest.CRDInstallOptions{CRDs: certManagerCRDs()}
			}
			cfg, err := env.Start()
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(env.Stop)
			admin, err := client.New(cfg, client.Options{Scheme: installScheme()})
			Expect(err).NotTo(HaveOccurred())

			if !v.namespaceShipped {
				Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: installNamespace}})).To(Succeed())
			}
			first, rest := installOrder(objs)
			_, err = apply(ctx, admin, first)
			Expect(err).NotTo(HaveOccurred())
			for _, o := range first {
				if o.GetKind() != "CustomResourceDefinition" {
					continue
				}
				Eventually(func(g Gomega) {
					crd := &apiextensionsv1.CustomResourceDefinition{}
					g.Expect(admin.Get(ctx, client.ObjectKey{Name: o.GetName()}, crd)).To(Succeed())
					g.Expect(crd.Status.Conditions).To(ContainElement(And(
						HaveField("Type", apiextensionsv1.Established), HaveField("Status", apiextensionsv1.ConditionTrue))))
				}).Should(Succeed())
			}
			versions, err := apply(ctx, admin, rest)
			Expect(err).NotTo(HaveOccurred())
			Expect(versions).To(HaveLen(len(rest)))

			By("the manager's ClusterRole in the cluster is the one generated from the RBAC markers")
			generated, err := generatedManagerRules()
			Expect(err).NotTo(HaveOccurred())
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(find(objs, "ClusterRole", managerRole).GroupVersionKind())
			Expect(admin.Get(ctx, client.ObjectKey{Name: managerRole}, live)).To(Succeed())
			rules, err := rulesOf(live)
			Expect(err).NotTo(HaveOccurred())
			Expect(equality.Semantic.DeepEqual(rules, generated)).To(BeTrue(), "live %v\ngenerated %v", rules, generated)

			By("the installed service account may write the RBAC access.Render makes, and not bind admin cluster-wide")
			expectManagerRBACPolicy(ctx, env)

			if !v.certManager {
				By("self-managed certificates: the manager, as the installed service account, rotates them and serves")
				expectCertificateRotation(ctx, env, cfg, admin, objs)
			}

			By("applying the same install again changes nothing, also after the manager wrote its certificates")
			before, err := resourceVersions(ctx, admin, objs)
			Expect(err).NotTo(HaveOccurred())
			_, err = apply(ctx, admin, first)
			Expect(err).NotTo(HaveOccurred())
			_, err = apply(ctx, admin, rest)
			Expect(err).NotTo(HaveOccurred())
			after, err := resourceVersions(ctx, admin, objs)
			Expect(err).NotTo(HaveOccurred())
			Expect(after).To(Equal(before))
		}, SpecTimeout(5*time.Minute))
	}
})

// expectManagerRBACPolicy acts as the installed manager's service account,
// with dry runs: the ClusterRoles access.Render makes are admitted, a
// ClusterRoleBinding to admin is refused by the installed
// ValidatingAdmissionPolicy.
func expectManagerRBACPolicy(ctx context.Context, env *envtest.Environment) {
	GinkgoHelper()
	sa := "system:serviceaccount:" + installNamespace + ":roster-controller-manager"
	user, err := env.AddUser(envtest.User{Name: sa, Groups: []string{
		"system:serviceaccounts", "system:serviceaccounts:" + installNamespace, "system:authenticated",
	}}, nil)
	Expect(err).NotTo(HaveOccurred())
	mgr, err := client.New(user.Config(), client.Options{Scheme: installScheme()})
	Expect(err).NotTo(HaveOccurred())
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "00000000-0000-0000-0000-000000000001"}}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "roster:org:acme:admin-everywhere", Labels: map[string]string{
			orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue, access.AccessForLabel: "acme",
		}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "mallory@example.com"}},
	}
	// The API server enforces a new policy once it has compiled it.
	Eventually(func(g Gomega) {
		err := mgr.Create(ctx, crb.DeepCopy(), client.DryRunAll)
		g.Expect(err).To(HaveOccurred(), "the manager's service account bound admin cluster-wide")
		g.Expect(err.Error()).To(ContainSubstring("ValidatingAdmissionPolicy 'roster-manager-rbac' with binding 'roster-manager-rbac' denied request"))
	}).Should(Succeed())
	for _, obj := range access.Render(access.Snapshot{Organization: org}) {
		if cr, ok := obj.(*rbacv1.ClusterRole); ok {
			cr.OwnerReferences = nil // no such Organization here
			Expect(mgr.Create(ctx, cr, client.DryRunAll)).To(Succeed(), cr.Name)
		}
	}
}

// resourceVersions reads the resourceVersion of every object.
func resourceVersions(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) (map[string]string, error) {
	versions := map[string]string{}
	for _, o := range objs {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), live); err != nil {
			return nil, err
		}
		versions[key(o)] = live.GetResourceVersion()
	}
	return versions, nil
}

// expectCertificateRotation runs the manager in-process as the installed
// service account (so under the install's RBAC, nothing more) with
// self-managed certificates and the flags the install passes, plays the
// kubelet by projecting the Secret into the certificate directory, and
// checks the webhook configurations trust the CA and the webhook server
// serves the certificate. Re-applying the install afterwards must not
// change the objects the manager wrote.
func expectCertificateRotation(ctx context.Context, env *envtest.Environment, cfg *rest.Config, admin client.Client, objs []*unstructured.Unstructured) {
	GinkgoHelper()
	args, _, err := managerArgs(objs)
	Expect(err).NotTo(HaveOccurred())
	Expect(args).To(HaveKeyWithValue("webhook-cert-mode", certs.ModeSelfManaged))
	opts := certs.Options{
		Namespace:                      installNamespace,
		SecretName:                     orDefault(args["webhook-cert-secret"], certs.DefaultSecretName),
		ServiceName:                    orDefault(args["webhook-service"], certs.DefaultServiceName),
		ValidatingWebhookConfiguration: orDefault(args["validating-webhook-configuration"], certs.DefaultValidatingWebhookConfiguration),
		MutatingWebhookConfiguration:   orDefault(args["mutating-webhook-configuration"], certs.DefaultMutatingWebhookConfiguration),
		CertDir:                        GinkgoT().TempDir(),
		ControllerName:                 fmt.Sprintf("cert-rotator-%d", rotations.Add(1)),
	}
	sa := "system:serviceaccount:" + installNamespace + ":roster-controller-manager"
	user, err := env.AddUser(envtest.User{Name: sa, Groups: []string{
		"system:serviceaccounts", "system:serviceaccounts:" + installNamespace, "system:authenticated",
	}}, cfg)
	Expect(err).NotTo(HaveOccurred())

	port, metricsPort := testenv.FreePort(), testenv.FreePort()
	mgrCtx, stop := context.WithCancel(ctx)
	mgr, err := manager.New(mgrCtx, user.Config(), manager.Options{
		MetricsAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(metricsPort)), ProbeAddr: "0",
		EnableWebhooks:   true,
		Webhook:          webhook.Options{Host: "127.0.0.1", Port: port, CertDir: opts.CertDir},
		ManagerNamespace: installNamespace,
		CertRotation:     &opts,
	})
	Expect(err).NotTo(HaveOccurred())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	DeferCleanup(func() {
		stop()
		Eventually(done).WithTimeout(30 * time.Second).Should(Receive())
	})
	go projectSecret(mgrCtx, admin, client.ObjectKey{Namespace: installNamespace, Name: opts.SecretName}, opts.CertDir)

	secret := &corev1.Secret{}
	Eventually(func(g Gomega) {
		g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: installNamespace, Name: opts.SecretName}, secret)).To(Succeed())
		g.Expect(secret.Data).To(HaveKey("ca.crt"))
		g.Expect(secret.Data).To(HaveKey("tls.crt"))
		for _, name := range []string{opts.ValidatingWebhookConfiguration, opts.MutatingWebhookConfiguration} {
			kind := "ValidatingWebhookConfiguration"
			if name == opts.MutatingWebhookConfiguration {
				kind = "MutatingWebhookConfiguration"
			}
			wc := &unstructured.Unstructured{}
			wc.SetGroupVersionKind(find(objs, kind, name).GroupVersionKind())
			g.Expect(admin.Get(ctx, client.ObjectKey{Name: name}, wc)).To(Succeed())
			webhooks, _, _ := unstructured.NestedSlice(wc.Object, "webhooks")
			g.Expect(webhooks).NotTo(BeEmpty())
			for _, w := range webhooks {
				bundle, _, _ := unstructured.NestedString(w.(map[string]any), "clientConfig", "caBundle")
				g.Expect(bundle).To(Equal(base64.StdEncoding.EncodeToString(secret.Data["ca.crt"])), "%s %s trusts the CA", kind, name)
			}
		}
	}).Should(Succeed())

	By("the webhook server serves the rotated certificate, valid for the Service's DNS name")
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(secret.Data["ca.crt"])).To(BeTrue())
	Eventually(func(g Gomega) {
		conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &tls.Config{
			RootCAs: pool, ServerName: opts.DNSNames()[0], MinVersion: tls.VersionTLS12,
		})
		g.Expect(err).NotTo(HaveOccurred())
		_ = conn.Close()
	}).Should(Succeed())
	Expect(mgr.GetWebhookServer().StartedChecker()(nil)).To(Succeed())

	By("the metrics endpoint serves an account bound to roster-metrics-reader, and no one else")
	expectSecuredMetrics(ctx, admin, metricsPort)
}

// expectSecuredMetrics scrapes the metrics endpoint with service account
// tokens, as Prometheus does: served to an account bound to the installed
// metrics-reader ClusterRole, refused to another. The manager checks tokens
// and bindings with the installed metrics-auth RBAC. (The endpoint caches a
// refusal for 30 seconds, hence two accounts rather than one bound late.)
func expectSecuredMetrics(ctx context.Context, admin client.Client, port int) {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}
	Expect(admin.Create(ctx, ns)).To(Succeed())
	token := func(name string) string {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name}}
		Expect(admin.Create(ctx, sa)).To(Succeed())
		tr := &authenticationv1.TokenRequest{}
		Expect(admin.SubResource("token").Create(ctx, sa, tr)).To(Succeed())
		return tr.Status.Token
	}
	prometheus, stranger := token("prometheus"), token("stranger")
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-roster-metrics"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns.Name, Name: "prometheus"}},
	})).To(Succeed())

	scrape := func(token string) (int, string, error) {
		transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // the endpoint's certificate is self-signed, like the ServiceMonitor says
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(port))+"/metrics", nil)
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Transport: transport, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	Eventually(func(g Gomega) {
		code, body, err := scrape(prometheus)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusOK))
		g.Expect(body).To(ContainSubstring(metrics.CollectErrorsName))
		g.Expect(body).To(ContainSubstring("controller_runtime_"))
	}).Should(Succeed())
	code, _, err := scrape(stranger)
	Expect(err).NotTo(HaveOccurred())
	Expect(code).To(Equal(http.StatusForbidden))
	code, _, err = scrape("not-a-token")
	Expect(err).NotTo(HaveOccurred())
	Expect(code).NotTo(Equal(http.StatusOK), "served without a valid token")
}

// rotations numbers the rotation controllers of this process.
var rotations atomic.Int32

// projectSecret does the kubelet's part: it writes the Secret's keys into
// dir whenever they change.
func projectSecret(ctx context.Context, c client.Client, key client.ObjectKey, dir string) {
	defer GinkgoRecover()
	written := ""
	for ctx.Err() == nil {
		secret := &corev1.Secret{}
		if err := c.Get(ctx, key, secret); err == nil && secret.ResourceVersion != written && len(secret.Data["tls.crt"]) > 0 {
			for name, data := range secret.Data {
				tmp := filepath.Join(dir, "."+name)
				if err := os.WriteFile(tmp, data, 0o600); err == nil {
					_ = os.Rename(tmp, filepath.Join(dir, name))
				}
			}
			written = secret.ResourceVersion
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
