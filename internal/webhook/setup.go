package webhook

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Options configures the webhooks.
type Options struct {
	// UserPrefix is put before an e-mail when an accepted invitation becomes
	// a Member; "already a member" checks use it too.
	UserPrefix string
	// ManagerNamespace is Roster's own namespace, never a project.
	ManagerNamespace string
}

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations;members;invitations;accesstokens,verbs=get;list;watch

// reviewClient is the client for SubjectAccessReviews: one per admission
// request, on the request's critical path. It has no client-side rate limit
// of its own (the API server's priority and fairness still applies), so a
// burst of admissions is not queued behind the controllers' writes.
func reviewClient(mgr ctrl.Manager) (client.Client, error) {
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	c, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, fmt.Errorf("creating the SubjectAccessReview client: %w", err)
	}
	return c, nil
}

// SetupWithManager registers Roster's admission webhooks. They read the
// cache through the indexes of internal/index, which the caller registers.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	reviews, err := reviewClient(mgr)
	if err != nil {
		return err
	}
	f := &facts{reader: mgr.GetClient(), live: mgr.GetAPIReader(), reviews: reviews, userPrefix: opts.UserPrefix}
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.Member{}).
		WithValidator(&MemberValidator{facts: f}).
		Complete(); err != nil {
		return fmt.Errorf("registering the Member webhook: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.Invitation{}).
		WithValidator(&InvitationValidator{facts: f}).
		WithDefaulter(InviterRecorder{}).
		Complete(); err != nil {
		return fmt.Errorf("registering the Invitation webhooks: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &corev1.Namespace{}).
		WithValidator(&NamespaceGuard{facts: f, managerNamespace: opts.ManagerNamespace}).
		WithDefaulter(&AttachmentRecorder{facts: f}).
		Complete(); err != nil {
		return fmt.Errorf("registering the namespace guard: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.Organization{}).
		WithValidator(&OrganizationValidator{facts: f}).
		Complete(); err != nil {
		return fmt.Errorf("registering the Organization webhook: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.AccessToken{}).
		WithValidator(&TokenValidator{facts: f, clock: clock.RealClock{}}).
		WithDefaulter(&TokenRecorder{facts: f, clock: clock.RealClock{}}).
		Complete(); err != nil {
		return fmt.Errorf("registering the AccessToken webhooks: %w", err)
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.Project{}).
		WithValidator(&ProjectValidator{facts: f, managerNamespace: opts.ManagerNamespace, clock: clock.RealClock{}}).
		Complete(); err != nil {
		return fmt.Errorf("registering the Project webhook: %w", err)
	}
	mgr.GetWebhookServer().Register(TokenRequestPath, &crwebhook.Admission{Handler: &TokenRequestLimiter{facts: f, clock: clock.RealClock{}}})
	return nil
}
