package policy

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func project(name string, envs ...string) *orgsv1alpha1.Project {
	return &orgsv1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: home},
		Spec:       orgsv1alpha1.ProjectSpec{Environments: envs},
	}
}

// recorded is p with status recording namespace name of the given UID.
func recorded(p *orgsv1alpha1.Project, name, uid string) *orgsv1alpha1.Project {
	p.UID = "p-uid"
	p.Status.Namespaces = append(p.Status.Namespaces, orgsv1alpha1.ProjectNamespaceStatus{Name: name, UID: types.UID(uid)})
	return p
}

func projectMembers() []orgsv1alpha1.Member {
	return []orgsv1alpha1.Member{
		userMember("alice", "alice@example.com", owner),
		userMember("adam", "adam@example.com", admin),
		userMember("carol", "carol@example.com", contributor),
		userMember("vera", "vera@example.com", viewer),
		userMember("nina", "nina@example.com", viewerNoSecrets),
		groupMember("devs", "devs", contributor),
	}
}

// withProjectOp fills in r's Old and New for r.Op: create web [dev],
// add prod to it, or delete it.
func withProjectOp(r ProjectRequest) ProjectRequest {
	switch r.Op {
	case Create:
		r.New = project("web", "dev")
	case Update:
		r.Old, r.New = project("web", "dev"), project("web", "dev", "prod")
	case Delete:
		r.Old = project("web", "dev")
	}
	return r
}

// expectProjectDecision: DecideProject(r) allows, or refuses as Forbidden
// saying says and naming the matrix row.
func expectProjectDecision(g *WithT, r ProjectRequest, allowed bool, says string) {
	d := DecideProject(r)
	g.Expect(d.Allowed()).To(Equal(allowed), d.Message)
	if !allowed {
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring(says))
		g.Expect(d.Message).To(ContainSubstring(`row "Create - Update - Delete projects"`))
	}
}

func TestDecideProjectWhoMay(t *testing.T) {
	users := []struct {
		who     Requester
		allowed bool
		says    string
	}{
		{Requester{User: "alice@example.com"}, true, ""},
		{Requester{User: "adam@example.com"}, true, ""},
		{Requester{User: "carol@example.com"}, true, ""},
		{Requester{User: "dan@example.com", Groups: []string{"devs"}}, true, ""},
		{Requester{User: "vera@example.com"}, false, "is Viewer there"},
		{Requester{User: "nina@example.com"}, false, "is ViewerNoSecrets there"},
		{outsider, false, "is not a member of it"},
		{Requester{User: "Carol@example.com"}, false, "is not a member"},
	}
	for _, op := range []Operation{Create, Update, Delete} {
		for _, u := range users {
			t.Run(string(op)+" "+u.who.User, func(t *testing.T) {
				g := NewWithT(t)
				r := ProjectRequest{Op: op, Who: u.who, Snapshot: snapshot(projectMembers())}
				expectProjectDecision(g, withProjectOp(r), u.allowed, u.says)
			})
		}
	}
	t.Run("holders of manage-members (cluster admins, GitOps) may", func(t *testing.T) {
		g := NewWithT(t)
		s := snapshot(projectMembers())
		g.Expect(ProjectVerb(clusterAdmin, s)).To(Equal(orgsv1alpha1.VerbManageMembers))
		g.Expect(ProjectVerb(Requester{User: "carol@example.com"}, s)).To(BeEmpty())
		g.Expect(DecideProject(ProjectRequest{Op: Create, Who: clusterAdmin, New: project("web"), Snapshot: s, Authority: membersVerb}).Allowed()).To(BeTrue())
		g.Expect(DecideProject(ProjectRequest{Op: Create, Who: clusterAdmin, New: project("web"), Snapshot: s}).Allowed()).To(BeFalse())
	})
	t.Run("releasing the finalizer of a Project whose organization is gone", func(t *testing.T) {
		g := NewWithT(t)
		old := project("web", "dev")
		now := metav1.Now()
		old.DeletionTimestamp, old.Finalizers = &now, []string{orgsv1alpha1.ProjectFinalizer}
		released := old.DeepCopy()
		released.Finalizers = nil
		g.Expect(DecideProject(ProjectRequest{Op: Update, Who: outsider, Old: old, New: released}).Allowed()).To(BeTrue())
		g.Expect(DecideProject(ProjectRequest{Op: Update, Who: outsider, Old: old, New: released, Snapshot: snapshot(projectMembers())}).Allowed()).To(BeFalse())
		added := old.DeepCopy()
		added.Finalizers = append(added.Finalizers, "x")
		g.Expect(DecideProject(ProjectRequest{Op: Update, Who: outsider, Old: old, New: added}).Allowed()).To(BeFalse())
	})
	t.Run("outside a home namespace", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideProject(ProjectRequest{Op: Create, Who: clusterAdmin, New: project("web"), Authority: membersVerb})
		g.Expect(d.Message).To(ContainSubstring("not the home namespace"))
	})
}

func TestDecideProjectBounds(t *testing.T) {
	carol := Requester{User: "carol@example.com"}
	org := acme()
	org.Spec.Projects = &orgsv1alpha1.ProjectPolicy{MaxProjects: ptr[int32](2), MaxEnvironmentsPerProject: ptr[int32](2)}
	s := Snapshot{Organization: org, Members: projectMembers()}
	existing := []orgsv1alpha1.Project{*project("a"), *project("b")}
	g := NewWithT(t)

	d := DecideProject(ProjectRequest{Op: Create, Who: carol, New: project("web"), Snapshot: s, Projects: existing})
	g.Expect(d.Code).To(Equal(Forbidden))
	g.Expect(d.Message).To(And(ContainSubstring("spec.projects.maxProjects"), ContainSubstring(`Organization "acme"`), ContainSubstring("bound is 2")))

	d = DecideProject(ProjectRequest{Op: Create, Who: carol, New: project("web"), Snapshot: s, Projects: existing[:1]})
	g.Expect(d.Allowed()).To(BeTrue(), d.Message)

	d = DecideProject(ProjectRequest{Op: Create, Who: carol, New: project("web", "a", "b", "c"), Snapshot: s})
	g.Expect(d.Code).To(Equal(Invalid))
	g.Expect(d.Field).To(Equal("spec.environments"))
	g.Expect(d.Message).To(ContainSubstring("spec.projects.maxEnvironmentsPerProject"))

	// A project past a lowered bound may still drop environments, not add.
	d = DecideProject(ProjectRequest{Op: Update, Who: carol, Old: project("web", "a", "b", "c", "d"), New: project("web", "a", "b", "c"), Snapshot: s})
	g.Expect(d.Allowed()).To(BeTrue(), d.Message)
	d = DecideProject(ProjectRequest{Op: Update, Who: carol, Old: project("web", "a", "b", "c"), New: project("web", "a", "b", "c", "d"), Snapshot: s})
	g.Expect(d.Field).To(Equal("spec.environments"))

	// Defaults.
	g.Expect(MaxProjects(acme())).To(Equal(DefaultMaxProjects))
	g.Expect(MaxEnvironmentsPerProject(nil)).To(Equal(DefaultMaxEnvironmentsPerProject))
	many := make([]orgsv1alpha1.Project, DefaultMaxProjects)
	d = DecideProject(ProjectRequest{Op: Create, Who: carol, New: project("web"), Snapshot: snapshot(projectMembers()), Projects: many})
	g.Expect(d.Message).To(ContainSubstring("maxProjects"))
}

func TestDecideProjectNames(t *testing.T) {
	carol := Requester{User: "carol@example.com"}
	s := snapshot(projectMembers())
	long := strings.Repeat("x", 55)
	tests := []struct {
		name    string
		r       ProjectRequest
		allowed bool
		code    Code
		field   string
		says    string
	}{
		{name: "two environments", r: ProjectRequest{New: project("web", "dev", "prod")}, allowed: true},
		{name: "no environments", r: ProjectRequest{New: project("web")}, allowed: true},
		{name: "over 63 characters", r: ProjectRequest{New: project(long, "dev")}, code: Invalid, field: "spec.environments[0]", says: "Kubernetes allows 63"},
		{name: "over 63 without environments", r: ProjectRequest{New: project(long + "abcdefgh")}, code: Invalid, field: "metadata.name", says: "Kubernetes allows 63"},
		{name: "a name with a dot", r: ProjectRequest{New: project("web.dev")}, code: Invalid, field: "metadata.name", says: "DNS label"},
		{name: "an upper-case environment", r: ProjectRequest{New: project("web", "Dev")}, code: Invalid, field: "spec.environments[0]", says: "DNS label"},
		{name: "an environment twice", r: ProjectRequest{New: project("web", "dev", "dev")}, code: Invalid, field: "spec.environments[1]", says: "twice"},
		{name: "another project derives the name", r: ProjectRequest{New: project("web", "dev"), Claimed: map[string]string{"acme-web-dev": "org-acme/web-dev"}},
			code: Forbidden, field: "spec.environments[0]", says: "Project org-acme/web-dev already derives"},
		{name: "another organization's project derives the name", r: ProjectRequest{New: project("dev"), Claimed: map[string]string{"acme-dev": "org-acme-dev/x"}},
			code: Forbidden, field: "metadata.name", says: "org-acme-dev/x"},
		{name: "its own claim is not a collision", r: ProjectRequest{New: project("web", "dev"), Claimed: map[string]string{"acme-web-dev": "org-acme/web"}}, allowed: true},
		{name: "a foreign namespace of that name", r: ProjectRequest{New: project("web", "dev"), Namespaces: map[string]NamespaceFacts{"acme-web-dev": {}}},
			code: Forbidden, field: "spec.environments[0]", says: "never adopts"},
		{name: "a namespace on a create", r: ProjectRequest{New: project("web", "dev"), Namespaces: map[string]NamespaceFacts{"acme-web-dev": {UID: "theirs"}}},
			code: Forbidden, field: "spec.environments[0]", says: "never adopts"},
		// The project-uid annotation is anyone's who creates namespaces: only
		// the UID the stored status records makes a namespace the Project's.
		{name: "an added environment's namespace that status does not record", r: ProjectRequest{Op: Update, Old: recorded(project("web", "dev"), "acme-web-prod", "ours"),
			New: recorded(project("web", "dev", "prod"), "acme-web-prod", "ours"), Namespaces: map[string]NamespaceFacts{"acme-web-prod": {UID: "theirs"}}},
			code: Forbidden, field: "spec.environments[1]", says: "was not created by Roster for this Project"},
		{name: "re-adding an environment whose namespace status records (still terminating)", r: ProjectRequest{Op: Update, Old: recorded(project("web", "dev"), "acme-web-prod", "ours"),
			New: recorded(project("web", "dev", "prod"), "acme-web-prod", "ours"), Namespaces: map[string]NamespaceFacts{"acme-web-prod": {UID: "ours"}}}, allowed: true},
		{name: "a home namespace", r: ProjectRequest{New: project("web"), Namespaces: map[string]NamespaceFacts{"acme-web": {HomeOf: "acme-web"}}},
			code: Forbidden, field: "metadata.name", says: "home namespace of organization"},
		{name: "Roster's own namespace", r: ProjectRequest{New: project("system"), ManagerNamespace: "acme-system"}, code: Invalid, field: "metadata.name", says: "manager namespace"},
		{name: "adding an environment checks only the new name", r: ProjectRequest{Op: Update, Old: project("web", "dev"), New: project("web", "dev", "prod"),
			Namespaces: map[string]NamespaceFacts{"acme-web-dev": {}}}, allowed: true},
		{name: "an added environment that collides", r: ProjectRequest{Op: Update, Old: project("web", "dev"), New: project("web", "dev", "prod"),
			Namespaces: map[string]NamespaceFacts{"acme-web-prod": {}}}, code: Forbidden, field: "spec.environments[1]", says: "never adopts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			r := tt.r
			if r.Op == "" {
				r.Op = Create
			}
			r.Who, r.Snapshot = carol, s
			d := DecideProject(r)
			g.Expect(d.Allowed()).To(Equal(tt.allowed), d.Message)
			if !tt.allowed {
				g.Expect(d.Code).To(Equal(tt.code))
				g.Expect(d.Field).To(Equal(tt.field))
				g.Expect(d.Message).To(ContainSubstring(tt.says))
			}
		})
	}
}

func TestProjectNamespaceMetadata(t *testing.T) {
	g := NewWithT(t)
	org := acme()
	org.UID = "org-uid"
	org.Spec.Projects = &orgsv1alpha1.ProjectPolicy{
		NamespaceLabels:      map[string]string{"pod-security.kubernetes.io/enforce": "restricted", orgsv1alpha1.OrganizationLabel: "other"},
		NamespaceAnnotations: map[string]string{"team": "web", orgsv1alpha1.OrganizationUIDAnnotation: "forged"},
	}
	p := project("web", "dev")
	p.UID = "p-uid"
	p.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	labels, annotations := ProjectNamespaceMetadata(org, p, "dev")
	g.Expect(labels).To(Equal(map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		orgsv1alpha1.OrganizationLabel:       "acme",
		orgsv1alpha1.ProjectLabel:            "web",
		orgsv1alpha1.EnvironmentLabel:        "dev",
		orgsv1alpha1.ManagedByLabel:          orgsv1alpha1.ManagedByValue,
	}))
	g.Expect(annotations).To(Equal(map[string]string{"team": "web", orgsv1alpha1.OrganizationUIDAnnotation: "org-uid", orgsv1alpha1.ProjectUIDAnnotation: "p-uid"}))

	g.Expect(ProjectNamespaces("acme", project("web", "dev", "prod"))).To(Equal([]ProjectNamespaceName{{"acme-web-dev", "dev"}, {"acme-web-prod", "prod"}}))
	g.Expect(ProjectNamespaces("acme", project("web"))).To(Equal([]ProjectNamespaceName{{Name: "acme-web"}}))

	claims := ProjectNamespaceClaims([]orgsv1alpha1.Project{*project("web", "dev"), {ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "nowhere"}}},
		func(ns string) string { return map[string]string{home: "acme"}[ns] })
	g.Expect(claims).To(Equal(map[string]string{"acme-web-dev": "org-acme/web"}))
}

func TestRequesterRole(t *testing.T) {
	g := NewWithT(t)
	s := snapshot(projectMembers())
	g.Expect(RequesterRole(Requester{User: "vera@example.com", Groups: []string{"devs"}}, s)).To(Equal(contributor))
	g.Expect(RequesterRole(Requester{User: "alice@example.com"}, s)).To(Equal(owner))
	g.Expect(RequesterRole(outsider, s)).To(BeEmpty())
	s.HomeTerminating = true
	g.Expect(RequesterRole(Requester{User: "alice@example.com"}, s)).To(BeEmpty())
}

func TestDeletionNeedsConfirmation(t *testing.T) {
	g := NewWithT(t)
	p := project("web", "dev", "prod")
	g.Expect(DeletionNeedsConfirmation(p, "acme-web-dev", NamespaceContents{}, true)).To(BeEmpty())
	g.Expect(DeletionNeedsConfirmation(p, "acme-web-dev", NamespaceContents{}, false)).To(ContainSubstring("has not counted them yet"))
	msg := DeletionNeedsConfirmation(p, "acme-web-dev", NamespaceContents{Workloads: 1, Secrets: 2}, true)
	g.Expect(msg).To(ContainSubstring("kubectl annotate project web -n org-acme orgs.roster.dev/confirm-delete-namespaces=acme-web-dev --overwrite"))
	p.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteNamespacesAnnotation: "acme-web-prod"}
	g.Expect(DeletionNeedsConfirmation(p, "acme-web-dev", NamespaceContents{ConfigMaps: 1}, true)).To(ContainSubstring("=acme-web-prod,acme-web-dev "))
	p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation] = "acme-web-prod, acme-web-dev"
	g.Expect(DeletionNeedsConfirmation(p, "acme-web-dev", NamespaceContents{ConfigMaps: 1}, true)).To(BeEmpty())
}

func TestDecideProjectNamespaceLabels(t *testing.T) {
	made := map[string]string{orgsv1alpha1.OrganizationLabel: "acme", orgsv1alpha1.ProjectLabel: "web", "team": "a"}
	without := func(key string) map[string]string {
		m := map[string]string{}
		for k, v := range made {
			if k != key {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name     string
		old, new map[string]string
		field    string
	}{
		{"create", nil, made, ""},
		{"another label changes", made, without("team"), ""},
		{"an attached namespace that is no Project's detaches", without(orgsv1alpha1.ProjectLabel), map[string]string{}, ""},
		{"removing the organization label", made, without(orgsv1alpha1.OrganizationLabel), "metadata.labels[orgs.roster.dev/organization]"},
		{"moving it to another organization", made, map[string]string{orgsv1alpha1.OrganizationLabel: "globex", orgsv1alpha1.ProjectLabel: "web"}, "metadata.labels[orgs.roster.dev/organization]"},
		{"removing the project label", made, without(orgsv1alpha1.ProjectLabel), "metadata.labels[orgs.roster.dev/project]"},
		{"removing both", made, map[string]string{}, "metadata.labels[orgs.roster.dev/organization]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideProjectNamespaceLabels("acme-web", tt.old, tt.new)
			g.Expect(d.Allowed()).To(Equal(tt.field == ""), d.Message)
			g.Expect(d.Field).To(Equal(tt.field))
			if tt.field != "" {
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Message).To(ContainSubstring(`namespace of Project "web" of organization "acme"`))
			}
		})
	}
}

// FuzzDecideProject: whatever the names and the requester, an admitted
// Project comes from an Owner, Admin, Contributor or holder of
// manage-members, and every namespace it derives is a valid name no other
// Project derives; a refusal always says why.
func FuzzDecideProject(f *testing.F) {
	f.Add("web", "dev,prod", uint8(2), false)
	f.Add("Web", "dev,dev", uint8(3), false)
	f.Add(strings.Repeat("a", 60), "x", uint8(0), true)
	f.Fuzz(func(t *testing.T, name, envs string, who uint8, verbs bool) {
		members := projectMembers()
		users := []string{"alice@example.com", "adam@example.com", "carol@example.com", "vera@example.com", "nina@example.com", "mallory@example.com"}
		requester := Requester{User: users[int(who)%len(users)]}
		var environments []string
		if envs != "" {
			environments = strings.Split(envs, ",")
		}
		r := ProjectRequest{Op: Create, Who: requester, New: project(name, environments...), Snapshot: snapshot(members),
			Claimed: map[string]string{"acme-web-dev": "org-acme/other"}}
		if verbs {
			r.Authority = membersVerb
		}
		d := DecideProject(r)
		if !d.Allowed() {
			if d.Message == "" || (d.Code == Invalid && d.Field == "") {
				t.Fatalf("a refusal must say why: %+v", d)
			}
			return
		}
		if RequesterRole(requester, r.Snapshot).Rank() < MinProjectRole.Rank() && !verbs {
			t.Fatalf("%s may not create projects, admitted", requester.User)
		}
		for _, n := range ProjectNamespaces(orgName, r.New) {
			if len(n.Name) > 63 || len(validationErrors(n.Name)) > 0 || n.Name == "acme-web-dev" {
				t.Fatalf("admitted namespace %q", n.Name)
			}
		}
	})
}

func validationErrors(name string) []string { return validation.IsDNS1123Label(name) }

// A token acts with its effective role: the lower of spec.role and its
// owner's current role, in its own organization only, while it is live.
func TestDecideProjectByToken(t *testing.T) {
	const day = 24 * time.Hour
	tokenUser := "system:serviceaccount:" + home + ":roster-token-ci"
	actor := func(tok *orgsv1alpha1.AccessToken, ownerRole orgsv1alpha1.Role) *TokenActor {
		return &TokenActor{Namespace: home, Name: "ci", Token: tok, Owned: tok != nil, OwnerRole: ownerRole, MaxTTL: 90 * day, Now: tokenNow}
	}
	expired := accessToken("carol@example.com", "", day)
	expired.CreationTimestamp = metav1.NewTime(tokenNow.Add(-2 * day))
	expired.Spec.ExpiresAt = ptr(metav1.NewTime(tokenNow.Add(-day)))
	foreign := actor(accessToken("carol@example.com", "", 30*day), contributor)
	foreign.Namespace = "org-globex"
	unowned := actor(accessToken("carol@example.com", "", 30*day), contributor)
	unowned.Owned = false
	tests := []struct {
		name    string
		actor   *TokenActor
		allowed bool
		says    string
	}{
		{"a Contributor's token", actor(accessToken("carol@example.com", "", 30*day), contributor), true, ""},
		{"an Owner's token", actor(accessToken("alice@example.com", "", 30*day), owner), true, ""},
		{"an Admin's token limited to Contributor", actor(accessToken("adam@example.com", contributor, 30*day), admin), true, ""},
		{"an Owner's token limited to Viewer", actor(accessToken("alice@example.com", viewer, 30*day), owner), false, "which acts as Viewer"},
		{"a Contributor's token whose owner is now Viewer", actor(accessToken("carol@example.com", "", 30*day), viewer), false, "OwnerDemoted"},
		{"a token whose owner is gone", actor(accessToken("carol@example.com", "", 30*day), ""), false, "OwnerRemoved"},
		{"a revoked token", actor(revokedToken(accessToken("carol@example.com", "", 30*day), "alice@example.com"), contributor), false, "is revoked (RevokedBy"},
		{"an expired token", actor(expired, contributor), false, "is revoked (Expired"},
		{"a token of another organization", foreign, false, "a token acts only in its own organization"},
		{"a ServiceAccount named like a token's that no token made", unowned, false, `no AccessToken "ci" made it`},
		{"a ServiceAccount named like a token's, no token of that name", actor(nil, ""), false, `no AccessToken "ci" made it`},
	}
	for _, op := range []Operation{Create, Update, Delete} {
		for _, tt := range tests {
			t.Run(string(op)+" "+tt.name, func(t *testing.T) {
				g := NewWithT(t)
				who := Requester{User: tokenUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + home}}
				s := snapshot(projectMembers())
				g.Expect(ProjectVerb(who, s)).To(BeEmpty(), "a token is asked about nothing but its token")
				// Authority is ignored: a token acts with its role, never more.
				r := ProjectRequest{Op: op, Who: who, Snapshot: s, Token: tt.actor, Authority: bothVerbs}
				expectProjectDecision(g, withProjectOp(r), tt.allowed, tt.says)
			})
		}
	}
}

// The finalizer is Roster's promise that a Project's namespaces go with
// it: taken off by hand while one is there, the namespace would stay
// attached to the organization, outside maxProjects and the deletion guard.
func TestDecideProjectFinalizer(t *testing.T) {
	carol := Requester{User: "carol@example.com"}
	s := snapshot(projectMembers())
	held := func() *orgsv1alpha1.Project {
		p := recorded(project("web"), "acme-web", "ours")
		now := metav1.Now()
		p.DeletionTimestamp, p.Finalizers = &now, []string{orgsv1alpha1.ProjectFinalizer}
		return p
	}
	released := func() *orgsv1alpha1.Project {
		p := held()
		p.Finalizers = nil
		return p
	}
	tests := []struct {
		name       string
		namespaces map[string]NamespaceFacts
		allowed    bool
	}{
		{name: "while its namespace is there", namespaces: map[string]NamespaceFacts{"acme-web": {UID: "ours"}}},
		{name: "once its namespace is being deleted", namespaces: map[string]NamespaceFacts{"acme-web": {UID: "ours", Terminating: true}}, allowed: true},
		{name: "once its namespace is gone", allowed: true},
		{name: "when another namespace of that name is there", namespaces: map[string]NamespaceFacts{"acme-web": {UID: "theirs"}}, allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideProject(ProjectRequest{Op: Update, Who: carol, Old: held(), New: released(), Snapshot: s, Namespaces: tt.namespaces})
			g.Expect(d.Allowed()).To(Equal(tt.allowed), d.Message)
			if !tt.allowed {
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Field).To(Equal("metadata.finalizers"))
				g.Expect(d.Message).To(ContainSubstring(`may not remove finalizer orgs.roster.dev/project from Project "web" in organization "acme" while its namespace "acme-web" is still there`))
				g.Expect(d.Message).To(ContainSubstring("kubectl annotate project web -n org-acme orgs.roster.dev/confirm-delete-namespaces=acme-web --overwrite"))
			}
		})
	}
	t.Run("a cluster admin too", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideProject(ProjectRequest{Op: Update, Who: clusterAdmin, Authority: membersVerb, Old: held(), New: released(), Snapshot: s,
			Namespaces: map[string]NamespaceFacts{"acme-web": {UID: "ours"}}})
		g.Expect(d.Allowed()).To(BeFalse())
	})
}
