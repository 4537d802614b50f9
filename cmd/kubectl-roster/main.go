// Command kubectl-roster is the kubectl plugin for Roster's user
// directory: `kubectl roster users`, `kubectl roster invite`, and the rest
// (internal/cli). Installed as kubectl_complete-roster (a link to the same
// binary), it answers kubectl's shell completion for the plugin.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/roster-dev/roster/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == cli.CompletionShimName {
		args = append([]string{cobra.ShellCompRequestCmd}, args...)
	}
	code := cli.Main(ctx, args, genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
