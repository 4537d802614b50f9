package webhook

import (
	"context"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/mutate-orgs-roster-dev-v1alpha1-accesstoken,mutating=true,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=accesstokens,verbs=create;update,versions=v1alpha1,name=maccesstoken.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10,reinvocationPolicy=Never
// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-accesstoken,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=accesstokens,verbs=create;update;delete,versions=v1alpha1,name=vaccesstoken.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10

// TokenRecorder fills in what an AccessToken's requester does not choose:
// spec.owner (the requester, from the authenticated identity, as
// InviterRecorder does for invited-by), spec.role (the owner's role now),
// spec.expiresAt (now plus the organization's maxTTL), and the revoked-by
// annotation when spec.revoked is set. It only fills what is absent; a
// value set by hand is left for TokenValidator to judge.
type TokenRecorder struct {
	facts *facts
	clock clock.PassiveClock
}

var _ admission.Defaulter[*orgsv1alpha1.AccessToken] = &TokenRecorder{}

// Default fills in the owner, role, expiry and revoker.
func (d *TokenRecorder) Default(ctx context.Context, t *orgsv1alpha1.AccessToken) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return fmt.Errorf("reading the admission request: %w", err)
	}
	user := req.UserInfo.Username
	if req.Operation == admissionv1.Update {
		old := &orgsv1alpha1.AccessToken{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("decoding the stored AccessToken: %w", err)
		}
		setAbsent := func(key, value string) {
			if _, ok := t.Annotations[key]; ok {
				return
			}
			if t.Annotations == nil {
				t.Annotations = map[string]string{}
			}
			t.Annotations[key] = value
		}
		if by, ok := old.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]; ok {
			setAbsent(orgsv1alpha1.TokenRevokedByAnnotation, by)
		} else if t.Spec.Revoked && !old.Spec.Revoked {
			setAbsent(orgsv1alpha1.TokenRevokedByAnnotation, user)
		}
		return nil
	}
	if t.Spec.Owner == "" {
		t.Spec.Owner = user
	}
	snapshot, err := d.facts.snapshot(ctx, t.Namespace)
	if err != nil || snapshot.Organization == nil {
		return err // no organization: the validator refuses
	}
	if t.Spec.Role == "" {
		effective := policy.EffectiveRoles(snapshot.Members, snapshot.Organization.Status.EffectiveOwners, false)
		t.Spec.Role = policy.UserRole(t.Spec.Owner, snapshot.Members, effective)
	}
	if t.Spec.ExpiresAt == nil {
		at := metav1.NewTime(d.clock.Now().Add(policy.TokenMaxTTL(snapshot.Organization)).Truncate(1e9))
		t.Spec.ExpiresAt = &at
	}
	return nil
}

// TokenValidator asks policy.DecideToken about every change of an AccessToken.
type TokenValidator struct {
	facts *facts
	clock clock.PassiveClock
}

var _ admission.Validator[*orgsv1alpha1.AccessToken] = &TokenValidator{}

// ValidateCreate checks a new token.
func (v *TokenValidator) ValidateCreate(ctx context.Context, t *orgsv1alpha1.AccessToken) (admission.Warnings, error) {
	return v.decide(ctx, policy.Create, nil, t)
}

// ValidateUpdate checks a change: a revocation, or metadata.
func (v *TokenValidator) ValidateUpdate(ctx context.Context, old, t *orgsv1alpha1.AccessToken) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, t)
}

// ValidateDelete checks a deletion, which revokes the token.
func (v *TokenValidator) ValidateDelete(ctx context.Context, t *orgsv1alpha1.AccessToken) (admission.Warnings, error) {
	return v.decide(ctx, policy.Delete, t, nil)
}

func (v *TokenValidator) decide(ctx context.Context, op policy.Operation, old, t *orgsv1alpha1.AccessToken) (admission.Warnings, error) {
	obj := t
	if obj == nil {
		obj = old
	}
	user, who, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	snapshot, err := v.facts.snapshot(ctx, obj.Namespace)
	if err != nil {
		return nil, err
	}
	authority, err := v.facts.authority(ctx, user, who, snapshot, policy.TokenVerb(op, who, old, t, snapshot))
	if err != nil {
		return nil, err
	}
	return respond("AccessToken", "accesstokens", obj.Name, policy.DecideToken(policy.TokenRequest{
		Op: op, Who: who, Old: old, New: t, Snapshot: snapshot, Authority: authority, Now: v.clock.Now(),
	}))
}
