package webhook

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/policy"
)

// respond turns a policy decision about a Roster object into the
// validator's result: Forbidden for authority and invariants, Invalid for a
// bad field value.
func respond(kind, resource, name string, d policy.Decision) (admission.Warnings, error) {
	return respondFor(orgsv1alpha1.GroupVersion.Group, kind, resource, name, d)
}

// respondFor is respond for an object of any API group.
func respondFor(group, kind, resource, name string, d policy.Decision) (admission.Warnings, error) {
	warnings := admission.Warnings(d.Warnings)
	metrics.RecordWebhookDecision(kind, string(d.Code), len(d.Warnings))
	switch d.Code {
	case policy.Allowed:
		return warnings, nil
	case policy.Invalid:
		gk := schema.GroupKind{Group: group, Kind: kind}
		path := field.NewPath(d.Field)
		return warnings, apierrors.NewInvalid(gk, name, field.ErrorList{field.Forbidden(path, d.Message)})
	default:
		return warnings, refusal(schema.GroupResource{Group: group, Resource: resource}, name, d.Message)
	}
}

// refusal is the Forbidden error of a refusal by policy: its status carries
// a cause of type RefusalCause, by which clients (the plugin) tell it from
// RBAC's. The message is NewForbidden's.
func refusal(gr schema.GroupResource, name, message string) error {
	err := apierrors.NewForbidden(gr, name, errors.New(message))
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
		Type:    orgsv1alpha1.RefusalCause,
		Message: message,
	})
	return err
}
