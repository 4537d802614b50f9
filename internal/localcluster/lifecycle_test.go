package localcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

const helperEnv = "ROSTER_LOCALCLUSTER_HELPER"

// TestMain lets a test re-execute this binary as a helper process that
// starts a cluster and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	// envtest logs through controller-runtime's logger; the errors it
	// logs are also returned.
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

// helperMain starts a cluster, prints "pid <comm> <pid>" for each control
// plane child and "ready", then blocks.
func helperMain() int {
	c, err := Start(context.Background(), Options{AssetsDir: os.Getenv("KUBEBUILDER_ASSETS")})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	_ = c
	for pid, comm := range childrenOf(os.Getpid()) {
		fmt.Println("pid", comm, pid)
	}
	fmt.Println("ready")
	select {}
}

// TestControlPlaneDiesWithParent kills a process that started a cluster
// with SIGKILL (no Stop) and checks etcd, kube-apiserver (through the
// guard) and kube-controller-manager (Pdeathsig) go too.
func TestControlPlaneDiesWithParent(t *testing.T) {
	assets := assetsOrSkip(t)
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	g := NewWithT(t)
	exe, err := os.Executable()
	g.Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=1", "KUBEBUILDER_ASSETS="+assets, "TMPDIR="+t.TempDir())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Start()).To(Succeed())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	pids := map[string]int{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "pid" {
			pids[f[1]], _ = strconv.Atoi(f[2])
		}
		if len(f) > 0 && (f[0] == "ready" || f[0] == "error") {
			g.Expect(f[0]).To(Equal("ready"), sc.Text())
			break
		}
	}
	g.Expect(pids).To(HaveLen(3), "%v", pids)
	defer func() {
		// Should this test fail, do not leave the processes behind.
		for _, pid := range pids {
			if !processGone(pid) {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	}()

	g.Expect(cmd.Process.Kill()).To(Succeed())
	_ = cmd.Wait()
	for comm, pid := range pids {
		g.Eventually(func() bool { return processGone(pid) }, 10*time.Second, 50*time.Millisecond).
			Should(BeTrue(), "%s (pid %d) outlived its parent", comm, pid)
	}
}

// TestStartFailsWhenControllerManagerExits checks an early exit is reported
// with the log, and that nothing is left running.
func TestStartFailsWhenControllerManagerExits(t *testing.T) {
	assets := assetsOrSkip(t)
	g := NewWithT(t)
	t.Setenv("TMPDIR", t.TempDir()) // the kept logs go there
	fake := t.TempDir()
	for _, b := range []string{"etcd", "kube-apiserver", "kubectl"} {
		g.Expect(os.Symlink(filepath.Join(assets, b), filepath.Join(fake, b))).To(Succeed())
	}
	g.Expect(os.WriteFile(filepath.Join(fake, "kube-controller-manager"),
		[]byte("#!/bin/sh\necho \"unknown flag: --bogus\" >&2\nexit 3\n"), 0o755)).To(Succeed())

	_, err := Start(context.Background(), Options{AssetsDir: fake})
	g.Expect(err).To(HaveOccurred())
	t.Log(err)
	g.Expect(err.Error()).To(ContainSubstring("kube-controller-manager exited early"))
	g.Expect(err.Error()).To(ContainSubstring("kube-controller-manager.log"))
	g.Expect(err.Error()).To(ContainSubstring("unknown flag: --bogus"))
	g.Expect(controlPlaneChildren(t)).To(BeEmpty())
}

// processGone reports whether pid no longer runs (absent or a zombie).
func processGone(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}
