package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccessTokenSpec is what a personal API access token asks for.
//
// +kubebuilder:validation:XValidation:rule="self.owner == oldSelf.owner",message="spec.owner cannot be changed: it records who created the token; create a new AccessToken instead",fieldPath=".owner",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.role) == has(oldSelf.role) && (!has(self.role) || self.role == oldSelf.role)",message="spec.role cannot be changed; revoke this token and create another",fieldPath=".role",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.expiresAt) == has(oldSelf.expiresAt) && (!has(self.expiresAt) || self.expiresAt == oldSelf.expiresAt)",message="spec.expiresAt cannot be changed; create another token",fieldPath=".expiresAt",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.revoked) || !oldSelf.revoked || (has(self.revoked) && self.revoked)",message="spec.revoked cannot be undone; create another token",fieldPath=".revoked",reason=FieldValueForbidden
type AccessTokenSpec struct {
	// Owner is the user the token acts for. Roster records it at admission
	// from the requester's authenticated identity; a different value is
	// refused, so a token is always its creator's.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Owner string `json:"owner,omitempty"`

	// Description says what the token is for, e.g. "CI of the web repository".
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\x{200E}\\\\x{200F}\\\\x{061C}\\\\x{202A}-\\\\x{202E}\\\\x{2066}-\\\\x{2069}]')",message="spec.description must not contain control characters or bidi controls; remove them"
	Description string `json:"description,omitempty"`

	// Role is the most the token may do: Admin, Contributor, Viewer or
	// ViewerNoSecrets, or Owner. Absent means the owner's role when the
	// token was created. It may not exceed the owner's role, and the token's
	// access is always the lower of this and the owner's current role.
	// +optional
	Role Role `json:"role,omitempty"`

	// ExpiresAt is when the token stops working. Roster sets it at
	// admission when absent (now plus the organization's
	// spec.tokenPolicy.maxTTL) and refuses one later than that.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// Revoked, once true, ends the token for good: its ServiceAccount is
	// deleted, so every value issued for it stops authenticating.
	// +optional
	Revoked bool `json:"revoked,omitempty"`
}

// AccessTokenPhase is where a token is in its life.
type AccessTokenPhase string

// Phases of an AccessToken.
const (
	// AccessTokenPending: Roster has not yet made the ServiceAccount and its access.
	AccessTokenPending AccessTokenPhase = "Pending"
	// AccessTokenReady: the owner may request a token value for status.serviceAccountName.
	AccessTokenReady AccessTokenPhase = "Ready"
	// AccessTokenRevoked: the ServiceAccount is deleted; status.reason says why. Final.
	AccessTokenRevoked AccessTokenPhase = "Revoked"
)

// AccessTokenStatus is what Roster made for the token.
type AccessTokenStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Phase is Pending, Ready or Revoked.
	// +optional
	Phase AccessTokenPhase `json:"phase,omitempty"`
	// Reason says why a token is Revoked: OwnerRemoved, OwnerDemoted,
	// OwnerIsServiceAccount, Expired, RevokedBy or InvalidName.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message says the same for people.
	// +optional
	Message string `json:"message,omitempty"`
	// RevokedBy is the user who revoked the token (reason RevokedBy).
	// +optional
	RevokedBy string `json:"revokedBy,omitempty"`
	// EffectiveRole is the access the token has now: the lower of
	// spec.role and its owner's current effective role.
	// +optional
	EffectiveRole Role `json:"effectiveRole,omitempty"`
	// ServiceAccountName is the ServiceAccount in this namespace whose
	// tokens act for this AccessToken (TokenRequest API).
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AccessToken is a personal API access token: a ServiceAccount in the
// organization's home namespace with exactly its owner's access (or less),
// that follows the owner's membership. Roster never holds a token value:
// the owner requests it from the TokenRequest API.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=atok,categories=roster
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 240",message="metadata.name of an AccessToken may be at most 240 characters, so that its ServiceAccount roster-token-<name> fits Kubernetes' 253; choose a shorter name"
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.status.effectiveRole`,description="The access the token has now"
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.spec.expiresAt`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`,priority=1
// +kubebuilder:printcolumn:name="Description",type=string,JSONPath=`.spec.description`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AccessToken struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   AccessTokenSpec   `json:"spec"`
	Status AccessTokenStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// AccessTokenList is a list of AccessTokens.
type AccessTokenList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AccessToken `json:"items"`
}

// TokenServiceAccountPrefix starts the name of every token's ServiceAccount
// (and of the Role and RoleBinding that let its owner request values).
const TokenServiceAccountPrefix = "roster-token-"

// MaxAccessTokenNameLength is the longest AccessToken name: 253 (a
// ServiceAccount name's limit) less TokenServiceAccountPrefix. The CRD's
// rule on metadata.name says 240 literally; keep the two equal.
const MaxAccessTokenNameLength = 253 - len(TokenServiceAccountPrefix)

// ServiceAccountName is the token's ServiceAccount in its namespace.
func (t *AccessToken) ServiceAccountName() string {
	return TokenServiceAccountPrefix + t.Name
}

// TokenPolicy bounds an organization's personal access tokens.
type TokenPolicy struct {
	// MaxTTL is the longest a token may live, and its lifetime when none is
	// asked for. Default 2160h (90 days).
	// +optional
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10m') && duration(self) <= duration('8760h')",message="spec.tokenPolicy.maxTTL must be between 10m and 8760h (one year), for example 2160h"
	MaxTTL *metav1.Duration `json:"maxTTL,omitempty"`
}
