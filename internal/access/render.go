package access

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// AccessForLabel names the organization an RBAC object was rendered for.
// The Applier lists, diffs and prunes by it; DeleteAll deletes by it.
const AccessForLabel = "orgs.roster.dev/access-for"

// Tiers of the per-organization ClusterRoles, the last segment of their names
// (roster:org:<org>:<tier>).
const (
	// TierOwner holds manage-owners, manage-members, get, update, patch and
	// delete on organizations/<org>; bound to the Owners.
	TierOwner = "owner"
	// TierAdmin holds manage-members and get on organizations/<org>; bound to the Admins.
	TierAdmin = "admin"
	// TierMember holds get on organizations/<org>, and nothing cluster-wide:
	// list and watch cannot be restricted by name, and an Organization's
	// status names its owners, so a member of one organization would read
	// every other's. The plugin finds a member's organizations with a
	// SelfSubjectRulesReview instead. Bound to every member.
	TierMember = "member"
	// TierHomeManage holds full access to Members and Invitations; bound in
	// the home namespace to the Owners and Admins.
	TierHomeManage = "home-manage"
	// TierHomeRead holds read access to Members and Invitations; bound in the
	// home namespace to every member.
	TierHomeRead = "home-read"
)

// Names of the RoleBindings in the home namespace. A home namespace belongs
// to exactly one organization, so the names need not carry it.
const (
	HomeManageBindingName = "roster:home-manage"
	HomeReadBindingName   = "roster:home-read"
)

// ProjectClusterRoles is the ClusterRole each role is bound to in every
// project namespace. It is the one place that says so: the manager's `bind`
// RBAC marker (rbac.go) and the docs list exactly these ClusterRoles.
var ProjectClusterRoles = map[orgsv1alpha1.Role]string{
	orgsv1alpha1.RoleOwner:           "admin",
	orgsv1alpha1.RoleAdmin:           "admin",
	orgsv1alpha1.RoleContributor:     "edit",
	orgsv1alpha1.RoleViewer:          "roster-viewer",
	orgsv1alpha1.RoleViewerNoSecrets: "view",
}

// projectBindingSuffix is the last segment of a project RoleBinding's name.
var projectBindingSuffix = map[orgsv1alpha1.Role]string{
	orgsv1alpha1.RoleOwner:           "owner",
	orgsv1alpha1.RoleAdmin:           "admin",
	orgsv1alpha1.RoleContributor:     "contributor",
	orgsv1alpha1.RoleViewer:          "viewer",
	orgsv1alpha1.RoleViewerNoSecrets: "viewer-no-secrets",
}

// Resources of the orgs.roster.dev group the rendered roles name. Status
// subresources are deliberately absent: only the manager writes status.
const (
	resourceOrganizations = "organizations"
	resourceMembers       = "members"
	resourceInvitations   = "invitations"
	resourceAccessTokens  = "accesstokens"
	resourceProjects      = "projects"
)

// Subject is one member: a user or a group with its effective role.
type Subject struct {
	// Kind is rbacv1.UserKind or rbacv1.GroupKind; any other kind is not rendered.
	Kind string
	// Name is the user or group, used verbatim as the RBAC subject.
	Name string
	// Role is the member's effective role (status.effectiveRole), not spec.role.
	Role orgsv1alpha1.Role
}

// Token is one live AccessToken: its ServiceAccount (in the home
// namespace) is bound exactly as a member of Role is, in the same
// bindings, and its owner may request values for that ServiceAccount.
type Token struct {
	// Name is the AccessToken's name; its ServiceAccount is
	// orgsv1alpha1.TokenServiceAccountPrefix + Name.
	Name string
	// Owner is the user who may request the ServiceAccount's tokens.
	Owner string
	// Role is the token's access now: the lower of its spec.role and its
	// owner's effective role.
	Role orgsv1alpha1.Role
}

// Snapshot is everything Render needs: one organization's membership.
type Snapshot struct {
	// Organization owns everything rendered (its name and UID are used).
	Organization *orgsv1alpha1.Organization
	// HomeNamespace holds the Members and Invitations. Empty means
	// Organization.HomeNamespaceName().
	HomeNamespace string
	// Subjects are the members with their effective roles, in any order.
	Subjects []Subject
	// Tokens are the organization's live AccessTokens, each with the role
	// policy.TokenAccess gives it. A revoked token is not listed.
	Tokens []Token
	// ProjectNamespaces are the organization's project namespaces, already
	// decided by the caller (policy.ProjectStandingOf). Render additionally
	// drops what policy.ExcludedFromProjects excludes by name (the home
	// namespace, kube-*, default) and duplicates, as a second line of
	// defence.
	ProjectNamespaces []string
}

// ClusterRoleName is the name of an organization's ClusterRole (and
// ClusterRoleBinding) of a tier: roster:org:<org>:<tier>.
func ClusterRoleName(org, tier string) string {
	return "roster:org:" + org + ":" + tier
}

// ProjectRoleBindingName is the name of the RoleBinding of a role in every
// project namespace: roster:owner, roster:admin, roster:contributor,
// roster:viewer, roster:viewer-no-secrets. It is empty for an unknown role.
func ProjectRoleBindingName(role orgsv1alpha1.Role) string {
	suffix, ok := projectBindingSuffix[role]
	if !ok {
		return ""
	}
	return "roster:" + suffix
}

// Render returns the RBAC objects the snapshot's organization should have,
// in a deterministic order (ClusterRoles, ClusterRoleBindings, home
// RoleBindings, then project RoleBindings by namespace and role, highest
// role first), every binding's subjects sorted by kind and name. Every
// object carries the managed-by and AccessForLabel labels and a controller
// ownerReference to the Organization.
//
// The five ClusterRoles are always rendered; a binding is rendered only when
// it has subjects. Subjects with an unknown role or kind, no name or a
// reserved name (policy.SystemIdentity) or one that holds tokens'
// ServiceAccounts (policy.HoldsTokenServiceAccounts), and tokens whose name cannot name
// a ServiceAccount or whose owner is reserved, get nothing. Render returns nil when s.Organization is nil.
func Render(s Snapshot) []client.Object {
	org := s.Organization
	if org == nil {
		return nil
	}
	home := s.HomeNamespace
	if home == "" {
		home = org.HomeNamespaceName()
	}
	r := renderer{org: org}
	subjects, tokens := boundSubjects(s, home)
	g := groupSubjects(subjects, home)

	objs := r.clusterRoles()
	objs = append(objs, r.tierBindings(home, g)...)
	objs = append(objs, r.tokenObjects(home, tokens)...)
	for _, ns := range projectNamespaces(s.ProjectNamespaces, home) {
		for _, role := range orgsv1alpha1.Roles {
			subjects := sortedSubjects(g.byRole[role])
			if len(subjects) == 0 {
				continue
			}
			objs = append(objs, r.roleBinding(ns, ProjectRoleBindingName(role), ProjectClusterRoles[role], subjects))
		}
	}
	return objs
}

// boundSubjects is who of s may be bound, the tokens' ServiceAccounts (each
// with its token's role) included, and the tokens that get a ServiceAccount.
func boundSubjects(s Snapshot, home string) ([]Subject, []Token) {
	// Members are Users and Groups; a ServiceAccount is bound only as a
	// token's. An identity Kubernetes reserves (system:masters,
	// system:authenticated...) is bound to nothing, whatever Member names
	// it: admission refuses such Members, this holds when it was bypassed.
	var subjects []Subject
	// Nor is one that holds the tokens' ServiceAccounts: tokens are
	// personal (policy.HoldsTokenServiceAccounts).
	for _, sub := range s.Subjects {
		kind := map[string]policy.IdentityKind{rbacv1.UserKind: policy.UserIdentity, rbacv1.GroupKind: policy.GroupIdentity}[sub.Kind]
		if kind != "" && !policy.SystemIdentity(kind, sub.Name) && !policy.HoldsTokenServiceAccounts(kind, sub.Name, home) {
			subjects = append(subjects, sub)
		}
	}
	var tokens []Token
	for _, t := range s.Tokens {
		// A name too long for its ServiceAccount (stored before the CRD
		// capped it) is skipped, not rendered: the API server would refuse
		// the Role and RoleBinding and with them the organization's Apply.
		if t.Name == "" || t.Owner == "" || !t.Role.IsValid() || policy.TokenNameProblem(t.Name) != "" ||
			policy.SystemIdentity(policy.UserIdentity, t.Owner) {
			continue
		}
		tokens = append(tokens, t)
		// A token's ServiceAccount goes in the very bindings of its role,
		// so that it has exactly that role's access and follows it.
		subjects = append(subjects, Subject{Kind: rbacv1.ServiceAccountKind, Name: orgsv1alpha1.TokenServiceAccountPrefix + t.Name, Role: t.Role})
	}
	return subjects, tokens
}

// subjectGroups is the RBAC subjects of an organization by what they are
// bound to.
type subjectGroups struct {
	// byRole is for the project RoleBindings (unsorted).
	byRole map[orgsv1alpha1.Role][]rbacv1.Subject
	// everyone, owners, admins and managers (owners and admins) are
	// sorted.
	everyone, owners, admins, managers []rbacv1.Subject
}

// groupSubjects sorts subjects with a valid role and a name into their
// groups. The custom verbs each role holds are internal/policy's
// (RoleAuthority): the owner tier binds whoever manages owners, the admin
// tier whoever manages members only, home-manage both.
func groupSubjects(subjects []Subject, home string) subjectGroups {
	g := subjectGroups{byRole: map[orgsv1alpha1.Role][]rbacv1.Subject{}}
	for _, sub := range subjects {
		if !sub.Role.IsValid() || sub.Name == "" {
			continue
		}
		rs := rbacv1.Subject{Kind: sub.Kind, APIGroup: rbacv1.GroupName, Name: sub.Name}
		if sub.Kind == rbacv1.ServiceAccountKind {
			rs = rbacv1.Subject{Kind: sub.Kind, Namespace: home, Name: sub.Name}
		}
		g.byRole[sub.Role] = append(g.byRole[sub.Role], rs)
		g.everyone = append(g.everyone, rs)
		switch authority := policy.RoleAuthority(sub.Role); {
		case authority.ManageOwners:
			g.owners = append(g.owners, rs)
		case authority.ManageMembers:
			g.admins = append(g.admins, rs)
		}
	}
	g.owners, g.admins = sortedSubjects(g.owners), sortedSubjects(g.admins)
	g.managers = sortedSubjects(append(append([]rbacv1.Subject{}, g.owners...), g.admins...))
	g.everyone = sortedSubjects(g.everyone)
	return g
}

// clusterRoles is the organization's five ClusterRoles, always rendered.
func (r renderer) clusterRoles() []client.Object {
	orgRule := func(verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{
			APIGroups:     []string{orgsv1alpha1.GroupVersion.Group},
			Resources:     []string{resourceOrganizations},
			ResourceNames: []string{r.org.Name},
			Verbs:         verbs,
		}
	}
	homeRule := func(verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{
			APIGroups: []string{orgsv1alpha1.GroupVersion.Group},
			Resources: []string{resourceMembers, resourceInvitations, resourceAccessTokens, resourceProjects},
			Verbs:     verbs,
		}
	}
	// Every member may ask to create or revoke a token: the webhook decides
	// whose and by which role (policy.DecideToken), and its refusal names
	// the matrix row, which RBAC's could not.
	// The same for Projects (policy.DecideProject: Owners, Admins and
	// Contributors, refusals naming the matrix row).
	tokenRule := rbacv1.PolicyRule{
		APIGroups: []string{orgsv1alpha1.GroupVersion.Group},
		Resources: []string{resourceAccessTokens, resourceProjects},
		Verbs:     []string{"create", "update", "patch", "delete"},
	}
	return []client.Object{
		r.clusterRole(TierOwner, []rbacv1.PolicyRule{orgRule(
			orgsv1alpha1.VerbManageOwners, orgsv1alpha1.VerbManageMembers, "get", "update", "patch", "delete")}),
		r.clusterRole(TierAdmin, []rbacv1.PolicyRule{orgRule(orgsv1alpha1.VerbManageMembers, "get")}),
		r.clusterRole(TierMember, []rbacv1.PolicyRule{orgRule("get")}),
		r.clusterRole(TierHomeManage, []rbacv1.PolicyRule{homeRule("get", "list", "watch", "create", "update", "patch", "delete")}),
		r.clusterRole(TierHomeRead, []rbacv1.PolicyRule{homeRule("get", "list", "watch"), tokenRule}),
	}
}

// tierBindings is the ClusterRoleBindings of the owner, admin and member
// tiers and the home RoleBindings, each rendered when it has subjects.
func (r renderer) tierBindings(home string, g subjectGroups) []client.Object {
	var objs []client.Object
	for _, tier := range []struct {
		name     string
		subjects []rbacv1.Subject
	}{{TierOwner, g.owners}, {TierAdmin, g.admins}, {TierMember, g.everyone}} {
		if len(tier.subjects) > 0 {
			objs = append(objs, r.clusterRoleBinding(tier.name, tier.subjects))
		}
	}
	if len(g.managers) > 0 {
		objs = append(objs, r.roleBinding(home, HomeManageBindingName, ClusterRoleName(r.org.Name, TierHomeManage), g.managers))
	}
	if len(g.everyone) > 0 {
		objs = append(objs, r.roleBinding(home, HomeReadBindingName, ClusterRoleName(r.org.Name, TierHomeRead), g.everyone))
	}
	return objs
}

// tokenObjects is, per token by name, a Role and RoleBinding in home by
// which the token's owner may request values for its ServiceAccount, and
// for no other.
func (r renderer) tokenObjects(home string, tokens []Token) []client.Object {
	var objs []client.Object
	sort.Slice(tokens, func(i, j int) bool { return tokens[i].Name < tokens[j].Name })
	for _, t := range tokens {
		name := orgsv1alpha1.TokenServiceAccountPrefix + t.Name
		objs = append(objs, r.role(home, name, []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, ResourceNames: []string{name}, Verbs: []string{"create"},
		}}), &rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
			ObjectMeta: r.meta(home, name),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: t.Owner}},
		})
	}
	return objs
}

// renderer builds objects owned by one organization.
type renderer struct {
	org *orgsv1alpha1.Organization
}

func (r renderer) meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace: namespace,
		Name:      name,
		Labels: map[string]string{
			orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue,
			AccessForLabel:              r.org.Name,
		},
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion:         orgsv1alpha1.GroupVersion.String(),
			Kind:               "Organization",
			Name:               r.org.Name,
			UID:                r.org.UID,
			Controller:         ptr.To(true),
			BlockOwnerDeletion: ptr.To(true),
		}},
	}
}

func (r renderer) clusterRole(tier string, rules []rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: r.meta("", ClusterRoleName(r.org.Name, tier)),
		Rules:      rules,
	}
}

func (r renderer) role(namespace, name string, rules []rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: r.meta(namespace, name),
		Rules:      rules,
	}
}

func (r renderer) clusterRoleBinding(tier string, subjects []rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	name := ClusterRoleName(r.org.Name, tier)
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: r.meta("", name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   subjects,
	}
}

func (r renderer) roleBinding(namespace, name, clusterRole string, subjects []rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: r.meta(namespace, name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   subjects,
	}
}

// sortedSubjects returns a sorted copy of subjects (by kind, then name)
// without duplicates: the same policy.IdentityKey, as RBAC tells subjects
// apart. It never returns an empty non-nil slice.
func sortedSubjects(in []rbacv1.Subject) []rbacv1.Subject {
	if len(in) == 0 {
		return nil
	}
	out := append([]rbacv1.Subject(nil), in...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	n := 0
	for i, s := range out {
		if i > 0 && subjectIdentity(s) == subjectIdentity(out[n-1]) {
			continue
		}
		out[n] = s
		n++
	}
	return out[:n]
}

// projectNamespaces sorts and de-duplicates the project namespaces and drops
// empty names and what policy excludes by name (Render does not know the
// manager's namespace; the caller excluded it).
func projectNamespaces(in []string, home string) []string {
	seen := map[string]bool{}
	var out []string
	for _, ns := range in {
		if ns == "" || seen[ns] || policy.ExcludedFromProjects(ns, ns == home, "") != policy.NotExcluded {
			continue
		}
		seen[ns] = true
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// subjectIdentity is the policy.IdentityKey of an RBAC subject. A
// ServiceAccount is the user its tokens authenticate as, as RBAC sees it.
func subjectIdentity(s rbacv1.Subject) policy.Identity {
	switch s.Kind {
	case rbacv1.GroupKind:
		return policy.IdentityKey(policy.GroupIdentity, s.Name)
	case rbacv1.ServiceAccountKind:
		return policy.IdentityKey(policy.UserIdentity, serviceaccount.MakeUsername(s.Namespace, s.Name))
	}
	return policy.IdentityKey(policy.UserIdentity, s.Name)
}
