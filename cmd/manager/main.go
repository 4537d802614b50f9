// Command manager runs Roster: its controllers and admission webhooks. With
// no cluster configured (or --local) it first starts its own control plane.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/localcluster"
	rosterwebhook "github.com/roster-dev/roster/internal/webhook"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(orgsv1alpha1.AddToScheme(scheme))
}

// options are the manager's flags.
type options struct {
	metricsAddr    string
	probeAddr      string
	leaderElect    bool
	enableWebhooks bool
	webhookCertDir string
	userPrefix     string

	managerNamespace  string
	listOrganizations bool

	local         bool
	dataDir       string
	kubeconfigOut string
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "Address of the metrics endpoint, served over HTTPS with authentication and authorization (e.g. :8443); 0 disables it.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes; 0 disables them.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, so that only one replica reconciles at a time.")
	flag.BoolVar(&o.enableWebhooks, "enable-webhooks", true, "Serve the admission webhooks.")
	flag.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Directory holding tls.crt and tls.key for the webhook server (default: controller-runtime's).")
	flag.StringVar(&o.userPrefix, "user-prefix", "", "Put before an e-mail when an accepted invitation becomes a Member's spec.user, to match the authenticator's usernames (e.g. oidc:).")
	flag.StringVar(&o.managerNamespace, "manager-namespace", envOr("POD_NAMESPACE", "roster-system"), "The manager's own namespace, which is never a project namespace.")
	flag.BoolVar(&o.listOrganizations, "members-list-organizations", true, "Let every member of an organization list and watch Organizations (names and status), so `kubectl roster orgs` works. Turn off where organization names are private.")
	flag.BoolVar(&o.local, "local", false, "Start a local control plane (etcd, kube-apiserver, kube-controller-manager) and run against it. The default when no cluster is configured.")
	flag.StringVar(&o.dataDir, "data-dir", "", "Local mode: keep etcd's data in this directory between runs (default: a temporary directory).")
	flag.StringVar(&o.kubeconfigOut, "kubeconfig-out", filepath.Join(".roster", "kubeconfig"), "Local mode: where to write the admin kubeconfig once Roster is ready.")
	zapOpts := zap.Options{Development: true}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		setupLog.Error(err, "Roster stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, sd := newShutdown()
	local := o.local || !localcluster.ClusterConfigured()
	var (
		cfg        *rest.Config
		webhookOpt = webhook.Options{CertDir: o.webhookCertDir}
		cluster    *localcluster.Cluster
	)
	if local {
		setupLog.Info("no cluster configured (or --local): starting a local control plane")
		var err error
		if cluster, err = startLocalCluster(ctx, o); err != nil {
			return err
		}
		stopCluster := func() {
			setupLog.Info("stopping the local control plane")
			if err := cluster.Stop(); err != nil {
				setupLog.Error(err, "stopping the local control plane")
			}
		}
		defer stopCluster()
		sd.onForce(stopCluster)
		cfg = cluster.Config()
		webhookOpt = cluster.WebhookServerOptions()
		o.leaderElect = false
	} else {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("loading the kubeconfig: %w", err)
		}
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		Metrics: metricsserver.Options{
			BindAddress:    o.metricsAddr,
			SecureServing:  true,
			FilterProvider: filters.WithAuthenticationAndAuthorization,
			TLSOpts:        []func(*tls.Config){disableHTTP2},
		},
		WebhookServer:          webhook.NewServer(withoutHTTP2(webhookOpt)),
		HealthProbeBindAddress: o.probeAddr,
		Cache:                  cacheOptions(),
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       "roster.orgs.roster.dev",
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := setup(ctx, mgr, o); err != nil {
		return err
	}

	errs := make(chan error, 1)
	go func() { errs <- mgr.Start(ctx) }()
	if local {
		select {
		case err := <-errs:
			return err
		case err := <-waitReady(ctx, mgr, o):
			if err != nil {
				return err
			}
		}
		if err := cluster.WriteKubeconfig(o.kubeconfigOut); err != nil {
			return err
		}
		printWelcome(o.kubeconfigOut)
	}
	return <-errs
}

// setup registers the indexes, webhooks, controllers and health checks.
func setup(ctx context.Context, mgr ctrl.Manager, o options) error {
	if err := index.Register(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if o.enableWebhooks {
		if err := rosterwebhook.SetupWithManager(mgr, rosterwebhook.Options{UserPrefix: o.userPrefix}); err != nil {
			return err
		}
	}
	if err := (&controllers.OrganizationReconciler{
		Client:            mgr.GetClient(),
		Recorder:          mgr.GetEventRecorder("roster"),
		Access:            &access.Applier{Client: mgr.GetClient(), FieldOwner: "roster"},
		ManagerNamespace:  o.managerNamespace,
		ListOrganizations: o.listOrganizations,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Organization controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", mgr.GetWebhookServer().StartedChecker()); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	return nil
}

// waitReady reports once the caches have synced and the webhook server
// answers, so the kubeconfig is only written when Roster really serves.
func waitReady(ctx context.Context, mgr ctrl.Manager, o options) <-chan error {
	done := make(chan error, 1)
	go func() {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			done <- errors.New("the manager's caches did not sync")
			return
		}
		if !o.enableWebhooks {
			done <- nil
			return
		}
		started := mgr.GetWebhookServer().StartedChecker()
		for {
			if err := started(nil); err == nil {
				done <- nil
				return
			}
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return done
}

// shutdown cancels its context on the first SIGINT or SIGTERM. On the
// second it runs the registered last resort (stopping the local control
// plane, so no etcd or kube-apiserver is left behind) and exits.
type shutdown struct {
	mu         sync.Mutex
	lastResort func()
}

func newShutdown() (context.Context, *shutdown) {
	ctx, cancel := context.WithCancel(context.Background())
	sd := &shutdown{}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		<-signals
		setupLog.Info("second signal: stopping at once")
		sd.mu.Lock()
		if sd.lastResort != nil {
			sd.lastResort()
		}
		os.Exit(1)
	}()
	return ctx, sd
}

func (sd *shutdown) onForce(fn func()) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	sd.lastResort = fn
}

// cacheOptions scopes the RBAC caches to Roster's own objects, so the
// RoleBindings of a large cluster cost the manager no memory.
func cacheOptions() cache.Options {
	ours := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue})}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&rbacv1.RoleBinding{}:        ours,
		&rbacv1.ClusterRole{}:        ours,
		&rbacv1.ClusterRoleBinding{}: ours,
	}}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// disableHTTP2 keeps the servers off HTTP/2 (CVE-2023-44487, rapid reset).
func disableHTTP2(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }

func withoutHTTP2(o webhook.Options) webhook.Options {
	o.TLSOpts = append(o.TLSOpts, disableHTTP2)
	return o
}
