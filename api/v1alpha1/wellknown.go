package v1alpha1

// Labels, annotations and finalizers that are part of Roster's API.
const (
	// HomeOfLabel marks a namespace as the home namespace of the named
	// organization; Roster sets it on the namespaces it creates or adopts.
	HomeOfLabel = "orgs.roster.dev/home-of"
	// OrganizationLabel attaches a project namespace to the named
	// organization, whose members then get RBAC in it.
	OrganizationLabel = "orgs.roster.dev/organization"
	// HomeOfUIDAnnotation records, on a home namespace, the UID of the
	// Organization that created or adopted it. A later Organization of the
	// same name does not inherit a home that still holds an earlier one's
	// Members or Invitations.
	HomeOfUIDAnnotation = "orgs.roster.dev/home-of-uid"
	// OrganizationUIDAnnotation records, on a project namespace, the UID
	// of the Organization it was attached to. Roster's mutating webhook
	// writes it when the OrganizationLabel is set; the attach guard refuses
	// any other value (but OrganizationUIDPending). A namespace whose UID is not the labelled
	// Organization's grants nothing until it is attached again.
	OrganizationUIDAnnotation = "orgs.roster.dev/organization-uid"
	// OrganizationUIDPending is the OrganizationUIDAnnotation of a namespace
	// attached while no Organization of the labelled name existed: the
	// first one to exist takes it, and Roster records its UID.
	OrganizationUIDPending = "pending"
	// ManagedByLabel marks objects Roster renders (RBAC, namespaces).
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel on Roster's objects.
	ManagedByValue = "roster"

	// InvitedByAnnotation records, at admission, the username of whoever
	// created an Invitation. It cannot be forged or changed.
	InvitedByAnnotation = "orgs.roster.dev/invited-by"
	// InvitedByGroupsAnnotation records the inviter's groups as a JSON list.
	InvitedByGroupsAnnotation = "orgs.roster.dev/invited-by-groups"
	// ResendRequestedAtAnnotation asks for an Invitation to be sent again
	// whenever its value changes.
	ResendRequestedAtAnnotation = "orgs.roster.dev/resend-requested-at"
	// ConfirmDeleteAnnotation must carry the Organization's own name before
	// an Organization that still has Members may be deleted.
	ConfirmDeleteAnnotation = "orgs.roster.dev/confirm-delete"

	// OrganizationFinalizer lets Roster remove the RBAC it made for an
	// organization (and its home namespace, if Roster created it).
	OrganizationFinalizer = "orgs.roster.dev/organization"
	// LastOwnerFinalizer holds the deletion of a Member that is the
	// organization's last effective owner until another owner exists.
	LastOwnerFinalizer = "orgs.roster.dev/last-owner"

	// DefaultHomeNamespacePrefix is prepended to an Organization's name when
	// spec.homeNamespace is not set.
	DefaultHomeNamespacePrefix = "org-"
)

// Custom RBAC verbs on organizations/<name> that carry an organization's
// authority. `kubectl auth can-i manage-owners organizations/acme` answers them.
const (
	// VerbManageOwners is needed for any change with Owner on either side.
	VerbManageOwners = "manage-owners"
	// VerbManageMembers is needed to invite, change and remove non-owners.
	VerbManageMembers = "manage-members"
)

// TokenFinalizer lets Roster delete a deleted AccessToken's ServiceAccount
// first, so that its values stop authenticating at once.
const TokenFinalizer = "orgs.roster.dev/access-token" //nolint:gosec // a finalizer name, not a credential

// TokenRevokedByAnnotation records, at admission, who set an AccessToken's
// spec.revoked. It cannot be forged.
const TokenRevokedByAnnotation = "orgs.roster.dev/revoked-by" //nolint:gosec // an annotation name, not a credential

// Project namespaces: labels and annotations Roster puts on the namespaces
// it creates for a Project, and the finalizer that deletes them.
const (
	// ProjectLabel names the Project (in the organization's home
	// namespace) a namespace was created for. A namespace carrying it
	// cannot lose or change its OrganizationLabel or this label.
	ProjectLabel = "orgs.roster.dev/project"
	// EnvironmentLabel names the environment of the Project a namespace is for.
	EnvironmentLabel = "orgs.roster.dev/environment"
	// TemplateLabel, set to "true", marks a ConfigMap in a project
	// namespace as a template (the permission matrix's "templates"); any
	// other ConfigMap there is a parameter. Both are ConfigMaps, so the
	// same RBAC governs them (docs/permissions.md).
	TemplateLabel = "orgs.roster.dev/template"
	// ProjectUIDAnnotation records the UID of the Project a namespace was
	// created for.
	ProjectUIDAnnotation = "orgs.roster.dev/project-uid"
	// ProjectFinalizer lets Roster delete a deleted Project's namespaces.
	ProjectFinalizer = "orgs.roster.dev/project"
	// ConfirmDeleteNamespacesAnnotation, on a Project, lists (comma
	// separated) the project namespaces that Roster may delete although
	// they hold workloads, Secrets or ConfigMaps beyond what Kubernetes
	// creates: without it, deleting the Project or removing an environment
	// leaves such a namespace in place and says so in the Ready condition.
	ConfirmDeleteNamespacesAnnotation = "orgs.roster.dev/confirm-delete-namespaces"
)

// RefusalCause is the type of the cause (status.details.causes) that
// Roster's admission webhooks put in every Forbidden refusal, so a client
// tells them, which word their own fix, from RBAC's by the API status
// rather than by the message.
const RefusalCause = "orgs.roster.dev/Refusal"
