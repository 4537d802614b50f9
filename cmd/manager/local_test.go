package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// TestLocalMode runs the manager as `make run` does on a machine with no
// cluster: it must start its own control plane, write a kubeconfig only
// once it serves, print each invitation link as one line of its own, refuse
// a second instance on the same ports before starting anything, and exit 0
// leaving no process behind when stopped with Ctrl-C.
func TestLocalMode(t *testing.T) {
	assets, err := testenv.AssetsDir()
	if errors.Is(err, testenv.ErrNoAssets) {
		t.Skip(err.Error())
	}
	g := NewWithT(t)
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	probe, err := testenv.FreeAddress()
	g.Expect(err).NotTo(HaveOccurred())
	dataDir := filepath.Join(dir, "etcd")
	kubeconfig := filepath.Join(dir, "out", "kubeconfig")
	first := startManager(t, bin, filepath.Join(dir, "first"), assets,
		"--health-probe-bind-address="+probe, "--accept-bind-address=127.0.0.1:0",
		"--data-dir="+dataDir, "--kubeconfig-out="+kubeconfig)

	g.Eventually(func() error { _, err := os.Stat(kubeconfig); return err }, time.Minute, 100*time.Millisecond).
		Should(Succeed(), "no kubeconfig; stderr:\n%s", first.stderr)
	t.Logf("local mode ready in %s", time.Since(first.started).Round(time.Millisecond))
	g.Eventually(first.stdout.String).Should(ContainSubstring("export KUBECONFIG=" + kubeconfig))

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	scheme := runtime.NewScheme()
	g.Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	g.Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	g.Expect(orgsv1alpha1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	ctx := context.Background()
	var crds apiextensionsv1.CustomResourceDefinitionList
	g.Expect(c.List(ctx, &crds)).To(Succeed())
	var names []string
	for _, crd := range crds.Items {
		names = append(names, crd.Name)
	}
	g.Expect(names).To(ContainElements("organizations.orgs.roster.dev", "members.orgs.roster.dev", "invitations.orgs.roster.dev"))

	// An invitation's link is one short line on stdout, and at the default
	// (info) level the log holds neither the link nor debug entries.
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "org-acme"}})).To(Succeed())
	g.Expect(c.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}})).To(Succeed())
	g.Expect(c.Create(ctx, &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "judy"},
		Spec:       orgsv1alpha1.InvitationSpec{Email: "judy@example.com", Role: orgsv1alpha1.RoleViewer},
	})).To(Succeed())
	linkLine := regexp.MustCompile(`(?m)^invitation for judy@example\.com \(Viewer in acme\): http://127\.0\.0\.1:\d+/invitations/accept\?token=[A-Za-z0-9_-]+$`)
	g.Eventually(first.stdout.String, 30*time.Second).Should(MatchRegexp(linkLine.String()), "stderr:\n%s", first.stderr)
	inv := &orgsv1alpha1.Invitation{}
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "org-acme", Name: "judy"}, inv)).To(Succeed())
	g.Expect(inv.Status.Notifier).To(Equal("log"), "the plugin reads it to say the link is in this terminal")
	g.Expect(first.stderr.String()).NotTo(ContainSubstring("token="), "the link is printed once, on stdout")
	g.Expect(first.stderr.String()).NotTo(ContainSubstring("DEBUG"), "local mode logs at info by default")

	// A second instance on the same ports is refused at once, before it
	// starts a control plane (nothing of its own runs; the first's data
	// directory is untouched).
	secondTmp := filepath.Join(dir, "second")
	second := startManager(t, bin, secondTmp, assets,
		"--health-probe-bind-address="+probe, "--data-dir="+dataDir, "--kubeconfig-out="+filepath.Join(dir, "out2", "kubeconfig"))
	select {
	case err := <-second.exited:
		var exit *exec.ExitError
		g.Expect(errors.As(err, &exit)).To(BeTrue(), "the second instance must fail; got %v", err)
		g.Expect(exit.ExitCode()).To(Equal(1))
		g.Expect(time.Since(second.started)).To(BeNumerically("<", 3*time.Second))
		t.Logf("second instance refused in %s", time.Since(second.started).Round(time.Millisecond))
	case <-time.After(3 * time.Second):
		t.Fatalf("a second instance on the same ports was not refused within 3 s; stderr:\n%s", second.stderr)
	}
	g.Expect(second.stderr.String()).To(ContainSubstring("--health-probe-bind-address=" + probe + " already taken"))
	g.Expect(second.stderr.String()).To(ContainSubstring("another Roster (a second `make run`?) is probably running"))
	g.Expect(second.stderr.String()).NotTo(ContainSubstring("starting a local control plane"))
	g.Expect(second.stderr.String()).NotTo(ContainSubstring("goroutine "), "no stack trace")
	g.Expect(processesMentioning(secondTmp)).To(BeEmpty(), "the refused instance started processes")
	g.Expect(filepath.Join(dir, "out2")).NotTo(BeADirectory())

	g.Expect(first.cmd.Process.Signal(syscall.SIGINT)).To(Succeed())
	select {
	case err := <-first.exited:
		g.Expect(err).NotTo(HaveOccurred(), "Ctrl-C must exit 0; stderr:\n%s", first.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("the manager did not stop within a minute of Ctrl-C; stderr:\n%s", first.stderr)
	}
	g.Expect(processesMentioning(first.tmp)).To(BeEmpty(), "processes left behind")
}

// managerProcess is the manager running as a child process.
type managerProcess struct {
	cmd            *exec.Cmd
	tmp            string
	stdout, stderr *testenv.SyncBuffer
	started        time.Time
	exited         chan error
}

// startManager starts bin with args, as on a machine with no cluster. Its
// temporary files (etcd data, certificates) go under tmp, so its processes
// can be recognised by their command lines.
func startManager(t *testing.T, bin, tmp, assets string, args ...string) *managerProcess {
	t.Helper()
	g := NewWithT(t)
	g.Expect(os.MkdirAll(tmp, 0o700)).To(Succeed())
	p := &managerProcess{cmd: exec.Command(bin, args...), tmp: tmp, stdout: &testenv.SyncBuffer{}, stderr: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	// No ~/.kube/config: local mode is the default. HOME moves, so the
	// child is told where the binaries are.
	p.cmd.Env = append(withoutKubeconfig(os.Environ()), "TMPDIR="+tmp, "HOME="+filepath.Join(tmp, "home"), "KUBEBUILDER_ASSETS="+assets)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.started = time.Now()
	g.Expect(p.cmd.Start()).To(Succeed())
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
	})
	return p
}

func withoutKubeconfig(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "KUBECONFIG=") && !strings.HasPrefix(kv, "KUBERNETES_SERVICE_HOST=") {
			out = append(out, kv)
		}
	}
	return out
}

// processesMentioning lists the command lines of running processes that
// mention s.
func processesMentioning(s string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		found = append(found, strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}
