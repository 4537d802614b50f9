package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MemberSpec names one person (or identity-provider group) and their role.
//
// +kubebuilder:validation:XValidation:rule="has(self.user) != has(self.group)",message="exactly one of spec.user and spec.group must be set"
// +kubebuilder:validation:XValidation:rule="has(self.user) == has(oldSelf.user) && (!has(self.user) || self.user == oldSelf.user)",message="spec.user cannot be changed; delete this Member and create one for the other user",fieldPath=".user",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.group) == has(oldSelf.group) && (!has(self.group) || self.group == oldSelf.group)",message="spec.group cannot be changed; delete this Member and create one for the other group",fieldPath=".group",reason=FieldValueForbidden
type MemberSpec struct {
	// User is the identity the cluster's authenticator reports for this
	// person (with OIDC usually the e-mail claim, possibly prefixed, such as
	// "oidc:alice@example.com"). It becomes the RBAC subject verbatim and
	// is compared exactly, as RBAC compares it; one that merely resembles
	// another Member's (another letter case, a Unicode variant) is refused.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\p{Cf}]')",message="spec.user must not contain control or format characters (escape codes, zero-width or bidi characters): they make one name look like another or rewrite a terminal; write it exactly as the cluster's authenticator reports it"
	User string `json:"user,omitempty"`

	// Group is an identity-provider group. A group never counts as an owner.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\p{Cf}]')",message="spec.group must not contain control or format characters (escape codes, zero-width or bidi characters): they make one name look like another or rewrite a terminal; write it exactly as the identity provider names the group"
	Group string `json:"group,omitempty"`

	// Role is the member's role in the organization: Owner (manages the organization, its owners and everyone else),
	// Admin (invites people and manages every member who is not an Owner),
	// Contributor (creates and changes workloads, config and secrets in the
	// organization's projects), Viewer (reads everything in projects, secrets
	// included) or ViewerNoSecrets (reads everything in projects except
	// secrets). Each role has every right of the ones after it. Spelled
	// exactly so: letter case matters.
	// +required
	Role Role `json:"role"`
}

// MemberStatus is the role Roster applied and why.
type MemberStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// EffectiveRole is the role that is applied. It differs from spec.role
	// while a change is held back (RoleApplied=False).
	// +optional
	EffectiveRole Role `json:"effectiveRole,omitempty"`

	// Organization is the organization whose home namespace holds this Member.
	// +optional
	Organization string `json:"organization,omitempty"`

	// Conditions: Ready, RoleApplied.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Member gives a user or group a role in the organization whose home
// namespace holds it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mbr,categories=roster
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Group",type=string,JSONPath=`.spec.group`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Effective",type=string,JSONPath=`.status.effectiveRole`,description="The role that is applied"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Member struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   MemberSpec   `json:"spec"`
	Status MemberStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// MemberList is a list of Members.
type MemberList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Member `json:"items"`
}

// Subject is the member's user or group, for messages.
func (m *Member) Subject() string {
	if m.Spec.User != "" {
		return "user " + m.Spec.User
	}
	return "group " + m.Spec.Group
}
