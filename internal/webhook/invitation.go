package webhook

import (
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-invitation,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=invitations,verbs=create;update;delete,versions=v1alpha1,name=vinvitation.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// InvitationValidator refuses Invitation changes that break the permission
// matrix or an invariant, and any forged inviter.
type InvitationValidator = homeValidator[*orgsv1alpha1.Invitation, invitationKind]

var _ admission.Validator[*orgsv1alpha1.Invitation] = &InvitationValidator{}

// invitationKind decides Invitations with policy.DecideInvitation.
type invitationKind struct{}

func (invitationKind) names() (string, string) { return "Invitation", "invitations" }

func (invitationKind) verbs(op policy.Operation, old, inv *orgsv1alpha1.Invitation) func(policy.Snapshot) []string {
	return policy.InvitationVerbs(op, old, inv)
}

func (invitationKind) decide(op policy.Operation, old, inv *orgsv1alpha1.Invitation, who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision {
	return policy.DecideInvitation(policy.InvitationRequest{
		Op: op, Old: old, New: inv, Requester: who, Authority: authority, Snapshot: snapshot,
	})
}
