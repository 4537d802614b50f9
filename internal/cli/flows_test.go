package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("kubectl roster", func() {
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	Describe("orgs", func() {
		It("lists the organizations the caller can see with their role in each", func() {
			r := run(contributor, "", "orgs")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(lineWith(r.out, o.name)).To(MatchRegexp(`^%s\s+Org %s\s+Contributor\s+5\s+0\s+%s$`, o.name, o.name, o.home))
			Expect(r.out).To(HavePrefix("NAME "))

			r = run(contributor, "", "orgs", "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var list cli.OrganizationList
			Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
			Expect(list.Kind).To(Equal("OrganizationList"))
			Expect(list.Items).To(ContainElement(SatisfyAll(
				HaveField("Name", o.name), HaveField("Role", orgsv1alpha1.RoleContributor), HaveField("Via", "user"),
				HaveField("HomeNamespace", o.home), HaveField("Members", BeEquivalentTo(5)))))
		})

		It("shows a cluster admin every organization, with no role where they are no member", func() {
			r := run(admin, "", "orgs", "-o", "yaml")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring("name: " + o.name))
			r = run(admin, "", "orgs")
			Expect(lineWith(r.out, o.name)).To(MatchRegexp(`^%s\s+Org %s\s+-\s+5\s+`, o.name, o.name))
		})

		// Members may not list Organizations (an Organization's status
		// names its owners): the plugin asks the API server which ones the
		// caller may get, and shows those alone.
		It("shows a plain member the organizations they belong to and no other", func() {
			other := newOrg()
			solo := fmt.Sprintf("solo-%s@example.com", o.name)
			o.addMember("solo", solo, orgsv1alpha1.RoleViewer)
			o.waitReady(len(testenv.Team) + 1)
			o.waitRole(solo, orgsv1alpha1.RoleViewer)

			r := run(solo, "", "orgs", "-o", "wide")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			lines := strings.Split(strings.TrimSpace(r.out), "\n")
			Expect(lines).To(HaveLen(2), "the header and the one organization")
			Expect(lines[1]).To(MatchRegexp(`^%s\s+Org %s\s+Viewer\s+6\s+0\s+%s\s+1\s+user\s+True$`, o.name, o.name, o.home))
			Expect(r.out).NotTo(ContainSubstring(other.name))

			r = run(solo, "", "orgs", "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var list cli.OrganizationList
			Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
			Expect(list.Items).To(ConsistOf(SatisfyAll(HaveField("Name", o.name), HaveField("Role", orgsv1alpha1.RoleViewer))))

			// The same through a group, and for whoami.
			group := "team-" + other.name
			other.addGroupMember("team", group, orgsv1alpha1.RoleContributor)
			other.waitReady(len(testenv.Team) + 1)
			asGroupMember := []string{"--as", "gina-" + other.name + "@example.com", "--as-group", group, "--as-group", "system:authenticated"}
			Eventually(func(g Gomega) {
				r = run(admin, "", append([]string{"orgs", "-o", "json"}, asGroupMember...)...)
				g.Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
				list = cli.OrganizationList{}
				g.Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
				g.Expect(list.Items).To(ConsistOf(SatisfyAll(HaveField("Name", other.name), HaveField("Via", "group "+group))))
			}).Should(Succeed())
			r = run(admin, "", append([]string{"whoami"}, asGroupMember...)...)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring(other.name + ": Contributor (via group " + group + ")"))
			Expect(r.out).NotTo(ContainSubstring(o.name + ":"))
		})

		It("tells someone who belongs to no organization so, exit 0", func() {
			r := run(outsider, "", "orgs")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(strings.TrimSpace(r.out)).To(HavePrefix("NAME "))
			Expect(strings.Split(strings.TrimSpace(r.out), "\n")).To(HaveLen(1))
			Expect(r.err).To(ContainSubstring("You belong to no organization."))
		})
	})

	Describe("users", func() {
		It("shows members and pending invitations in one table", func() {
			Expect(run(owner, "", "invite", "zoe@example.com=Viewer", "--org", o.name).code).To(Equal(cli.ExitOK))

			r := run(viewer, "", "users", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			lines := strings.Split(strings.TrimSpace(r.out), "\n")
			Expect(lines).To(HaveLen(7))
			Expect(lines[0]).To(MatchRegexp(`^NAME OR E-MAIL\s+ROLE\s+STATUS\s+INVITED BY\s+SINCE$`))
			Expect(lines[1]).To(MatchRegexp(`^alice@example.com\s+Owner\s+member\s+-\s+\d+s$`))
			Expect(lines[2]).To(MatchRegexp(`^bob@example.com\s+Admin\s+member\s+-\s+`))
			Expect(lines[5]).To(MatchRegexp(`^erin@example.com\s+ViewerNoSecrets\s+member\s+`))
			Expect(lines[6]).To(MatchRegexp(`^zoe@example.com\s+Viewer\s+pending\s+alice@example.com\s+\d+s$`))

			r = run(viewer, "", "users", "--org", o.name, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var list cli.UserList
			Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
			Expect(list.Organization).To(Equal(o.name))
			Expect(list.Items).To(HaveLen(6))
			Expect(list.Items[0]).To(SatisfyAll(HaveField("Kind", "Member"), HaveField("Name", owner),
				HaveField("Role", orgsv1alpha1.RoleOwner), HaveField("Status", cli.StatusMember), HaveField("Object", "alice")))
			Expect(list.Items[5]).To(SatisfyAll(HaveField("Kind", "Invitation"), HaveField("Name", "zoe@example.com"),
				HaveField("Status", cli.StatusPending), HaveField("InvitedBy", owner), HaveField("Object", "zoe-at-example-com")))
			Expect(list.Items[5].Since).To(BeTemporally("~", time.Now(), time.Minute))
		})

		It("is refused to someone who is not a member", func() {
			r := run(outsider, "", "users", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring("Error from server (Forbidden)"))
		})

		It("says when the organization does not exist, exit 4", func() {
			r := run(admin, "", "users", "--org", "no-such-org")
			Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
			Expect(r.err).To(ContainSubstring(`Error from server (NotFound): organizations.orgs.roster.dev "no-such-org" not found`))
			Expect(r.err).To(ContainSubstring("hint: `kubectl roster orgs` lists"))

			// A member may get only their own organizations: whether
			// another exists is not theirs to know, RBAC says Forbidden.
			r = run(owner, "", "users", "--org", "no-such-org")
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring(`Error from server (Forbidden): organizations.orgs.roster.dev "no-such-org" is forbidden`))
			Expect(r.err).To(ContainSubstring("hint: you may read only the organizations you belong to; `kubectl roster orgs` lists them"))
		})
	})

	Describe("invite", func() {
		It("invites several people at once, each with their own role", func() {
			r := run(admin2, "", "invite", "frank@example.com=Viewer, Grace@Example.com=contributor", "henry@example.com", "--role", "Admin", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(MatchRegexp(`(?m)^invited\s+frank@example.com\s+Viewer\s+invitation/frank-at-example-com$`))
			Expect(r.out).To(MatchRegexp(`(?m)^invited\s+Grace@Example.com\s+Contributor\s+invitation/grace-at-example-com$`))
			Expect(r.out).To(MatchRegexp(`(?m)^invited\s+henry@example.com\s+Admin\s+invitation/henry-at-example-com$`))
			Expect(r.out).To(ContainSubstring("3 of 3 invited to "+o.name+"; Roster logged each invitee's link in its terminal (in a cluster, its log)."),
				"the suite's Roster uses the log notifier, and the plugin learns it from status.notifier")

			for email, role := range map[string]orgsv1alpha1.Role{
				"frank@example.com": orgsv1alpha1.RoleViewer, "Grace@Example.com": orgsv1alpha1.RoleContributor, "henry@example.com": orgsv1alpha1.RoleAdmin,
			} {
				inv, err := o.invitation(email)
				Expect(err).NotTo(HaveOccurred())
				Expect(inv.Spec.Email).To(Equal(email))
				Expect(inv.Spec.Role).To(Equal(role))
				Expect(inv.Annotations).To(HaveKeyWithValue(orgsv1alpha1.InvitedByAnnotation, admin2))
			}
		})

		It("reports a refusal beside its address, creates the others, and exits 5", func() {
			r := run(admin2, "", "invite", "ivan@example.com=Viewer,judy@example.com=Owner,carol@example.com=Viewer,kate@example.com=Admin", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitPartial), "%s", r)
			Expect(r.out).To(MatchRegexp(`(?m)^failed\s+judy@example.com\s+Owner\s+Error from server \(Forbidden\): admission webhook "vinvitation.roster.dev" denied the request: .*user "bob@example.com" may not invite judy@example.com with role Owner`))
			Expect(r.out).To(MatchRegexp(`(?m)^failed\s+carol@example.com\s+Viewer\s+error: carol@example.com is already a member of organization "%s" with role Contributor; change their role with "kubectl roster set-role"`, o.name))
			Expect(r.out).To(MatchRegexp(`(?m)^invited\s+ivan@example.com\s+Viewer\s+invitation/ivan-at-example-com$`))
			Expect(r.out).To(MatchRegexp(`(?m)^invited\s+kate@example.com\s+Admin\s+`))
			Expect(r.out).To(ContainSubstring("2 of 4 invited to %s, 2 failed.", o.name))

			emails := []string{}
			for _, inv := range o.invitations() {
				emails = append(emails, inv.Spec.Email)
			}
			Expect(emails).To(ConsistOf("ivan@example.com", "kate@example.com"))

			r = run(admin2, "", "invite", "judy@example.com=Owner", "--org", o.name, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitRefused), "a single address exits with its own code\n%s", r)
			var report cli.InviteReport
			Expect(json.Unmarshal([]byte(r.out), &report)).To(Succeed())
			Expect(report.Failed).To(Equal(1))
			Expect(report.Results[0]).To(SatisfyAll(HaveField("Result", cli.ResultFailed), HaveField("ExitCode", cli.ExitRefused),
				HaveField("Error", ContainSubstring(`admission webhook "vinvitation.roster.dev" denied the request`)),
				// Told from RBAC's by its status cause: no RBAC hint.
				HaveField("Hint", BeEmpty())))
		})

		It("refuses bad addresses and roles before sending anything, exit 2", func() {
			r := run(owner, "", "invite", "lena@example.com,not-an-address,Mo <mo@example.com>,nina@example.com=Superuser,lena@example.com=Admin", "--role", "Viewer", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
			Expect(r.err).To(ContainSubstring(`"not-an-address": not an e-mail address`))
			Expect(r.err).To(ContainSubstring(`"Mo <mo@example.com>": not an e-mail address`))
			Expect(r.err).To(ContainSubstring(`nina@example.com: unknown role "Superuser"`))
			Expect(r.err).To(ContainSubstring("lena@example.com: listed more than once (nothing was sent)"))
			Expect(o.invitations()).To(BeEmpty())

			r = run(owner, "", "invite", "lena@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
			Expect(r.err).To(ContainSubstring("lena@example.com: no role: write lena@example.com=ROLE or pass --role"))
		})

		It("shows what would be sent with --dry-run and creates nothing", func() {
			r := run(owner, "", "invite", "olga@example.com=Owner,pete@example.com", "--role", "viewer", "--dry-run", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(MatchRegexp(`(?m)^would send\s+olga@example.com\s+Owner\s+invitation/olga-at-example-com from alice@example.com$`))
			Expect(r.out).To(MatchRegexp(`(?m)^would send\s+pete@example.com\s+Viewer\s+invitation/pete-at-example-com from alice@example.com$`))
			Expect(r.out).To(ContainSubstring("Dry run: 2 of 2 would be invited to %s, 0 refused; nothing was created or sent.", o.name))
			Expect(o.invitations()).To(BeEmpty())

			r = run(admin2, "", "invite", "olga@example.com=Owner", "--dry-run", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "the server's admission decides a dry run too\n%s", r)
			Expect(r.out).To(ContainSubstring(`admission webhook "vinvitation.roster.dev" denied the request`))
		})

		It("is refused by RBAC to a Contributor, with the plugin's hint", func() {
			r := run(contributor, "", "invite", "quinn@example.com=Viewer", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.out).To(ContainSubstring(`Error from server (Forbidden): invitations.orgs.roster.dev is forbidden: User "carol@example.com" cannot create resource "invitations"`))
			Expect(r.out).To(ContainSubstring("hint: only Owners and Admins of organization %s may invite", o.name))
		})
	})

	Describe("resend and revoke", func() {
		BeforeEach(func() {
			Expect(run(owner, "", "invite", "rita@example.com=Viewer,sam@example.com=Admin", "--org", o.name).code).To(Equal(cli.ExitOK))
		})

		It("resend sets the resend annotation to now", func() {
			before := time.Now().UTC()
			// A case variant is another identity: not found, and the hint names the real one.
			r := run(admin2, "", "resend", "RITA@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
			Expect(r.err).To(ContainSubstring("hint: did you mean rita@example.com? Names are compared exactly"))

			r = run(admin2, "", "resend", "rita@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring("Resend requested for rita@example.com (Viewer, invitation/rita-at-example-com)"))
			inv, err := o.invitation("rita@example.com")
			Expect(err).NotTo(HaveOccurred())
			at, err := time.Parse(time.RFC3339Nano, inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation])
			Expect(err).NotTo(HaveOccurred())
			Expect(at).To(BeTemporally(">=", before))
			Expect(at).To(BeTemporally("<", time.Now().Add(time.Second)))

			r = run(admin2, "", "resend", "sam@example.com", "--org", o.name, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var ch cli.Change
			Expect(json.Unmarshal([]byte(r.out), &ch)).To(Succeed())
			Expect(ch).To(SatisfyAll(HaveField("Action", "resend"), HaveField("Result", "resend-requested"), HaveField("Object", "invitation/sam-at-example-com")))
			inv, err = o.invitation("sam@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(inv.Annotations).To(HaveKeyWithValue(orgsv1alpha1.ResendRequestedAtAnnotation, ch.RequestedAt))
		})

		It("a repeat invitation says resend for the same role, revoke for another", func() {
			r := run(admin2, "", "invite", "rita@example.com=Viewer", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.out + r.err).To(ContainSubstring("`kubectl roster resend rita@example.com` sends it again"))

			r = run(admin2, "", "invite", "rita@example.com=Admin", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.out + r.err).To(ContainSubstring("is for the role Viewer, not Admin: `kubectl roster revoke rita@example.com`, then invite again with Admin"))
			Expect(r.out + r.err).NotTo(ContainSubstring("kubectl roster resend"))
		})

		It("revoke deletes the invitation", func() {
			r := run(admin2, "", "revoke", "rita@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring("Revoked the Viewer invitation for rita@example.com to %s (invitation/rita-at-example-com)", o.name))
			Eventually(func() error { _, err := o.invitation("rita@example.com"); return err }).Should(Satisfy(apierrors.IsNotFound))
			_, err := o.invitation("sam@example.com")
			Expect(err).NotTo(HaveOccurred())

			r = run(admin2, "", "revoke", "rita@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
			Expect(r.err).To(ContainSubstring("error: no invitation for rita@example.com in organization " + o.name))
		})

		It("a Viewer may neither resend nor revoke", func() {
			r := run(viewer, "", "revoke", "sam@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring(`cannot delete resource "invitations"`))
			Expect(r.err).To(ContainSubstring("hint: only Owners and Admins of organization " + o.name))
			_, err := o.invitation("sam@example.com")
			Expect(err).NotTo(HaveOccurred())
		})
	})

	Describe("set-role", func() {
		It("changes a member's role", func() {
			r := run(admin2, "", "set-role", "carol@example.com", "viewer", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(Equal(fmt.Sprintf("Changed the role of carol@example.com in %s from Contributor to Viewer.\n", o.name)))
			m, err := o.member("carol")
			Expect(err).NotTo(HaveOccurred())
			Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleViewer))

			r = run(admin2, "", "set-role", "carol", "Viewer", "--org", o.name, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var ch cli.Change
			Expect(json.Unmarshal([]byte(r.out), &ch)).To(Succeed())
			Expect(ch).To(SatisfyAll(HaveField("Result", "unchanged"), HaveField("Object", "member/carol")))
		})

		It("shows the webhook's refusal verbatim and changes nothing", func() {
			r := run(admin2, "", "set-role", "alice@example.com", "Viewer", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.out).To(BeEmpty())
			Expect(r.err).To(HavePrefix(`Error from server (Forbidden): admission webhook "vmember.roster.dev" denied the request: members.orgs.roster.dev "alice" is forbidden: user "bob@example.com" may not change the role of user alice@example.com from Owner to Viewer in organization "%s": only owners`, o.name))
			m, err := o.member("alice")
			Expect(err).NotTo(HaveOccurred())
			Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleOwner))

			r = run(owner, "", "set-role", "alice@example.com", "Admin", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring(`user "alice@example.com" is the last owner of organization "%s"; assign the Owner role to another user first`, o.name))
		})

		It("refuses an unknown role or user before anything is sent", func() {
			r := run(owner, "", "set-role", "carol@example.com", "Superuser", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
			Expect(r.err).To(ContainSubstring(`unknown role "Superuser": use one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets`))

			Expect(run(owner, "", "invite", "tom@example.com=Viewer", "--org", o.name).code).To(Equal(cli.ExitOK))
			r = run(owner, "", "set-role", "tom@example.com", "Admin", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitNotFound), "%s", r)
			Expect(r.err).To(ContainSubstring("hint: tom@example.com has not accepted their invitation (Viewer) yet"))
		})
	})

	Describe("remove", func() {
		It("removes a member with --yes", func() {
			r := run(owner, "", "remove", "dave@example.com", "--yes", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(Equal(fmt.Sprintf("Removed dave@example.com (Viewer) from %s.\n", o.name)))
			Eventually(func() error { _, err := o.member("dave"); return err }).Should(Satisfy(apierrors.IsNotFound))
		})

		It("asks first, and an answer of n changes nothing (exit 6)", func() {
			r := run(owner, "n\n", "remove", "erin@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitCancelled), "%s", r)
			Expect(r.err).To(ContainSubstring(fmt.Sprintf("Remove erin@example.com (ViewerNoSecrets) from organization %s? [y/N]: n\n", o.name)))
			Expect(r.err).To(ContainSubstring("error: cancelled; nothing changed"))
			Consistently(func() error { _, err := o.member("erin"); return err }, "500ms").Should(Succeed())

			r = run(owner, "", "remove", "erin@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitCancelled), "no answer is no\n%s", r)

			r = run(owner, "yes\n", "remove", "erin@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Eventually(func() error { _, err := o.member("erin"); return err }).Should(Satisfy(apierrors.IsNotFound))
		})

		It("an Admin may not remove an Owner", func() {
			r := run(admin2, "", "remove", "alice@example.com", "-y", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring(`admission webhook "vmember.roster.dev" denied the request`))

			// Without --yes, refused before the question is asked.
			r = run(admin2, "y\n", "remove", "alice@example.com", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).NotTo(ContainSubstring("Remove alice@example.com"))
			Expect(r.err).To(ContainSubstring(`admission webhook "vmember.roster.dev" denied the request`))
			_, err := o.member("alice")
			Expect(err).NotTo(HaveOccurred())
		})
	})

	Describe("leave", func() {
		It("deletes the caller's own Member", func() {
			r := run(admin2, "", "leave", "--yes", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(Equal(fmt.Sprintf("bob@example.com left %s.\n", o.name)))
			Eventually(func() error { _, err := o.member("bob"); return err }).Should(Satisfy(apierrors.IsNotFound))
		})

		It("is refused to a Contributor and to the last owner", func() {
			r := run(contributor, "", "leave", "--yes", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).To(ContainSubstring("hint: only Owners and Admins may leave an organization"))

			// Refused before the question: nobody answers y for nothing.
			r = run(contributor, "y\n", "leave", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).NotTo(ContainSubstring("Leave organization"))
			Expect(r.err).To(ContainSubstring("hint: only Owners and Admins may leave an organization"))

			r = run(owner, "y\n", "leave", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.err).NotTo(ContainSubstring("Leave organization"))
			Expect(r.err).To(ContainSubstring(`is the last owner of organization "%s"; assign the Owner role to another user first`, o.name))
			_, err := o.member("alice")
			Expect(err).NotTo(HaveOccurred())
		})
	})

	Describe("whoami", func() {
		It("shows the caller as the API server sees them, and their role", func() {
			r := run(contributor, "", "whoami")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(MatchRegexp(`(?m)^Username\s+carol@example.com$`))
			Expect(r.out).To(MatchRegexp(`(?m)^Groups\s+\[system:authenticated\]$`))
			Expect(r.out).To(MatchRegexp(`(?m)^Organization\s+%s: Contributor$`, o.name))

			r = run(admin, "", "whoami", "--as", viewer, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var w cli.WhoAmI
			Expect(json.Unmarshal([]byte(r.out), &w)).To(Succeed())
			Expect(w.User.Username).To(Equal(viewer))
			Expect(w.Organizations).To(ContainElement(SatisfyAll(HaveField("Name", o.name), HaveField("Role", orgsv1alpha1.RoleViewer))))
		})
	})

	Describe("can-i", func() {
		It("answers for the caller from SubjectAccessReviews", func() {
			r := run(viewer, "", "can-i", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(lineWith(r.out, "view-users")).To(MatchRegexp(`^view-users\s+yes\s+`))
			Expect(lineWith(r.out, "invite ")).To(MatchRegexp(`^invite\s+no\s+`))
			Expect(lineWith(r.out, "leave")).To(MatchRegexp(`^leave\s+no\s+`))

			r = run(viewer, "", "can-i", "invite", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitRefused), "%s", r)
			Expect(r.out).To(Equal("no\n"))
			r = run(viewer, "", "can-i", "view-users", "--org", o.name)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(Equal("yes\n"))
		})

		It("answers for --as, and -o json parses back", func() {
			r := run(admin, "", "can-i", "--as", admin2, "--org", o.name, "-o", "json")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			var report cli.AccessReport
			Expect(json.Unmarshal([]byte(r.out), &report)).To(Succeed())
			Expect(report.User).To(Equal(admin2))
			allowed := map[string]bool{}
			for _, a := range report.Actions {
				allowed[a.Action] = a.Allowed
			}
			Expect(allowed).To(Equal(map[string]bool{
				"view-users": true, "invite": true, "invite-owners": false, "manage-users": true,
				"manage-owners": false, "leave": true, "manage-organization": false,
			}))

			r = run(owner, "", "can-i", "--org", o.name, "-o", "wide")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(lineWith(r.out, "manage-organization")).To(ContainSubstring("manage-owners organizations/%s=yes", o.name))
		})
	})

	Describe("choosing the organization", func() {
		It("uses the only organization the caller belongs to", func() {
			solo := fmt.Sprintf("solo-%s@example.com", o.name)
			o.addMember("solo", solo, orgsv1alpha1.RoleAdmin)
			o.waitReady(len(testenv.Team) + 1)
			o.waitRole(solo, orgsv1alpha1.RoleAdmin)
			r := run(solo, "", "users")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring(solo))
			r = run(solo, "", "invite", "uma@example.com=Viewer")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			_, err := o.invitation("uma@example.com")
			Expect(err).NotTo(HaveOccurred())
		})

		It("uses the organization whose home namespace is -n or the context's namespace", func() {
			r := run(owner, "", "users", "-n", o.home)
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring("erin@example.com"))

			r = runIn(owner, o.home, "", "invite", "vic@example.com=Viewer")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			_, err := o.invitation("vic@example.com")
			Expect(err).NotTo(HaveOccurred())
		})

		It("asks for --org when the caller belongs to several, exit 2", func() {
			newOrg()
			r := run(owner, "", "users")
			Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
			Expect(r.err).To(MatchRegexp(`error: you belong to \d+ organizations \(.*%s.*\); pass --org NAME\n`, o.name))
			Expect(r.err).NotTo(ContainSubstring("no organization"), "the message says it once")

			r = run(owner, "", "users", "-n", "default")
			Expect(r.code).To(Equal(cli.ExitUsage), "%s", r)
			Expect(r.err).To(ContainSubstring(`namespace "default" is not the home namespace of any organization you can see` + "\n"))
		})
	})

	Describe("completion", func() {
		It("completes organizations, e-mails, users and roles from the cluster", func() {
			Expect(run(owner, "", "invite", "wendy@example.com=Viewer", "--org", o.name).code).To(Equal(cli.ExitOK))

			r := run(owner, "", "__complete", "resend", "--org", o.name, "")
			Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
			Expect(r.out).To(ContainSubstring("wendy@example.com\tViewer pending"))

			r = run(owner, "", "__complete", "set-role", "--org", o.name, "")
			Expect(r.out).To(ContainSubstring("carol@example.com\tContributor"))
			r = run(owner, "", "__complete", "set-role", "--org", o.name, "carol@example.com", "")
			Expect(r.out).To(ContainSubstring("ViewerNoSecrets"))

			r = run(owner, "", "__complete", "users", "--org", "")
			Expect(r.out).To(ContainSubstring(o.name + "\tOrg " + o.name))

			r = run(owner, "", "__complete", "invite", "xena@example.com=Vi")
			Expect(r.out).To(ContainSubstring("xena@example.com=Viewer\n"))
		})
	})

	It("rejects an unknown output format, command or flag with exit 2", func() {
		for _, args := range [][]string{{"users", "-o", "toml"}, {"frobnicate"}, {"users", "--frob"}, {"set-role", "carol@example.com"}} {
			r := run(owner, "", args...)
			Expect(r.code).To(Equal(cli.ExitUsage), "%v\n%s", args, r)
			Expect(r.err).To(HavePrefix("error: "))
		}
	})
})

// lineWith is the first line of out containing s.
func lineWith(out, s string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
