// Command manager runs Roster: its controllers and admission webhooks. With
// no cluster configured (or --local) it first starts its own control plane.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/version"
)

var setupLog = ctrl.Log.WithName("setup")

// options are the manager's flags.
type options struct {
	metricsAddr    string
	probeAddr      string
	leaderElect    bool
	enableWebhooks bool
	webhookCertDir string
	userPrefix     string

	managerNamespace string
	apiQPS           float64
	apiBurst         int
	orgWorkers       int

	local         bool
	dataDir       string
	kubeconfigOut string

	certs certFlags

	invites inviteFlags
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
	flag.BoolFunc("members-list-organizations", "Removed: members may no longer list Organizations. Only =false, what Roster now always does, is accepted.", removedListOrganizations)
	flag.Float64Var(&o.apiQPS, "kube-api-qps", manager.DefaultQPS, "Requests per second the manager may send to the API server, per resource type (admission's SubjectAccessReviews are not limited by it).")
	flag.IntVar(&o.apiBurst, "kube-api-burst", manager.DefaultBurst, "Burst of requests the manager may send to the API server, per resource type.")
	flag.IntVar(&o.orgWorkers, "organization-workers", manager.DefaultOrganizationWorkers, "Organizations reconciled at once (one organization is never reconciled twice at once).")
	flag.BoolVar(&o.local, "local", false, "Start a local control plane (etcd, kube-apiserver, kube-controller-manager) and run against it. The default when no cluster is configured.")
	flag.StringVar(&o.dataDir, "data-dir", "", "Local mode: keep etcd's data in this directory between runs (default: a temporary directory).")
	flag.StringVar(&o.kubeconfigOut, "kubeconfig-out", filepath.Join(".roster", "kubeconfig"), "Local mode: where to write the admin kubeconfig once Roster is ready.")
	o.certs.bind(flag.CommandLine)
	o.invites.bind(flag.CommandLine)
	showVersion := flag.Bool("version", false, "Print the version and commit, and exit.")
	logs := bindLogFlags(flag.CommandLine)
	flag.Parse()
	if *showVersion {
		fmt.Println("roster manager", version.Get())
		return
	}
	zapOpts := logs.options()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	if err := run(o); err != nil {
		setupLog.Error(err, "Roster stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	if err := checkPorts(port{"health-probe-bind-address", o.probeAddr}, port{"metrics-bind-address", o.metricsAddr}); err != nil {
		return err
	}
	ctx, sd := newShutdown()
	local := o.local || !localcluster.ClusterConfigured()
	invitations, err := o.invites.options(o.managerNamespace, local)
	if err != nil {
		return err
	}
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

	mgr, err := manager.New(ctx, cfg, manager.Options{
		MetricsAddr:      o.metricsAddr,
		ProbeAddr:        o.probeAddr,
		LeaderElection:   o.leaderElect,
		EnableWebhooks:   o.enableWebhooks,
		Webhook:          webhookOpt,
		UserPrefix:       o.userPrefix,
		ManagerNamespace: o.managerNamespace,
		Controllers:      true,
		CertRotation:     o.certs.rotation(o.managerNamespace, o.webhookCertDir, local),
		QPS:              float32(o.apiQPS),
		Burst:            o.apiBurst,
		Invitations:      invitations,

		OrganizationWorkers: o.orgWorkers,

		// The lease lives in the manager's own namespace, in a cluster
		// (POD_NAMESPACE) and outside one, where controller-runtime has no
		// namespace to default to.
		LeaderElectionNamespace: o.managerNamespace,
	})
	if err != nil {
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

// removedListOrganizations refuses --members-list-organizations=true. The
// flag let every member list Organizations, and with them every other
// organization's owners and counts (RBAC cannot restrict a list to names);
// `kubectl roster orgs` asks a SelfSubjectRulesReview instead. =false asks
// for what Roster does anyway, so old manifests keep working.
func removedListOrganizations(value string) error {
	on, err := strconv.ParseBool(value)
	if err != nil {
		return err
	}
	if on {
		return errors.New("was removed: members may no longer list Organizations, which would show them other organizations' owners and members; drop the flag (`kubectl roster orgs` finds a member's organizations with a SelfSubjectRulesReview)")
	}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
