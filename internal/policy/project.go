package policy

import (
	"strings"
)

// ProjectAttachRequest is a change of a namespace's
// orgs.roster.dev/organization label.
type ProjectAttachRequest struct {
	Requester Requester
	Namespace string
	// From and To are the label's old and new values ("" when absent).
	From, To string
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
// access to the namespace, so the requester's CanGrant must be checked.
// Detaching only takes access away.
func AttachNeedsGrant(from, to string) bool { return to != "" && to != from }

// DecideProjectAttach decides a change of a namespace's project label:
// attaching must not grant anyone more than the person attaching could grant
// with RoleBindings themselves, and never makes a home namespace, a system
// namespace or Roster's own namespace a project.
func DecideProjectAttach(r ProjectAttachRequest) Decision {
	if !AttachNeedsGrant(r.From, r.To) {
		return allow()
	}
	switch {
	case r.HomeOf != "":
		return forbid("namespace %q is the home namespace of organization %q and cannot be a project of organization %q; attach another namespace",
			r.Namespace, r.HomeOf, r.To)
	case strings.HasPrefix(r.Namespace, "kube-") || r.Namespace == "default":
		return forbid("namespace %q is a system namespace and cannot be a project of organization %q; attach a namespace of your own",
			r.Namespace, r.To)
	case r.Namespace == r.ManagerNamespace:
		return forbid("namespace %q is Roster's own namespace and cannot be a project of organization %q", r.Namespace, r.To)
	case !r.CanGrant:
		return forbid("user %q may not attach namespace %q to organization %q: that grants the organization's members the ClusterRoles %s there, and user %q may not create those RoleBindings (create rolebindings and bind on each of those ClusterRoles in namespace %s); ask a cluster administrator to attach it",
			r.Requester.User, r.Namespace, r.To, strings.Join(r.ClusterRoles, ", "), r.Requester.User, r.Namespace)
	}
	return allow()
}
