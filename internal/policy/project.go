package policy

import (
	"fmt"
	"strings"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Which namespaces may be an organization's projects is decided here only:
// the namespace attach guard (DecideProjectAttach), the Organization
// controller (ProjectStandingOf) and access.Render (ExcludedFromProjects)
// all ask these functions.

// Exclusion is why a namespace can never be a project of any organization.
type Exclusion string

// Exclusions. NotExcluded means the namespace may be a project.
const (
	NotExcluded     Exclusion = ""
	ExcludedHome    Exclusion = "home"
	ExcludedSystem  Exclusion = "system"
	ExcludedManager Exclusion = "manager"
)

// ExcludedFromProjects says why namespace can never be a project: it is a
// home namespace (isHome), a system namespace (kube-*, default), or
// Roster's own (managerNamespace; "" when the caller does not know it).
func ExcludedFromProjects(namespace string, isHome bool, managerNamespace string) Exclusion {
	switch {
	case isHome:
		return ExcludedHome
	case strings.HasPrefix(namespace, "kube-") || namespace == "default":
		return ExcludedSystem
	case managerNamespace != "" && namespace == managerNamespace:
		return ExcludedManager
	}
	return NotExcluded
}

// ProjectNamespace is a namespace labelled orgs.roster.dev/organization
// with an organization's name, as the controller read it.
type ProjectNamespace struct {
	Name string
	// HomeOf is its orgs.roster.dev/home-of label.
	HomeOf string
	// AttachedUID is its orgs.roster.dev/organization-uid annotation: the
	// UID of the Organization it was attached to.
	AttachedUID string
	// Terminating: the namespace is being deleted.
	Terminating bool
}

// ProjectStanding is what a namespace labelled with an organization's name
// is to that organization.
type ProjectStanding int

// Standings.
const (
	// Project: the organization's members get access there.
	Project ProjectStanding = iota
	// NotAProject: excluded (ExcludedFromProjects) or being deleted.
	NotAProject
	// Claimable: the namespace was attached while no Organization of the
	// name existed (OrganizationUIDPending): the controller records this
	// Organization's UID on it, and from then on it is a Project.
	Claimable
	// NotAttached: the label names the organization, but the namespace was
	// attached to another Organization of that name (deleted since), or
	// was never attached through the attach guard (no UID recorded, e.g.
	// from a version of Roster before UIDs). It grants nothing until
	// someone who may attach it re-attaches it (ReattachCommand).
	NotAttached
)

// ProjectStandingOf decides whether ns is a project of org, whose home is
// home. A label names an organization, the UID annotation says which one:
// a new Organization of a deleted one's name inherits nothing.
func ProjectStandingOf(ns ProjectNamespace, org *orgsv1alpha1.Organization, home, managerNamespace string) ProjectStanding {
	if ExcludedFromProjects(ns.Name, ns.Name == home || ns.HomeOf != "", managerNamespace) != NotExcluded || ns.Terminating {
		return NotAProject
	}
	switch {
	case org == nil || org.UID == "":
		return NotAttached
	case ns.AttachedUID == string(org.UID):
		return Project
	case ns.AttachedUID == orgsv1alpha1.OrganizationUIDPending:
		return Claimable
	}
	return NotAttached
}

// ReattachCommand is how someone who may attach namespace attaches it to
// org again: writing the Organization's UID, which the attach guard checks
// like any attachment.
func ReattachCommand(namespace string, org *orgsv1alpha1.Organization) string {
	return fmt.Sprintf("kubectl annotate namespace %s %s=%s --overwrite",
		namespace, orgsv1alpha1.OrganizationUIDAnnotation, org.UID)
}

// ProjectAttachRequest is a change of a namespace's
// orgs.roster.dev/organization label or orgs.roster.dev/organization-uid
// annotation.
type ProjectAttachRequest struct {
	Requester Requester
	Namespace string
	// From and To are the label's old and new values ("" when absent).
	From, To string
	// FromUID and ToUID are the UID annotation's old and new values.
	FromUID, ToUID string
	// OrganizationUID is the UID of the Organization named To, "" when
	// there is none yet.
	OrganizationUID string
	// HomeOf names the organization whose home this namespace is, if any.
	HomeOf string
	// ManagerNamespace is Roster's own namespace.
	ManagerNamespace string
	// ClusterRoles are what attaching binds the organization's members to
	// in the namespace (internal/access.ProjectClusterRoles). Attaching is
	// creating those RoleBindings, so whoever attaches must be able to.
	ClusterRoles []string
	// CanGrant: the requester may create RoleBindings in the namespace and
	// bind every one of ClusterRoles there (SubjectAccessReviews).
	CanGrant bool
}

// AttachNeedsGrant reports whether the change gives an organization's members
// access to the namespace, so the requester's CanGrant must be checked:
// the label now names another organization, or the recorded UID changes
// to another (non-empty) value. Detaching, or dropping the UID, only takes
// access away.
func AttachNeedsGrant(r ProjectAttachRequest) bool {
	return r.To != "" && (r.To != r.From || (r.ToUID != r.FromUID && r.ToUID != ""))
}

// OrganizationUIDFor is the UID annotation the namespace-attach mutating
// webhook writes when the change attaches (the label changed, or the
// request removed the UID): the UID of the Organization the label names,
// or OrganizationUIDPending when none exists yet (GitOps tools apply
// Namespaces before custom resources). A value the request itself set is
// left for DecideProjectAttach to check. ok is false when nothing is to be
// written.
func OrganizationUIDFor(r ProjectAttachRequest) (uid string, ok bool) {
	want := r.OrganizationUID
	if want == "" {
		want = orgsv1alpha1.OrganizationUIDPending
	}
	switch {
	case r.To == "":
		return "", false
	case r.ToUID == "" && (r.To != r.From || r.FromUID != ""):
		// Newly labelled, or the request removed the UID: re-attaching.
		return want, true
	case r.To != r.From && r.ToUID == r.FromUID:
		// The label moved and the UID is the previous attachment's.
		return want, true
	}
	return "", false
}

// DecideProjectAttach decides a change of a namespace's project label or
// UID annotation: attaching must not grant anyone more than the person
// attaching could grant with RoleBindings themselves, records exactly the
// UID of the Organization the label names, and never makes a home
// namespace, a system namespace or Roster's own namespace a project.
func DecideProjectAttach(r ProjectAttachRequest) Decision {
	if !AttachNeedsGrant(r) {
		return allow()
	}
	switch ExcludedFromProjects(r.Namespace, r.HomeOf != "", r.ManagerNamespace) {
	case ExcludedHome:
		return forbid("namespace %q is the home namespace of organization %q and cannot be a project of organization %q; attach another namespace",
			r.Namespace, r.HomeOf, r.To)
	case ExcludedSystem:
		return forbid("namespace %q is a system namespace and cannot be a project of organization %q; attach a namespace of your own",
			r.Namespace, r.To)
	case ExcludedManager:
		return forbid("namespace %q is Roster's own namespace and cannot be a project of organization %q", r.Namespace, r.To)
	}
	// Authority first: who may not attach learns nothing about the
	// Organization (whether it exists, its UID).
	field := fmt.Sprintf("metadata.annotations[%s]", orgsv1alpha1.OrganizationUIDAnnotation)
	switch {
	case !r.CanGrant:
		return forbid("user %q may not attach namespace %q to organization %q: that grants the organization's members the ClusterRoles %s there, and user %q may not create those RoleBindings (create rolebindings and bind on each of those ClusterRoles in namespace %s); ask a cluster administrator to attach it",
			r.Requester.User, r.Namespace, r.To, strings.Join(r.ClusterRoles, ", "), r.Requester.User, r.Namespace)
	case r.ToUID == orgsv1alpha1.OrganizationUIDPending:
		// Attached to the name: the Organization of that name, now or
		// once it exists, takes it (the controller records its UID). Who
		// may grant may attach it to whichever that is.
		return allow()
	case r.OrganizationUID == "":
		d := forbid("annotation %s of namespace %q is %q, but no Organization %q exists: until one does it can only be %q; remove it and Roster records the right value",
			orgsv1alpha1.OrganizationUIDAnnotation, r.Namespace, r.ToUID, r.To, orgsv1alpha1.OrganizationUIDPending)
		d.Field = field
		return d
	case r.ToUID != r.OrganizationUID:
		d := forbid("annotation %s of namespace %q is %q, but organization %q has UID %q: the annotation records which Organization the namespace was attached to and cannot be set to anything else; remove it and Roster records the right one",
			orgsv1alpha1.OrganizationUIDAnnotation, r.Namespace, r.ToUID, r.To, r.OrganizationUID)
		d.Field = field
		return d
	}
	return allow()
}
