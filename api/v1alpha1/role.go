package v1alpha1

// A CEL rule rather than an enum: an enum's refusal comes with "some
// validation rules were not checked" for every other rule of the object,
// and kubectl explain cuts an enum's list short.

// Role is a member's role in an organization, highest first (Roles), each
// with every right of the ones below it; the constants say what each may
// do. The CRD fields that hold one (Member and Invitation spec.role)
// repeat that for kubectl explain.
//
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:XValidation:rule="self in ['Owner', 'Admin', 'Contributor', 'Viewer', 'ViewerNoSecrets']",message="must be one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets, spelled exactly so (letter case matters)"
type Role string

const (
	// RoleOwner manages the organization, its owners and everyone else.
	RoleOwner Role = "Owner"
	// RoleAdmin invites people and manages every member who is not an Owner.
	RoleAdmin Role = "Admin"
	// RoleContributor creates and changes workloads, config and secrets in projects.
	RoleContributor Role = "Contributor"
	// RoleViewer reads everything in projects, secrets included.
	RoleViewer Role = "Viewer"
	// RoleViewerNoSecrets reads everything in projects except secrets.
	RoleViewerNoSecrets Role = "ViewerNoSecrets"
)

// Roles lists every role, highest first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleContributor, RoleViewer, RoleViewerNoSecrets}

// IsValid reports whether r is one of the five roles.
func (r Role) IsValid() bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// Rank orders roles: a larger rank is a higher role; an unknown role ranks 0.
func (r Role) Rank() int {
	for i, known := range Roles {
		if r == known {
			return len(Roles) - i
		}
	}
	return 0
}
