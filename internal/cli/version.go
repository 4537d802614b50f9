package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/roster-dev/roster/internal/version"
)

// VersionReport is `kubectl roster version -o json`.
type VersionReport struct {
	Kind string `json:"kind"`
	version.Info
}

func (v VersionReport) table(_ bool, _ time.Time) *table {
	t := &table{headers: []string{"COMPONENT", "VERSION", "COMMIT", "GO"}}
	t.add(c("kubectl roster"), c(v.Version), c(v.ShortCommit()), c(v.GoVersion))
	return t
}

// newVersionCommand prints the plugin's build; it needs no cluster.
func newVersionCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version and commit",
		Long: `Print the plugin's release and the commit it was built from (the manager prints
the same with --version). Needs no cluster.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return o.print(VersionReport{Kind: "Version", Info: version.Get()})
		},
	}
}
