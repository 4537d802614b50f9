// Package v1alpha1 holds the orgs.roster.dev/v1alpha1 API: Organization,
// Member and Invitation, their condition types and reasons, and the labels,
// annotations and finalizers Roster uses. It imports only apimachinery.
//
// +kubebuilder:object:generate=true
// +groupName=orgs.roster.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every Roster object.
	GroupVersion = schema.GroupVersion{Group: "orgs.roster.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Roster types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Roster types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
