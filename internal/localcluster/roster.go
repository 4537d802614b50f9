package localcluster

import (
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/config"
)

// Roster says which of Roster's embedded config/ manifests a local control
// plane installs, and what else.
type Roster struct {
	// AssetsDir is Options.AssetsDir: DefaultAssetsDir for `make run`,
	// TestAssetsDir for the suites and the benchmark.
	AssetsDir string
	// Webhooks installs config/webhook's configurations.
	Webhooks bool
	// Objects are applied after config/'s cluster-wide objects, e.g. the
	// binding of roster-manager to the suites' manager identity.
	Objects []client.Object
}

// RosterOptions is the one builder of a control plane with Roster
// installed, used by the manager's local mode, internal/testenv and the
// benchmark: the CRDs, the ClusterRoles and the ValidatingAdmissionPolicy
// on the manager's RBAC writes (config.ClusterObjects), r.Objects, and with
// r.Webhooks the webhook configurations. DataDir and Log are the caller's.
func RosterOptions(r Roster) (Options, error) {
	crds, err := config.CRDs()
	if err != nil {
		return Options{}, fmt.Errorf("reading the embedded CRDs: %w", err)
	}
	objects, err := config.ClusterObjects()
	if err != nil {
		return Options{}, fmt.Errorf("reading the embedded RBAC: %w", err)
	}
	opts := Options{AssetsDir: r.AssetsDir, CRDs: crds, Objects: append(objects, r.Objects...)}
	if r.Webhooks {
		if opts.MutatingWebhooks, opts.ValidatingWebhooks, err = config.Webhooks(); err != nil {
			return Options{}, fmt.Errorf("reading the embedded webhook configurations: %w", err)
		}
	}
	return opts, nil
}
