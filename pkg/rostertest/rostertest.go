// Package rostertest runs Roster inside a downstream envtest suite: its
// CRDs, its ClusterRoles, its admission webhooks (served in this process,
// the real rules of the permission matrix) and its controllers (Members'
// roles become RBAC; invitations are sent and can be accepted), so a suite
// that reads Roster's objects, or checks the YAML it keeps in Git, runs
// against what a cluster with Roster does.
//
// Start takes the *rest.Config of a started envtest.Environment (or any
// control plane this process can reach, as a cluster admin who may
// impersonate) and needs nothing configured before the environment
// starts:
//
//	testEnv := &envtest.Environment{}
//	cfg, err := testEnv.Start()
//	...
//	roster, err := rostertest.Start(ctx, cfg, rostertest.Options{Invitations: true})
//	...
//	defer roster.Stop()
//
// Start installs the CRDs (envtest.InstallCRDs) and the webhook
// configurations with envtest.WebhookInstallOptions of Roster's own: a
// serving certificate and a free loopback port of their own, so they do
// not take the suite's envtest.Environment.WebhookInstallOptions, and a
// suite's own webhooks keep working next to Roster's.
//
// The manager runs in this process with the settings cmd/manager runs
// with, as the identity of Roster's service account
// (system:serviceaccount:roster-system:roster-controller-manager,
// impersonated) bound to Roster's generated roster-manager ClusterRole,
// not as system:masters: what it may not do in a cluster, it may not do
// here either.
//
// # Built-in roles
//
// Roster binds members to the built-in admin, edit and view ClusterRoles in
// the organization's namespaces. Their rules are filled in by
// kube-controller-manager's ClusterRole aggregation, and a plain envtest
// runs no kube-controller-manager: there, admin, edit and view grant
// nothing, so a Contributor may not, for example, create a ConfigMap in a
// project namespace, while everything Roster grants itself (reading the
// organization, its Members and Invitations, the manage-members and
// manage-owners verbs) holds. Options.AggregateBuiltinRoles fills them in,
// as Roster's own suites have kube-controller-manager do.
//
// # Control-plane binaries
//
// rostertest needs only what envtest needs (etcd, kube-apiserver), found
// the usual way ($KUBEBUILDER_ASSETS). docs/envtest.md says how to get
// them.
package rostertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/testenv"
)

// ManagerUser is the username Roster's manager acts as: the service
// account the shipped manifests bind to the roster-manager ClusterRole.
const ManagerUser = testenv.ManagerUser

// GitOpsRole is the ClusterRole Roster ships for GitOps controllers (Argo
// CD, Flux): both custom verbs on every organization, so it may manage
// owners too; the invariants still bind it. Options.GitOpsUsers are bound
// to it.
const GitOpsRole = "roster-gitops"

// Options says what Start runs besides the webhooks and the Organization
// controller, which always run. The zero Options is a usable default.
type Options struct {
	// Invitations runs the Invitation controller and the accept server
	// on a free loopback port (127.0.0.1:0). Links are not e-mailed:
	// they are recorded, for LastInvitationLink and Invitations to read
	// and Accept to answer.
	Invitations bool
	// GitOpsUsers are bound to GitOpsRole by one ClusterRoleBinding,
	// "rostertest:roster-gitops" (usernames: a service account is
	// system:serviceaccount:<namespace>:<name>).
	GitOpsUsers []string
	// AggregateBuiltinRoles fills in the rules of the built-in admin, edit
	// and view ClusterRoles (and of any other ClusterRole with an
	// aggregationRule) from the roles labelled to aggregate into them, at
	// Start and again whenever a ClusterRole changes, as
	// kube-controller-manager does in a cluster. Leave it off against a
	// control plane that runs kube-controller-manager.
	AggregateBuiltinRoles bool
}

// Roster is Roster running against a control plane. Stop stops it.
type Roster struct {
	cfg      *rest.Config
	admin    client.Client
	webhooks *envtest.WebhookInstallOptions
	manager  *testenv.Manager
	links    *recorder
	stopAgg  context.CancelFunc

	stopOnce sync.Once
	stopErr  error
}

// Scheme returns a new scheme with client-go's built-in types and
// Roster's (orgs.roster.dev/v1alpha1), for a downstream suite's clients.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := manager.AddToScheme(s); err != nil {
		panic(err) // only on conflicting registrations, fixed at compile time
	}
	return s
}

// Start installs Roster into the control plane cfg reaches (cfg must be a
// cluster admin who may impersonate, as envtest.Environment.Config is)
// and runs its manager in this process until Stop. It returns once the
// webhooks serve and the manager's caches have synced; on an error it
// leaves nothing running.
func Start(ctx context.Context, cfg *rest.Config, o Options) (_ *Roster, retErr error) {
	if cfg == nil {
		return nil, errors.New("rostertest.Start needs the *rest.Config of a started control plane (envtest.Environment.Start returns it)")
	}
	m, err := testenv.LoadManifests(true)
	if err != nil {
		return nil, err
	}
	r := &Roster{cfg: rest.CopyConfig(cfg)}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, r.Stop())
		}
	}()
	if r.admin, err = client.New(r.cfg, client.Options{Scheme: Scheme()}); err != nil {
		return nil, fmt.Errorf("creating a client: %w", err)
	}
	// envtest modifies what it installs: hand it copies (LoadManifests
	// reads them afresh each time).
	if _, err := envtest.InstallCRDs(r.cfg, envtest.CRDInstallOptions{CRDs: m.CRDs}); err != nil {
		return nil, fmt.Errorf("installing Roster's CRDs: %w", err)
	}
	if len(o.GitOpsUsers) > 0 {
		m.Objects = append(m.Objects, gitOpsBinding(o.GitOpsUsers))
	}
	if err := localcluster.Apply(ctx, r.admin, m.Objects); err != nil {
		return nil, err
	}
	if o.AggregateBuiltinRoles {
		if err := r.aggregate(ctx); err != nil {
			return nil, err
		}
	}
	r.webhooks = &envtest.WebhookInstallOptions{MutatingWebhooks: m.MutatingWebhooks, ValidatingWebhooks: m.ValidatingWebhooks}
	if err := r.webhooks.Install(r.cfg); err != nil {
		return nil, fmt.Errorf("installing Roster's webhook configurations: %w", err)
	}

	mo := testenv.ManagerOptions{
		Webhooks: true,
		Webhook: webhook.Options{
			Host:    r.webhooks.LocalServingHost,
			Port:    r.webhooks.LocalServingPort,
			CertDir: r.webhooks.LocalServingCertDir,
		},
		Controllers: true,
	}
	if o.Invitations {
		r.links = &recorder{}
		mo.Invitations = &manager.InvitationOptions{
			Deliver: r.links,
			Accept: acceptserver.ServerOptions{
				BindAddress:     "127.0.0.1:0",
				ClientLimit:     acceptserver.DefaultClientLimit,
				InvitationLimit: acceptserver.DefaultInvitationLimit,
			},
		}
	}
	managerCfg := rest.CopyConfig(r.cfg)
	managerCfg.Impersonate = rest.ImpersonationConfig{UserName: testenv.ManagerUser, Groups: testenv.ManagerGroups}
	if r.manager, err = testenv.StartManager(managerCfg, mo); err != nil {
		return nil, fmt.Errorf("starting Roster's manager: %w", err)
	}
	return r, nil
}

func (r *Roster) aggregate(ctx context.Context) error {
	watcher, err := client.NewWithWatch(r.cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return err
	}
	aggCtx, cancel := context.WithCancel(context.Background())
	r.stopAgg = cancel
	log := ctrl.Log.WithName("rostertest")
	return localcluster.KeepClusterRolesAggregated(ctx, aggCtx, watcher, func(err error) {
		log.Error(err, "aggregating ClusterRoles")
	})
}

func gitOpsBinding(users []string) *rbacv1.ClusterRoleBinding {
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rostertest:" + GitOpsRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: GitOpsRole},
	}
	for _, u := range users {
		b.Subjects = append(b.Subjects, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: u})
	}
	return b
}

// Stop stops the manager and removes Roster's webhook configurations, so
// the control plane goes on admitting Roster's objects without it (the
// CRDs, ClusterRoles and objects stay). Stop the envtest.Environment
// after it. Later calls return the first call's result.
func (r *Roster) Stop() error {
	r.stopOnce.Do(func() {
		var errs []error
		if r.stopAgg != nil {
			r.stopAgg()
		}
		errs = append(errs, r.manager.Stop())
		if r.webhooks != nil {
			errs = append(errs, r.removeWebhooks(), r.webhooks.Cleanup())
		}
		r.stopErr = errors.Join(errs...)
	})
	return r.stopErr
}

func (r *Roster) removeWebhooks() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, w := range r.webhooks.MutatingWebhooks {
		errs = append(errs, client.IgnoreNotFound(r.admin.Delete(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: w.Name}})))
	}
	for _, w := range r.webhooks.ValidatingWebhooks {
		errs = append(errs, client.IgnoreNotFound(r.admin.Delete(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: w.Name}})))
	}
	return errors.Join(errs...)
}

// Client returns a client as the identity of Start's *rest.Config (a
// cluster admin), with Scheme.
func (r *Roster) Client() client.Client { return r.admin }

// As returns a client that acts as user, in groups and
// system:authenticated, by impersonation: the API server authorizes its
// requests and Roster's webhooks judge them as that user's, with the RBAC
// the user holds (through Roster's Members, GitOpsUsers or the suite's
// own bindings) and nothing more.
func (r *Roster) As(user string, groups ...string) (client.Client, error) {
	cfg := rest.CopyConfig(r.cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string(nil), groups...)}
	return client.New(cfg, client.Options{Scheme: Scheme()})
}

// Allowed asks the API server's authorizer, with a SubjectAccessReview,
// whether user (in system:authenticated) may do what attrs describe.
// RBAC Roster writes reaches the authorizer shortly after the
// Organization is Ready: poll it (gomega's Eventually) rather than asking
// once.
func (r *Roster) Allowed(ctx context.Context, user string, attrs authorizationv1.ResourceAttributes) (bool, error) {
	return testenv.Allowed(ctx, r.admin, user, nil, attrs)
}

// WaitForOrganizationReady waits until the Organization name has the
// condition Ready=True for its current generation and the API server's
// authorizer gives each of its user Members their effective role on the
// organization and in its home namespace (RBAC Roster writes reaches the
// authorizer shortly after Ready), so a test may act as any member next.
// It returns an error that says what it waited for when ctx is done
// first, or after a minute when ctx has no deadline.
func (r *Roster) WaitForOrganizationReady(ctx context.Context, name string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	org := &orgsv1alpha1.Organization{}
	var lastErr error
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		lastErr = r.admin.Get(ctx, client.ObjectKey{Name: name}, org)
		if lastErr != nil {
			return false, nil
		}
		if org.Status.ObservedGeneration != org.Generation || !meta.IsStatusConditionTrue(org.Status.Conditions, orgsv1alpha1.ReadyCondition) {
			return false, nil
		}
		lastErr = r.rolesInEffect(ctx, org)
		return lastErr == nil, nil
	})
	if err == nil {
		return nil
	}
	if lastErr != nil {
		return fmt.Errorf("organization %q is not Ready: %w (%w)", name, lastErr, err)
	}
	return fmt.Errorf("organization %q is not Ready (generation %d, observed %d): %s: %w",
		name, org.Generation, org.Status.ObservedGeneration, describe(org.Status.Conditions), err)
}

// rolesInEffect is nil when every Member of org is reconciled and every
// user Member has its effective role in the API server's authorizer.
func (r *Roster) rolesInEffect(ctx context.Context, org *orgsv1alpha1.Organization) error {
	var members orgsv1alpha1.MemberList
	if err := r.admin.List(ctx, &members, client.InNamespace(org.HomeNamespaceName())); err != nil {
		return err
	}
	for _, m := range members.Items {
		if m.Status.ObservedGeneration != m.Generation {
			return fmt.Errorf("the Member %s/%s is not reconciled yet", m.Namespace, m.Name)
		}
		if m.Spec.User == "" {
			continue
		}
		if err := testenv.RoleInEffect(ctx, r.admin, m.Spec.User, org.Name, org.HomeNamespaceName(), m.Status.EffectiveRole); err != nil {
			return err
		}
	}
	return nil
}

func describe(conds []metav1.Condition) string {
	if len(conds) == 0 {
		return "no conditions yet"
	}
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		parts = append(parts, fmt.Sprintf("%s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return strings.Join(parts, "; ")
}
