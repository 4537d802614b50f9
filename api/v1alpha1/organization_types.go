package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OrganizationSpec is what an Organization asks for.
//
// +kubebuilder:validation:XValidation:rule="has(self.homeNamespace) == has(oldSelf.homeNamespace) && (!has(self.homeNamespace) || self.homeNamespace == oldSelf.homeNamespace)",message="spec.homeNamespace cannot be set, removed or changed after the Organization is created; create a new Organization instead",fieldPath=".homeNamespace",reason=FieldValueForbidden
type OrganizationSpec struct {
	// DisplayName is the organization's name as people read it.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\x{200E}\\\\x{200F}\\\\x{061C}\\\\x{202A}-\\\\x{202E}\\\\x{2066}-\\\\x{2069}]')",message="spec.displayName must not contain control characters or bidi controls (escape codes, U+202E and the like): they rewrite a terminal or reverse the text around them; remove them"
	DisplayName string `json:"displayName,omitempty"`

	// HomeNamespace holds the organization's Members and Invitations.
	// Absent means "org-<name>". It can be set only at creation.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="spec.homeNamespace must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('kube-') && self != 'default'",message="spec.homeNamespace cannot be 'default' or a kube-* namespace"
	HomeNamespace string `json:"homeNamespace,omitempty"`

	// InvitationTTL is how long an invitation link stays valid. Default 168h (7 days).
	// +optional
	// +kubebuilder:default="168h"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('8760h')",message="spec.invitationTTL must be between 1m and 8760h (one year), for example 168h"
	InvitationTTL *metav1.Duration `json:"invitationTTL,omitempty"`

	// TokenPolicy bounds the organization's personal access tokens (AccessTokens).
	// +optional
	TokenPolicy *TokenPolicy `json:"tokenPolicy,omitempty"`

	// Projects bounds the organization's Projects (how many, how many
	// environments each) and sets the labels and annotations of every
	// project namespace.
	// +optional
	Projects *ProjectPolicy `json:"projects,omitempty"`
}

// RoleCounts counts an organization's Members by effective role.
type RoleCounts struct {
	Owners           int32 `json:"owners"`
	Admins           int32 `json:"admins"`
	Contributors     int32 `json:"contributors"`
	Viewers          int32 `json:"viewers"`
	ViewersNoSecrets int32 `json:"viewersNoSecrets"`
}

// OrganizationStatus is what Roster observed and applied.
type OrganizationStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// HomeNamespace is the namespace that holds this organization's Members and Invitations.
	// +optional
	HomeNamespace string `json:"homeNamespace,omitempty"`

	// EffectiveOwners are the users whose effective role is Owner. Roster
	// writes it with optimistic concurrency: it is the commit point that
	// keeps an organization from losing its last owner.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10000
	EffectiveOwners []string `json:"effectiveOwners,omitempty"`

	// Owners is the number of user Members whose effective role is Owner.
	// The counts are written even when zero, so that `kubectl get` shows 0,
	// not a blank, once the organization has been reconciled.
	// +optional
	Owners int32 `json:"owners"`
	// Members is the number of Members.
	// +optional
	Members int32 `json:"members"`
	// PendingInvitations is the number of Invitations not yet accepted, declined or expired.
	// +optional
	PendingInvitations int32 `json:"pendingInvitations"`
	// Projects is the number of project namespaces attached to the organization.
	// +optional
	Projects int32 `json:"projects"`
	// RoleCounts counts Members by effective role.
	// +optional
	RoleCounts RoleCounts `json:"roleCounts,omitempty"`

	// Conditions: Ready, HomeNamespaceReady, OwnerPresent, OwnerRedundancy, AccessReady.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Organization is a group of people with roles, whose Members and
// Invitations live in its home namespace and whose access is materialized
// as RBAC in its project namespaces.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=org,categories=roster
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 59 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name of an Organization must be a DNS label of at most 59 characters (lower-case letters, digits and '-'), so that its default home namespace org-<name> is valid"
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Owners",type=integer,JSONPath=`.status.owners`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingInvitations`,description="Pending invitations"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Home",type=string,JSONPath=`.status.homeNamespace`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Organization struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is optional: an Organization with only a name is valid, and
	// the API server fills in the defaults (shown by kubectl get -o yaml).
	// +optional
	// +kubebuilder:default={}
	Spec   OrganizationSpec   `json:"spec"`
	Status OrganizationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// OrganizationList is a list of Organizations.
type OrganizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Organization `json:"items"`
}

// DisplayNameOrName is what people are shown for the organization:
// spec.displayName, else its name.
func (o *Organization) DisplayNameOrName() string {
	if o.Spec.DisplayName != "" {
		return o.Spec.DisplayName
	}
	return o.Name
}

// HomeNamespaceName is the organization's home namespace: the one recorded
// in status, else spec.homeNamespace, else "org-<name>".
func (o *Organization) HomeNamespaceName() string {
	if o.Status.HomeNamespace != "" {
		return o.Status.HomeNamespace
	}
	if o.Spec.HomeNamespace != "" {
		return o.Spec.HomeNamespace
	}
	return DefaultHomeNamespacePrefix + o.Name
}
