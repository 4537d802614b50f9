package testenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/internal/manager"
)

// ManagerGroups are the groups of ManagerUser, as the API server gives a
// service account of ManagerNamespace.
var ManagerGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ManagerNamespace, "system:authenticated"}

// Manifests is what a control plane needs for Roster: its CRDs, the
// cluster-wide objects applied once the API server serves, and the
// webhook configurations (empty without webhooks).
type Manifests struct {
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// Objects are Roster's ClusterRoles, the ValidatingAdmissionPolicy on
	// the manager's RBAC writes (config.ClusterObjects) and the binding of
	// roster-manager to ManagerUser's service account.
	Objects            []client.Object
	MutatingWebhooks   []*admissionregistrationv1.MutatingWebhookConfiguration
	ValidatingWebhooks []*admissionregistrationv1.ValidatingWebhookConfiguration
}

// LoadManifests reads the Manifests from the embedded config/ files.
func LoadManifests(webhooks bool) (Manifests, error) {
	opts, err := localcluster.RosterOptions(rosterManifests("", webhooks))
	if err != nil {
		return Manifests{}, err
	}
	return Manifests{
		CRDs: opts.CRDs, Objects: opts.Objects,
		MutatingWebhooks: opts.MutatingWebhooks, ValidatingWebhooks: opts.ValidatingWebhooks,
	}, nil
}

// rosterManifests is what the suites install: Roster's manifests and the
// binding of roster-manager to ManagerUser's service account.
func rosterManifests(assets string, webhooks bool) localcluster.Roster {
	return localcluster.Roster{AssetsDir: assets, Webhooks: webhooks, Objects: []client.Object{&rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "roster-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster-manager"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ManagerNamespace, Name: "roster-controller-manager"}},
	}}}
}

// ManagerOptions says what the in-process manager runs.
type ManagerOptions struct {
	// Webhooks serves the admission webhooks with Webhook's host, port and
	// certificate directory (where the installed configurations point).
	Webhooks bool
	Webhook  webhook.Options
	// Controllers runs the controllers; off, only the webhooks serve.
	Controllers bool
	// Invitations runs the Invitation controller and the accept server.
	Invitations *manager.InvitationOptions
}

// Manager is Roster's manager running in this process.
type Manager struct {
	stop context.CancelFunc
	done chan error
}

// StartManager builds the manager as cmd/manager does (manager.New, with
// its production settings: the default Organization workers, batching and
// rate limits), as cfg's identity, starts it and returns once its caches
// have synced and, with webhooks, its webhook server serves.
func StartManager(cfg *rest.Config, o ManagerOptions) (*Manager, error) {
	ctx, cancel := context.WithCancel(context.Background())
	// OrganizationWorkers stays zero: manager.DefaultOrganizationWorkers,
	// what cmd/manager runs, so the suites see organizations converge in
	// any order, as in production (wait for what you act on: RoleInEffect).
	mgr, err := manager.New(ctx, cfg, manager.Options{
		MetricsAddr:      "0",
		ProbeAddr:        "0",
		EnableWebhooks:   o.Webhooks,
		Webhook:          o.Webhook,
		ManagerNamespace: ManagerNamespace,
		Controllers:      o.Controllers,
		Invitations:      o.Invitations,
		// A test process may start Roster more than once (pkg/rostertest's
		// examples do); controller-runtime refuses a second controller of
		// the same name otherwise.
		SkipControllerNameValidation: true,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	m := &Manager{stop: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()

	waitCtx, waitCancel := context.WithTimeout(ctx, time.Minute)
	defer waitCancel()
	if !mgr.GetCache().WaitForCacheSync(waitCtx) {
		return nil, errors.Join(errors.New("the manager's caches did not sync"), m.Stop())
	}
	if o.Webhooks {
		started := mgr.GetWebhookServer().StartedChecker()
		for started(nil) != nil {
			select {
			case <-waitCtx.Done():
				return nil, errors.Join(fmt.Errorf("the webhook server did not start: %w", waitCtx.Err()), m.Stop())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return m, nil
}

// Stop stops the manager and returns what its Start returned.
func (m *Manager) Stop() error {
	if m == nil {
		return nil
	}
	m.stop()
	select {
	case err := <-m.done:
		m.done <- err // a second Stop returns the same
		return err
	case <-time.After(30 * time.Second):
		return errors.New("the manager did not stop within 30s")
	}
}
