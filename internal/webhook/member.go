package webhook

import (
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-member,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=members,verbs=create;update;delete,versions=v1alpha1,name=vmember.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// MemberValidator refuses Member changes that break the permission matrix
// or an invariant.
type MemberValidator = homeValidator[*orgsv1alpha1.Member, memberKind]

var _ admission.Validator[*orgsv1alpha1.Member] = &MemberValidator{}

// memberKind decides Members with policy.DecideMember.
type memberKind struct{}

func (memberKind) names() (string, string) { return "Member", "members" }

func (memberKind) verbs(op policy.Operation, old, m *orgsv1alpha1.Member) func(policy.Snapshot) []string {
	return func(policy.Snapshot) []string { return []string{policy.MemberVerb(op, old, m)} }
}

func (memberKind) decide(op policy.Operation, old, m *orgsv1alpha1.Member, who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision {
	return policy.DecideMember(policy.MemberRequest{
		Op: op, Old: old, New: m, Requester: who, Authority: authority, Snapshot: snapshot,
	})
}
