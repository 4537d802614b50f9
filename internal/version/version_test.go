package version

import "testing"

func TestString(t *testing.T) {
	got := Info{Version: "v0.3.0", Commit: "1a2b3c4d5e6f7a8b9c0d", Modified: true, GoVersion: "go1.26.8"}.String()
	if want := "v0.3.0 (commit 1a2b3c4d5e6f, modified, go1.26.8)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if g := Get(); g.Version != Version || g.Commit == "" || g.GoVersion == "" {
		t.Errorf("Get() = %+v: want the link-time version, a commit (or unknown) and the Go version", g)
	}
}
