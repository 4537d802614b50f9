package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Project self-service: the matrix row ProjectRow, the bounds Owners set
// in Organization.spec.projects, and how a Project's namespaces are named
// and labelled. The Project webhook (internal/webhook) and the Project
// controller (controllers/project) both ask these functions.

// ProjectRow is the permission matrix's row for projects, named in refusals.
const ProjectRow = "Create - Update - Delete projects"

// MinProjectRole is the lowest role that may create, update or delete
// Projects: Owners, Admins and Contributors may, Viewers and
// ViewerNoSecrets may not.
const MinProjectRole = orgsv1alpha1.RoleContributor

// Defaults of Organization.spec.projects.
const (
	DefaultMaxProjects               = 20
	DefaultMaxEnvironmentsPerProject = 5
)

// maxNamespaceName is Kubernetes' limit on a namespace's name (a DNS label).
const maxNamespaceName = validation.DNS1123LabelMaxLength

// MaxProjects is how many Projects org may have (spec.projects.maxProjects).
func MaxProjects(org *orgsv1alpha1.Organization) int {
	if org != nil && org.Spec.Projects != nil && org.Spec.Projects.MaxProjects != nil {
		return int(*org.Spec.Projects.MaxProjects)
	}
	return DefaultMaxProjects
}

// MaxEnvironmentsPerProject is how many environments one of org's Projects
// may have (spec.projects.maxEnvironmentsPerProject).
func MaxEnvironmentsPerProject(org *orgsv1alpha1.Organization) int {
	if org != nil && org.Spec.Projects != nil && org.Spec.Projects.MaxEnvironmentsPerProject != nil {
		return int(*org.Spec.Projects.MaxEnvironmentsPerProject)
	}
	return DefaultMaxEnvironmentsPerProject
}

// ProjectNamespaceName names one namespace of a Project.
type ProjectNamespaceName struct {
	// Name is the namespace's name.
	Name string
	// Environment is "" for a project without environments.
	Environment string
}

// ProjectNamespaceFor is the namespace of organization org's project for
// environment env: <org>-<project>-<env>, or <org>-<project> when env is "".
func ProjectNamespaceFor(org, project, env string) string {
	if env == "" {
		return org + "-" + project
	}
	return org + "-" + project + "-" + env
}

// ProjectNamespaces are the namespaces organization org's Project p asks
// for, in the order of its environments.
func ProjectNamespaces(org string, p *orgsv1alpha1.Project) []ProjectNamespaceName {
	if p == nil {
		return nil
	}
	if len(p.Spec.Environments) == 0 {
		return []ProjectNamespaceName{{Name: ProjectNamespaceFor(org, p.Name, "")}}
	}
	out := make([]ProjectNamespaceName, 0, len(p.Spec.Environments))
	for _, env := range p.Spec.Environments {
		out = append(out, ProjectNamespaceName{Name: ProjectNamespaceFor(org, p.Name, env), Environment: env})
	}
	return out
}

// ProjectNamespaceMetadata is the labels and annotations of a Project's
// namespace for env: the Organization's spec.projects.namespaceLabels and
// namespaceAnnotations, then Roster's own, which win (the CRD refuses
// Roster's keys there; this holds if it was bypassed). The namespace is
// attached to the organization (OrganizationLabel and its UID), so every
// member gets their role's access there, as in a namespace attached by hand.
// Nothing comes from the Project: a Contributor cannot loosen what Owners set.
func ProjectNamespaceMetadata(org *orgsv1alpha1.Organization, p *orgsv1alpha1.Project, env string) (labels, annotations map[string]string) {
	labels, annotations = map[string]string{}, map[string]string{}
	if pp := org.Spec.Projects; pp != nil {
		maps.Copy(labels, pp.NamespaceLabels)
		maps.Copy(annotations, pp.NamespaceAnnotations)
	}
	labels[orgsv1alpha1.OrganizationLabel] = org.Name
	labels[orgsv1alpha1.ProjectLabel] = p.Name
	labels[orgsv1alpha1.ManagedByLabel] = orgsv1alpha1.ManagedByValue
	if env != "" {
		labels[orgsv1alpha1.EnvironmentLabel] = env
	} else {
		delete(labels, orgsv1alpha1.EnvironmentLabel)
	}
	annotations[orgsv1alpha1.OrganizationUIDAnnotation] = string(org.UID)
	annotations[orgsv1alpha1.ProjectUIDAnnotation] = string(p.UID)
	return labels, annotations
}

// RequesterRole is the highest effective role the requester holds in the
// snapshot's organization, as a user Member or through a group Member
// (compared as RBAC compares subjects), or "" when none. An organization
// that is going away, or whose home is not its own, gives no role.
func RequesterRole(who Requester, s Snapshot) orgsv1alpha1.Role {
	org := s.Organization
	if org == nil || org.DeletionTimestamp != nil || s.HomeTerminating || s.HomeClaimedByOther || s.HomeStale || who.User == "" {
		return ""
	}
	var candidates []string
	for i := range s.Members {
		if isSubject(who, &s.Members[i]) {
			candidates = append(candidates, s.Members[i].Name)
		}
	}
	if len(candidates) == 0 {
		return ""
	}
	effective := EffectiveRoles(s.Members, org.Status.EffectiveOwners, false)
	var best orgsv1alpha1.Role
	for _, name := range candidates {
		if role := effective.Members[name].Role; role.Rank() > best.Rank() {
			best = role
		}
	}
	return best
}

// ProjectVerb is the custom verb a Project request needs asked about with a
// SubjectAccessReview: none for a member whose role is MinProjectRole or
// higher, else manage-members, which cluster admins and GitOps service
// accounts (roster-gitops) hold. The answer goes in ProjectRequest.Authority.
func ProjectVerb(who Requester, s Snapshot) string {
	if s.Organization == nil || RequesterRole(who, s).Rank() >= MinProjectRole.Rank() {
		return ""
	}
	if _, _, ok := TokenServiceAccountUser(who.User); ok {
		// A token acts with its own effective role only (TokenActorRole).
		return ""
	}
	return orgsv1alpha1.VerbManageMembers
}

// TokenActor is what the webhook found about a requester that is an
// AccessToken's ServiceAccount (TokenServiceAccountUser): the token of that
// name in the ServiceAccount's namespace, read from the API server.
type TokenActor struct {
	// Namespace and Name are the token's, from the requester's username.
	Namespace, Name string
	// Token is the AccessToken, nil when there is none of that name.
	Token *orgsv1alpha1.AccessToken
	// Owned: the requesting ServiceAccount is the one Roster made for
	// Token (TokenServiceAccountOwned).
	Owned bool
	// OwnerRole is the token owner's effective role now (UserRole).
	OwnerRole orgsv1alpha1.Role
	// MaxTTL is the token's organization's TokenMaxTTL.
	MaxTTL time.Duration
	Now    time.Time
}

// TokenActorRole is the role an AccessToken's ServiceAccount acts with in
// the organization whose home namespace is home: the token's effective
// role (TokenAccess: the lower of spec.role and its owner's current role,
// never more), or "" with why not: a token of another organization, a
// ServiceAccount no AccessToken made, a revoked or expired token.
func TokenActorRole(a TokenActor, home string) (orgsv1alpha1.Role, string) {
	switch {
	case a.Namespace != home:
		return "", fmt.Sprintf("is the ServiceAccount of AccessToken %q of the organization whose home is namespace %q, and a token acts only in its own organization", a.Name, a.Namespace)
	case a.Token == nil || !a.Owned:
		return "", fmt.Sprintf("is a ServiceAccount named like a token's, but no AccessToken %q made it", a.Name)
	}
	standing := TokenAccess(a.Token, a.OwnerRole, a.MaxTTL, a.Now)
	if standing.Reason != "" {
		return "", fmt.Sprintf("is the ServiceAccount of AccessToken %q, which is revoked (%s: %s)", a.Name, standing.Reason, standing.Message)
	}
	return standing.Role, fmt.Sprintf("is the ServiceAccount of AccessToken %q, which acts as %s (the lower of its spec.role and its owner %q's role)", a.Name, standing.Role, a.Token.Spec.Owner)
}

// NamespaceFacts is what the webhook knows about an existing namespace
// whose name a Project would use.
type NamespaceFacts struct {
	// UID is its UID. The namespace is the Project's only if the stored
	// Project's status.namespaces records that UID for it: annotations
	// (orgs.roster.dev/project-uid) can be written by whoever creates the
	// namespace, so they prove nothing.
	UID string
	// HomeOf is the organization whose home it is, if any.
	HomeOf string
	// Terminating: it is being deleted.
	Terminating bool
}

// ProjectRequest is one admission request for a Project.
type ProjectRequest struct {
	Op       Operation
	Who      Requester
	Old, New *orgsv1alpha1.Project
	Snapshot Snapshot
	// Authority is the requester's custom verbs, asked for ProjectVerb.
	Authority Authority
	// Projects is every Project in the organization's home namespace
	// (it may include the one being changed).
	Projects []orgsv1alpha1.Project
	// Claimed maps a namespace name that another Project (of any
	// organization) derives to that Project, as "<namespace>/<name>".
	Claimed map[string]string
	// Namespaces holds the existing namespaces among the names New derives
	// and, when an update removes ProjectFinalizer, among those Old's
	// status records (read from the API server, not a cache).
	Namespaces map[string]NamespaceFacts
	// ManagerNamespace is Roster's own namespace.
	ManagerNamespace string
	// Token is set when the requester is an AccessToken's ServiceAccount:
	// it acts with the token's effective role (TokenActorRole) and nothing
	// else, neither Authority nor a Member.
	Token *TokenActor
}

// DecideProject is the matrix row ProjectRow: Owners, Admins and
// Contributors (and holders of manage-members: cluster admins, GitOps)
// create, update and delete an organization's Projects, within the bounds
// of Organization.spec.projects; every namespace a Project derives must be
// a valid name that no other Project derives and that exists only if Roster
// made it for this Project.
func DecideProject(r ProjectRequest) Decision {
	p := subject(r.Op, r.Old, r.New)
	if p == nil {
		return refuseRequest("Projects", r.Op)
	}
	s := r.Snapshot
	if r.Op == Update && r.New.DeletionTimestamp != nil && slices.Equal(r.Old.Spec.Environments, r.New.Spec.Environments) &&
		len(r.New.Finalizers) < len(r.Old.Finalizers) && (s.Organization == nil || s.HomeTerminating) {
		// Releasing a finalizer of a Project whose organization or home is
		// going: the controller must be able to finish, or the home stays
		// Terminating.
		return allow()
	}
	if s.Organization == nil {
		return notHome(r.Op, "Projects", p.Namespace)
	}
	if releasedDelete(r.Op, s) {
		return allow()
	}
	org := s.Organization
	if d := projectAuthority(r, p, org.Name); !d.Allowed() {
		return d
	}
	if r.Op == Delete {
		return allow()
	}
	if d := projectFinalizerKept(r, org.Name); !d.Allowed() {
		return d
	}
	if r.Op == Update && slices.Equal(r.Old.Spec.Environments, r.New.Spec.Environments) {
		return allow()
	}
	if r.Op == Create && (org.DeletionTimestamp != nil || s.HomeTerminating || s.HomeClaimedByOther || s.HomeStale) {
		return forbid("user %q may not create Project %q in organization %q: the organization or its home namespace %q is going away or is not the organization's",
			r.Who.User, p.Name, org.Name, p.Namespace)
	}
	if d := projectBounds(r, p, org); !d.Allowed() {
		return d
	}
	return projectNames(r, p, org)
}

// RemovesProjectFinalizer reports whether an update takes ProjectFinalizer
// off a Project.
func RemovesProjectFinalizer(op Operation, old, p *orgsv1alpha1.Project) bool {
	return op == Update && old != nil && p != nil &&
		slices.Contains(old.Finalizers, orgsv1alpha1.ProjectFinalizer) && !slices.Contains(p.Finalizers, orgsv1alpha1.ProjectFinalizer)
}

// projectFinalizerKept: ProjectFinalizer is Roster's promise that a
// Project's namespaces go with it. Nobody (cluster admins included) takes
// it off while a namespace Roster made for the Project (its UID in
// status.namespaces) is there and not being deleted: the namespace would
// stay attached to the organization with no Project to delete it, outside
// maxProjects, past the deletion guard. The controller releases it once
// each is deleted or being deleted; DecideProject's first exemption covers
// an organization or home that is going.
func projectFinalizerKept(r ProjectRequest, org string) Decision {
	if !RemovesProjectFinalizer(r.Op, r.Old, r.New) {
		return allow()
	}
	for _, st := range r.Old.Status.Namespaces {
		ns, ok := r.Namespaces[st.Name]
		if st.UID == "" || !ok || ns.UID != string(st.UID) || ns.Terminating {
			continue
		}
		d := forbid("user %q may not remove finalizer %s from Project %q in organization %q while its namespace %q is still there: Roster deletes the namespace first, then releases the Project; delete the Project, and if the namespace holds something confirm with: kubectl annotate project %s -n %s %s=%s --overwrite",
			r.Who.User, orgsv1alpha1.ProjectFinalizer, r.New.Name, org, st.Name, r.New.Name, r.New.Namespace, orgsv1alpha1.ConfirmDeleteNamespacesAnnotation, st.Name)
		d.Field = "metadata.finalizers"
		return d
	}
	return allow()
}

func projectAuthority(r ProjectRequest, p *orgsv1alpha1.Project, org string) Decision {
	action := map[Operation]string{Create: "create", Update: "update", Delete: "delete"}[r.Op]
	if r.Token != nil {
		role, is := TokenActorRole(*r.Token, p.Namespace)
		if role.Rank() >= MinProjectRole.Rank() {
			return allow()
		}
		return forbid("user %q may not %s Project %q in organization %q: it %s, and the permission matrix's row %q allows Owners, Admins and Contributors only, and a token acts with its effective role; use a token of a Contributor or above, of this organization, that is not revoked or expired",
			r.Who.User, action, p.Name, org, is, ProjectRow)
	}
	role := RequesterRole(r.Who, r.Snapshot)
	if role.Rank() >= MinProjectRole.Rank() || r.Authority.ManageMembers {
		return allow()
	}
	is := "is not a member of it"
	if role != "" {
		is = "is " + string(role) + " there"
	}
	return forbid("user %q may not %s Project %q in organization %q: %s, and the permission matrix's row %q allows Owners, Admins and Contributors only; ask an Admin or Owner for the Contributor role",
		r.Who.User, action, p.Name, org, is, ProjectRow)
}

// projectBounds: spec.projects.maxProjects on create, and
// maxEnvironmentsPerProject whenever environments are added (a project
// already past a lowered bound may still drop environments).
func projectBounds(r ProjectRequest, p *orgsv1alpha1.Project, org *orgsv1alpha1.Organization) Decision {
	if r.Op == Create {
		count := 0
		for i := range r.Projects {
			if r.Projects[i].Name != p.Name {
				count++
			}
		}
		if maxProjects := MaxProjects(org); count >= maxProjects {
			return forbid("user %q may not create Project %q in organization %q: it has %d Projects and its bound is %d (Organization %q, spec.projects.maxProjects); delete a Project or ask an Owner to raise spec.projects.maxProjects",
				r.Who.User, p.Name, org.Name, count, maxProjects, org.Name)
		}
	}
	envs := len(p.Spec.Environments)
	grew := r.Op == Create || envs > len(r.Old.Spec.Environments)
	if maxEnvs := MaxEnvironmentsPerProject(org); grew && envs > maxEnvs {
		return Decision{Code: Invalid, Field: "spec.environments", Message: fmt.Sprintf(
			"Project %q asks for %d environments and organization %q allows %d per project (Organization %q, spec.projects.maxEnvironmentsPerProject); remove environments or ask an Owner to raise spec.projects.maxEnvironmentsPerProject",
			p.Name, envs, org.Name, maxEnvs, org.Name)}
	}
	return allow()
}

// projectNames: the project's name and environments are DNS labels, each
// environment once, and every namespace it newly derives is at most 63
// characters, may be a project, is derived by no other Project and does
// not exist unless Roster made it for this Project.
func projectNames(r ProjectRequest, p *orgsv1alpha1.Project, org *orgsv1alpha1.Organization) Decision {
	if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 {
		return Decision{Code: Invalid, Field: "metadata.name", Message: fmt.Sprintf(
			"metadata.name %q of a Project must be a DNS label, as it names the project's namespaces: %s", p.Name, errs[0])}
	}
	seen := map[string]bool{}
	for i, env := range p.Spec.Environments {
		field := fmt.Sprintf("spec.environments[%d]", i)
		if errs := validation.IsDNS1123Label(env); len(errs) > 0 {
			return Decision{Code: Invalid, Field: field, Message: fmt.Sprintf(
				"environment %q must be a DNS label (lower-case letters, digits and '-'): %s", env, errs[0])}
		}
		if seen[env] {
			return Decision{Code: Invalid, Field: field, Message: fmt.Sprintf("environment %q is listed twice; list each environment once", env)}
		}
		seen[env] = true
	}
	var had []string
	if r.Old != nil {
		for _, n := range ProjectNamespaces(org.Name, r.Old) {
			had = append(had, n.Name)
		}
	}
	for i, n := range ProjectNamespaces(org.Name, p) {
		if slices.Contains(had, n.Name) {
			continue
		}
		field := "metadata.name"
		if n.Environment != "" {
			field = fmt.Sprintf("spec.environments[%d]", i)
		}
		if d := projectNamespaceFree(r, p, org.Name, n.Name); !d.Allowed() {
			d.Field = field
			return d
		}
	}
	return allow()
}

func projectNamespaceFree(r ProjectRequest, p *orgsv1alpha1.Project, org, name string) Decision {
	if len(name) > maxNamespaceName {
		return Decision{Code: Invalid, Message: fmt.Sprintf(
			"Project %q of organization %q would need namespace %q, %d characters, and Kubernetes allows %d; choose a shorter project or environment name",
			p.Name, org, name, len(name), maxNamespaceName)}
	}
	if excluded := ExcludedFromProjects(name, false, r.ManagerNamespace); excluded != NotExcluded {
		return Decision{Code: Invalid, Message: fmt.Sprintf(
			"Project %q of organization %q would need namespace %q, which is a %s namespace and can never be a project; choose another project or environment name",
			p.Name, org, name, excluded)}
	}
	if other, ok := r.Claimed[name]; ok && other != p.Namespace+"/"+p.Name {
		return forbid("Project %q of organization %q would need namespace %q, which Project %s already derives; choose another project or environment name",
			p.Name, org, name, other)
	}
	if ns, ok := r.Namespaces[name]; ok {
		switch {
		case ns.HomeOf != "":
			return forbid("Project %q of organization %q would need namespace %q, the home namespace of organization %q; choose another project or environment name",
				p.Name, org, name, ns.HomeOf)
		case !recordedNamespace(r.Old, name, ns.UID):
			return forbid("Project %q of organization %q would need namespace %q, which exists and was not created by Roster for this Project (Roster never adopts a namespace); choose another project or environment name, or delete that namespace",
				p.Name, org, name)
		}
	}
	return allow()
}

// recordedNamespace reports whether the stored Project p (nil on create)
// records namespace name with uid in status.namespaces: Roster created it
// for p. Only Roster writes a Project's status.
func recordedNamespace(p *orgsv1alpha1.Project, name, uid string) bool {
	if p == nil || uid == "" {
		return false
	}
	for _, st := range p.Status.Namespaces {
		if st.Name == name && string(st.UID) == uid {
			return true
		}
	}
	return false
}

// ProjectNamespaceClaims maps every namespace the given Projects derive to
// "<namespace>/<name>" of its Project; orgOf names the organization whose
// home a namespace is ("" when none, and such Projects derive nothing).
func ProjectNamespaceClaims(projects []orgsv1alpha1.Project, orgOf func(namespace string) string) map[string]string {
	claims := map[string]string{}
	for i := range projects {
		p := &projects[i]
		org := orgOf(p.Namespace)
		if org == "" {
			continue
		}
		for _, n := range ProjectNamespaces(org, p) {
			if _, ok := claims[n.Name]; !ok {
				claims[n.Name] = p.Namespace + "/" + p.Name
			}
		}
	}
	return claims
}

// ConfirmedNamespaces is the set of namespaces a Project's
// ConfirmDeleteNamespacesAnnotation names.
func ConfirmedNamespaces(p *orgsv1alpha1.Project) map[string]bool {
	out := map[string]bool{}
	for n := range strings.SplitSeq(p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation], ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

// NamespaceContents counts what a project namespace holds beyond what
// Kubernetes creates in every namespace (the kube-root-ca.crt ConfigMap,
// the default ServiceAccount).
type NamespaceContents struct {
	Workloads, Secrets, ConfigMaps int
}

// Empty reports whether deleting the namespace loses nothing anyone made.
func (c NamespaceContents) Empty() bool {
	return c.Workloads == 0 && c.Secrets == 0 && c.ConfigMaps == 0
}

// DeletionNeedsConfirmation is the refusal to delete a project namespace
// that holds something, or whose contents are not known (known false),
// saying how to confirm; "" when it may be deleted: it is known to be
// empty, or p's ConfirmDeleteNamespacesAnnotation names it.
func DeletionNeedsConfirmation(p *orgsv1alpha1.Project, namespace string, c NamespaceContents, known bool) string {
	if (known && c.Empty()) || ConfirmedNamespaces(p)[namespace] {
		return ""
	}
	list := namespace
	if prior := p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation]; strings.TrimSpace(prior) != "" {
		list = strings.TrimSpace(prior) + "," + namespace
	}
	holds := fmt.Sprintf("holds %d workloads, %d Secrets and %d ConfigMaps", c.Workloads, c.Secrets, c.ConfigMaps)
	if !known {
		holds = "may hold workloads, Secrets or ConfigMaps (Kubernetes has not counted them yet)"
	}
	return fmt.Sprintf("Namespace %s %s, so Roster does not delete it on its own; to delete it with its contents: kubectl annotate project %s -n %s %s=%s --overwrite",
		namespace, holds, p.Name, p.Namespace, orgsv1alpha1.ConfirmDeleteNamespacesAnnotation, list)
}

// DecideProjectNamespaceLabels refuses, to everyone, a change that detaches
// a Project's namespace (one Roster created, labelled ProjectLabel): its
// OrganizationLabel and ProjectLabel cannot be removed or changed, or the
// members' access there would go while the Project still names it (and
// the controller would restore them). old is nil on create.
func DecideProjectNamespaceLabels(namespace string, old, labels map[string]string) Decision {
	project := old[orgsv1alpha1.ProjectLabel]
	if old == nil || project == "" {
		return allow()
	}
	for _, key := range []string{orgsv1alpha1.OrganizationLabel, orgsv1alpha1.ProjectLabel} {
		if labels[key] != old[key] {
			d := forbid("namespace %q is a namespace of Project %q of organization %q, so label %s cannot be removed or changed; to remove the namespace, remove its environment from the Project or delete the Project",
				namespace, project, old[orgsv1alpha1.OrganizationLabel], key)
			d.Field = fmt.Sprintf("metadata.labels[%s]", key)
			return d
		}
	}
	return allow()
}
