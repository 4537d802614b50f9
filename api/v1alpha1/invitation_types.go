package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InvitationSpec invites one e-mail address with a role.
type InvitationSpec struct {
	// Email is the invitee's address. Matching against Members is case-insensitive.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$')",message="spec.email must be an e-mail address such as alice@example.com"
	Email string `json:"email"`

	// Role is the role the invitee gets on accepting.
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
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.expiresAt`
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

func init() {
	SchemeBuilder.Register(&Invitation{}, &InvitationList{})
}

// IsPending reports whether the invitation can still be accepted: not
// accepted, declined, expired or failed.
func (i *Invitation) IsPending() bool {
	switch i.Status.Phase {
	case InvitationAccepted, InvitationDeclined, InvitationExpired, InvitationFailed:
		return false
	}
	return true
}
