package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// TokenRow is the permission matrix's row for tokens, named in refusals.
const TokenRow = "Create personal API access tokens"

// DefaultTokenMaxTTL is an organization's spec.tokenPolicy.maxTTL when unset: 90 days.
const DefaultTokenMaxTTL = 90 * 24 * time.Hour

// tokenClockSkew is how far past now+maxTTL a requested expiry may be: a
// client that computes "now + maxTTL" on its own clock is not refused.
const tokenClockSkew = time.Minute

// MinTokenRole is the lowest role that may hold a token: Viewers and
// ViewerNoSecrets may not create one, and an owner demoted below it loses
// every token.
const MinTokenRole = orgsv1alpha1.RoleContributor

// IsServiceAccount reports whether user is a ServiceAccount's username
// (system:serviceaccount:<namespace>:<name>). Tokens are personal: a
// ServiceAccount, a token's own above all, may not own one, or a token
// could mint tokens that outlive it and its owner.
func IsServiceAccount(user string) bool {
	return strings.HasPrefix(user, serviceaccount.ServiceAccountUsernamePrefix)
}

// TokenServiceAccountUser reports whether user is the username of an
// AccessToken's ServiceAccount (system:serviceaccount:<ns>:roster-token-<name>),
// and if so which token's, by namespace and name.
func TokenServiceAccountUser(user string) (namespace, token string, ok bool) {
	namespace, name, err := serviceaccount.SplitUsername(user)
	if err != nil {
		return "", "", false
	}
	if token, ok = strings.CutPrefix(name, orgsv1alpha1.TokenServiceAccountPrefix); !ok {
		return "", "", false
	}
	return namespace, token, true
}

// HoldsTokenServiceAccounts reports whether a Member's identity would take
// in tokens' ServiceAccounts of the organization whose home is home: a
// token's ServiceAccount itself (of any namespace), the group of every
// ServiceAccount, or the group of the home namespace's. Bound through such
// a Member, a token would keep a role after its owner is removed or it is
// revoked, and could mint tokens of its own.
func HoldsTokenServiceAccounts(kind IdentityKind, name, home string) bool {
	switch kind {
	case UserIdentity:
		_, _, ok := TokenServiceAccountUser(name)
		return ok
	case GroupIdentity:
		return name == serviceaccount.AllServiceAccountsGroup || name == serviceaccount.MakeNamespaceGroupName(home)
	}
	return false
}

// TokenServiceAccountOwned reports whether sa is the ServiceAccount Roster
// made for t: named t.ServiceAccountName(), in t's namespace, and
// controlled by t itself (its UID), not by an earlier token of the same
// name, nor by nobody. Roster binds, and issues values for, only that one:
// a ServiceAccount someone prepared under the name may carry their Secrets
// or run their pods, and adopting it would hand them the owner's access.
func TokenServiceAccountOwned(t *orgsv1alpha1.AccessToken, sa metav1.Object) bool {
	if t == nil || sa == nil || sa.GetNamespace() != t.Namespace || sa.GetName() != t.ServiceAccountName() {
		return false
	}
	ref := metav1.GetControllerOfNoCopy(sa)
	return ref != nil && ref.Kind == "AccessToken" && ref.APIVersion == orgsv1alpha1.GroupVersion.String() && ref.UID == t.UID && t.UID != ""
}

// TokenMaxTTL is the organization's longest token lifetime.
func TokenMaxTTL(org *orgsv1alpha1.Organization) time.Duration {
	if org != nil && org.Spec.TokenPolicy != nil && org.Spec.TokenPolicy.MaxTTL != nil {
		return org.Spec.TokenPolicy.MaxTTL.Duration
	}
	return DefaultTokenMaxTTL
}

// UserRole is the effective role of the user Member naming user exactly
// (IdentityKey), or "" when there is none. Tokens follow a user's own
// Member only: a group's membership is not something Roster can see.
func UserRole(user string, members []orgsv1alpha1.Member, effective Effective) orgsv1alpha1.Role {
	if user == "" {
		return ""
	}
	key := IdentityKey(UserIdentity, user)
	for i := range members {
		m := &members[i]
		if m.Spec.User != "" && MemberKey(m) == key {
			if role := effective.Members[m.Name].Role; role != "" {
				return role
			}
		}
	}
	return ""
}

// TokenNameProblem says what is wrong with an AccessToken's name as the
// name of its ServiceAccount, Role and RoleBinding
// (orgsv1alpha1.TokenServiceAccountPrefix + name), or "" when nothing is.
// The CRD caps the name; a token stored before that is refused here, never
// rendered (access.Render) and revoked (TokenAccess), so one such object
// cannot break its organization's RBAC.
func TokenNameProblem(name string) string {
	if len(name) > orgsv1alpha1.MaxAccessTokenNameLength {
		return fmt.Sprintf("metadata.name of an AccessToken may be at most %d characters (it has %d), so that its ServiceAccount %s<name> fits Kubernetes' 253; choose a shorter name",
			orgsv1alpha1.MaxAccessTokenNameLength, len(name), orgsv1alpha1.TokenServiceAccountPrefix)
	}
	if errs := validation.IsDNS1123Subdomain(orgsv1alpha1.TokenServiceAccountPrefix + name); len(errs) > 0 {
		return fmt.Sprintf("metadata.name of an AccessToken must make a valid ServiceAccount name %s<name>: %s; choose another name",
			orgsv1alpha1.TokenServiceAccountPrefix, errs[0])
	}
	return ""
}

// lowerRole is the lower of two roles.
func lowerRole(a, b orgsv1alpha1.Role) orgsv1alpha1.Role {
	if a.Rank() < b.Rank() {
		return a
	}
	return b
}

// TokenExpiry is when a token stops working: spec.expiresAt, but never
// later than its creation plus maxTTL (the organization's TokenMaxTTL now)
// and tokenClockSkew, however far out spec.expiresAt was stored (maxTTL
// lowered since, or a value admission never checked). A token without
// spec.expiresAt has expired. An object not yet stored (no
// creationTimestamp) has no cap but its spec.expiresAt.
func TokenExpiry(t *orgsv1alpha1.AccessToken, maxTTL time.Duration) time.Time {
	if t.Spec.ExpiresAt == nil {
		return time.Time{}
	}
	at := t.Spec.ExpiresAt.Time
	if created := t.CreationTimestamp.Time; !created.IsZero() {
		if latest := created.Add(maxTTL + tokenClockSkew); at.After(latest) {
			return latest
		}
	}
	return at
}

// TokenStanding is what a token is worth now.
type TokenStanding struct {
	// Role is the access its ServiceAccount gets; empty when revoked.
	Role orgsv1alpha1.Role
	// Reason is empty for a live token, else why it is revoked
	// (orgsv1alpha1.Token*Reason).
	Reason string
	// Message says the same for people.
	Message string
}

// TokenAccess is the token's access given its owner's current effective
// role (UserRole): the lower of spec.role and that role, or revoked
// (for good: a Revoked status stays) when the token was revoked, has
// expired (TokenExpiry, with the organization's TokenMaxTTL), its name cannot name a ServiceAccount (TokenNameProblem), or
// its owner is gone or below MinTokenRole.
func TokenAccess(t *orgsv1alpha1.AccessToken, ownerRole orgsv1alpha1.Role, maxTTL time.Duration, now time.Time) TokenStanding {
	owner := t.Spec.Owner
	switch {
	case t.Status.Phase == orgsv1alpha1.AccessTokenRevoked && t.Status.Reason != "":
		return TokenStanding{Reason: t.Status.Reason, Message: t.Status.Message}
	case TokenNameProblem(t.Name) != "":
		return TokenStanding{Reason: orgsv1alpha1.TokenInvalidNameReason, Message: TokenNameProblem(t.Name)}
	case t.Spec.Revoked:
		by := t.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]
		return TokenStanding{Reason: orgsv1alpha1.TokenRevokedByReason, Message: fmt.Sprintf("Revoked by %q.", by)}
	case !now.Before(TokenExpiry(t, maxTTL)):
		return TokenStanding{Reason: orgsv1alpha1.TokenExpiredReason, Message: "The token expired; create another."}
	case IsServiceAccount(owner):
		return TokenStanding{Reason: orgsv1alpha1.TokenOwnerIsServiceAccountReason,
			Message: fmt.Sprintf("Owner %q is a ServiceAccount; tokens are personal, so only a person's own user may own one.", owner)}
	case owner == "" || ownerRole == "":
		return TokenStanding{Reason: orgsv1alpha1.TokenOwnerRemovedReason,
			Message: fmt.Sprintf("User %q is no longer a member of the organization.", owner)}
	case ownerRole.Rank() < MinTokenRole.Rank():
		return TokenStanding{Reason: orgsv1alpha1.TokenOwnerDemotedReason,
			Message: fmt.Sprintf("User %q is now %s; only Owners, Admins and Contributors hold tokens.", owner, ownerRole)}
	}
	role := ownerRole
	if t.Spec.Role != "" {
		role = lowerRole(t.Spec.Role, ownerRole)
	}
	return TokenStanding{Role: role}
}

// TokenRequest is one admission request for an AccessToken.
type TokenRequest struct {
	Op       Operation
	Who      Requester
	Old, New *orgsv1alpha1.AccessToken
	Snapshot Snapshot
	// Authority is the requester's custom verbs on the organization, asked
	// for TokenVerb (only needed to revoke someone else's token).
	Authority Authority
	Now       time.Time
}

// TokenVerb is the custom verb that revoking, deleting or otherwise
// changing someone else's token needs: manage-owners for an Owner's token,
// else manage-members; none for one's own token or to create one. Any
// update counts, not only a revocation: labels, annotations and finalizers
// of another member's token are that member's, and a finalizer would hold
// its deletion.
func TokenVerb(op Operation, who Requester, old, _ *orgsv1alpha1.AccessToken, s Snapshot) string {
	t := old
	if t == nil || (op != Update && op != Delete) {
		return ""
	}
	if SameUser(t.Spec.Owner, who.User) {
		return ""
	}
	if tokenOwnerRole(t, s) == orgsv1alpha1.RoleOwner {
		return orgsv1alpha1.VerbManageOwners
	}
	return orgsv1alpha1.VerbManageMembers
}

// revoking: a delete, or an update that sets spec.revoked.
func revoking(op Operation, old, new *orgsv1alpha1.AccessToken) bool {
	switch op {
	case Delete:
		return true
	case Update:
		return old != nil && new != nil && !old.Spec.Revoked && new.Spec.Revoked
	}
	return false
}

func tokenOwnerRole(t *orgsv1alpha1.AccessToken, s Snapshot) orgsv1alpha1.Role {
	if s.Organization == nil {
		return ""
	}
	return UserRole(t.Spec.Owner, s.Members, EffectiveRoles(s.Members, s.Organization.Status.EffectiveOwners, false))
}

// DecideToken is the matrix row TokenRow: Owners, Admins and Contributors
// create tokens for themselves only; Owners revoke or change (labels,
// annotations, finalizers) any token of the organization, Admins any but an
// Owner's, everybody their own; nobody adds an ownerReference or a
// finalizer other than Roster's (tokenMetadata).
func DecideToken(r TokenRequest) Decision {
	t := subject(r.Op, r.Old, r.New)
	if t == nil {
		return refuseRequest("AccessTokens", r.Op)
	}
	s := r.Snapshot
	if s.Organization == nil {
		return notHome(r.Op, "AccessTokens", t.Namespace)
	}
	if releasedDelete(r.Op, s) {
		return allow()
	}
	org := s.Organization.Name
	switch r.Op {
	case Create:
		return decideTokenCreate(r, org)
	case Update:
		if d := tokenUnchanged(r, org); !d.Allowed() {
			return d
		}
		if d := tokenMetadata(r, org); !d.Allowed() {
			return d
		}
		if !revoking(r.Op, r.Old, r.New) {
			if d := revokerKept(r, org); !d.Allowed() {
				return d
			}
			return decideRevoke(r, org)
		}
		if d := revokedBy(r, org); !d.Allowed() {
			return d
		}
		return decideRevoke(r, org)
	case Delete:
		return decideRevoke(r, org)
	}
	return refuseRequest("AccessTokens", r.Op)
}

func decideTokenCreate(r TokenRequest, org string) Decision {
	t, s := r.New, r.Snapshot
	if problem := TokenNameProblem(t.Name); problem != "" {
		return Decision{Code: Invalid, Field: "metadata.name", Message: problem}
	}
	if d := tokenMetadata(r, org); !d.Allowed() {
		return d
	}
	if t.Spec.Owner != r.Who.User {
		d := forbid("user %q may not create an AccessToken owned by %q in organization %q: a token always acts for the user who creates it; remove spec.owner from your manifest and Roster records you",
			r.Who.User, t.Spec.Owner, org)
		d.Field = "spec.owner"
		return d
	}
	if IsServiceAccount(t.Spec.Owner) {
		d := forbid("user %q is a ServiceAccount and may not own an AccessToken in organization %q: tokens are personal (the permission matrix's row %q is for Owners, Admins and Contributors themselves), so a token cannot make another; create the token as the person it acts for",
			r.Who.User, org, TokenRow)
		d.Field = "spec.owner"
		return d
	}
	if s.Organization.DeletionTimestamp != nil || s.HomeTerminating || s.HomeClaimedByOther || s.HomeStale {
		return forbid("user %q may not create an AccessToken in organization %q: the organization or its home namespace %q is going away or is not the organization's",
			r.Who.User, org, t.Namespace)
	}
	role := tokenOwnerRole(t, s)
	if role.Rank() < MinTokenRole.Rank() {
		is := "is not a member (a user Member) of it"
		if role != "" {
			is = "is " + string(role) + " there"
		}
		return forbid("user %q may not create an AccessToken in organization %q: %s, and the permission matrix's row %q allows Owners, Admins and Contributors only; ask an Admin or Owner for the Contributor role",
			r.Who.User, org, is, TokenRow)
	}
	if t.Spec.Role != "" && (!t.Spec.Role.IsValid() || t.Spec.Role.Rank() > role.Rank()) {
		return Decision{Code: Invalid, Field: "spec.role", Message: fmt.Sprintf(
			"user %q is %s in organization %q, so a token may ask for %s or a lower role, not %q; leave spec.role out to get %s",
			r.Who.User, role, org, role, t.Spec.Role, role)}
	}
	maxTTL := TokenMaxTTL(s.Organization)
	switch latest := r.Now.Add(maxTTL + tokenClockSkew); {
	case t.Spec.ExpiresAt == nil:
		return Decision{Code: Invalid, Field: "spec.expiresAt", Message: "spec.expiresAt must be set (Roster's webhook sets it to now plus the organization's spec.tokenPolicy.maxTTL when absent)"}
	case !t.Spec.ExpiresAt.After(r.Now):
		return Decision{Code: Invalid, Field: "spec.expiresAt", Message: fmt.Sprintf(
			"spec.expiresAt %s is not in the future; ask for a later time", t.Spec.ExpiresAt.UTC().Format(time.RFC3339))}
	case t.Spec.ExpiresAt.After(latest):
		return Decision{Code: Invalid, Field: "spec.expiresAt", Message: fmt.Sprintf(
			"spec.expiresAt %s is later than organization %q allows (spec.tokenPolicy.maxTTL %s from now, %s); ask for an earlier time or leave it out",
			t.Spec.ExpiresAt.UTC().Format(time.RFC3339), org, maxTTL, r.Now.Add(maxTTL).UTC().Format(time.RFC3339))}
	}
	if _, ok := t.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]; ok || t.Spec.Revoked {
		d := forbid("user %q may not create an AccessToken that is already revoked in organization %q; remove spec.revoked and annotation %s",
			r.Who.User, org, orgsv1alpha1.TokenRevokedByAnnotation)
		d.Field = "spec.revoked"
		return d
	}
	return allow()
}

// tokenUnchanged: after creation only spec.revoked (false to true) and
// metadata may change; the CRD's rules say so too, this is the second line.
func tokenUnchanged(r TokenRequest, org string) Decision {
	o, n := r.Old.Spec, r.New.Spec
	o.Revoked, n.Revoked = false, false
	if o.Owner != n.Owner || o.Role != n.Role || o.Description != n.Description || !o.ExpiresAt.Equal(n.ExpiresAt) {
		return forbid("user %q may not change AccessToken %q in organization %q: only spec.revoked may be set after creation; revoke it and create another",
			r.Who.User, r.New.Name, org)
	}
	return allow()
}

// tokenMetadata: nobody adds or changes an AccessToken's ownerReferences
// (the garbage collector would delete the token with its owner, or tie it
// to another object; removing one is allowed), and the only finalizer
// anyone may add is Roster's own, which the controller removes once the
// token's ServiceAccount is gone: any other would hold the token's
// deletion with nobody to release it.
func tokenMetadata(r TokenRequest, org string) Decision {
	var oldRefs []metav1.OwnerReference
	var oldFinalizers []string
	if r.Old != nil {
		oldRefs, oldFinalizers = r.Old.OwnerReferences, r.Old.Finalizers
	}
	for _, ref := range r.New.OwnerReferences {
		if !slices.ContainsFunc(oldRefs, func(o metav1.OwnerReference) bool { return equality.Semantic.DeepEqual(o, ref) }) {
			return Decision{Code: Invalid, Field: "metadata.ownerReferences", Message: fmt.Sprintf(
				"user %q may not add or change metadata.ownerReferences of AccessToken %q in organization %q (here %s %q): the garbage collector would delete the token with that object; remove metadata.ownerReferences",
				r.Who.User, r.New.Name, org, ref.Kind, ref.Name)}
		}
	}
	for _, f := range r.New.Finalizers {
		if f != orgsv1alpha1.TokenFinalizer && !slices.Contains(oldFinalizers, f) {
			return Decision{Code: Invalid, Field: "metadata.finalizers", Message: fmt.Sprintf(
				"user %q may not add finalizer %q to AccessToken %q in organization %q: only Roster's own (%s) may hold a token's deletion; remove it",
				r.Who.User, f, r.New.Name, org, orgsv1alpha1.TokenFinalizer)}
		}
	}
	return allow()
}

// revokedBy: the revoked-by annotation is exactly who set spec.revoked
// (the mutating webhook records it) and never changes afterwards.
func revokedBy(r TokenRequest, org string) Decision {
	got := r.New.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]
	if got != r.Who.User {
		d := forbid("user %q may not set annotation %s to %q on AccessToken %q in organization %q: it records who revoked the token; remove it and Roster records you",
			r.Who.User, orgsv1alpha1.TokenRevokedByAnnotation, got, r.New.Name, org)
		d.Field = "metadata.annotations[" + orgsv1alpha1.TokenRevokedByAnnotation + "]"
		return d
	}
	return allow()
}

// revokerKept: an update that does not revoke keeps the revoked-by
// annotation as it was (absent on a live token).
func revokerKept(r TokenRequest, org string) Decision {
	was, had := r.Old.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]
	got, has := r.New.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]
	if had == has && was == got {
		return allow()
	}
	d := forbid("user %q may not set or change annotation %s on AccessToken %q in organization %q: it records who revoked the token; revoke with spec.revoked: true and Roster records you",
		r.Who.User, orgsv1alpha1.TokenRevokedByAnnotation, r.New.Name, org)
	d.Field = "metadata.annotations[" + orgsv1alpha1.TokenRevokedByAnnotation + "]"
	return d
}

// decideRevoke: revoking, deleting or changing someone else's token takes
// TokenVerb's authority.
func decideRevoke(r TokenRequest, org string) Decision {
	t := r.Old
	verb := TokenVerb(r.Op, r.Who, r.Old, r.New, r.Snapshot)
	if r.Authority.Holds(verb) {
		return allow()
	}
	whose := "an Admin's or Contributor's"
	who := "Owners and Admins"
	if verb == orgsv1alpha1.VerbManageOwners {
		whose, who = "an Owner's", "Owners"
	}
	action := "revoke"
	if !revoking(r.Op, r.Old, r.New) {
		action = "change"
	}
	return forbid("user %q may not %s AccessToken %q of %q in organization %q: it is %s token, which only its owner and the organization's %s (holders of %s on organizations/%s) may change or revoke; ask one of them",
		r.Who.User, action, t.Name, t.Spec.Owner, org, whose, who, verb, org)
}

// MinTokenValueSeconds is the shortest value the TokenRequest API issues
// (spec.expirationSeconds at least 600): a token with less left gets none.
const MinTokenValueSeconds = 600

// defaultTokenValueSeconds is the TokenRequest API's expirationSeconds when
// a request has none (the API server defaults it before admission).
const defaultTokenValueSeconds = 3600

// TokenValueRequest is one TokenRequest (create serviceaccounts/token) for
// a ServiceAccount named like a token's (roster-token-<name>) that Roster
// manages: a request for a value of AccessToken Token.
type TokenValueRequest struct {
	// Namespace and ServiceAccount name the ServiceAccount.
	Namespace, ServiceAccount string
	// Token is the AccessToken of that name, nil when there is none.
	Token *orgsv1alpha1.AccessToken
	// Owned: the ServiceAccount's controller is Token (by UID), so it is the
	// one Roster made for this very AccessToken.
	Owned bool
	// OwnerRole is the token owner's effective role now (UserRole).
	OwnerRole orgsv1alpha1.Role
	// MaxTTL is the organization's (TokenMaxTTL): it caps the token's expiry (TokenExpiry).
	MaxTTL time.Duration
	// ExpirationSeconds, Audiences and BoundObject are what the request asks:
	// its spec.expirationSeconds, spec.audiences, and whether it has a
	// spec.boundObjectRef.
	ExpirationSeconds *int64
	Audiences         []string
	BoundObject       bool
	Now               time.Time
}

// DecideTokenValue is what a value of an AccessToken may be: for the API
// server only (no audiences of its own), bound to no object, issued only
// while the token is live, and expiring no later than the token. It returns
// the decision and, when allowed, the expirationSeconds to issue: the one
// asked for, capped to the token's remaining lifetime.
func DecideTokenValue(r TokenValueRequest) (Decision, int64) {
	sa := r.Namespace + "/" + r.ServiceAccount
	t := r.Token
	switch {
	case t == nil:
		return forbid("ServiceAccount %s is named like an AccessToken's, but AccessToken %q does not exist in namespace %q, so no value is issued for it; create a token with kubectl roster token create",
			sa, strings.TrimPrefix(r.ServiceAccount, orgsv1alpha1.TokenServiceAccountPrefix), r.Namespace), 0
	case !t.DeletionTimestamp.IsZero():
		return forbid("AccessToken %q is being deleted, which revokes it, so no value is issued for ServiceAccount %s; create another token",
			t.Name, sa), 0
	case !r.Owned:
		return forbid("ServiceAccount %s is not the one Roster made for AccessToken %q (its controller is not that token), so no value is issued for it; delete the ServiceAccount and Roster makes the token's own",
			sa, t.Name), 0
	}
	if s := TokenAccess(t, r.OwnerRole, r.MaxTTL, r.Now); s.Reason != "" {
		return forbid("AccessToken %q is revoked (%s: %s) and no value is issued for ServiceAccount %s; create another token",
			t.Name, s.Reason, s.Message, sa), 0
	}
	if len(r.Audiences) > 0 {
		return Decision{Code: Invalid, Field: "spec.audiences", Message: fmt.Sprintf(
			"a value of AccessToken %q is for this cluster's API server only, not for audiences %q; leave spec.audiences empty (kubectl create token without --audience)",
			t.Name, r.Audiences)}, 0
	}
	if r.BoundObject {
		return Decision{Code: Invalid, Field: "spec.boundObjectRef", Message: fmt.Sprintf(
			"a value of AccessToken %q lives as long as the token, bound to no object; leave spec.boundObjectRef out (kubectl create token without --bound-object-kind)",
			t.Name)}, 0
	}
	expiry := TokenExpiry(t, r.MaxTTL)
	left := int64(expiry.Sub(r.Now) / time.Second)
	if left < MinTokenValueSeconds {
		return forbid("AccessToken %q expires at %s, in less than the TokenRequest API's minimum of %d seconds, so no value is issued for ServiceAccount %s; create another token",
			t.Name, expiry.UTC().Format(time.RFC3339), MinTokenValueSeconds, sa), 0
	}
	asked := int64(defaultTokenValueSeconds)
	if r.ExpirationSeconds != nil {
		asked = *r.ExpirationSeconds
	}
	if asked > left {
		return allow(fmt.Sprintf("spec.expirationSeconds %d is past AccessToken %q's expiry (%s): the value expires with the token, in %d seconds",
			asked, t.Name, expiry.UTC().Format(time.RFC3339), left)), left
	}
	return allow(), asked
}
