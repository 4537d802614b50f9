package policy

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestDecideProjectAttach(t *testing.T) {
	base := ProjectAttachRequest{Requester: Requester{User: "pat@example.com"}, Namespace: "web", To: "acme", ToUID: "uid-2", OrganizationUID: "uid-2",
		ManagerNamespace: "roster-system", CanGrant: true, ClusterRoles: []string{"admin", "view"}}
	tests := []struct {
		name    string
		change  func(r *ProjectAttachRequest)
		allowed bool
		says    string
		field   string
	}{
		{name: "someone who could create the bindings attaches", change: func(*ProjectAttachRequest) {}, allowed: true},
		{name: "someone who could not is refused", change: func(r *ProjectAttachRequest) { r.CanGrant = false }, says: "ClusterRoles admin, view there"},
		{name: "detaching needs nothing", change: func(r *ProjectAttachRequest) {
			r.From, r.FromUID, r.To, r.ToUID, r.CanGrant = "acme", "uid-2", "", "", false
		}, allowed: true},
		{name: "detaching keeps a stale UID, needs nothing", change: func(r *ProjectAttachRequest) { r.From, r.FromUID, r.To, r.CanGrant = "acme", "uid-2", "", false }, allowed: true},
		{name: "an unchanged attachment needs nothing", change: func(r *ProjectAttachRequest) { r.From, r.FromUID, r.CanGrant = "acme", "uid-2", false }, allowed: true},
		{name: "an unchanged stale attachment needs nothing", change: func(r *ProjectAttachRequest) {
			r.From, r.FromUID, r.ToUID, r.CanGrant = "acme", "uid-1", "uid-1", false
		}, allowed: true},
		{name: "dropping the UID needs nothing", change: func(r *ProjectAttachRequest) { r.From, r.FromUID, r.ToUID, r.CanGrant = "acme", "uid-1", "", false }, allowed: true},
		{name: "moving to another organization is attaching", change: func(r *ProjectAttachRequest) { r.From, r.CanGrant = "other", false }, says: "may not create those RoleBindings"},
		{name: "re-attaching to a new organization of the same name is attaching", change: func(r *ProjectAttachRequest) { r.From, r.FromUID, r.CanGrant = "acme", "uid-1", false }, says: "may not create those RoleBindings"},
		{name: "re-attaching by someone who may", change: func(r *ProjectAttachRequest) { r.From, r.FromUID = "acme", "uid-1" }, allowed: true},
		{name: "a UID that is not the organization's", change: func(r *ProjectAttachRequest) { r.ToUID = "uid-1" }, says: `organization "acme" has UID "uid-2"`,
			field: "metadata.annotations[orgs.roster.dev/organization-uid]"},
		{name: "a forged UID on an attached namespace", change: func(r *ProjectAttachRequest) { r.From, r.FromUID, r.ToUID = "acme", "uid-2", "forged" }, says: `is "forged"`,
			field: "metadata.annotations[orgs.roster.dev/organization-uid]"},
		{name: "no UID recorded", change: func(r *ProjectAttachRequest) { r.ToUID = "" }, says: `is ""`,
			field: "metadata.annotations[orgs.roster.dev/organization-uid]"},
		{name: "a UID while no such organization exists", change: func(r *ProjectAttachRequest) { r.OrganizationUID = "" }, says: `no Organization "acme" exists: until one does it can only be "pending"`,
			field: "metadata.annotations[orgs.roster.dev/organization-uid]"},
		{name: "pending while no such organization exists", change: func(r *ProjectAttachRequest) { r.OrganizationUID, r.ToUID = "", "pending" }, allowed: true},
		{name: "pending while the organization exists: it takes it", change: func(r *ProjectAttachRequest) { r.ToUID = "pending" }, allowed: true},
		{name: "pending, by someone who could not grant", change: func(r *ProjectAttachRequest) { r.OrganizationUID, r.ToUID, r.CanGrant = "", "pending", false }, says: "may not attach"},
		{name: "a stale namespace made pending is attaching", change: func(r *ProjectAttachRequest) {
			r.From, r.FromUID, r.ToUID, r.CanGrant = "acme", "uid-1", "pending", false
		}, says: "may not attach"},
		{name: "who may not attach learns nothing of the organization", change: func(r *ProjectAttachRequest) { r.OrganizationUID, r.CanGrant = "", false }, says: "may not attach"},
		{name: "a home namespace", change: func(r *ProjectAttachRequest) { r.Namespace, r.HomeOf = "org-acme", "acme" }, says: "home namespace"},
		{name: "another organization's home", change: func(r *ProjectAttachRequest) { r.Namespace, r.HomeOf = "org-beta", "beta" }, says: `organization "beta"`},
		{name: "kube-system", change: func(r *ProjectAttachRequest) { r.Namespace = "kube-system" }, says: "system namespace"},
		{name: "default", change: func(r *ProjectAttachRequest) { r.Namespace = "default" }, says: "system namespace"},
		{name: "Roster's own namespace", change: func(r *ProjectAttachRequest) { r.Namespace = "roster-system" }, says: "Roster's own namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			r := base
			tt.change(&r)
			d := DecideProjectAttach(r)
			g.Expect(d.Allowed()).To(Equal(tt.allowed), d.Message)
			if !tt.allowed {
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Message).To(ContainSubstring(tt.says))
				g.Expect(d.Field).To(Equal(tt.field))
			}
		})
	}
}

func TestOrganizationUIDFor(t *testing.T) {
	tests := []struct {
		name string
		r    ProjectAttachRequest
		uid  string
	}{
		{"a new label gets the organization's UID", ProjectAttachRequest{To: "acme", OrganizationUID: "uid-2"}, "uid-2"},
		{"a moved label replaces the previous attachment's UID", ProjectAttachRequest{From: "globex", FromUID: "uid-g", To: "acme", ToUID: "uid-g", OrganizationUID: "uid-2"}, "uid-2"},
		{"removing the UID re-attaches", ProjectAttachRequest{From: "acme", FromUID: "uid-1", To: "acme", OrganizationUID: "uid-2"}, "uid-2"},
		{"a value set by hand is left for the guard", ProjectAttachRequest{To: "acme", ToUID: "forged", OrganizationUID: "uid-2"}, ""},
		{"a moved label with a value set by hand is left for the guard", ProjectAttachRequest{From: "globex", FromUID: "uid-g", To: "acme", ToUID: "forged", OrganizationUID: "uid-2"}, ""},
		{"an unchanged unannotated namespace is not attached by an unrelated write", ProjectAttachRequest{From: "acme", To: "acme", OrganizationUID: "uid-2"}, ""},
		{"an unchanged stale namespace is not re-attached by an unrelated write", ProjectAttachRequest{From: "acme", FromUID: "uid-1", To: "acme", ToUID: "uid-1", OrganizationUID: "uid-2"}, ""},
		{"no organization yet: pending", ProjectAttachRequest{To: "acme"}, "pending"},
		{"no organization yet, the UID removed: pending", ProjectAttachRequest{From: "acme", FromUID: "uid-1", To: "acme"}, "pending"},
		{"detaching records nothing", ProjectAttachRequest{From: "acme", FromUID: "uid-2", OrganizationUID: "uid-2"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			uid, ok := OrganizationUIDFor(tt.r)
			g.Expect(ok).To(Equal(tt.uid != ""))
			g.Expect(uid).To(Equal(tt.uid))
			if ok {
				// What the recorder writes passes the guard, for whoever may grant.
				r := tt.r
				r.ToUID, r.CanGrant, r.Namespace = uid, true, "web"
				g.Expect(DecideProjectAttach(r).Allowed()).To(BeTrue())
				// And a second run (reinvocation) writes nothing more.
				_, again := OrganizationUIDFor(r)
				g.Expect(again).To(BeFalse())
			}
		})
	}
}

func TestProjectStandingOf(t *testing.T) {
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "uid-2"}}
	tests := []struct {
		name string
		ns   ProjectNamespace
		want ProjectStanding
	}{
		{"attached to this organization", ProjectNamespace{Name: "web", AttachedUID: "uid-2"}, Project},
		{"attached to an earlier organization of the name", ProjectNamespace{Name: "web", AttachedUID: "uid-1"}, NotAttached},
		{"never attached through the guard", ProjectNamespace{Name: "web"}, NotAttached},
		{"the organization's home", ProjectNamespace{Name: "org-acme", AttachedUID: "uid-2"}, NotAProject},
		{"another home", ProjectNamespace{Name: "org-beta", HomeOf: "beta", AttachedUID: "uid-2"}, NotAProject},
		{"kube-public", ProjectNamespace{Name: "kube-public", AttachedUID: "uid-2"}, NotAProject},
		{"default", ProjectNamespace{Name: "default", AttachedUID: "uid-2"}, NotAProject},
		{"Roster's own", ProjectNamespace{Name: "roster-system", AttachedUID: "uid-2"}, NotAProject},
		{"terminating", ProjectNamespace{Name: "web", AttachedUID: "uid-2", Terminating: true}, NotAProject},
		{"attached before the organization existed", ProjectNamespace{Name: "web", AttachedUID: "pending"}, Claimable},
		{"a pending home", ProjectNamespace{Name: "org-acme", AttachedUID: "pending"}, NotAProject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(ProjectStandingOf(tt.ns, org, "org-acme", "roster-system")).To(Equal(tt.want))
		})
	}
	t.Run("an Organization without a UID has no projects", func(t *testing.T) {
		NewWithT(t).Expect(ProjectStandingOf(ProjectNamespace{Name: "web"}, &orgsv1alpha1.Organization{}, "org-acme", "")).To(Equal(NotAttached))
	})
}

func TestHomeStale(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "uid-2", CreationTimestamp: metav1.NewTime(created)}}
	at := func(d time.Duration) metav1.ObjectMeta {
		return metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created.Add(d))}
	}
	older := []orgsv1alpha1.Member{{ObjectMeta: at(-time.Hour), Status: orgsv1alpha1.MemberStatus{Organization: "acme"}}}
	sent := metav1.NewTime(created.Add(-time.Minute))
	// Created before the organization, in its future home, and never any
	// organization's: they waited for it (AwaitedOrganization).
	waited := []orgsv1alpha1.Member{{ObjectMeta: at(-time.Hour)}}
	waitedInvitation := []orgsv1alpha1.Invitation{{ObjectMeta: at(-time.Hour), Status: orgsv1alpha1.InvitationStatus{Phase: orgsv1alpha1.InvitationPending}}}
	newer := []orgsv1alpha1.Member{{ObjectMeta: at(time.Minute)}}
	sameSecond := []orgsv1alpha1.Member{{ObjectMeta: at(0)}}
	olderInvitation := []orgsv1alpha1.Invitation{{ObjectMeta: at(-time.Hour), Status: orgsv1alpha1.InvitationStatus{Phase: orgsv1alpha1.InvitationSent, SentAt: &sent}}}
	tests := []struct {
		name        string
		uid         string
		members     []orgsv1alpha1.Member
		invitations []orgsv1alpha1.Invitation
		stale       bool
	}{
		{"stamped with this organization's UID", "uid-2", older, olderInvitation, false},
		{"stamped by an earlier organization, still holding a Member", "uid-1", newer, nil, true},
		{"stamped by an earlier organization, still holding an Invitation", "uid-1", nil, olderInvitation, true},
		{"stamped by an earlier organization, empty: adopted", "uid-1", nil, nil, false},
		{"unstamped, holding a Member older than the organization", "", older, nil, true},
		{"unstamped, holding an Invitation older than the organization", "", newer, olderInvitation, true},
		{"unstamped, holding only newer Members: an upgrade", "", newer, nil, false},
		{"unstamped, a Member of the same second counts as the organization's", "", sameSecond, nil, false},
		{"unstamped and empty", "", nil, nil, false},
		{"unstamped, holding Members that waited for the organization", "", waited, waitedInvitation, false},
		{"stamped by an earlier organization, holding waiting Members", "uid-1", waited, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(HomeStale(org, tt.uid, tt.members, tt.invitations)).To(Equal(tt.stale))
		})
	}
	t.Run("no organization", func(t *testing.T) {
		NewWithT(t).Expect(HomeStale(nil, "uid-1", older, nil)).To(BeFalse())
	})
}

func TestExcludedFromProjects(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ExcludedFromProjects("web", false, "roster-system")).To(Equal(NotExcluded))
	g.Expect(ExcludedFromProjects("web", true, "")).To(Equal(ExcludedHome))
	g.Expect(ExcludedFromProjects("kube-node-lease", false, "")).To(Equal(ExcludedSystem))
	g.Expect(ExcludedFromProjects("default", false, "")).To(Equal(ExcludedSystem))
	g.Expect(ExcludedFromProjects("roster-system", false, "roster-system")).To(Equal(ExcludedManager))
	g.Expect(ExcludedFromProjects("roster-system", false, "")).To(Equal(NotExcluded))
}

// A home that still holds a deleted same-name organization's Members: they
// grant nothing, and removing them (the fix) is not held by the last-owner
// rule of the organization that never had them.
func TestStaleHome(t *testing.T) {
	g := NewWithT(t)
	stale := Snapshot{Organization: acme(), HomeStale: true, Members: []orgsv1alpha1.Member{alice}}
	g.Expect(MembershipAuthority(aliceAsker, stale)).To(Equal(noVerbs))
	d := DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: stale})
	g.Expect(d.Allowed()).To(BeTrue(), d.Message)
	stale.HomeStale = false
	g.Expect(MembershipAuthority(aliceAsker, stale)).To(Equal(bothVerbs))
	d = DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: stale})
	g.Expect(d.Allowed()).To(BeFalse(), "the last owner of a current home is held")
}
