// Package manager builds Roster's controller-runtime manager: the scheme,
// the cache scoped to Roster's own RBAC, the indexes, the webhooks and the
// controllers. cmd/manager and the test suites use the same code, so what is
// tested is what runs.
package manager

import (
	"context"
	"crypto/tls"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/accesstoken"
	"github.com/roster-dev/roster/controllers/organization"
	"github.com/roster-dev/roster/controllers/project"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/certs"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/metrics"
	rosterwebhook "github.com/roster-dev/roster/internal/webhook"
)

// Scheme knows the built-in types and Roster's.
var Scheme = runtime.NewScheme()

func init() { utilruntime.Must(AddToScheme(Scheme)) }

// AddToScheme adds the types of Scheme (client-go's built-in types and
// Roster's) to s.
func AddToScheme(s *runtime.Scheme) error {
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return err
	}
	return orgsv1alpha1.AddToScheme(s)
}

// Options configures the manager.
type Options struct {
	MetricsAddr    string
	ProbeAddr      string
	LeaderElection bool
	// LeaderElectionNamespace is where the lease lives (default: in-cluster namespace).
	LeaderElectionNamespace string
	EnableWebhooks          bool
	Webhook                 webhook.Options
	// UserPrefix is put before an e-mail when an invitation becomes a Member.
	UserPrefix string
	// ManagerNamespace is never a project namespace.
	ManagerNamespace string
	// QPS and Burst limit the manager's own API requests (client-go's
	// defaults, 5 and 10, are too low for an operator that writes RBAC for
	// many organizations). Zero keeps what the rest.Config says, or
	// DefaultQPS and DefaultBurst.
	QPS   float32
	Burst int
	// Controllers runs the controllers. Off, only the webhooks serve: the
	// race suite turns the webhooks off instead, and a webhook-only manager
	// lets the admission suite see exactly what admission allows.
	Controllers bool
	// Invitations runs the Invitation controller and the accept server
	// (see invitations.go); nil runs neither.
	Invitations *InvitationOptions
	// CertRotation, when set, has the manager create and rotate the webhook
	// serving certificate itself (--webhook-cert-mode=self-managed);
	// nil reads it from Webhook.CertDir (cert-manager, envtest, local mode).
	CertRotation *certs.Options
	// SkipControllerNameValidation lets a process start the manager more
	// than once (the benchmark restarts it); controller-runtime refuses a
	// second controller of the same name otherwise.
	SkipControllerNameValidation bool
	// OrganizationWorkers is how many organizations are reconciled at once
	// (one organization is never reconciled twice at once). Zero (or less)
	// means DefaultOrganizationWorkers, so the test suites, which leave it
	// unset, run with the concurrency of production; cmd/manager passes its
	// --organization-workers flag, whose default is the same.
	OrganizationWorkers int
	// Batching collects changes of Members and Invitations into reconciles
	// of their organization. Nil means organization.DefaultBatching; the
	// zero Batching reconciles every change at once (the benchmark
	// compares the two).
	Batching *organization.Batching
}

// DefaultOrganizationWorkers is how many organizations are reconciled at
// once unless Options.OrganizationWorkers says otherwise, and the default of
// cmd/manager's --organization-workers: with one worker, every
// organization waits for the API round trips of all the others
// (docs/benchmarks.md).
const DefaultOrganizationWorkers = 4

// DefaultQPS and DefaultBurst are the manager's client-side rate limit
// unless set. client-go gives every resource type its own limiter, so at
// 50 per second writing 10,000 Members' statuses alone took 200 s
// (docs/benchmarks.md). The limit stays only as a guard against a hot
// loop: the workers bound how many requests are in flight, and API
// priority and fairness protects the API server.
const (
	DefaultQPS   = 1000
	DefaultBurst = 2000
)

// organizationKind keys the Organization controller's concurrency.
var organizationKind = orgsv1alpha1.GroupVersion.WithKind("Organization").GroupKind().String()

// organizationWorkers is OrganizationWorkers with its default applied.
func (o Options) organizationWorkers() int {
	if o.OrganizationWorkers < 1 {
		return DefaultOrganizationWorkers
	}
	return o.OrganizationWorkers
}

// New builds the manager and registers everything Roster runs.
func New(ctx context.Context, cfg *rest.Config, o Options) (ctrl.Manager, error) {
	cfg = rest.CopyConfig(cfg)
	if o.QPS != 0 {
		cfg.QPS, cfg.Burst = o.QPS, o.Burst
	} else if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = DefaultQPS, DefaultBurst
	}
	webhookServer, rotation, err := newWebhookServer(o)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: Scheme,
		Metrics: metricsserver.Options{
			BindAddress:    o.MetricsAddr,
			SecureServing:  true,
			FilterProvider: filters.WithAuthenticationAndAuthorization,
			TLSOpts:        []func(*tls.Config){disableHTTP2},
		},
		WebhookServer:           webhookServer,
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "roster.orgs.roster.dev",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		Cache:                   cacheOptions(),
		Controller: ctrlconfig.Controller{
			SkipNameValidation:   &o.SkipControllerNameValidation,
			GroupKindConcurrency: map[string]int{organizationKind: o.organizationWorkers()},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := index.Register(ctx, mgr.GetFieldIndexer()); err != nil {
		return nil, err
	}
	if rotation != nil {
		if err := rotation.Add(mgr); err != nil {
			return nil, err
		}
	}
	metrics.Watch(mgr.GetClient())
	if o.EnableWebhooks {
		if err := rosterwebhook.SetupWithManager(mgr, rosterwebhook.Options{UserPrefix: o.UserPrefix, ManagerNamespace: o.ManagerNamespace}); err != nil {
			return nil, err
		}
	}
	if o.Controllers {
		if err := setupControllers(mgr, o); err != nil {
			return nil, err
		}
	}
	if o.Invitations != nil {
		if err := setupInvitations(ctx, mgr, o); err != nil {
			return nil, err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	// GetWebhookServer adds the webhook server to the manager: ask for it
	// only when it serves, or a manager without webhooks needs their
	// certificate (and port) all the same.
	ready := healthz.Ping
	if o.EnableWebhooks {
		ready = mgr.GetWebhookServer().StartedChecker()
	}
	if err := mgr.AddReadyzCheck("readyz", ready); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}

func setupControllers(mgr ctrl.Manager, o Options) error {
	if err := (&organization.Reconciler{
		Client:           mgr.GetClient(),
		Recorder:         mgr.GetEventRecorder("roster"),
		Access:           &access.Applier{Client: mgr.GetClient(), FieldOwner: "roster"},
		ManagerNamespace: o.ManagerNamespace,
		Batching:         ptr.Deref(o.Batching, organization.DefaultBatching),
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Organization controller: %w", err)
	}
	if err := (&accesstoken.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the AccessToken controller: %w", err)
	}
	if err := (&project.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Project controller: %w", err)
	}
	return nil
}

// cacheOptions scopes the RBAC caches to Roster's own objects, so the
// RoleBindings of a large cluster cost the manager no memory, and drops
// managedFields from everything cached: nothing reads them, and they are
// a large share of every Member's size and of every copy a List makes.
func cacheOptions() cache.Options {
	ours := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue})}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&rbacv1.RoleBinding{}:        ours,
			&rbacv1.Role{}:               ours,
			&corev1.ServiceAccount{}:     ours,
			&corev1.ResourceQuota{}:      ours,
			&corev1.LimitRange{}:         ours,
			&rbacv1.ClusterRole{}:        ours,
			&rbacv1.ClusterRoleBinding{}: ours,
		},
	}
}

// newWebhookServer builds the webhook server; with self-managed
// certificates it starts serving once the certificate is in place.
func newWebhookServer(o Options) (webhook.Server, *certs.Rotation, error) {
	server := webhook.NewServer(withoutHTTP2(o.Webhook))
	if o.CertRotation == nil {
		return server, nil, nil
	}
	rotation, err := certs.NewRotation(*o.CertRotation)
	if err != nil {
		return nil, nil, err
	}
	return rotation.Server(server), rotation, nil
}

// disableHTTP2 keeps the servers off HTTP/2 (CVE-2023-44487, rapid reset).
func disableHTTP2(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }

func withoutHTTP2(o webhook.Options) webhook.Options {
	o.TLSOpts = append(o.TLSOpts, disableHTTP2)
	return o
}
