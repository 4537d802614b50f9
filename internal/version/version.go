// Package version says which build of Roster is running: the release
// (set at link time) and the commit (from the Go toolchain's build info).
package version

import (
	"fmt"
	"runtime/debug"
)

// Version is the release, set at link time with
// -ldflags "-X github.com/roster-dev/roster/internal/version.Version=v0.3.0";
// a plain `go build` leaves it "dev".
var Version = "dev"

// Info describes a build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
}

// Get is this build's Info. Commit is "unknown" where the toolchain did not
// record one (go run, go test, a build outside a git checkout).
func Get() Info {
	info := Info{Version: Version, Commit: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.GoVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one line `kubectl roster version` and `manager --version`
// print, such as "v0.3.0 (commit 1a2b3c4, modified, go1.26.8)".
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, %s)", i.Version, i.ShortCommit(), i.GoVersion)
}

// ShortCommit is the commit's first 12 digits, ", modified" when the
// working tree had changes.
func (i Info) ShortCommit() string {
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if i.Modified {
		commit += ", modified"
	}
	return commit
}
