package webhook

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Options configures the webhooks.
type Options struct {
	// UserPrefix is put before an e-mail when an accepted invitation becomes
	// a Member; "already a member" checks use it too.
	UserPrefix string
}

// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations;members;invitations,verbs=get;list;watch

// SetupWithManager registers Roster's admission webhooks. They read the
// cache through the indexes of internal/index, which the caller registers.
func SetupWithManager(mgr ctrl.Manager, opts Options) error {
	f := &facts{reader: mgr.GetClient(), live: mgr.GetAPIReader(), reviews: mgr.GetClient(), userPrefix: opts.UserPrefix}
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
	if err := ctrl.NewWebhookManagedBy(mgr, &orgsv1alpha1.Organization{}).
		WithValidator(&OrganizationValidator{facts: f}).
		Complete(); err != nil {
		return fmt.Errorf("registering the Organization webhook: %w", err)
	}
	return nil
}
