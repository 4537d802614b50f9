package webhook

import (
	"context"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/mutate-orgs-roster-dev-v1alpha1-invitation,mutating=true,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=invitations,verbs=create;update,versions=v1alpha1,name=minvitation.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10,reinvocationPolicy=Never

// InviterRecorder records who created an Invitation, from the request's
// authenticated identity, in the invited-by annotations. It only fills what
// is absent: a value someone set by hand is left for the validating webhook
// to refuse, and one dropped by a later update (kubectl replace, a GitOps
// replace) is restored from the stored object rather than refused.
type InviterRecorder struct{}

var _ admission.Defaulter[*orgsv1alpha1.Invitation] = &InviterRecorder{}

// Default fills in the inviter annotations.
func (InviterRecorder) Default(ctx context.Context, inv *orgsv1alpha1.Invitation) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return fmt.Errorf("reading the admission request: %w", err)
	}
	want := policy.InviterAnnotations(policy.Requester{User: req.UserInfo.Username, Groups: req.UserInfo.Groups})
	if req.Operation == admissionv1.Update {
		old := &orgsv1alpha1.Invitation{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("decoding the stored invitation: %w", err)
		}
		want = map[string]string{}
		for key := range policy.InviterAnnotations(policy.Requester{}) {
			if value, ok := old.Annotations[key]; ok {
				want[key] = value
			}
		}
	}
	for key, value := range want {
		if _, ok := inv.Annotations[key]; ok {
			continue
		}
		if inv.Annotations == nil {
			inv.Annotations = map[string]string{}
		}
		inv.Annotations[key] = value
	}
	return nil
}
