// Package v1alpha1 holds the orgs.roster.dev/v1alpha1 API: Organization,
// Member and Invitation, their condition types and reasons, and the labels,
// annotations and finalizers Roster uses. It imports only apimachinery.
//
// +kubebuilder:object:generate=true
// +groupName=orgs.roster.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every Roster object.
	GroupVersion = schema.GroupVersion{Group: "orgs.roster.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Roster types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the Roster types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&Organization{}, &OrganizationList{},
		&Member{}, &MemberList{},
		&Invitation{}, &InvitationList{},
		&AccessToken{}, &AccessTokenList{},
		&Project{}, &ProjectList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
