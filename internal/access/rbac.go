package access

// RBAC the Applier needs; `make manifests` gathers these markers into the
// manager's ClusterRole (config/rbac/role.yaml).
//
// The RBAC objects themselves, read through the manager's cache (scoped by
// the managed-by label) and written with server-side apply:
//
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles;clusterrolebindings;roles;rolebindings,verbs=get;list;watch;create;update;patch;delete
//
// create on serviceaccounts/token only so that the API server lets the
// manager write the Role that grants it to a token's owner, for that
// token's ServiceAccount (one may grant only what one holds). The manager
// never requests a token: the ValidatingAdmissionPolicy
// roster-manager-rbac refuses it.
//
// +kubebuilder:rbac:groups="",resources=serviceaccounts/token,verbs=create
//
// `bind` only on the shipped ClusterRoles that project RoleBindings hand out,
// exactly the values of ProjectClusterRoles. Keep the two in step (a test
// checks it). Without `bind` the manager would have to hold everything
// `admin` grants in every namespace; with it unrestricted, it could hand out
// cluster-admin.
//
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=admin;edit;view;roster-viewer
//
// The per-organization ClusterRoles (roster:org:<org>:*) need neither
// `escalate` to create nor `bind` to bind: the API server lets a user
// create a role, or bind one, whose every permission that user already
// holds, and the manager holds all of them cluster-wide: the custom verbs
// manage-owners and manage-members, get, list, watch, update, patch and
// delete on organizations, and full access to members, invitations and
// accesstokens and projects.
// It needs those for its own work as well (the finalizer, status, the
// invitation acceptance that creates Members).
//
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations,verbs=get;list;watch;update;patch;delete;manage-owners;manage-members
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=members;invitations;accesstokens;projects,verbs=get;list;watch;create;update;patch;delete
//
// Rendered objects carry a controller ownerReference to their Organization
// with blockOwnerDeletion; clusters that enable the
// OwnerReferencesPermissionEnforcement admission plugin require update on
// the owner's finalizers subresource to set that.
//
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations/finalizers,verbs=update
