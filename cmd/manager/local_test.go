package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/localcluster"
)

// TestLocalMode runs the manager as `make run` does on a machine with no
// cluster: it must start its own control plane, write a kubeconfig only
// once it serves, and leave no process behind when stopped with Ctrl-C.
func TestLocalMode(t *testing.T) {
	assets, err := localcluster.TestAssetsDir()
	if errors.Is(err, localcluster.ErrSkipEnvtest) {
		t.Skip(err.Error())
	}
	g := NewWithT(t)
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	// The child's temporary files (etcd data, certificates) go under tmp, so
	// its processes can be recognised by their command lines.
	tmp := filepath.Join(dir, "tmp")
	g.Expect(os.Mkdir(tmp, 0o700)).To(Succeed())
	kubeconfig := filepath.Join(dir, "out", "kubeconfig")
	home := filepath.Join(dir, "home") // no ~/.kube/config: local mode is the default
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--health-probe-bind-address=0", "--kubeconfig-out="+kubeconfig)
	// HOME moves, so the child is told where the binaries are.
	cmd.Env = append(withoutKubeconfig(os.Environ()), "TMPDIR="+tmp, "HOME="+home, "KUBEBUILDER_ASSETS="+assets)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	g.Expect(cmd.Start()).To(Succeed())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	g.Eventually(func() error { _, err := os.Stat(kubeconfig); return err }, time.Minute, 100*time.Millisecond).
		Should(Succeed(), "no kubeconfig; stderr:\n%s", &stderr)
	t.Logf("local mode ready in %s", time.Since(start).Round(time.Millisecond))
	g.Eventually(stdout.String).Should(ContainSubstring("export KUBECONFIG=" + kubeconfig))

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	scheme := runtime.NewScheme()
	g.Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	g.Expect(err).NotTo(HaveOccurred())
	var crds apiextensionsv1.CustomResourceDefinitionList
	g.Expect(c.List(context.Background(), &crds)).To(Succeed())
	var names []string
	for _, crd := range crds.Items {
		names = append(names, crd.Name)
	}
	g.Expect(names).To(ContainElements("organizations.orgs.roster.dev", "members.orgs.roster.dev", "invitations.orgs.roster.dev"))

	g.Expect(cmd.Process.Signal(syscall.SIGINT)).To(Succeed())
	select {
	case err := <-exited:
		g.Expect(err).NotTo(HaveOccurred(), "stderr:\n%s", &stderr)
	case <-time.After(time.Minute):
		t.Fatalf("the manager did not stop within a minute of Ctrl-C; stderr:\n%s", &stderr)
	}
	g.Expect(processesMentioning(tmp)).To(BeEmpty(), "processes left behind")
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
