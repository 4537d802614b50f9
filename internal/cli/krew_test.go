package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"text/template"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// The krew manifest is a krew-release-bot template; rendered the way the
// bot renders it, it must be a valid krew Plugin for every platform.
func TestKrewManifestRenders(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile("../../plugins/krew/roster.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	const tag = "v1.2.3"
	tmpl, err := template.New("krew").Funcs(template.FuncMap{
		// addURIAndSha, as krew-release-bot defines it: the URL (itself a
		// template of the tag) and the archive's sha256.
		"addURIAndSha": func(url, tag string) string {
			return "uri: " + strings.ReplaceAll(url, "{{ .TagName }}", tag) + "\n    sha256: " + strings.Repeat("ab", 32)
		},
	}).Parse(string(raw))
	g.Expect(err).NotTo(HaveOccurred())
	var out bytes.Buffer
	g.Expect(tmpl.Execute(&out, map[string]string{"TagName": tag})).To(Succeed())

	var plugin struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Version          string `json:"version"`
			Homepage         string `json:"homepage"`
			ShortDescription string `json:"shortDescription"`
			Description      string `json:"description"`
			Caveats          string `json:"caveats"`
			Platforms        []struct {
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	g.Expect(yaml.UnmarshalStrict(out.Bytes(), &plugin)).To(Succeed(), out.String())
	g.Expect(plugin.APIVersion).To(Equal("krew.googlecontainertools.github.com/v1alpha2"))
	g.Expect(plugin.Kind).To(Equal("Plugin"))
	g.Expect(plugin.Metadata.Name).To(Equal("roster"), "kubectl roster runs kubectl-roster")
	g.Expect(plugin.Spec.Version).To(Equal(tag))
	g.Expect(len(plugin.Spec.ShortDescription)).To(BeNumerically("<", 60))
	g.Expect(plugin.Spec.Homepage).To(HavePrefix("https://"))
	g.Expect(plugin.Spec.Description).NotTo(BeEmpty())
	g.Expect(plugin.Spec.Platforms).To(HaveLen(5))
	for _, p := range plugin.Spec.Platforms {
		os, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		g.Expect(p.URI).To(Equal("https://github.com/roster-dev/roster/releases/download/" + tag + "/kubectl-roster_" + tag + "_" + os + "_" + arch + ".tar.gz"))
		g.Expect(p.SHA256).To(HaveLen(64))
		want := "kubectl-roster"
		if os == "windows" {
			want += ".exe"
		}
		g.Expect(p.Bin).To(Equal(want))
	}
}
