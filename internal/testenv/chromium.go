package testenv

import (
	"os"
	"os/exec"

	. "github.com/onsi/ginkgo/v2" //nolint:revive,staticcheck // a Ginkgo helper, like Suite
)

// RequireChromium is the path of Debian's chromium (or another build of
// it) for the browser tests. Without one the spec fails under CI (.ci/run
// installs it, so a browser test never passes by skipping there) and is
// skipped elsewhere, saying how to install it.
func RequireChromium() string {
	GinkgoHelper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		Fail("chromium is not installed; CI must run the browser tests (.ci/run installs it)")
	}
	Skip("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it) to run the browser tests")
	return ""
}
