package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/roster-dev/roster/controllers/organization"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/testenv"
)

// Settings are the manager settings a run may vary. The zero value is
// production: cmd/manager's flag defaults.
type Settings struct {
	// QPS and Burst are the client-side rate limit (-1: none).
	QPS   float32 `json:"qps"`
	Burst int     `json:"burst"`
	// Workers is --organization-workers (manager.Options.OrganizationWorkers).
	Workers int `json:"workers"`
	// NoBatching reconciles every change of a Member or Invitation at once
	// (manager.Options.Batching: the zero organization.Batching) instead of
	// organization.DefaultBatching.
	NoBatching bool `json:"noBatching,omitempty"`
}

func (s Settings) withDefaults() Settings {
	if s.QPS == 0 {
		s.QPS, s.Burst = manager.DefaultQPS, manager.DefaultBurst
	}
	if s.Workers == 0 {
		s.Workers = manager.DefaultOrganizationWorkers
	}
	return s
}

func (s Settings) String() string {
	s = s.withDefaults()
	qps := fmt.Sprintf("QPS %g, burst %d", s.QPS, s.Burst)
	if s.QPS < 0 {
		qps = "no client-side rate limit"
	}
	batching := "changes batched (organization.DefaultBatching)"
	if s.NoBatching {
		batching = "no batching"
	}
	return fmt.Sprintf("%s, %d organization worker(s), %s", qps, s.Workers, batching)
}

// Env is a local control plane (etcd, kube-apiserver,
// kube-controller-manager) with Roster's CRDs, ClusterRoles and webhook
// configurations installed, and no manager yet.
type Env struct {
	Cluster *localcluster.Cluster
	// Admin is a system:masters client without a client-side rate limit:
	// the workloads' own requests are not what is measured.
	Admin    client.Client
	AdminCfg *rest.Config
	// ManagerCfg is the manager's identity (the service account bound to
	// roster-manager), as in the test suites.
	ManagerCfg *rest.Config
	// Settings are the manager's.
	Settings Settings
}

// StartEnv starts the control plane.
func StartEnv(ctx context.Context, settings Settings) (*Env, error) {
	opts, err := testenv.ClusterOptions(true)
	if err != nil {
		return nil, err
	}
	cluster, err := localcluster.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &Env{Cluster: cluster, AdminCfg: cluster.Config(), Settings: settings.withDefaults()}
	e.AdminCfg.QPS = -1
	if e.Admin, err = client.New(e.AdminCfg, client.Options{Scheme: manager.Scheme}); err != nil {
		_ = cluster.Stop()
		return nil, err
	}
	if e.ManagerCfg, err = cluster.AddUser(testenv.ManagerUser, testenv.ManagerGroups...); err != nil {
		_ = cluster.Stop()
		return nil, err
	}
	return e, nil
}

// Stop stops the control plane.
func (e *Env) Stop() error { return e.Cluster.Stop() }

// Manager is Roster's manager running in this process, built by
// internal/manager as cmd/manager builds it, its requests counted.
type Manager struct {
	Mgr   ctrl.Manager
	Calls *Counter
	// Started is when Start was called.
	Started time.Time

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// StartManager builds and starts a manager as cmd/manager does (webhooks
// on) with e.Settings; controllers off gives a webhook-only manager. It returns once the caches have synced and the
// webhook server serves.
func (e *Env) StartManager(controllers bool) (*Manager, error) {
	calls := NewCounter()
	cfg := rest.CopyConfig(e.ManagerCfg)
	cfg.Wrap(calls.Wrap)
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := manager.New(ctx, cfg, manager.Options{
		MetricsAddr:      "0",
		ProbeAddr:        "0",
		EnableWebhooks:   true,
		Webhook:          e.Cluster.WebhookServerOptions(),
		ManagerNamespace: testenv.ManagerNamespace,
		Controllers:      controllers,
		QPS:              e.Settings.QPS,
		Burst:            e.Settings.Burst,

		OrganizationWorkers:          e.Settings.Workers,
		Batching:                     batching(e.Settings),
		SkipControllerNameValidation: true,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	// internal/metrics reads its gauges at scrape time from the last
	// manager's cache, through a global. The benchmark reads
	// controller-runtime's registry often (reconcile counts, queue depth):
	// point the gauges at nothing, so that a read does not copy every
	// Member, and a stopped manager's cache can be freed and measured.
	metrics.Watch(noReader{})
	m := &Manager{Mgr: mgr, Calls: calls, Started: time.Now(), cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()

	waitCtx, waitCancel := context.WithTimeout(ctx, 5*time.Minute)
	defer waitCancel()
	if !mgr.GetCache().WaitForCacheSync(waitCtx) {
		_ = m.Stop()
		return nil, errors.New("the manager's caches did not sync")
	}
	started := mgr.GetWebhookServer().StartedChecker()
	for started(nil) != nil {
		select {
		case <-waitCtx.Done():
			_ = m.Stop()
			return nil, fmt.Errorf("the webhook server did not start: %w", waitCtx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return m, nil
}

// Stop stops the manager and waits for it. Later calls return the first
// call's result.
func (m *Manager) Stop() error {
	m.stopOnce.Do(func() {
		m.cancel()
		select {
		case m.stopErr = <-m.done:
		case <-time.After(time.Minute):
			m.stopErr = errors.New("the manager did not stop within a minute")
		}
		// Let its caches go, so that what it held can be measured.
		m.Mgr = nil
	})
	return m.stopErr
}

// noReader reads nothing: no Organizations, no Members.
type noReader struct{}

func (noReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("the benchmark reads no gauges")
}

func (noReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}

// batching is the manager's Batching for s: nil is the default.
func batching(s Settings) *organization.Batching {
	if s.NoBatching {
		return &organization.Batching{}
	}
	return nil
}
