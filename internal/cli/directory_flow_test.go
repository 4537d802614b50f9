package cli_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/cli"
)

// The product's whole user-directory flow with kubectl roster alone, end
// to end: the Invitation controller delivers real links (the log
// notifier's, captured by the suite), and the invitees answer them through
// the accept server's JSON API with no kubeconfig at all.
var _ = Describe("the user directory, end to end", func() {
	It("invites, resends, revokes, accepts, declines, changes a role, removes and leaves", func() {
		o := newOrg()
		const frank, grace, henry, ivy = "frank@example.com", "grace@example.com", "henry@example.com", "ivy@example.com"

		By("inviting several people with different roles")
		r := run(owner, "", "invite", frank+"=Viewer,"+grace+"=Contributor,"+henry+"=Admin,"+ivy+"=Viewer", "--org", o.name, "--wait", "30s")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		for _, email := range []string{frank, grace, henry, ivy} {
			Expect(r.out).To(MatchRegexp(`(?m)^sent\s+%s; the link works until \d{4}-`, email))
			Expect(links.of(o.name, email)).To(HaveLen(1), "--wait returned once the link for %s was delivered", email)
		}

		By("seeing them pending")
		r = run(viewer, "", "users", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(lineWith(r.out, frank)).To(MatchRegexp(`^frank@example.com\s+Viewer\s+pending\s+alice@example.com\s+`))
		Expect(lineWith(r.out, henry)).To(MatchRegexp(`^henry@example.com\s+Admin\s+pending\s+alice@example.com\s+`))

		By("resending one: a new link, and the old one no longer works")
		first := links.of(o.name, grace)[0]
		r = run(admin2, "", "resend", grace, "--org", o.name, "--wait=30s", "-o", "json")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		var ch cli.Change
		Expect(json.Unmarshal([]byte(r.out), &ch)).To(Succeed())
		Expect(ch.Delivery).To(Equal(cli.DeliverySent))
		Expect(links.of(o.name, grace)).To(HaveLen(2))
		second := links.of(o.name, grace)[1]
		Expect(second).NotTo(Equal(first))
		r = run(grace, "", "accept", first)
		Expect(r.code).To(Equal(cli.ExitLinkUnusable), "%s", r)
		Expect(r.err).To(ContainSubstring("A newer invitation e-mail was sent"))

		By("revoking one: its link no longer works")
		r = run(admin2, "", "revoke", henry, "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Eventually(func() int { return run(henry, "", "accept", links.of(o.name, henry)[0]).code }).Should(Equal(cli.ExitLinkUnusable))

		By("accepting one, with the link from the e-mail and no kubeconfig")
		r = runNoKubeconfig("accept", links.of(o.name, frank)[0])
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Expect(r.out).To(ContainSubstring("You joined Org %s with the role Viewer.", o.name))
		Eventually(func() error { _, err := o.member(invitation.MemberName(frank, 0)); return err }).Should(Succeed())
		Eventually(func() error { _, err := o.invitation(frank); return err }).Should(Satisfy(apierrors.IsNotFound))
		r = runNoKubeconfig("accept", links.of(o.name, frank)[0])
		Expect(r.code).To(Equal(cli.ExitLinkUnusable), "a link works once\n%s", r)

		By("declining one, with the bare token and --server-url")
		token := tokenOf(second)
		r = runNoKubeconfig("decline", token, "--server-url", inviteBase, "-o", "json")
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		var answer cli.Answer
		Expect(json.Unmarshal([]byte(r.out), &answer)).To(Succeed())
		Expect(answer.Outcome).To(Equal(invitation.OutcomeDeclined))
		Eventually(func() string { return lineWith(run(viewer, "", "users", "--org", o.name).out, grace) }).Should(MatchRegexp(`^grace@example.com\s+Contributor\s+declined\s+`))

		By("the new member appears in the users list; the invitation is gone")
		Eventually(func() string { return lineWith(run(viewer, "", "users", "--org", o.name).out, frank) }).Should(MatchRegexp(`^frank@example.com\s+Viewer\s+member\s+-\s+`))
		// Once Roster has bound the new member's RBAC, they see their organization.
		Eventually(func() string { return run(frank, "", "whoami").out }).Should(MatchRegexp(`(?m)^Organization\s+%s: Viewer$`, o.name))

		By("changing a role")
		r = run(admin2, "", "set-role", frank, "Contributor", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Eventually(func() orgsv1alpha1.Role {
			m, _ := o.member(invitation.MemberName(frank, 0))
			return m.Status.EffectiveRole
		}).Should(Equal(orgsv1alpha1.RoleContributor))

		By("removing a user")
		r = run(owner, "y\n", "remove", frank, "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Eventually(func() error { _, err := o.member(invitation.MemberName(frank, 0)); return err }).Should(Satisfy(apierrors.IsNotFound))

		By("leaving")
		r = run(admin2, "", "leave", "--yes", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitOK), "%s", r)
		Eventually(func() error { _, err := o.member("bob"); return err }).Should(Satisfy(apierrors.IsNotFound))
		r = run(viewer, "", "users", "--org", o.name, "-o", "json")
		var list cli.UserList
		Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
		var names []string
		for _, e := range list.Items {
			names = append(names, e.Name+" "+e.Status)
		}
		Expect(names).To(ConsistOf(owner+" member", contributor+" member", viewer+" member", viewerNoSecrets+" member",
			ivy+" pending", grace+" declined"))
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: cli.InvitationName(ivy, 0)}, &orgsv1alpha1.Invitation{})).To(Succeed())
	})
})

// runNoKubeconfig runs kubectl roster with a kubeconfig that does not
// exist: accept and decline need none.
func runNoKubeconfig(args ...string) result {
	GinkgoHelper()
	return runWith("/nonexistent/kubeconfig", "", args...)
}

func tokenOf(link string) string {
	_, token, ok := strings.Cut(link, "token=")
	Expect(ok).To(BeTrue(), link)
	return token
}
