package cli

import (
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/roster-dev/roster/internal/version"
)

// TestVersion: the plugin reports its build without a cluster.
func TestVersion(t *testing.T) {
	g := NewWithT(t)
	t.Setenv("KUBECONFIG", "/nonexistent")
	stdout, stderr, code := runPlugin("version")
	g.Expect(code).To(Equal(ExitOK), stderr)
	g.Expect(stdout).To(MatchRegexp(`(?m)^kubectl roster\s+` + version.Version + `\s+\S+\s+go`))

	stdout, stderr, code = runPlugin("version", "-o", "json")
	g.Expect(code).To(Equal(ExitOK), stderr)
	var got VersionReport
	g.Expect(json.Unmarshal([]byte(stdout), &got)).To(Succeed())
	g.Expect(got.Kind).To(Equal("Version"))
	g.Expect(got.Version).To(Equal(version.Version))
	g.Expect(got.Commit).NotTo(BeEmpty())
}

// TestHelpListsExitCodes: every command's --help says how it exits.
func TestHelpListsExitCodes(t *testing.T) {
	for _, cmd := range NewCommand(&Options{}).Commands() {
		if cmd.Name() == "version" || cmd.Name() == "help" || cmd.Name() == "completion" {
			continue
		}
		if !strings.Contains(cmd.Long, "Exit code") {
			t.Errorf("kubectl roster %s --help does not list its exit codes", cmd.Name())
		}
	}
}
