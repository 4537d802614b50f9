package webhook

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-member,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=members,verbs=create;update;delete,versions=v1alpha1,name=vmember.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// MemberValidator refuses Member changes that break the permission matrix
// or an invariant.
type MemberValidator struct{ facts *facts }

var _ admission.Validator[*orgsv1alpha1.Member] = &MemberValidator{}

// ValidateCreate checks a new Member.
func (v *MemberValidator) ValidateCreate(ctx context.Context, m *orgsv1alpha1.Member) (admission.Warnings, error) {
	return v.decide(ctx, policy.Create, nil, m)
}

// ValidateUpdate checks a change of a Member.
func (v *MemberValidator) ValidateUpdate(ctx context.Context, old, m *orgsv1alpha1.Member) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, m)
}

// ValidateDelete checks a removal, or a member leaving.
func (v *MemberValidator) ValidateDelete(ctx context.Context, m *orgsv1alpha1.Member) (admission.Warnings, error) {
	return v.decide(ctx, policy.Delete, m, nil)
}

func (v *MemberValidator) decide(ctx context.Context, op policy.Operation, old, m *orgsv1alpha1.Member) (admission.Warnings, error) {
	obj := m
	if obj == nil {
		obj = old
	}
	return v.facts.decideInHome(ctx, obj, "Member", "members", func(policy.Snapshot) []string { return []string{policy.MemberVerb(op, old, m)} },
		func(who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision {
			return policy.DecideMember(policy.MemberRequest{
				Op: op, Old: old, New: m, Requester: who, Authority: authority, Snapshot: snapshot,
			})
		})
}
