// Package testenv starts what Roster's integration suites run against: the
// local control plane (etcd, kube-apiserver and kube-controller-manager, so
// the built-in admin, edit and view roles are filled in), Roster's CRDs,
// ClusterRoles, the policy on the manager's RBAC writes and webhook
// configurations from config/, and the manager in-process under its own
// generated ClusterRole, not as system:masters, so a missing RBAC marker
// (or a write the policy refuses) fails a test.
package testenv

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/internal/manager"
)

// ManagerNamespace is the manager's namespace in the suites.
const ManagerNamespace = "roster-system"

// ManagerUser is the identity the manager runs as: the username of the
// service account config/rbac binds to the roster-manager ClusterRole.
const ManagerUser = "system:serviceaccount:" + ManagerNamespace + ":roster-controller-manager"

// Options says what to start.
type Options struct {
	// Webhooks installs and serves the admission webhooks.
	Webhooks bool
	// Controllers runs the controllers; off, only the webhooks serve.
	Controllers bool
	// Invitations runs the Invitation controller and the accept server in
	// the same manager, as cmd/manager does; nil, neither runs.
	Invitations *manager.InvitationOptions
}

// Env is a running control plane with Roster.
type Env struct {
	Cluster *localcluster.Cluster
	// Admin is a system:masters client.
	Admin client.Client
	// ManagerConfig is the manager's own identity.
	ManagerConfig *rest.Config

	manager *Manager
	clients *clientCache
}

// ErrNoAssets is localcluster.ErrSkipEnvtest: Start returns it only when
// ROSTER_SKIP_ENVTEST=1 asks the suites to skip. Binaries missing without
// it are an ordinary error that names the command building them, so a suite
// fails rather than skips.
var ErrNoAssets = localcluster.ErrSkipEnvtest

// AssetsDir is localcluster.TestAssetsDir: the control-plane binaries'
// directory, ErrNoAssets when ROSTER_SKIP_ENVTEST asks to skip, or an
// error naming the command that builds them.
func AssetsDir() (string, error) { return localcluster.TestAssetsDir() }

// Start starts the control plane and Roster.
func Start(ctx context.Context, o Options) (*Env, error) {
	opts, err := ClusterOptions(o.Webhooks)
	if err != nil {
		return nil, err
	}
	cluster, err := localcluster.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	env := &Env{Cluster: cluster, clients: &clientCache{byKey: map[string]client.Client{}}}
	if err := env.startManager(o); err != nil {
		_ = cluster.Stop()
		return nil, err
	}
	return env, nil
}

// ClusterOptions is what the suites' control plane installs: the
// Manifests (CRDs, ClusterRoles, the ValidatingAdmissionPolicy on the
// manager's RBAC writes, the binding of roster-manager to ManagerUser,
// and with webhooks the webhook configurations). It finds the
// control-plane binaries with localcluster.TestAssetsDir: $KUBEBUILDER_ASSETS,
// else the setup-envtest store; missing, an error naming the command that
// builds them, or ErrNoAssets when ROSTER_SKIP_ENVTEST asks to skip.
func ClusterOptions(webhooks bool) (localcluster.Options, error) {
	assets, err := AssetsDir()
	if err != nil {
		return localcluster.Options{}, err
	}
	return localcluster.RosterOptions(rosterManifests(assets, webhooks))
}

func (e *Env) startManager(o Options) error {
	admin, err := client.New(e.Cluster.Config(), client.Options{Scheme: manager.Scheme})
	if err != nil {
		return err
	}
	e.Admin = admin
	if e.ManagerConfig, err = e.Cluster.AddUser(ManagerUser, ManagerGroups...); err != nil {
		return err
	}
	e.manager, err = StartManager(e.ManagerConfig, ManagerOptions{
		Webhooks:    o.Webhooks,
		Webhook:     e.Cluster.WebhookServerOptions(),
		Controllers: o.Controllers,
		Invitations: o.Invitations,
	})
	return err
}

// User returns a client acting as a real user with the given groups
// (system:authenticated is added, as the API server does).
func (e *Env) User(name string, groups ...string) (client.Client, error) {
	cfg, err := e.UserConfig(name, groups...)
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: manager.Scheme})
}

// UserConfig is the REST config behind User.
func (e *Env) UserConfig(name string, groups ...string) (*rest.Config, error) {
	cfg, err := e.Cluster.AddUser(name, append(groups, "system:authenticated")...)
	if err != nil {
		return nil, err
	}
	cfg.QPS = -1 // tests measure Roster, not client-go's default limiter
	return cfg, nil
}

// Stop stops the manager and the control plane.
func (e *Env) Stop() error {
	if e == nil {
		return nil
	}
	return errors.Join(e.manager.Stop(), e.Cluster.Stop())
}
