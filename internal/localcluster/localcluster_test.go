package localcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// assetsOrSkip returns the assets directory; the test fails when the
// control-plane binaries have not been built and skips only when
// ROSTER_SKIP_ENVTEST asks to.
func assetsOrSkip(t *testing.T) string {
	t.Helper()
	dir, err := TestAssetsDir()
	if errors.Is(err, ErrSkipEnvtest) {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func testCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.test.roster.dev"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "test.roster.dev",
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList",
			},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{
					OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"size": {Type: "integer"},
							}},
						},
					},
				},
			}},
		},
	}
}

func testClusterRole() *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "roster-test-widget-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"test.roster.dev"},
			Resources: []string{"widgets"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
}

func TestStartStop(t *testing.T) {
	assets := assetsOrSkip(t)
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	begin := time.Now()
	c, err := Start(ctx, Options{
		AssetsDir: assets,
		CRDs:      []*apiextensionsv1.CustomResourceDefinition{testCRD()},
		Objects:   []client.Object{testClusterRole()},
		Log:       testr.New(t),
	})
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("Start took %s", time.Since(begin))
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()

	cl, err := client.New(c.Config(), client.Options{})
	g.Expect(err).NotTo(HaveOccurred())

	// The CRD is served.
	widget := &unstructured.Unstructured{}
	widget.SetGroupVersionKind(schema.GroupVersionKind{Group: "test.roster.dev", Version: "v1", Kind: "Widget"})
	widget.SetNamespace("default")
	widget.SetName("w1")
	g.Expect(unstructured.SetNestedField(widget.Object, int64(3), "spec", "size")).To(Succeed())
	g.Expect(cl.Create(ctx, widget)).To(Succeed())

	// The ClusterRole was applied by the field owner.
	var cr rbacv1.ClusterRole
	g.Expect(cl.Get(ctx, client.ObjectKey{Name: "roster-test-widget-reader"}, &cr)).To(Succeed())
	g.Expect(cr.Rules).To(HaveLen(1))
	var managers []string
	for _, mf := range cr.ManagedFields {
		managers = append(managers, mf.Manager)
	}
	g.Expect(managers).To(ContainElement(FieldOwner))

	// kube-controller-manager aggregated the built-in roles.
	for _, name := range aggregatedRoles {
		var role rbacv1.ClusterRole
		g.Expect(cl.Get(ctx, client.ObjectKey{Name: name}, &role)).To(Succeed())
		g.Expect(role.Rules).NotTo(BeEmpty(), "ClusterRole %s has no rules", name)
	}

	// Namespace deletion completes (namespace-controller), with content in it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "doomed"}}
	g.Expect(cl.Create(ctx, ns)).To(Succeed())
	g.Expect(cl.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "doomed", Name: "cm"}})).To(Succeed())
	w2 := widget.DeepCopy()
	w2.SetNamespace("doomed")
	w2.SetResourceVersion("")
	g.Expect(cl.Create(ctx, w2)).To(Succeed())
	g.Expect(cl.Delete(ctx, ns)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(cl.Get(ctx, client.ObjectKey{Name: "doomed"}, &corev1.Namespace{}))
	}, 60*time.Second, 200*time.Millisecond).Should(BeTrue(), "namespace deletion did not complete")

	// Garbage collection: a ConfigMap owned by a deleted ConfigMap goes away.
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "owner"}}
	g.Expect(cl.Create(ctx, owner)).To(Succeed())
	dependent := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: "default", Name: "dependent",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
	}}
	g.Expect(cl.Create(ctx, dependent)).To(Succeed())
	g.Expect(cl.Delete(ctx, owner)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(cl.Get(ctx, client.ObjectKeyFromObject(dependent), &corev1.ConfigMap{}))
	}, 60*time.Second, 200*time.Millisecond).Should(BeTrue(), "dependent was not garbage-collected")

	// The kubeconfig written to disk works on its own.
	kcPath := filepath.Join(t.TempDir(), "sub", "dir", "kubeconfig")
	g.Expect(c.WriteKubeconfig(kcPath)).To(Succeed())
	fi, err := os.Stat(kcPath)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	entries, err := os.ReadDir(filepath.Dir(kcPath))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "temporary file left behind")
	g.Expect(c.WriteKubeconfig(kcPath)).To(Succeed(), "overwriting")
	restCfg, err := clientcmd.BuildConfigFromFlags("", kcPath)
	g.Expect(err).NotTo(HaveOccurred())
	cl2, err := client.New(restCfg, client.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	var nsList corev1.NamespaceList
	g.Expect(cl2.List(ctx, &nsList)).To(Succeed())
	g.Expect(nsList.Items).NotTo(BeEmpty())

	// Webhook server options are filled in.
	wo := c.WebhookServerOptions()
	g.Expect(wo.Port).NotTo(BeZero())
	g.Expect(filepath.Join(wo.CertDir, "tls.crt")).To(BeAnExistingFile())

	// The three control-plane processes are children of this process...
	children := controlPlaneChildren(t)
	g.Expect(children).To(HaveLen(3), "children: %v", children)
	g.Expect(children).To(HaveKey(c.kcm.pid()))
	workDir, certDir, guardPID := c.workDir, wo.CertDir, c.guard.pid()
	if runtime.GOOS == "linux" {
		g.Expect(guardPID).NotTo(BeZero())
		g.Expect(c.guard.groups()).To(HaveLen(3), "guarded process groups")
		for pid := range children {
			g.Expect(c.guard.groups()).To(HaveKey(pid))
		}
	}

	begin = time.Now()
	g.Expect(c.Stop()).To(Succeed())
	stopped = true
	t.Logf("Stop took %s", time.Since(begin))
	g.Expect(c.Stop()).To(Succeed(), "second Stop")

	// ...and are gone after Stop, with the temporary files.
	g.Expect(controlPlaneChildren(t)).To(BeEmpty())
	if guardPID != 0 {
		g.Expect(processGone(guardPID)).To(BeTrue(), "guard process left behind")
	}
	g.Expect(workDir).NotTo(BeAnExistingFile())
	g.Expect(certDir).NotTo(BeAnExistingFile())
}

func TestDataDirReuse(t *testing.T) {
	assets := assetsOrSkip(t)
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dataDir := filepath.Join(t.TempDir(), "etcd")
	opts := Options{
		AssetsDir: assets,
		DataDir:   dataDir,
		CRDs:      []*apiextensionsv1.CustomResourceDefinition{testCRD()},
		Objects:   []client.Object{testClusterRole()},
		Log:       testr.New(t),
	}

	begin := time.Now()
	c, err := Start(ctx, opts)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("first Start took %s", time.Since(begin))
	cl, err := client.New(c.Config(), client.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cl.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "survivor"},
		Data:       map[string]string{"k": "v"},
	})).To(Succeed())
	g.Expect(c.Stop()).To(Succeed())
	g.Expect(dataDir).To(BeADirectory(), "Stop removed the user's data dir")
	g.Expect(controlPlaneChildren(t)).To(BeEmpty())

	// Same Options again: the CRD and objects are re-applied over the old
	// state, and the ConfigMap survived.
	begin = time.Now()
	c, err = Start(ctx, opts)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("second Start took %s", time.Since(begin))
	defer func() { g.Expect(c.Stop()).To(Succeed()) }()

	// A concurrent Start on the same DataDir fails at once.
	begin = time.Now()
	_, err = Start(ctx, opts)
	g.Expect(err).To(MatchError(ContainSubstring("in use by another etcd")))
	g.Expect(time.Since(begin)).To(BeNumerically("<", 5*time.Second))

	cl, err = client.New(c.Config(), client.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	var cm corev1.ConfigMap
	g.Expect(cl.Get(ctx, client.ObjectKey{Namespace: "default", Name: "survivor"}, &cm)).To(Succeed())
	g.Expect(cm.Data).To(HaveKeyWithValue("k", "v"))
}

// controlPlaneChildren returns the etcd, kube-apiserver and
// kube-controller-manager processes whose parent is this test process, by
// pid.
func controlPlaneChildren(t *testing.T) map[int]string {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	return childrenOf(os.Getpid())
}

// childrenOf walks /proc for etcd, kube-apiserver and
// kube-controller-manager processes whose parent is ppid. The names are
// as in /proc/<pid>/stat: truncated to 15 characters ("kube-controller").
func childrenOf(ppid int) map[int]string {
	entries, _ := os.ReadDir("/proc")
	found := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may contain spaces and parentheses.
		s := string(data)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		comm := s[open+1 : closing]
		fields := strings.Fields(s[closing+1:])
		if len(fields) < 2 {
			continue
		}
		if p, _ := strconv.Atoi(fields[1]); p != ppid {
			continue
		}
		for _, name := range Binaries {
			if name != "kubectl" && strings.HasPrefix(name, comm) {
				found[pid] = comm
			}
		}
	}
	return found
}

func TestDefaultAssetsDir(t *testing.T) {
	g := NewWithT(t)
	fill := func(dir string, binaries ...string) string {
		g.Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		for _, b := range binaries {
			g.Expect(os.WriteFile(filepath.Join(dir, b), []byte("#!/bin/sh\n"), 0o755)).To(Succeed())
		}
		return dir
	}
	version := filepath.Join("k8s", KubernetesVersion+"-"+runtimeTriple())
	full := fill(t.TempDir(), Binaries...)
	partial := fill(t.TempDir(), "etcd")
	home, xdg, store := t.TempDir(), t.TempDir(), t.TempDir()
	homeDir := filepath.Join(home, ".local", "share", "kubebuilder-envtest", version)
	xdgDir := filepath.Join(xdg, "kubebuilder-envtest", version)
	storeDir := filepath.Join(store, version)
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("ENVTEST_STORE", "")
	t.Setenv("KUBEBUILDER_ASSETS", "")
	t.Setenv(SkipEnvtestEnv, "")

	expectMissing := func(dir string, missing ...string) {
		t.Helper()
		got, err := DefaultAssetsDir()
		g.Expect(got).To(Equal(dir))
		g.Expect(err).To(MatchError(ContainSubstring("missing from " + dir)))
		g.Expect(err).To(MatchError(ContainSubstring("run make envtest (hack/envtest-binaries.sh")))
		for _, b := range missing {
			g.Expect(err).To(MatchError(ContainSubstring(b)))
		}
		_, err = TestAssetsDir()
		g.Expect(err).To(MatchError(ContainSubstring("make envtest")))
		g.Expect(err).To(MatchError(ContainSubstring("set ROSTER_SKIP_ENVTEST=1")))
		g.Expect(errors.Is(err, ErrSkipEnvtest)).To(BeFalse(), "missing binaries fail, they do not skip")
	}
	expectFound := func(dir string) {
		t.Helper()
		got, err := DefaultAssetsDir()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(dir))
		env := os.Getenv("KUBEBUILDER_ASSETS")
		got, err = TestAssetsDir()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(dir))
		g.Expect(os.Getenv("KUBEBUILDER_ASSETS")).To(Equal(dir), "exported for envtest.Environment")
		t.Setenv("KUBEBUILDER_ASSETS", env)
	}

	// Nothing set: the setup-envtest store under ~/.local/share.
	expectMissing(homeDir, Binaries...)
	fill(homeDir, Binaries...)
	expectFound(homeDir)

	// XDG_DATA_HOME moves the store; ENVTEST_STORE replaces it.
	t.Setenv("XDG_DATA_HOME", xdg)
	expectMissing(xdgDir, Binaries...)
	fill(xdgDir, "etcd", "kube-apiserver")
	expectMissing(xdgDir, "kube-controller-manager", "kubectl")
	fill(xdgDir, Binaries...)
	expectFound(xdgDir)
	t.Setenv("ENVTEST_STORE", store)
	expectMissing(storeDir, Binaries...)
	fill(storeDir, Binaries...)
	expectFound(storeDir)

	// KUBEBUILDER_ASSETS comes first when it holds every binary, else the
	// store is used, as hack/envtest-binaries.sh does.
	t.Setenv("KUBEBUILDER_ASSETS", full)
	expectFound(full)
	t.Setenv("KUBEBUILDER_ASSETS", partial)
	expectFound(storeDir)
	t.Setenv("ENVTEST_STORE", t.TempDir())
	_, err := DefaultAssetsDir()
	g.Expect(err).To(MatchError(ContainSubstring("KUBEBUILDER_ASSETS=" + partial + " does not hold them all either")))

	// Skipping is explicit only.
	for _, v := range []string{"1", "true"} {
		t.Setenv(SkipEnvtestEnv, v)
		_, err = TestAssetsDir()
		g.Expect(err).To(MatchError(ErrSkipEnvtest))
	}
	t.Setenv(SkipEnvtestEnv, "0")
	_, err = TestAssetsDir()
	g.Expect(errors.Is(err, ErrSkipEnvtest)).To(BeFalse())
	g.Expect(err).To(MatchError(ContainSubstring("make envtest")))
}

func TestStartReportsMissingBinaries(t *testing.T) {
	g := NewWithT(t)
	_, err := Start(context.Background(), Options{AssetsDir: t.TempDir()})
	g.Expect(err).To(MatchError(ContainSubstring("hack/envtest-binaries.sh")))
}

func TestClusterConfigured(t *testing.T) {
	g := NewWithT(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	old := serviceAccountTokenFile
	t.Cleanup(func() { serviceAccountTokenFile = old })
	serviceAccountTokenFile = filepath.Join(t.TempDir(), "token")

	g.Expect(ClusterConfigured()).To(BeFalse())

	// ~/.kube/config
	g.Expect(os.MkdirAll(filepath.Join(home, ".kube"), 0o700)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(home, ".kube", "config"), []byte("{}"), 0o600)).To(Succeed())
	g.Expect(ClusterConfigured()).To(BeTrue())

	// A set $KUBECONFIG replaces ~/.kube/config.
	missing := filepath.Join(t.TempDir(), "missing")
	t.Setenv("KUBECONFIG", missing)
	g.Expect(ClusterConfigured()).To(BeFalse())
	present := filepath.Join(t.TempDir(), "kc")
	g.Expect(os.WriteFile(present, []byte("{}"), 0o600)).To(Succeed())
	t.Setenv("KUBECONFIG", missing+string(os.PathListSeparator)+present)
	g.Expect(ClusterConfigured()).To(BeTrue())

	// In-cluster.
	t.Setenv("KUBECONFIG", missing)
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	g.Expect(ClusterConfigured()).To(BeFalse(), "no token file")
	g.Expect(os.WriteFile(serviceAccountTokenFile, []byte("t"), 0o600)).To(Succeed())
	g.Expect(ClusterConfigured()).To(BeTrue())
}

func runtimeTriple() string { return runtime.GOOS + "-" + runtime.GOARCH }
