package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// TokenRequestPath is where TokenRequestLimiter serves.
const TokenRequestPath = "/mutate--v1-serviceaccount-token" //nolint:gosec // a URL path, not a credential

// The match condition sends only requests for ServiceAccounts named like a
// token's: an objectSelector cannot do it, since the object of a
// serviceaccounts/token request is the TokenRequest, which has no labels.
// It is mutating so that it can cap spec.expirationSeconds, and reinvoked
// if a later webhook changes the request.
// +kubebuilder:webhook:path=/mutate--v1-serviceaccount-token,mutating=true,failurePolicy=fail,sideEffects=None,groups="",resources=serviceaccounts/token,verbs=create,versions=v1,name=mtokenrequest.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10,reinvocationPolicy=IfNeeded,patch=`{"matchConditions":[{"name":"access-token-serviceaccounts","expression":"request.name.startsWith('roster-token-')"}]}`
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get

// TokenRequestLimiter holds every value of an AccessToken's ServiceAccount
// to the token (policy.DecideTokenValue): none once the token is revoked,
// expired or gone, none for other audiences or bound to an object, and none
// that outlives the token (spec.expirationSeconds is capped). The token's
// owner holds create serviceaccounts/token, which RBAC cannot narrow so.
type TokenRequestLimiter struct {
	facts *facts
	clock clock.PassiveClock
}

var _ admission.Handler = &TokenRequestLimiter{}

// Handle decides one TokenRequest.
func (l *TokenRequestLimiter) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create || req.SubResource != "token" ||
		!strings.HasPrefix(req.Name, orgsv1alpha1.TokenServiceAccountPrefix) {
		return admission.Allowed("")
	}
	sa := &corev1.ServiceAccount{}
	// Live reads: a revocation a moment ago must count.
	err := l.facts.live.Get(ctx, client.ObjectKey{Namespace: req.Namespace, Name: req.Name}, sa)
	if apierrors.IsNotFound(err) {
		return admission.Allowed("") // the API server answers NotFound itself
	}
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	controller := metav1.GetControllerOf(sa)
	if sa.Labels[orgsv1alpha1.ManagedByLabel] != orgsv1alpha1.ManagedByValue && (controller == nil || controller.Kind != "AccessToken") {
		return admission.Allowed("") // not Roster's: named so by chance
	}
	tr := &authenticationv1.TokenRequest{}
	if err := json.Unmarshal(req.Object.Raw, tr); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	token, ownerRole, maxTTL, err := l.facts.accessToken(ctx, req.Namespace, strings.TrimPrefix(req.Name, orgsv1alpha1.TokenServiceAccountPrefix))
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	d, seconds := policy.DecideTokenValue(policy.TokenValueRequest{
		Namespace: req.Namespace, ServiceAccount: req.Name, Token: token,
		Owned:     policy.TokenServiceAccountOwned(token, sa),
		OwnerRole: ownerRole, MaxTTL: maxTTL, ExpirationSeconds: tr.Spec.ExpirationSeconds,
		Audiences: tr.Spec.Audiences, BoundObject: tr.Spec.BoundObjectRef != nil, Now: l.clock.Now(),
	})
	warnings, err := respondFor("authentication.k8s.io", "TokenRequest", "serviceaccounts/token", req.Name, d)
	if status := apierrors.APIStatus(nil); errors.As(err, &status) {
		result := status.Status()
		return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &result, Warnings: warnings}}
	}
	if tr.Spec.ExpirationSeconds != nil && *tr.Spec.ExpirationSeconds == seconds {
		return admission.Allowed("").WithWarnings(warnings...)
	}
	// "add" sets the member whether or not it is there (RFC 6902).
	return admission.Patched("", jsonpatch.Operation{Operation: "add", Path: "/spec/expirationSeconds", Value: seconds}).WithWarnings(warnings...)
}
