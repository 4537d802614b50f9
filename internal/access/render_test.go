package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

const testGroup = "orgs.roster.dev"

func testOrg(name string) *orgsv1alpha1.Organization {
	return &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
}

func user(name string, role orgsv1alpha1.Role) Subject {
	return Subject{Kind: rbacv1.UserKind, Name: name, Role: role}
}

func group(name string, role orgsv1alpha1.Role) Subject {
	return Subject{Kind: rbacv1.GroupKind, Name: name, Role: role}
}

func users(names ...string) []rbacv1.Subject {
	out := make([]rbacv1.Subject, 0, len(names))
	for _, n := range names {
		out = append(out, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: n})
	}
	return out
}

// rendered indexes Render's output by "Kind ns/name" (cluster-scoped: "Kind name").
type rendered map[string]client.Object

func index(objs []client.Object) rendered {
	out := rendered{}
	for _, o := range objs {
		out[describe(o)] = o
	}
	return out
}

func describe(o client.Object) string {
	kind := strings.TrimPrefix(fmt.Sprintf("%T", o), "*v1.")
	if o.GetNamespace() == "" {
		return kind + " " + o.GetName()
	}
	return kind + " " + o.GetNamespace() + "/" + o.GetName()
}

func (r rendered) roleBinding(ns, name string) *rbacv1.RoleBinding {
	o, ok := r["RoleBinding "+ns+"/"+name]
	if !ok {
		return nil
	}
	return o.(*rbacv1.RoleBinding)
}

func (r rendered) clusterRoleBinding(name string) *rbacv1.ClusterRoleBinding {
	o, ok := r["ClusterRoleBinding "+name]
	if !ok {
		return nil
	}
	return o.(*rbacv1.ClusterRoleBinding)
}

func (r rendered) clusterRole(name string) *rbacv1.ClusterRole {
	o, ok := r["ClusterRole "+name]
	if !ok {
		return nil
	}
	return o.(*rbacv1.ClusterRole)
}

func TestProjectRoleBindingsPerRole(t *testing.T) {
	tests := []struct {
		role        orgsv1alpha1.Role
		binding     string
		clusterRole string
		homeManage  bool
		orgTier     string
	}{
		{orgsv1alpha1.RoleOwner, "roster:owner", "admin", true, TierOwner},
		{orgsv1alpha1.RoleAdmin, "roster:admin", "admin", true, TierAdmin},
		{orgsv1alpha1.RoleContributor, "roster:contributor", "edit", false, ""},
		{orgsv1alpha1.RoleViewer, "roster:viewer", "roster-viewer", false, ""},
		{orgsv1alpha1.RoleViewerNoSecrets, "roster:viewer-no-secrets", "view", false, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			g := NewWithT(t)
			objs := Render(Snapshot{
				Organization:      testOrg("acme"),
				HomeNamespace:     "org-acme",
				Subjects:          []Subject{user("alice", tt.role)},
				ProjectNamespaces: []string{"web", "api"},
			})
			r := index(objs)
			for _, ns := range []string{"web", "api"} {
				rb := r.roleBinding(ns, tt.binding)
				g.Expect(rb).NotTo(BeNil(), "RoleBinding %s/%s", ns, tt.binding)
				g.Expect(rb.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: tt.clusterRole}))
				g.Expect(rb.Subjects).To(Equal(users("alice")))
			}
			// Exactly one RoleBinding per project namespace: no other role has subjects.
			want := 5 + // ClusterRoles
				1 + // member ClusterRoleBinding
				1 + // home-read RoleBinding
				2 // one RoleBinding in each of the two project namespaces
			if tt.orgTier != "" {
				want++ // owner or admin ClusterRoleBinding
			}
			if tt.homeManage {
				want++ // home-manage RoleBinding
			}
			g.Expect(objs).To(HaveLen(want))

			g.Expect(r.clusterRoleBinding(ClusterRoleName("acme", TierMember)).Subjects).To(Equal(users("alice")))
			g.Expect(r.roleBinding("org-acme", HomeReadBindingName).Subjects).To(Equal(users("alice")))
			for _, tier := range []string{TierOwner, TierAdmin} {
				crb := r.clusterRoleBinding(ClusterRoleName("acme", tier))
				if tier == tt.orgTier {
					g.Expect(crb).NotTo(BeNil())
					g.Expect(crb.Subjects).To(Equal(users("alice")))
				} else {
					g.Expect(crb).To(BeNil(), "tier %s has no subjects, so no binding", tier)
				}
			}
			if tt.homeManage {
				g.Expect(r.roleBinding("org-acme", HomeManageBindingName).Subjects).To(Equal(users("alice")))
			} else {
				g.Expect(r.roleBinding("org-acme", HomeManageBindingName)).To(BeNil())
			}
		})
	}
}

func TestOrganizationClusterRoles(t *testing.T) {
	g := NewWithT(t)
	r := index(Render(Snapshot{Organization: testOrg("acme")}))
	orgRule := func(verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{testGroup}, Resources: []string{"organizations"}, ResourceNames: []string{"acme"}, Verbs: verbs}
	}
	g.Expect(r.clusterRole("roster:org:acme:owner").Rules).To(Equal([]rbacv1.PolicyRule{
		orgRule("manage-owners", "manage-members", "get", "update", "patch", "delete"),
	}))
	g.Expect(r.clusterRole("roster:org:acme:admin").Rules).To(Equal([]rbacv1.PolicyRule{orgRule("manage-members", "get")}))
	g.Expect(r.clusterRole("roster:org:acme:member").Rules).To(Equal([]rbacv1.PolicyRule{orgRule("get")}))
	g.Expect(r.clusterRole("roster:org:acme:home-manage").Rules).To(Equal([]rbacv1.PolicyRule{{
		APIGroups: []string{testGroup}, Resources: []string{"members", "invitations", "accesstokens", "projects"},
		Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"},
	}}))
	g.Expect(r.clusterRole("roster:org:acme:home-read").Rules).To(Equal([]rbacv1.PolicyRule{{
		APIGroups: []string{testGroup}, Resources: []string{"members", "invitations", "accesstokens", "projects"},
		Verbs: []string{"get", "list", "watch"},
	}, {
		// Every member may ask; the webhook decides (policy.DecideToken, policy.DecideProject).
		APIGroups: []string{testGroup}, Resources: []string{"accesstokens", "projects"},
		Verbs: []string{"create", "update", "patch", "delete"},
	}}))
}

// No tier lets anyone list or watch Organizations: RBAC cannot restrict a
// list by name, and an Organization's status names its owners, so a member
// of one organization would read every other's (issue 13, hole 2).
func TestNoTierListsOrganizations(t *testing.T) {
	g := NewWithT(t)
	r := index(Render(Snapshot{Organization: testOrg("acme"), Subjects: manyMembers(5), ProjectNamespaces: []string{"web"}}))
	for key, o := range r {
		cr, ok := o.(*rbacv1.ClusterRole)
		if !ok {
			continue
		}
		for _, rule := range cr.Rules {
			if slices.Contains(rule.Resources, "organizations") || slices.Contains(rule.Resources, "*") {
				g.Expect(rule.Verbs).NotTo(ContainElement(BeElementOf("list", "watch", "*")), key)
				g.Expect(rule.ResourceNames).To(Equal([]string{"acme"}), key)
			}
		}
	}
}

func TestSubjectsSortedGroupedAndDeduplicated(t *testing.T) {
	g := NewWithT(t)
	r := index(Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects: []Subject{
			user("zoe", orgsv1alpha1.RoleViewer),
			group("platform-team", orgsv1alpha1.RoleViewer),
			user("carol", orgsv1alpha1.RoleOwner),
			user("bob", orgsv1alpha1.RoleViewer),
			user("alice", orgsv1alpha1.RoleOwner),
			user("bob", orgsv1alpha1.RoleViewer), // duplicate
			group("sre", orgsv1alpha1.RoleAdmin),
		},
		ProjectNamespaces: []string{"web"},
	}))
	grp := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: n}
	}
	g.Expect(r.roleBinding("web", "roster:viewer").Subjects).To(Equal(
		append([]rbacv1.Subject{grp("platform-team")}, users("bob", "zoe")...)))
	g.Expect(r.roleBinding("web", "roster:owner").Subjects).To(Equal(users("alice", "carol")))
	g.Expect(r.roleBinding("web", "roster:admin").Subjects).To(Equal([]rbacv1.Subject{grp("sre")}))
	g.Expect(r.clusterRoleBinding(ClusterRoleName("acme", TierOwner)).Subjects).To(Equal(users("alice", "carol")))
	g.Expect(r.clusterRoleBinding(ClusterRoleName("acme", TierAdmin)).Subjects).To(Equal([]rbacv1.Subject{grp("sre")}))
	everyone := append([]rbacv1.Subject{grp("platform-team"), grp("sre")}, users("alice", "bob", "carol", "zoe")...)
	g.Expect(r.clusterRoleBinding(ClusterRoleName("acme", TierMember)).Subjects).To(Equal(everyone))
	g.Expect(r.roleBinding("org-acme", HomeReadBindingName).Subjects).To(Equal(everyone))
	g.Expect(r.roleBinding("org-acme", HomeManageBindingName).Subjects).To(Equal(
		append([]rbacv1.Subject{grp("sre")}, users("alice", "carol")...)))
	g.Expect(r.roleBinding("web", "roster:contributor")).To(BeNil())
	g.Expect(r.roleBinding("web", "roster:viewer-no-secrets")).To(BeNil())
}

func TestNoSubjectsNoBindings(t *testing.T) {
	g := NewWithT(t)
	objs := Render(Snapshot{Organization: testOrg("acme"), ProjectNamespaces: []string{"web", "api"}})
	g.Expect(objs).To(HaveLen(5), "only the five per-organization ClusterRoles")
	for _, o := range objs {
		g.Expect(o).To(BeAssignableToTypeOf(&rbacv1.ClusterRole{}))
	}
}

func TestInvalidSubjectsGetNothing(t *testing.T) {
	g := NewWithT(t)
	objs := Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects: []Subject{
			{Kind: rbacv1.ServiceAccountKind, Name: "ci", Role: orgsv1alpha1.RoleOwner},
			{Kind: rbacv1.UserKind, Name: "", Role: orgsv1alpha1.RoleOwner},
			{Kind: rbacv1.UserKind, Name: "mallory", Role: "Superuser"},
			{Kind: rbacv1.UserKind, Name: "nobody"},
		},
		ProjectNamespaces: []string{"web"},
	})
	g.Expect(objs).To(HaveLen(5))
}

// A token's ServiceAccount is a subject of exactly its role's bindings, in
// the home namespace, and only its owner may request its values.
func TestTokensAreBoundAsTheirRole(t *testing.T) {
	g := NewWithT(t)
	sa := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "org-acme", Name: "roster-token-ci"}
	r := index(Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects:     []Subject{{Kind: rbacv1.UserKind, Name: "alice", Role: orgsv1alpha1.RoleAdmin}},
		Tokens: []Token{
			{Name: "ci", Owner: "alice", Role: orgsv1alpha1.RoleContributor},
			{Name: "bad", Owner: "alice", Role: "Superuser"},
			{Name: "orphan", Role: orgsv1alpha1.RoleOwner},
		},
		ProjectNamespaces: []string{"web"},
	}))
	g.Expect(r.roleBinding("web", "roster:contributor").Subjects).To(Equal([]rbacv1.Subject{sa}))
	g.Expect(r.roleBinding("web", "roster:admin").Subjects).NotTo(ContainElement(sa))
	g.Expect(r.roleBinding("org-acme", HomeReadBindingName).Subjects).To(ContainElement(sa))
	g.Expect(r.roleBinding("org-acme", HomeManageBindingName).Subjects).NotTo(ContainElement(sa))
	g.Expect(r.clusterRoleBinding("roster:org:acme:member").Subjects).To(ContainElement(sa))
	g.Expect(r.clusterRoleBinding("roster:org:acme:admin").Subjects).NotTo(ContainElement(sa))
	role, ok := r["Role org-acme/roster-token-ci"].(*rbacv1.Role)
	g.Expect(ok).To(BeTrue())
	g.Expect(role.Rules).To(Equal([]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, ResourceNames: []string{"roster-token-ci"}, Verbs: []string{"create"}}}))
	rb := r.roleBinding("org-acme", "roster-token-ci")
	g.Expect(rb.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "roster-token-ci"}))
	g.Expect(rb.Subjects).To(Equal([]rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}))
	g.Expect(r).NotTo(HaveKey("Role org-acme/roster-token-bad"))
	g.Expect(r).NotTo(HaveKey("Role org-acme/roster-token-orphan"))
}

// A token whose name is too long for its ServiceAccount (stored before the
// CRD capped names) gets nothing, and everyone else still gets their access.
func TestTokenWithAnUnusableNameIsSkipped(t *testing.T) {
	g := NewWithT(t)
	long := strings.Repeat("a", orgsv1alpha1.MaxAccessTokenNameLength+1)
	longest := strings.Repeat("b", orgsv1alpha1.MaxAccessTokenNameLength)
	objs := Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects:     []Subject{{Kind: rbacv1.UserKind, Name: "alice", Role: orgsv1alpha1.RoleAdmin}},
		Tokens: []Token{
			{Name: long, Owner: "alice", Role: orgsv1alpha1.RoleContributor},
			{Name: longest, Owner: "alice", Role: orgsv1alpha1.RoleContributor},
		},
		ProjectNamespaces: []string{"web"},
	})
	r := index(objs)
	g.Expect(r).NotTo(HaveKey("Role org-acme/roster-token-" + long))
	g.Expect(r).To(HaveKey("Role org-acme/roster-token-" + longest))
	g.Expect(r.roleBinding("web", "roster:admin").Subjects).To(ConsistOf(HaveField("Name", "alice")))
	for _, o := range objs {
		for _, s := range bindingSubjects(o) {
			if s.Kind == rbacv1.ServiceAccountKind {
				g.Expect(validation.IsDNS1123Subdomain(s.Name)).To(BeEmpty(), describe(o))
			}
		}
	}
}

// A Member naming an identity Kubernetes reserves (admission refuses one;
// this holds when it was bypassed) is bound nowhere, and nobody else loses
// anything. Service-account identities are left to their own rules.
func TestSystemIdentitiesAreNotBound(t *testing.T) {
	g := NewWithT(t)
	objs := Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects: []Subject{
			{Kind: rbacv1.UserKind, Name: "alice", Role: orgsv1alpha1.RoleOwner},
			{Kind: rbacv1.GroupKind, Name: "system:authenticated", Role: orgsv1alpha1.RoleViewer},
			{Kind: rbacv1.GroupKind, Name: "system:masters", Role: orgsv1alpha1.RoleOwner},
			{Kind: rbacv1.UserKind, Name: "system:anonymous", Role: orgsv1alpha1.RoleAdmin},
			{Kind: rbacv1.UserKind, Name: "system:kube-controller-manager", Role: orgsv1alpha1.RoleContributor},
			{Kind: rbacv1.UserKind, Name: "system:serviceaccount:ci:deployer", Role: orgsv1alpha1.RoleContributor},
		},
		Tokens:            []Token{{Name: "root", Owner: "system:admin", Role: orgsv1alpha1.RoleOwner}},
		ProjectNamespaces: []string{"web"},
	})
	r := index(objs)
	g.Expect(r.roleBinding("web", "roster:owner").Subjects).To(Equal([]rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}))
	g.Expect(r.roleBinding("web", "roster:contributor").Subjects).To(ConsistOf(HaveField("Name", "system:serviceaccount:ci:deployer")))
	g.Expect(r).NotTo(HaveKey("RoleBinding web/roster:viewer"))
	g.Expect(r).NotTo(HaveKey("RoleBinding web/roster:admin"))
	g.Expect(r).NotTo(HaveKey("Role org-acme/roster-token-root"))
	for _, o := range objs {
		for _, s := range bindingSubjects(o) {
			g.Expect(s.Name == "system:serviceaccount:ci:deployer" || !strings.HasPrefix(s.Name, "system:")).To(BeTrue(), "%s binds %s", describe(o), s.Name)
		}
	}
}

// Nor are the identities that hold tokens' ServiceAccounts: a token's own,
// every ServiceAccount's group, the home namespace's group.
func TestTokenServiceAccountHoldersAreNotBound(t *testing.T) {
	g := NewWithT(t)
	objs := Render(Snapshot{
		Organization: testOrg("acme"),
		Subjects: []Subject{
			{Kind: rbacv1.UserKind, Name: "alice", Role: orgsv1alpha1.RoleOwner},
			{Kind: rbacv1.UserKind, Name: "system:serviceaccount:org-acme:roster-token-ci", Role: orgsv1alpha1.RoleAdmin},
			{Kind: rbacv1.GroupKind, Name: "system:serviceaccounts", Role: orgsv1alpha1.RoleViewer},
			{Kind: rbacv1.GroupKind, Name: "system:serviceaccounts:org-acme", Role: orgsv1alpha1.RoleContributor},
			{Kind: rbacv1.GroupKind, Name: "system:serviceaccounts:ci", Role: orgsv1alpha1.RoleContributor},
		},
		ProjectNamespaces: []string{"web"},
	})
	r := index(objs)
	g.Expect(r.roleBinding("web", "roster:contributor").Subjects).To(ConsistOf(HaveField("Name", "system:serviceaccounts:ci")))
	g.Expect(r).NotTo(HaveKey("RoleBinding web/roster:viewer"))
	g.Expect(r).NotTo(HaveKey("RoleBinding web/roster:admin"))
}

// bindingSubjects is the subjects of a RoleBinding or ClusterRoleBinding, else nil.
func bindingSubjects(o client.Object) []rbacv1.Subject {
	switch b := o.(type) {
	case *rbacv1.RoleBinding:
		return b.Subjects
	case *rbacv1.ClusterRoleBinding:
		return b.Subjects
	}
	return nil
}

func TestObjectCount(t *testing.T) {
	tests := []struct {
		name     string
		subjects []Subject
		projects int
		// fixed objects: 5 ClusterRoles + one ClusterRoleBinding per tier with subjects.
		crbs, home, rolesWithSubjects int
	}{
		{"owner only", []Subject{user("a", orgsv1alpha1.RoleOwner)}, 3, 2, 2, 1},
		{"every role", []Subject{
			user("a", orgsv1alpha1.RoleOwner), user("b", orgsv1alpha1.RoleAdmin), user("c", orgsv1alpha1.RoleContributor),
			user("d", orgsv1alpha1.RoleViewer), user("e", orgsv1alpha1.RoleViewerNoSecrets),
		}, 4, 3, 2, 5},
		{"viewers only", []Subject{user("a", orgsv1alpha1.RoleViewer), group("g", orgsv1alpha1.RoleViewer)}, 2, 1, 1, 1},
		{"many members, no projects", manyMembers(500), 0, 3, 2, 5},
		{"many members, many projects", manyMembers(500), 40, 3, 2, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var namespaces []string
			for i := range tt.projects {
				namespaces = append(namespaces, fmt.Sprintf("project-%d", i))
			}
			objs := Render(Snapshot{Organization: testOrg("acme"), Subjects: tt.subjects, ProjectNamespaces: namespaces})
			g.Expect(objs).To(HaveLen(5 + tt.crbs + tt.home + tt.projects*tt.rolesWithSubjects))
		})
	}
}

func manyMembers(n int) []Subject {
	var out []Subject
	for i := range n {
		out = append(out, user(fmt.Sprintf("user-%03d@example.com", i), orgsv1alpha1.Roles[i%len(orgsv1alpha1.Roles)]))
	}
	return out
}

func TestLabelsAndOwnerReferences(t *testing.T) {
	g := NewWithT(t)
	org := testOrg("acme")
	objs := Render(Snapshot{Organization: org, Subjects: manyMembers(10), ProjectNamespaces: []string{"web"}})
	g.Expect(objs).NotTo(BeEmpty())
	for _, o := range objs {
		g.Expect(o.GetLabels()).To(Equal(map[string]string{
			"app.kubernetes.io/managed-by": "roster",
			"orgs.roster.dev/access-for":   "acme",
		}), describe(o))
		refs := o.GetOwnerReferences()
		g.Expect(refs).To(HaveLen(1), describe(o))
		g.Expect(refs[0].APIVersion).To(Equal("orgs.roster.dev/v1alpha1"))
		g.Expect(refs[0].Kind).To(Equal("Organization"))
		g.Expect(refs[0].Name).To(Equal("acme"))
		g.Expect(refs[0].UID).To(Equal(org.UID))
		g.Expect(refs[0].Controller).To(HaveValue(BeTrue()))
		g.Expect(refs[0].BlockOwnerDeletion).To(HaveValue(BeTrue()))
		g.Expect(o.GetObjectKind().GroupVersionKind().Group).To(Equal(rbacv1.GroupName))
	}
}

func TestHomeNamespace(t *testing.T) {
	t.Run("defaults to the organization's", func(t *testing.T) {
		g := NewWithT(t)
		r := index(Render(Snapshot{Organization: testOrg("acme"), Subjects: []Subject{user("a", orgsv1alpha1.RoleOwner)}}))
		g.Expect(r.roleBinding("org-acme", HomeManageBindingName)).NotTo(BeNil())
		g.Expect(r.roleBinding("org-acme", HomeManageBindingName).RoleRef.Name).To(Equal("roster:org:acme:home-manage"))
		g.Expect(r.roleBinding("org-acme", HomeReadBindingName).RoleRef.Name).To(Equal("roster:org:acme:home-read"))
	})
	t.Run("explicit", func(t *testing.T) {
		g := NewWithT(t)
		r := index(Render(Snapshot{Organization: testOrg("acme"), HomeNamespace: "people", Subjects: []Subject{user("a", orgsv1alpha1.RoleViewer)}}))
		g.Expect(r.roleBinding("people", HomeReadBindingName)).NotTo(BeNil())
		g.Expect(r.roleBinding("people", HomeManageBindingName)).To(BeNil(), "a Viewer does not manage members")
	})
	t.Run("never a project namespace, nor kube-*", func(t *testing.T) {
		g := NewWithT(t)
		objs := Render(Snapshot{
			Organization: testOrg("acme"), HomeNamespace: "org-acme",
			Subjects:          []Subject{user("a", orgsv1alpha1.RoleOwner)},
			ProjectNamespaces: []string{"org-acme", "kube-system", "", "web", "web"},
		})
		r := index(objs)
		g.Expect(r.roleBinding("org-acme", "roster:owner")).To(BeNil())
		g.Expect(r.roleBinding("kube-system", "roster:owner")).To(BeNil())
		g.Expect(r.roleBinding("web", "roster:owner")).NotTo(BeNil())
		g.Expect(objs).To(HaveLen(5 + 2 + 2 + 1))
	})
}

func TestNoStatusSubresources(t *testing.T) {
	g := NewWithT(t)
	for _, o := range Render(Snapshot{Organization: testOrg("acme"), Subjects: manyMembers(5)}) {
		cr, ok := o.(*rbacv1.ClusterRole)
		if !ok {
			continue
		}
		for _, rule := range cr.Rules {
			g.Expect(rule.APIGroups).To(Equal([]string{testGroup}), cr.Name)
			for _, res := range rule.Resources {
				g.Expect(res).NotTo(ContainSubstring("/"), "%s must not grant a subresource", cr.Name)
			}
			g.Expect(rule.Resources).NotTo(ContainElement("*"))
			g.Expect(rule.Verbs).NotTo(ContainElement("*"))
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	subjects := manyMembers(50)
	reversed := make([]Subject, len(subjects))
	for i, s := range subjects {
		reversed[len(subjects)-1-i] = s
	}
	a := Render(Snapshot{Organization: testOrg("acme"), Subjects: subjects, ProjectNamespaces: []string{"b", "a", "c"}})
	b := Render(Snapshot{Organization: testOrg("acme"), Subjects: reversed, ProjectNamespaces: []string{"c", "b", "a"}})
	g.Expect(b).To(Equal(a))

	var order []string
	for _, o := range a {
		order = append(order, describe(o))
	}
	g.Expect(order[:10]).To(Equal([]string{
		"ClusterRole roster:org:acme:owner",
		"ClusterRole roster:org:acme:admin",
		"ClusterRole roster:org:acme:member",
		"ClusterRole roster:org:acme:home-manage",
		"ClusterRole roster:org:acme:home-read",
		"ClusterRoleBinding roster:org:acme:owner",
		"ClusterRoleBinding roster:org:acme:admin",
		"ClusterRoleBinding roster:org:acme:member",
		"RoleBinding org-acme/roster:home-manage",
		"RoleBinding org-acme/roster:home-read",
	}))
	g.Expect(order[10:15]).To(Equal([]string{
		"RoleBinding a/roster:owner", "RoleBinding a/roster:admin", "RoleBinding a/roster:contributor",
		"RoleBinding a/roster:viewer", "RoleBinding a/roster:viewer-no-secrets",
	}))
}

func TestRenderNilOrganization(t *testing.T) {
	NewWithT(t).Expect(Render(Snapshot{Subjects: []Subject{user("a", orgsv1alpha1.RoleOwner)}})).To(BeNil())
}

// TestBindMarkerMatchesProjectClusterRoles keeps the `bind` marker in
// rbac.go in step with ProjectClusterRoles.
func TestBindMarkerMatchesProjectClusterRoles(t *testing.T) {
	g := NewWithT(t)
	rules := markerRules(t)
	var bindable []string
	for _, r := range rules {
		if len(r.Verbs) == 1 && r.Verbs[0] == "bind" {
			g.Expect(r.Resources).To(Equal([]string{"clusterroles"}))
			g.Expect(r.ResourceNames).NotTo(BeEmpty(), "bind must be restricted by resourceNames")
			bindable = append(bindable, r.ResourceNames...)
		}
	}
	want := map[string]bool{}
	for _, cr := range ProjectClusterRoles {
		want[cr] = true
	}
	g.Expect(bindable).To(HaveLen(len(want)))
	for cr := range want {
		g.Expect(bindable).To(ContainElement(cr))
	}
	g.Expect(ProjectClusterRoles).To(HaveLen(len(orgsv1alpha1.Roles)))
}

// The webhooks decide from policy.MembershipAuthority without asking the
// API server, so the custom verbs Render grants each role on its
// organization must be exactly policy.RoleAuthority's: never more.
func TestCustomVerbsAreRoleAuthority(t *testing.T) {
	g := NewWithT(t)
	org := testOrg("acme")
	for _, role := range orgsv1alpha1.Roles {
		objs := index(Render(Snapshot{Organization: org, Subjects: []Subject{user("alice", role)}}))
		held := map[string]bool{}
		for _, o := range objs {
			crb, ok := o.(*rbacv1.ClusterRoleBinding)
			if !ok || !slices.ContainsFunc(crb.Subjects, func(s rbacv1.Subject) bool { return s.Kind == rbacv1.UserKind && s.Name == "alice" }) {
				continue
			}
			for _, rule := range objs.clusterRole(crb.RoleRef.Name).Rules {
				if !slices.Contains(rule.APIGroups, testGroup) || !slices.Contains(rule.Resources, "organizations") {
					continue
				}
				g.Expect(rule.ResourceNames).To(Equal([]string{"acme"}), "role %s: custom verbs on other organizations", role)
				for _, v := range rule.Verbs {
					held[v] = true
				}
			}
		}
		want := policy.RoleAuthority(role)
		g.Expect(held[orgsv1alpha1.VerbManageOwners]).To(Equal(want.ManageOwners), "role %s: manage-owners", role)
		g.Expect(held[orgsv1alpha1.VerbManageMembers]).To(Equal(want.ManageMembers), "role %s: manage-members", role)
	}
}
