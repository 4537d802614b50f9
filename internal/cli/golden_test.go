package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clocktesting "k8s.io/utils/clock/testing"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Golden tests of what the table formats print. `go test ./internal/cli/
// -run Golden -update` rewrites testdata/*.golden; review the diff.

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// goldenNow is the clock of every golden test.
var goldenNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(goldenNow.Add(-d)) }

func timePtr(t metav1.Time) *metav1.Time { return &t }

func condition(typ string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message}
}

func goldenMember(name, user string, role, effective orgsv1alpha1.Role, created time.Duration, conds ...metav1.Condition) orgsv1alpha1.Member {
	return orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "org-acme", CreationTimestamp: ago(created)},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
		Status:     orgsv1alpha1.MemberStatus{EffectiveRole: effective, Conditions: conds},
	}
}

func goldenInvitation(email string, role orgsv1alpha1.Role, phase orgsv1alpha1.InvitationPhase, invitedBy string, sent, expires time.Duration, conds ...metav1.Condition) orgsv1alpha1.Invitation {
	inv := orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Name: InvitationName(email, 0), Namespace: "org-acme", CreationTimestamp: ago(sent + time.Minute)},
		Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: role},
		Status:     orgsv1alpha1.InvitationStatus{Phase: phase, InvitedBy: invitedBy, Conditions: conds},
	}
	if phase != "" {
		inv.Status.SentAt = timePtr(ago(sent))
		inv.Status.ExpiresAt = timePtr(ago(sent - expires))
	}
	return inv
}

// goldenDirectory has every status the users table shows.
func goldenDirectory() *directory {
	acme := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: orgsv1alpha1.OrganizationSpec{DisplayName: "Acme Corporation"}}
	ready := condition(orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, "")
	removing := goldenMember("zed", "zed@example.com", orgsv1alpha1.RoleViewer, orgsv1alpha1.RoleViewer, 48*time.Hour, ready)
	removing.DeletionTimestamp = timePtr(ago(time.Second))
	group := goldenMember("auditors", "", orgsv1alpha1.RoleViewer, orgsv1alpha1.RoleViewer, 24*time.Hour, ready)
	group.Spec.Group = "auditors"
	kate := goldenInvitation("kate@example.com", orgsv1alpha1.RoleAdmin, "", "", 10*time.Second, 0)
	kate.Annotations = map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com"}
	return &directory{
		org: acme,
		members: []orgsv1alpha1.Member{
			goldenMember("carol", "carol@example.com", orgsv1alpha1.RoleContributor, orgsv1alpha1.RoleContributor, 20*24*time.Hour, ready),
			goldenMember("alice", "alice@example.com", orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleOwner, 90*24*time.Hour, ready),
			goldenMember("olivia", "olivia@example.com", orgsv1alpha1.RoleAdmin, orgsv1alpha1.RoleOwner, 60*24*time.Hour,
				condition(orgsv1alpha1.RoleAppliedCondition, metav1.ConditionFalse, orgsv1alpha1.LastOwnerReason,
					`user "olivia@example.com" is the last owner of organization "acme"; assign the Owner role to another user first`)),
			goldenMember("bob", "bob@example.com", orgsv1alpha1.RoleAdmin, orgsv1alpha1.RoleAdmin, 30*24*time.Hour, ready),
			goldenMember("carol-2", "CAROL@example.com", orgsv1alpha1.RoleViewer, "", 2*time.Hour,
				condition(orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.DuplicateReason, "carol@example.com is a member already (Member carol)")),
			group,
			removing,
		},
		invitations: []orgsv1alpha1.Invitation{
			goldenInvitation("frank@example.com", orgsv1alpha1.RoleViewer, orgsv1alpha1.InvitationSent, "bob@example.com", 2*time.Hour, 7*24*time.Hour),
			goldenInvitation("grace.hopper+roster@example.com", orgsv1alpha1.RoleContributor, orgsv1alpha1.InvitationExpired, "alice@example.com", 9*24*time.Hour, 7*24*time.Hour),
			goldenInvitation("henry@example.com", orgsv1alpha1.RoleAdmin, orgsv1alpha1.InvitationSent, "alice@example.com", 8*24*time.Hour, 7*24*time.Hour),
			goldenInvitation("ivan@example.com", orgsv1alpha1.RoleViewer, orgsv1alpha1.InvitationDeclined, "bob@example.com", 3*24*time.Hour, 7*24*time.Hour),
			goldenInvitation("judy@example.com", orgsv1alpha1.RoleOwner, orgsv1alpha1.InvitationFailed, "bob@example.com", 5*time.Minute, 7*24*time.Hour,
				condition(orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.InviterLostAuthorityReason, "bob@example.com may no longer grant the role Owner")),
			kate,
		},
	}
}

func goldenMemberships() []membership {
	d := goldenDirectory()
	globex := orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "globex"},
		Spec:   orgsv1alpha1.OrganizationSpec{HomeNamespace: "globex-users"},
		Status: orgsv1alpha1.OrganizationStatus{HomeNamespace: "globex-users", Members: 12, Owners: 2, PendingInvitations: 0}}
	initech := orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "initech"},
		Spec:   orgsv1alpha1.OrganizationSpec{DisplayName: "Initech"},
		Status: orgsv1alpha1.OrganizationStatus{Members: 3, Owners: 1, PendingInvitations: 1}}
	acme := *d.org
	acme.Status = orgsv1alpha1.OrganizationStatus{Members: 7, Owners: 1, PendingInvitations: 4,
		Conditions: []metav1.Condition{condition(orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, "")}}
	return []membership{
		{Org: initech, Visible: false},
		{Org: acme, Role: orgsv1alpha1.RoleAdmin, EffectiveRole: orgsv1alpha1.RoleOwner, Via: "user", Member: "olivia", Visible: true},
		{Org: globex, Role: orgsv1alpha1.RoleViewer, EffectiveRole: orgsv1alpha1.RoleViewer, Via: "group auditors", Member: "auditors", Visible: true},
	}
}

func goldenAccess() AccessReport {
	r := AccessReport{Kind: "AccessReport", Organization: "acme", User: "bob@example.com"}
	for _, a := range actions {
		row := ActionAccess{Action: a.key, Description: a.description, Allowed: true}
		for _, chk := range a.checks("acme", "org-acme") {
			// bob is an Admin: everything but manage-owners and writing the
			// Organization.
			ownerOnly := chk.Verb == orgsv1alpha1.VerbManageOwners || chk.Resource == "organizations" && (chk.Verb == "update" || chk.Verb == "delete")
			chk.Allowed = !ownerOnly
			row.Checks = append(row.Checks, chk)
			row.Allowed = row.Allowed && chk.Allowed
		}
		r.Actions = append(r.Actions, row)
	}
	return r
}

func goldenInviteReport(dryRun bool) InviteReport {
	r := InviteReport{Kind: "InviteReport", Organization: "acme", DryRun: dryRun}
	results := ResultInvited
	if dryRun {
		results = ResultWouldInvite
	}
	r.Results = []InviteResult{
		{Email: "frank@example.com", Role: orgsv1alpha1.RoleViewer, Result: results, Invitation: "frank-at-example-com", InvitedBy: "bob@example.com"},
		{Email: "judy@example.com", Role: orgsv1alpha1.RoleOwner, Result: ResultFailed, ExitCode: ExitRefused,
			Error: `Error from server (Forbidden): admission webhook "vinvitation.roster.dev" denied the request: invitations.orgs.roster.dev "judy-at-example-com" is forbidden: user "bob@example.com" may not invite judy@example.com with role Owner in organization "acme": only owners (holders of manage-owners on organizations/acme) may create, invite, promote to, demote from or remove an Owner; ask an Owner of the organization to do it`},
		{Email: "Grace.Hopper@example.com", Role: orgsv1alpha1.RoleContributor, Result: results, Invitation: "grace-hopper-at-example-com", InvitedBy: "bob@example.com"},
		{Email: "quinn@example.com", Role: orgsv1alpha1.RoleViewer, Result: ResultFailed, ExitCode: ExitRefused,
			Error: `Error from server (Forbidden): invitations.orgs.roster.dev is forbidden: User "carol@example.com" cannot create resource "invitations" in API group "orgs.roster.dev" in the namespace "org-acme"`,
			Hint:  "only Owners and Admins of organization acme may invite; `kubectl roster can-i --org acme` shows what you may do"},
	}
	for _, res := range r.Results {
		if res.Result == ResultFailed {
			r.Failed++
		} else {
			r.Succeeded++
		}
	}
	return r
}

// goldenOptions prints into a buffer, as in a pipe.
func goldenOptions(output string) (*Options, *bytes.Buffer) {
	var out bytes.Buffer
	o := &Options{IOStreams: genericiooptions.IOStreams{Out: &out, ErrOut: &out}, Output: output, Clock: clocktesting.NewFakePassiveClock(goldenNow)}
	return o, &out
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		run  func(o *Options) error
		// output is -o; colour and width emulate a terminal.
		output string
		colour bool
		width  int
	}{
		{name: "users", output: outputTable, run: func(o *Options) error { return o.print(userList(goldenDirectory(), goldenNow)) }},
		{name: "users-wide", output: outputWide, run: func(o *Options) error { return o.print(userList(goldenDirectory(), goldenNow)) }},
		{name: "users-narrow-terminal", output: outputTable, colour: true, width: 72, run: func(o *Options) error { return o.print(userList(goldenDirectory(), goldenNow)) }},
		{name: "users-json", output: outputJSON, run: func(o *Options) error { return o.print(userList(goldenDirectory(), goldenNow)) }},
		{name: "orgs", output: outputTable, run: func(o *Options) error { return o.print(organizationList(goldenMemberships())) }},
		{name: "orgs-wide", output: outputWide, run: func(o *Options) error { return o.print(organizationList(goldenMemberships())) }},
		{name: "whoami", output: outputTable, run: func(o *Options) error {
			w := WhoAmI{Kind: "WhoAmI", User: identity{Username: "olivia@example.com", UID: "4f1c", Groups: []string{"auditors", "system:authenticated"},
				Extra: map[string][]string{"authentication.kubernetes.io/credential-id": {"X509SHA256=ab12"}}}}
			for _, info := range organizationList(goldenMemberships()).Items {
				if info.Role != "" {
					w.Organizations = append(w.Organizations, info)
				}
			}
			return o.print(w)
		}},
		{name: "can-i", output: outputTable, run: func(o *Options) error { return o.print(goldenAccess()) }},
		{name: "can-i-wide", output: outputWide, run: func(o *Options) error { return o.print(goldenAccess()) }},
		{name: "invite", output: outputTable, run: func(o *Options) error { return printInviteReport(o, goldenInviteReport(false)) }},
		{name: "invite-dry-run", output: outputTable, run: func(o *Options) error { return printInviteReport(o, goldenInviteReport(true)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			o, out := goldenOptions(tc.output)
			o.colour, o.width = tc.colour, tc.width
			g.Expect(tc.run(o)).To(Succeed())
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				g.Expect(os.WriteFile(path, out.Bytes(), 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "run with -update to create %s", path)
			g.Expect(out.String()).To(Equal(string(want)), "%s differs; run `go test ./internal/cli/ -run TestGolden -update` and review the diff", path)
		})
	}
}

// printInviteReport prints a finished report the way invite prints it as
// it goes.
func printInviteReport(o *Options, r InviteReport) error {
	invitees := make([]invitee, len(r.Results))
	for i, res := range r.Results {
		invitees[i] = invitee{Email: res.Email, Role: res.Role}
	}
	lines := newInviteLines(o, invitees, r.DryRun)
	for _, res := range r.Results {
		lines.print(res)
	}
	o.say(r.summary())
	return nil
}
