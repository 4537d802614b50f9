// Package access turns an organization's membership into Kubernetes RBAC.
//
// Render is a pure function from a membership Snapshot to the RBAC objects
// the organization should have: per-organization ClusterRoles and
// ClusterRoleBindings that carry the custom verbs on organizations/<org>,
// RoleBindings in the home namespace for Members and Invitations, and one
// RoleBinding per (project namespace, role) that binds the role's
// ClusterRole from ProjectClusterRoles.
//
// Applier writes a rendered set: it diffs it against the objects labelled
// AccessForLabel=<org>, writes only what differs with server-side apply,
// creates and updates before it prunes, and re-creates a binding whose
// (immutable) roleRef changed. DeleteAll removes everything of one
// organization, for its finalizer.
package access
