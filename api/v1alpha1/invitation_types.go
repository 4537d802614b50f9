package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InvitationSpec invites one e-mail address with a role.
type InvitationSpec struct {
	// Email is the invitee's address. It matches a Member whose user is
	// exactly it (after the manager's --user-prefix); one that resembles a
	// Member's user or a pending invitation's e-mail is refused.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$')",message="spec.email must be an e-mail address such as alice@example.com"
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\p{Cf}]')",message="spec.email must not contain control or format characters (escape codes, zero-width or bidi characters): they make one address look like another or rewrite a terminal; write it exactly as the invitee receives mail"
	Email string `json:"email"`

	// Role is the role the invitee gets on accepting: Owner (manages the organization, its owners and everyone else),
	// Admin (invites people and manages every member who is not an Owner),
	// Contributor (creates and changes workloads, config and secrets in the
	// organization's projects), Viewer (reads everything in projects, secrets
	// included) or ViewerNoSecrets (reads everything in projects except
	// secrets). Each role has every right of the ones after it. Spelled
	// exactly so: letter case matters.
	// +required
	Role Role `json:"role"`
}

// InvitationPhase is where an invitation is in its life.
// +kubebuilder:validation:Enum=Pending;Sent;Accepted;Declined;Expired;Failed
type InvitationPhase string

// Invitation phases.
const (
	InvitationPending  InvitationPhase = "Pending"
	InvitationSent     InvitationPhase = "Sent"
	InvitationAccepted InvitationPhase = "Accepted"
	InvitationDeclined InvitationPhase = "Declined"
	InvitationExpired  InvitationPhase = "Expired"
	InvitationFailed   InvitationPhase = "Failed"
)

// InvitationStatus records delivery and the invitation's phase.
type InvitationStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is Pending, Sent, Accepted, Declined, Expired or Failed.
	// +optional
	Phase InvitationPhase `json:"phase,omitempty"`

	// InvitedBy is the username recorded at admission in the invited-by annotation.
	// +optional
	InvitedBy string `json:"invitedBy,omitempty"`

	// SentAt is when the current link was delivered.
	// +optional
	SentAt *metav1.Time `json:"sentAt,omitempty"`
	// ExpiresAt is when the current link stops working.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// SendCount is how many links have been delivered.
	// +optional
	SendCount int32 `json:"sendCount,omitempty"`
	// Notifier is how the current link is delivered, as the manager's
	// --notifier says: log (a line in the manager's log, or its terminal
	// in local mode), smtp (an e-mail) or webhook (a POST, e.g. to a chat
	// tool). Written when a link is issued, so `kubectl roster invite`
	// can say where the link went.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Notifier string `json:"notifier,omitempty"`

	// TokenHash is the SHA-256 (hex) of the current link's token. The token
	// itself is never stored: only whoever received the link knows it.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TokenHash string `json:"tokenHash,omitempty"`
	// PreviousTokenHashes are the hashes of delivered links that a resend
	// replaced, newest first, so the accept page can say that a link was
	// replaced rather than unknown. They are never accepted.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MaxLength=64
	PreviousTokenHashes []string `json:"previousTokenHashes,omitempty"`
	// LastResendRequest is the value of the resend-requested-at annotation
	// that Roster last acted on; a different value asks for a new link.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	LastResendRequest string `json:"lastResendRequest,omitempty"`
	// AcceptedAt is when the invitee accepted through the link. The
	// Invitation is deleted once its Member exists; an Accepted invitation
	// without acceptedAt resolved itself because the invitee already was a
	// Member (reason AlreadyMember).
	// +optional
	AcceptedAt *metav1.Time `json:"acceptedAt,omitempty"`

	// Conditions: Ready, Delivered.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Invitation asks someone, by e-mail, to join the organization whose home
// namespace holds it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=inv,categories=roster
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.expiresAt`,description="When the current link stops working"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Sends",type=integer,JSONPath=`.status.sendCount`,priority=1
// +kubebuilder:printcolumn:name="Invited By",type=string,JSONPath=`.status.invitedBy`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Invitation struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   InvitationSpec   `json:"spec"`
	Status InvitationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// InvitationList is a list of Invitations.
type InvitationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Invitation `json:"items"`
}

// Labels, annotations and condition reasons of the invitation flow.
const (
	// InvitationLabel is set on a Member created by accepting an Invitation;
	// its value is the Invitation's name.
	InvitationLabel = "orgs.roster.dev/invitation"
	// AcceptedTokenAnnotation is set on a Member created by accepting an
	// Invitation: the SHA-256 (hex) of the token that was used, so the
	// accept page can tell a used link from an unknown one.
	AcceptedTokenAnnotation = "orgs.roster.dev/accepted-token-sha256" //nolint:gosec // an annotation name, not a credential

	// SendingReason: a link is being delivered (Delivered Unknown).
	SendingReason = "Sending"
	// SentReason: the link was delivered and waits for the invitee (Ready True).
	SentReason = "Sent"
	// AcceptedReason: the invitee accepted through the link (Ready True).
	AcceptedReason = "Accepted"
	// DeclinedReason: the invitee declined (Ready False).
	DeclinedReason = "Declined"
	// ResendRefusedReason: a resend was asked for but cannot be honoured;
	// the Event's message says why.
	ResendRefusedReason = "ResendRefused"
)

// IsPending reports whether the invitation can still be accepted: not
// accepted, declined, expired or failed.
func (i *Invitation) IsPending() bool {
	switch i.Status.Phase {
	case InvitationAccepted, InvitationDeclined, InvitationExpired, InvitationFailed:
		return false
	}
	return true
}
