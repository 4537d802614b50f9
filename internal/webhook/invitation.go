package webhook

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-invitation,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=invitations,verbs=create;update;delete,versions=v1alpha1,name=vinvitation.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// InvitationValidator refuses Invitation changes that break the permission
// matrix or an invariant, and any forged inviter.
type InvitationValidator struct{ facts *facts }

var _ admission.Validator[*orgsv1alpha1.Invitation] = &InvitationValidator{}

// ValidateCreate checks a new Invitation.
func (v *InvitationValidator) ValidateCreate(ctx context.Context, inv *orgsv1alpha1.Invitation) (admission.Warnings, error) {
	return v.decide(ctx, policy.Create, nil, inv)
}

// ValidateUpdate checks a change, such as a resend.
func (v *InvitationValidator) ValidateUpdate(ctx context.Context, old, inv *orgsv1alpha1.Invitation) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, inv)
}

// ValidateDelete checks a revocation.
func (v *InvitationValidator) ValidateDelete(ctx context.Context, inv *orgsv1alpha1.Invitation) (admission.Warnings, error) {
	return v.decide(ctx, policy.Delete, inv, nil)
}

func (v *InvitationValidator) decide(ctx context.Context, op policy.Operation, old, inv *orgsv1alpha1.Invitation) (admission.Warnings, error) {
	obj := inv
	if obj == nil {
		obj = old
	}
	return v.facts.decideInHome(ctx, obj, "Invitation", "invitations", policy.InvitationVerbs(op, old, inv),
		func(who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision {
			return policy.DecideInvitation(policy.InvitationRequest{
				Op: op, Old: old, New: inv, Requester: who, Authority: authority, Snapshot: snapshot,
			})
		})
}
