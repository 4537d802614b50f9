package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AuditAction names what an audit record says happened.
type AuditAction string

// The actions of the audit log (docs/audit.md).
const (
	AuditMemberCreated       AuditAction = "member-created"
	AuditRoleChanged         AuditAction = "role-changed"
	AuditMemberRemoved       AuditAction = "member-removed"
	AuditMemberLeft          AuditAction = "member-left"
	AuditInvitationCreated   AuditAction = "invitation-created"
	AuditInvitationResent    AuditAction = "invitation-resent"
	AuditInvitationRevoked   AuditAction = "invitation-revoked"
	AuditInvitationAccepted  AuditAction = "invitation-accepted"
	AuditInvitationDeclined  AuditAction = "invitation-declined"
	AuditInvitationExpired   AuditAction = "invitation-expired"
	AuditInvitationFailed    AuditAction = "invitation-failed"
	AuditNamespaceAttached   AuditAction = "namespace-attached"
	AuditNamespaceDetached   AuditAction = "namespace-detached"
	AuditTokenCreated        AuditAction = "token-created"
	AuditTokenRevoked        AuditAction = "token-revoked"
	AuditProjectCreated      AuditAction = "project-created"
	AuditProjectUpdated      AuditAction = "project-updated"
	AuditProjectDeleted      AuditAction = "project-deleted"
	AuditOrganizationUpdated AuditAction = "organization-updated"
	AuditOrganizationDeleted AuditAction = "organization-deleted"
	AuditRefused             AuditAction = "refused"
)

// AuditOutcome says whether the change happened.
type AuditOutcome string

const (
	// AuditSucceeded means the change was committed (a record of it is written
	// only once Roster has seen it committed).
	AuditSucceeded AuditOutcome = "Succeeded"
	// AuditDenied means Roster's admission refused the request; nothing changed.
	AuditDenied AuditOutcome = "Denied"
)

// AuditActor is an identity exactly as the API server authenticated it:
// never a field a client can write.
type AuditActor struct {
	// Username as authenticated (or "system:roster" for what Roster's
	// manager did by itself, e.g. an invitation expiring).
	Username string `json:"username"`
	// UID of the user, when the authenticator gives one.
	// +optional
	UID string `json:"uid,omitempty"`
	// Groups as authenticated.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty"`
	// Impersonator is who made the request as Username, when it was
	// impersonated (kubectl --as).
	// +optional
	Impersonator *AuditImpersonator `json:"impersonator,omitempty"`
}

// AuditImpersonator is who impersonated a record's actor, as authenticated.
type AuditImpersonator struct {
	// Username as authenticated.
	Username string `json:"username"`
	// UID of the user, when the authenticator gives one.
	// +optional
	UID string `json:"uid,omitempty"`
	// Groups as authenticated.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty"`
}

// AuditObject is the object a record is about.
type AuditObject struct {
	// Kind: Member, Invitation, Namespace, AccessToken, Project, Organization.
	Kind string `json:"kind"`
	// Namespace of the object ("" for a Namespace).
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the object.
	Name string `json:"name"`
	// UID of the object.
	// +optional
	UID types.UID `json:"uid,omitempty"`
}

// AuditState is what a record's object was before or after the change: the
// fields the directory's readers ask about.
type AuditState struct {
	// Role of a Member, Invitation or AccessToken.
	// +optional
	Role Role `json:"role,omitempty"`
	// Email of a Member or Invitation.
	// +optional
	Email string `json:"email,omitempty"`
	// User or Group a Member names.
	// +optional
	Subject string `json:"subject,omitempty"`
	// Environments of a Project.
	// +optional
	// +listType=atomic
	Environments []string `json:"environments,omitempty"`
}

// AuditRecord is one entry of an organization's audit log.
type AuditRecord struct {
	// ID is unique in the organization's log and deterministic for a
	// change, so that a record written twice (after a crash) is kept once.
	ID string `json:"id"`
	// Time the change was made (admitted, or done by Roster).
	Time metav1.MicroTime `json:"time"`
	// Actor who made the change.
	Actor AuditActor `json:"actor"`
	// Action that happened.
	Action AuditAction `json:"action"`
	// Object the change was made to.
	Object AuditObject `json:"object"`
	// Before is the object's state before the change (absent for a creation).
	// +optional
	Before *AuditState `json:"before,omitempty"`
	// After is the object's state after the change (absent for a deletion).
	// +optional
	After *AuditState `json:"after,omitempty"`
	// Outcome of the change.
	Outcome AuditOutcome `json:"outcome"`
	// Message says more, e.g. the refusal or why delivery failed.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// AuditLog is one chunk of an organization's audit log, in its home
// namespace, labelled with OrganizationLabel: records in the order Roster
// appended them. Only Roster's manager writes AuditLogs (a
// ValidatingAdmissionPolicy and RBAC); Owners and Admins read them; Roster
// prunes them by the Organization's spec.audit.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=roster
// +kubebuilder:printcolumn:name="Organization",type=string,JSONPath=`.metadata.labels.orgs\.roster\.dev/organization`
// +kubebuilder:printcolumn:name="First",type=date,JSONPath=`.records[0].time`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AuditLog struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Records of this chunk, oldest first.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1000
	Records []AuditRecord `json:"records,omitempty"`
}

// +kubebuilder:object:root=true

// AuditLogList is a list of AuditLogs.
type AuditLogList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AuditLog `json:"items"`
}

// AuditPolicy bounds an organization's audit log. Roster prunes by it.
type AuditPolicy struct {
	// Retention is how long records are kept. Default 2160h (90 days).
	// +optional
	// +kubebuilder:default="2160h"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1h') && duration(self) <= duration('87600h')",message="spec.audit.retention must be between 1h and 87600h (ten years), for example 2160h"
	Retention *metav1.Duration `json:"retention,omitempty"`
	// MaxRecords bounds the records kept (the oldest are pruned first
	// past it). Default 100000.
	// +optional
	// +kubebuilder:validation:Minimum=1000
	// +kubebuilder:validation:Maximum=1000000
	MaxRecords *int32 `json:"maxRecords,omitempty"`
}
