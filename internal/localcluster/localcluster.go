// Package localcluster runs a throwaway Kubernetes control plane on this
// machine for Roster's local mode (`make run` without a cluster): etcd and
// kube-apiserver through controller-runtime's envtest, plus a
// kube-controller-manager running the controllers Roster relies on
// (ClusterRole aggregation, garbage collection and namespace deletion).
package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

const (
	// FieldOwner is the field manager Options.Objects are applied with.
	FieldOwner = "roster-local"

	// AdminUser is the user name of the identity returned by Config and Kubeconfig
	// (member of system:masters).
	AdminUser = "roster-admin"

	// kubeconfigName names the cluster, user and context in Kubeconfig.
	kubeconfigName = "roster-local"

	// controllerManagerUser is the identity kube-controller-manager runs as
	// (member of system:masters, as it does not use per-controller service
	// account credentials).
	controllerManagerUser = "system:kube-controller-manager"

	processStartTimeout = 30 * time.Second
	processStopTimeout  = 10 * time.Second
	readyTimeout        = 60 * time.Second
)

// Options configures Start.
type Options struct {
	// AssetsDir holds etcd, kube-apiserver, kube-controller-manager and
	// kubectl. Empty: DefaultAssetsDir().
	AssetsDir string
	// DataDir, when set, is where etcd keeps its data between runs; it is
	// created when missing and never removed. Empty: a temporary directory
	// removed on Stop.
	DataDir string

	// CRDs are installed (created or updated) once the API server serves.
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// MutatingWebhooks and ValidatingWebhooks are installed with their
	// clientConfig pointed at WebhookServerOptions() (envtest rewrites
	// service references to URLs and sets the CA bundle). The caller's
	// objects are not modified.
	MutatingWebhooks   []*admissionregistrationv1.MutatingWebhookConfiguration
	ValidatingWebhooks []*admissionregistrationv1.ValidatingWebhookConfiguration

	// Objects are server-side applied (field owner "roster-local", forced)
	// after the CRDs, e.g. the ClusterRoles from config/rbac. Typed objects
	// of client-go's scheme and objects with apiVersion/kind set (for
	// instance unstructured ones decoded from YAML) are supported.
	Objects []client.Object

	// Log receives progress lines. The zero value discards them.
	Log logr.Logger
}

// Cluster is a running local control plane. Stop it with Stop.
type Cluster struct {
	log        logr.Logger
	workDir    string
	env        *envtest.Environment
	envStarted bool
	logFiles   []*os.File
	cfg        *rest.Config
	kubeconfig []byte
	kcm        *childProcess
	guard      *guard

	// keepWorkDir keeps the logs after a failed Start.
	keepWorkDir bool

	stopOnce sync.Once
	stopErr  error
}

// Start starts etcd and kube-apiserver (through envtest), installs the CRDs
// and webhook configurations, starts kube-controller-manager, waits until
// it has aggregated the built-in admin, edit and view ClusterRoles and then
// applies opts.Objects.
//
// On failure everything started is stopped again; the logs of the control
// plane processes are kept and their directory is named in the error.
func Start(ctx context.Context, opts Options) (_ *Cluster, retErr error) {
	begin := time.Now()
	log := opts.Log
	assets, err := resolveAssets(ctx, opts.AssetsDir)
	if err != nil {
		return nil, err
	}
	dataDir, persistent, err := prepareDataDir(opts.DataDir)
	if err != nil {
		return nil, err
	}

	workDir, err := os.MkdirTemp("", "roster-local-")
	if err != nil {
		return nil, fmt.Errorf("creating a work directory: %w", err)
	}
	c := &Cluster{log: log, workDir: workDir}
	defer func() {
		if retErr != nil {
			c.keepWorkDir = true
			if err := c.Stop(); err != nil {
				log.Error(err, "stopping the local control plane after a failed start")
			}
			retErr = fmt.Errorf("%w (control plane logs are in %s)", retErr, workDir)
		}
	}()
	if !persistent {
		// Inside the work directory, which Stop removes, so envtest never
		// owns (and never deletes) the data directory itself.
		dataDir = filepath.Join(workDir, "etcd")
	}

	// envtest starts etcd and kube-apiserver without Pdeathsig: have them
	// killed should this process die without calling Stop.
	c.guard = startGuard(log, []string{
		filepath.Join(assets, "etcd"),
		filepath.Join(assets, "kube-apiserver"),
		filepath.Join(assets, "kube-controller-manager"),
	})
	if err := c.startAPIServer(ctx, opts, assets, dataDir, persistent); err != nil {
		return nil, err
	}
	log.Info("kube-apiserver is serving", "url", c.env.Config.Host, "elapsed", since(begin))
	if err := c.provisionAdmin(); err != nil {
		return nil, err
	}
	if err := c.startControllerManager(assets); err != nil {
		return nil, err
	}
	if err := c.applyObjects(ctx, opts.Objects); err != nil {
		return nil, err
	}
	log.Info("local control plane is ready", "elapsed", since(begin))
	return c, nil
}

// resolveAssets is the assets directory: dir after checking it holds the
// binaries, or DefaultAssetsDir when dir is empty.
func resolveAssets(ctx context.Context, dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultAssetsDir(); err != nil {
			return "", err
		}
	} else if err := checkAssets(dir); err != nil {
		return "", err
	}
	return dir, ctx.Err()
}

// prepareDataDir makes dir, when set, an absolute, existing directory no
// other control plane is using; persistent says it was set.
func prepareDataDir(dir string) (_ string, persistent bool, _ error) {
	if dir == "" {
		return "", false, nil
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false, fmt.Errorf("etcd data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("creating the etcd data directory: %w", err)
	}
	if err := checkDataDirFree(dir); err != nil {
		return "", false, err
	}
	return dir, true, nil
}

// startAPIServer starts etcd (its data in dataDir) and kube-apiserver
// through envtest, which installs opts' CRDs and webhook configurations.
func (c *Cluster) startAPIServer(ctx context.Context, opts Options, assets, dataDir string, persistent bool) error {
	certDir := filepath.Join(c.workDir, "kube-apiserver")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		return err
	}
	etcdLog, err := c.createLog("etcd.log")
	if err != nil {
		return err
	}
	apiserverLog, err := c.createLog("kube-apiserver.log")
	if err != nil {
		return err
	}
	etcd := &envtest.Etcd{
		Path:    filepath.Join(assets, "etcd"),
		DataDir: dataDir,
		Out:     etcdLog,
		Err:     etcdLog,
	}
	if persistent {
		// envtest runs etcd with --unsafe-no-fsync; data meant to survive
		// is worth the fsyncs.
		etcd.Configure().Set("unsafe-no-fsync", "false")
	}
	c.env = &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			Etcd: etcd,
			APIServer: &envtest.APIServer{
				Path:    filepath.Join(assets, "kube-apiserver"),
				CertDir: certDir,
				Out:     apiserverLog,
				Err:     apiserverLog,
			},
			KubectlPath: filepath.Join(assets, "kubectl"),
		},
		// Paths are set explicitly above, so KUBEBUILDER_ASSETS and
		// TEST_ASSET_* do not apply; neither does USE_EXISTING_CLUSTER.
		UseExistingCluster:       new(false),
		ControlPlaneStartTimeout: processStartTimeout,
		ControlPlaneStopTimeout:  processStopTimeout,
		CRDInstallOptions: envtest.CRDInstallOptions{
			// envtest modifies what it installs: hand it copies.
			CRDs: deepCopyAll(opts.CRDs),
		},
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			MutatingWebhooks:   deepCopyAll(opts.MutatingWebhooks),
			ValidatingWebhooks: deepCopyAll(opts.ValidatingWebhooks),
		},
	}

	c.log.Info("starting etcd and kube-apiserver", "assets", assets, "etcdData", dataDir, "persistent", persistent)
	// envtest.Environment.Start has no context; it is bounded by
	// ControlPlaneStartTimeout per process.
	c.envStarted = true
	if _, err := c.env.Start(); err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	return ctx.Err()
}

// provisionAdmin adds the AdminUser behind Config and Kubeconfig.
func (c *Cluster) provisionAdmin() error {
	admin, err := c.env.AddUser(envtest.User{Name: AdminUser, Groups: []string{"system:masters"}}, &rest.Config{QPS: -1})
	if err != nil {
		return fmt.Errorf("provisioning the %s user: %w", AdminUser, err)
	}
	c.cfg = admin.Config()
	c.kubeconfig, err = kubeconfigFor(c.cfg)
	return err
}

// startControllerManager starts kube-controller-manager with the
// controllers a local cluster needs (ClusterRole aggregation, garbage
// collection, namespace deletion), as its own user.
func (c *Cluster) startControllerManager(assets string) error {
	kcmUser, err := c.env.AddUser(envtest.User{Name: controllerManagerUser, Groups: []string{"system:masters"}}, &rest.Config{})
	if err != nil {
		return fmt.Errorf("provisioning the %s user: %w", controllerManagerUser, err)
	}
	kcmKubeconfig, err := kubeconfigFor(kcmUser.Config())
	if err != nil {
		return err
	}
	kcmKubeconfigPath := filepath.Join(c.workDir, "kube-controller-manager.kubeconfig")
	if err := os.WriteFile(kcmKubeconfigPath, kcmKubeconfig, 0o600); err != nil {
		return err
	}

	kcmLogPath := filepath.Join(c.workDir, "kube-controller-manager.log")
	kcmLog, err := c.createLog(filepath.Base(kcmLogPath))
	if err != nil {
		return err
	}
	c.log.Info("starting kube-controller-manager", "log", kcmLogPath)
	c.kcm = &childProcess{
		name:    "kube-controller-manager",
		logPath: kcmLogPath,
		path:    filepath.Join(assets, "kube-controller-manager"),
		args: []string{
			"--kubeconfig=" + kcmKubeconfigPath,
			"--controllers=clusterrole-aggregation,garbage-collector-controller,namespace-controller,resourcequota-controller",
			"--leader-elect=false",
			"--secure-port=0",
			"--use-service-account-credentials=false",
		},
		out: kcmLog,
	}
	if err := c.kcm.start(); err != nil {
		return err
	}
	c.guard.settle()
	return nil
}

// applyObjects waits until kube-controller-manager has aggregated the built-in
// admin, edit and view ClusterRoles, then applies objects.
func (c *Cluster) applyObjects(ctx context.Context, objects []client.Object) error {
	cl, err := client.New(c.cfg, client.Options{})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	c.log.Info("waiting for kube-controller-manager to aggregate the admin, edit and view ClusterRoles")
	if err := waitForAggregation(ctx, cl, c.kcm, readyTimeout); err != nil {
		return err
	}
	if len(objects) > 0 {
		c.log.Info("applying objects", "count", len(objects), "fieldOwner", FieldOwner)
		if err := Apply(ctx, cl, objects); err != nil {
			return err
		}
	}
	return nil
}

// Config returns a REST config for an admin (system:masters) identity,
// user "roster-admin". The caller may modify it.
func (c *Cluster) Config() *rest.Config {
	return rest.CopyConfig(c.cfg)
}

// WebhookServerOptions returns where the installed webhook configurations
// expect the webhook server: host, port and the directory holding the
// serving certificate (tls.crt, tls.key) signed by the CA in their
// caBundle.
func (c *Cluster) WebhookServerOptions() webhook.Options {
	o := c.env.WebhookInstallOptions
	return webhook.Options{
		Host:    o.LocalServingHost,
		Port:    o.LocalServingPort,
		CertDir: o.LocalServingCertDir,
	}
}

// Kubeconfig returns a kubeconfig for the same identity as Config, with a
// single cluster, user and context named "roster-local".
func (c *Cluster) Kubeconfig() ([]byte, error) {
	if c.kubeconfig == nil {
		return nil, errors.New("local control plane not started")
	}
	return append([]byte(nil), c.kubeconfig...), nil
}

// WriteKubeconfig writes Kubeconfig to path atomically (a temporary file in
// the same directory, then rename) with mode 0600, creating the directory
// when missing.
func (c *Cluster) WriteKubeconfig(path string) error {
	data, err := c.Kubeconfig()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// Stop stops kube-controller-manager (SIGTERM, SIGKILL after a few
// seconds), then kube-apiserver and etcd, and removes the temporary
// files (never Options.DataDir). It is safe to call more than once; later
// calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	var errs []error
	if c.kcm != nil {
		c.log.Info("stopping kube-controller-manager")
		if err := c.kcm.stop(processStopTimeout / 2); err != nil {
			errs = append(errs, err)
		}
	}
	if c.env != nil && c.envStarted {
		c.log.Info("stopping kube-apiserver and etcd")
		// Stops the API server, then etcd (SIGTERM to their process groups,
		// SIGKILL after ControlPlaneStopTimeout), and removes the webhook
		// serving certificates. CRDs are left installed.
		if err := c.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping kube-apiserver and etcd: %w", err))
		}
	}
	c.guard.release()
	for _, f := range c.logFiles {
		_ = f.Close()
	}
	if !c.keepWorkDir {
		if err := os.RemoveAll(c.workDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Cluster) createLog(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(c.workDir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	c.logFiles = append(c.logFiles, f)
	return f, nil
}

// kubeconfigFor renders a kubeconfig with client certificate credentials.
func kubeconfigFor(cfg *rest.Config) ([]byte, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[kubeconfigName] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[kubeconfigName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts[kubeconfigName] = &clientcmdapi.Context{
		Cluster:  kubeconfigName,
		AuthInfo: kubeconfigName,
	}
	kc.CurrentContext = kubeconfigName
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, fmt.Errorf("serializing a kubeconfig: %w", err)
	}
	return data, nil
}

func writeFileAtomic(path string, data []byte) (retErr error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func deepCopyAll[T interface{ DeepCopy() T }](in []T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, o := range in {
		out[i] = o.DeepCopy()
	}
	return out
}

func since(t time.Time) string {
	return time.Since(t).Round(10 * time.Millisecond).String()
}
