package v1alpha1

// Condition types. Every object has Ready, always set, as the summary that
// kstatus (Flux) and Argo CD read.
const (
	// ReadyCondition summarises the object's other conditions.
	ReadyCondition = "Ready"

	// HomeNamespaceReadyCondition says whether the Organization's home namespace exists and is Roster's.
	HomeNamespaceReadyCondition = "HomeNamespaceReady"
	// OwnerPresentCondition says whether the Organization has an effective owner user.
	OwnerPresentCondition = "OwnerPresent"
	// OwnerRedundancyCondition says whether the Organization has at least two owner users.
	OwnerRedundancyCondition = "OwnerRedundancy"
	// AccessReadyCondition says whether the RBAC rendered for the Organization is applied.
	AccessReadyCondition = "AccessReady"
	// ProjectsAttachedCondition says whether every namespace labelled with the
	// Organization's name was attached to this Organization (its UID), and
	// so is one of its projects. Advice only: it does not make Ready False.
	ProjectsAttachedCondition = "ProjectsAttached"

	// RoleAppliedCondition says whether a Member's spec.role is its effective role.
	RoleAppliedCondition = "RoleApplied"

	// DeliveredCondition says whether an Invitation's link reached the notifier.
	DeliveredCondition = "Delivered"
)

// Condition reasons.
const (
	// ReconcilingReason: Roster has not finished acting on the latest spec.
	ReconcilingReason = "Reconciling"
	// ReadyReason: everything the object asks for is in place.
	ReadyReason = "Ready"
	// ReconcileFailedReason: a step of the reconcile failed before the
	// other conditions could be decided; the message says which and why,
	// and Roster retries.
	ReconcileFailedReason = "ReconcileFailed"

	// HomeNamespaceCreatedReason: Roster created the home namespace.
	HomeNamespaceCreatedReason = "Created"
	// HomeNamespaceAdoptedReason: the namespace existed and carries no other organization's label.
	HomeNamespaceAdoptedReason = "Adopted"
	// HomeNamespaceConflictReason: the namespace belongs to another organization.
	HomeNamespaceConflictReason = "HomeNamespaceConflict"
	// HomeNamespaceTerminatingReason: the namespace is being deleted.
	HomeNamespaceTerminatingReason = "HomeNamespaceTerminating"
	// HomeNamespaceStaleReason: the namespace still holds Members or
	// Invitations of an earlier Organization of the same name.
	HomeNamespaceStaleReason = "HomeNamespaceStale"

	// ProjectsAttachedReason: every labelled namespace is a project.
	ProjectsAttachedReason = "Attached"
	// NotAttachedReason: a namespace labelled with the Organization's name
	// was attached to an earlier Organization of that name, or never
	// through the attach guard; it grants nothing until re-attached.
	NotAttachedReason = "NotAttached"

	// OwnerPresentReason: at least one user Member is an effective Owner.
	OwnerPresentReason = "OwnerPresent"
	// NoOwnerReason: no user Member is an effective Owner.
	NoOwnerReason = "NoOwner"
	// OwnerHeldWithoutMemberReason: no user Member is an effective Owner,
	// and the owners last committed keep their Owner access without one
	// until another owner user exists (their Members were removed while
	// admission did not stop it).
	OwnerHeldWithoutMemberReason = "OwnerHeldWithoutMember"
	// RedundantOwnersReason: at least two user Members are effective Owners.
	RedundantOwnersReason = "RedundantOwners"
	// SingleOwnerReason: exactly one user Member is an effective Owner.
	SingleOwnerReason = "SingleOwner"

	// AccessAppliedReason: every rendered RBAC object exists as rendered.
	AccessAppliedReason = "Applied"
	// AccessFailedReason: writing the rendered RBAC failed; the message says why.
	AccessFailedReason = "ApplyFailed"
	// AccessWithdrawOnlyReason: the home namespace is being deleted; RBAC
	// follows removals and demotions but grants nothing new.
	AccessWithdrawOnlyReason = "WithdrawOnly"
	// AccessWithdrawnReason: another organization holds the home namespace;
	// the organization's RBAC is deleted.
	AccessWithdrawnReason = "Withdrawn"

	// RoleAppliedReason: status.effectiveRole equals spec.role.
	RoleAppliedReason = "Applied"
	// LastOwnerReason: the change would leave the organization without an
	// owner user, so it is held back until another owner exists.
	LastOwnerReason = "LastOwner"
	// DuplicateReason: an older Member already names the same user or group.
	DuplicateReason = "Duplicate"
	// OrganizationNotFoundReason: no Organization has this namespace as its home.
	OrganizationNotFoundReason = "OrganizationNotFound"
	// HomeNamespaceMismatchReason: the namespace awaited an Organization
	// (by its orgs.roster.dev/home-of label or its name org-<name>) that was
	// created with another home namespace, so what it holds grants nothing.
	HomeNamespaceMismatchReason = "HomeNamespaceMismatch"

	// DeliveredReason: the notifier accepted the invitation link.
	DeliveredReason = "Delivered"
	// DeliveryFailedReason: the notifier refused or could not be reached.
	DeliveryFailedReason = "DeliveryFailed"
	// ExpiredReason: the invitation was not accepted before status.expiresAt.
	ExpiredReason = "Expired"
	// AlreadyMemberReason: the invitee became a Member some other way.
	AlreadyMemberReason = "AlreadyMember"
	// InviterLostAuthorityReason: the recorded inviter may no longer grant the invited role.
	InviterLostAuthorityReason = "InviterLostAuthority"
)

// Reasons of a Revoked AccessToken (status.reason).
const (
	// TokenOwnerRemovedReason: the token's owner is no longer a Member.
	TokenOwnerRemovedReason = "OwnerRemoved"
	// TokenOwnerDemotedReason: the owner's role fell below Contributor.
	TokenOwnerDemotedReason = "OwnerDemoted"
	// TokenExpiredReason: spec.expiresAt has passed.
	TokenExpiredReason = "Expired"
	// TokenRevokedByReason: someone set spec.revoked; status.revokedBy says who.
	TokenRevokedByReason = "RevokedBy"
	// TokenInvalidNameReason: the token's name is too long for its
	// ServiceAccount's (stored before the schema capped it); it never works.
	TokenInvalidNameReason = "InvalidName"
	// TokenOwnerIsServiceAccountReason: the owner is a ServiceAccount (a
	// token's own, say), and tokens are personal: a token cannot make another.
	TokenOwnerIsServiceAccountReason = "OwnerIsServiceAccount"
	// TokenPendingReason: Roster is making the token's ServiceAccount and access.
	TokenPendingReason = "Pending"
	// TokenServiceAccountConflictReason: a ServiceAccount of the token's
	// name exists that Roster did not make for this token; Roster does not
	// adopt it, and the token stays Pending until it is gone.
	TokenServiceAccountConflictReason = "ServiceAccountConflict"
)

// Reasons of a Project's Ready condition.
const (
	// NamespaceConflictReason: a namespace the Project needs exists and
	// Roster did not create it for this Project; Roster never adopts it.
	NamespaceConflictReason = "NamespaceConflict"
	// DeletionNeedsConfirmationReason: a namespace Roster is to delete
	// holds workloads, Secrets or ConfigMaps; it stays until
	// ConfirmDeleteNamespacesAnnotation names it.
	DeletionNeedsConfirmationReason = "DeletionNeedsConfirmation"
	// ProjectLimitExceededReason: the Project is past its organization's
	// spec.projects bounds; Roster creates no namespace for it.
	ProjectLimitExceededReason = "ProjectLimitExceeded"
	// OrganizationMissingReason: no Organization has the Project's namespace as its home.
	OrganizationMissingReason = "OrganizationMissing"
)
