package webhook

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-organization,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=organizations,verbs=create;update;delete,versions=v1alpha1,name=vorganization.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// OrganizationValidator guards home-namespace claims, who may change an
// Organization, and the deletion of one that still has Members.
type OrganizationValidator struct{ facts *facts }

var _ admission.Validator[*orgsv1alpha1.Organization] = &OrganizationValidator{}

// ValidateCreate checks a new Organization.
func (v *OrganizationValidator) ValidateCreate(ctx context.Context, org *orgsv1alpha1.Organization) (admission.Warnings, error) {
	return v.decide(ctx, policy.Create, nil, org)
}

// ValidateUpdate checks a change of an Organization.
func (v *OrganizationValidator) ValidateUpdate(ctx context.Context, old, org *orgsv1alpha1.Organization) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, org)
}

// ValidateDelete checks the deletion of an Organization.
func (v *OrganizationValidator) ValidateDelete(ctx context.Context, org *orgsv1alpha1.Organization) (admission.Warnings, error) {
	return v.decide(ctx, policy.Delete, org, nil)
}

func (v *OrganizationValidator) decide(ctx context.Context, op policy.Operation, old, org *orgsv1alpha1.Organization) (admission.Warnings, error) {
	obj := org
	if obj == nil {
		obj = old
	}
	user, who, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	request := policy.OrganizationRequest{Op: op, Old: old, New: org, Requester: who}
	if op == policy.Create {
		if request.ClaimedHomeNamespaces, err = v.claimedHomeNamespaces(ctx, obj.Name); err != nil {
			return nil, err
		}
	}
	if op == policy.Delete {
		var members orgsv1alpha1.MemberList
		if err := v.facts.reader.List(ctx, &members, client.InNamespace(obj.HomeNamespaceName())); err != nil {
			return nil, fmt.Errorf("counting the members of organization %q: %w", obj.Name, err)
		}
		request.Members = len(members.Items)
	}
	if request.Authority, err = v.facts.reviewedAuthority(ctx, user, obj.Name, policy.OrganizationVerb(op, old, org)); err != nil {
		return nil, err
	}
	return respond("Organization", "organizations", obj.Name, policy.DecideOrganization(request))
}

// claimedHomeNamespaces maps every other organization's home namespace to its name.
func (v *OrganizationValidator) claimedHomeNamespaces(ctx context.Context, except string) (map[string]string, error) {
	var orgs orgsv1alpha1.OrganizationList
	if err := v.facts.reader.List(ctx, &orgs); err != nil {
		return nil, fmt.Errorf("listing organizations: %w", err)
	}
	claimed := make(map[string]string, len(orgs.Items))
	for i := range orgs.Items {
		if orgs.Items[i].Name != except {
			claimed[orgs.Items[i].HomeNamespaceName()] = orgs.Items[i].Name
		}
	}
	return claimed, nil
}
