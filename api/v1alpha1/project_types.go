package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ProjectSpec is what a Project asks for: one namespace per environment,
// named <organization>-<project>-<environment>, or one namespace
// <organization>-<project> when it has no environments.
type ProjectSpec struct {
	// DisplayName is the project's name as people read it.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\p{Cc}\\\\x{200E}\\\\x{200F}\\\\x{061C}\\\\x{202A}-\\\\x{202E}\\\\x{2066}-\\\\x{2069}]')",message="spec.displayName must not contain control characters or bidi controls; remove them"
	DisplayName string `json:"displayName,omitempty"`

	// Environments are the project's environments, e.g. [dev, staging,
	// prod]: DNS labels, each at most once. Each gets its own namespace.
	// None means one namespace for the whole project.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Environments []string `json:"environments,omitempty"`
}

// ProjectNamespaceStatus is one of a Project's namespaces as Roster saw it.
type ProjectNamespaceStatus struct {
	// Name is the namespace's name.
	Name string `json:"name"`
	// Environment is the environment it is for ("" for a project without environments).
	// +optional
	Environment string `json:"environment,omitempty"`
	// UID is the namespace Roster created. Roster manages only the
	// namespace with this UID: it never adopts one it did not create.
	// +optional
	UID types.UID `json:"uid,omitempty"`
	// Phase is the namespace's phase (Active, Terminating), or Conflict
	// when a namespace of that name exists that Roster did not create for
	// this project, or Pending before it exists.
	// +optional
	Phase string `json:"phase,omitempty"`
}

// Phases of a ProjectNamespaceStatus besides corev1.NamespacePhase's.
const (
	// ProjectNamespacePending: Roster has not created the namespace yet.
	ProjectNamespacePending = "Pending"
	// ProjectNamespaceConflict: a namespace of that name exists that Roster did not create for this project.
	ProjectNamespaceConflict = "Conflict"
	// ProjectNamespaceActive is corev1.NamespaceActive.
	ProjectNamespaceActive = string(corev1.NamespaceActive)
)

// ProjectStatus is what Roster made for the project.
type ProjectStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Namespaces are the project's namespaces and their phase.
	// +optional
	// +listType=map
	// +listMapKey=name
	Namespaces []ProjectNamespaceStatus `json:"namespaces,omitempty"`
	// Conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Project is a project of the organization whose home namespace holds it:
// Roster creates one namespace per environment, attached to the
// organization, so that every member gets their role's access there.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=proj,categories=roster
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name of a Project must be a DNS label (lower-case letters, digits and '-', at most 63 characters): it names the project's namespaces"
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Environments",type=string,JSONPath=`.spec.environments`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Namespaces",type=string,JSONPath=`.status.namespaces[*].name`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Project struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec   ProjectSpec   `json:"spec,omitempty"`
	Status ProjectStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProjectList is a list of Projects.
type ProjectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Project `json:"items"`
}

// ProjectPolicy bounds what an organization's Contributors may create as
// projects. Owners set it; a project's namespaces carry these labels and
// annotations, not the Project's own.
type ProjectPolicy struct {
	// MaxProjects is how many Projects the organization may have. Default 20.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	MaxProjects *int32 `json:"maxProjects,omitempty"`
	// MaxEnvironmentsPerProject is how many environments one Project may
	// have. Default 5.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=64
	MaxEnvironmentsPerProject *int32 `json:"maxEnvironmentsPerProject,omitempty"`
	// NamespaceLabels are put on every project namespace, e.g.
	// pod-security.kubernetes.io/enforce: restricted. Roster's own labels
	// (orgs.roster.dev/*, app.kubernetes.io/managed-by) cannot be set here.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('orgs.roster.dev/') && k != 'app.kubernetes.io/managed-by')",message="spec.projects.namespaceLabels cannot set Roster's own labels (orgs.roster.dev/*, app.kubernetes.io/managed-by)"
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// NamespaceAnnotations are put on every project namespace. Roster's own
	// annotations (orgs.roster.dev/*) cannot be set here.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('orgs.roster.dev/'))",message="spec.projects.namespaceAnnotations cannot set Roster's own annotations (orgs.roster.dev/*)"
	NamespaceAnnotations map[string]string `json:"namespaceAnnotations,omitempty"`
	// ResourceQuota, when set, is the spec of the ResourceQuota
	// roster-quota that Roster keeps in every project namespace: members
	// cannot change or delete it (admin and edit only read ResourceQuotas),
	// and removing this field deletes it. It is distinct from roster-contents,
	// Roster's counting quota. At most 64 hard limits, 16 scopes and 16
	// scope-selector expressions.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.hard) || size(self.hard) <= 64",message="spec.projects.resourceQuota.hard may have at most 64 entries"
	// +kubebuilder:validation:XValidation:rule="!has(self.scopes) || size(self.scopes) <= 16",message="spec.projects.resourceQuota.scopes may have at most 16 entries"
	// +kubebuilder:validation:XValidation:rule="!has(self.scopeSelector) || !has(self.scopeSelector.matchExpressions) || size(self.scopeSelector.matchExpressions) <= 16",message="spec.projects.resourceQuota.scopeSelector.matchExpressions may have at most 16 entries"
	ResourceQuota *corev1.ResourceQuotaSpec `json:"resourceQuota,omitempty"`
	// LimitRange, when set, is the spec of the LimitRange roster-limits
	// that Roster keeps in every project namespace: members cannot change
	// or delete it (admin and edit only read LimitRanges), and removing
	// this field deletes it. At most 16 limits, each with at most 32
	// resources per map.
	// +optional
	// +kubebuilder:validation:XValidation:rule="size(self.limits) <= 16",message="spec.projects.limitRange.limits may have at most 16 entries"
	// +kubebuilder:validation:XValidation:rule="size(self.limits) > 16 || self.limits.all(l, (!has(l.max) || size(l.max) <= 32) && (!has(l.min) || size(l.min) <= 32) && (!has(l.default) || size(l.default) <= 32) && (!has(l.defaultRequest) || size(l.defaultRequest) <= 32) && (!has(l.maxLimitRequestRatio) || size(l.maxLimitRequestRatio) <= 32))",message="each of spec.projects.limitRange.limits[*].max, min, default, defaultRequest and maxLimitRequestRatio may have at most 32 entries"
	LimitRange *corev1.LimitRangeSpec `json:"limitRange,omitempty"`
}
