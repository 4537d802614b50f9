package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// closedServer is the URL of a loopback port nothing listens on: what a
// terminal sees after Ctrl-C on `make run`.
func closedServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "https://" + addr
}

// TestHintsWhenTheClusterIsDown: every command that reads the directory
// says the cluster cannot be reached, not what a refusal would mean.
func TestHintsWhenTheClusterIsDown(t *testing.T) {
	server := closedServer(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: down, cluster: {server: "`+server+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: down, context: {cluster: down, user: u}}]
current-context: down
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"users"}, {"users", "--org", "acme"}, {"orgs"}, {"whoami"}, {"can-i", "--org", "acme"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			g := NewWithT(t)
			_, stderr, code := runPlugin(append(args, "--kubeconfig", kubeconfig)...)
			g.Expect(code).To(Equal(ExitError), stderr)
			g.Expect(stderr).To(ContainSubstring("hint: the API server refused the connection: is the cluster running?"))
			g.Expect(stderr).NotTo(ContainSubstring("may not list"))
			g.Expect(stderr).NotTo(ContainSubstring("lists the organizations"))
		})
	}
	t.Run("without a kubeconfig", func(t *testing.T) {
		g := NewWithT(t)
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
		t.Setenv("HOME", t.TempDir())
		_, stderr, code := runPlugin("users")
		g.Expect(code).To(Equal(ExitError), stderr)
		// client-go falls back to localhost:8080, where nothing listens.
		g.Expect(stderr).To(ContainSubstring("is the cluster running? In local mode, `make run` prints the KUBECONFIG to use"))
		g.Expect(stderr).NotTo(ContainSubstring("may not list"))
	})
}

// TestUsageHintNamesTheSubcommand: a usage error points at the --help of
// the command that was mistyped.
func TestUsageHintNamesTheSubcommand(t *testing.T) {
	g := NewWithT(t)
	_, stderr, code := runPlugin("set-role", "only-one-argument")
	g.Expect(code).To(Equal(ExitUsage), stderr)
	g.Expect(stderr).To(ContainSubstring("hint: run `kubectl roster set-role --help` for usage"))
}
