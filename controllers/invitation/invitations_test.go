package invitation_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/notify/notifytest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	invite "github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/notify"
)

var _ = Describe("Invitations", func() {
	It("delivers a link by e-mail; accepting it makes a Ready Member with the role's RBAC and removes the Invitation; the link then works no more", func() {
		f := newOrg(nil)
		project := uniqueName("web-")
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: project, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: f.name},
		}})).To(Succeed())
		erin := "Erin." + f.name + "@example.com"
		inviteAs(alice, f, "erin", erin, orgsv1alpha1.RoleContributor)

		By("receiving the e-mail over STARTTLS with the credentials from the notifier Secret")
		m := waitMails(erin, 1)[0]
		Expect(m.TLS).To(BeTrue())
		Expect(m.AuthUser).To(Equal(smtpUser))
		Expect(m.Subject).To(Equal("Invitation to join Team " + f.name + " as Contributor"))
		Expect(m.Text).To(ContainSubstring(alice + " invited you (" + erin + ")"))
		link := m.Link()
		Expect(link).NotTo(BeEmpty(), m.Text)
		Expect(m.HTML).To(ContainSubstring(link))
		token := tokenOf(link)
		Expect(invite.WellFormed(token)).To(BeTrue())

		By("recording the delivery in the status, with only the token's hash")
		inv := waitInvitation(f, "erin", hasPhase(orgsv1alpha1.InvitationSent))
		st := inv.Status
		Expect(st.InvitedBy).To(Equal(alice))
		Expect(st.SendCount).To(BeEquivalentTo(1))
		Expect(st.Notifier).To(Equal(notify.NotifierSMTP))
		Expect(st.TokenHash).To(Equal(invite.HashToken(token)))
		Expect(st.SentAt).NotTo(BeNil())
		Expect(st.ExpiresAt.Sub(st.SentAt.Time)).To(BeNumerically("~", 168*time.Hour, 5*time.Second))
		Expect(st.ObservedGeneration).To(Equal(inv.Generation))
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionTrue), "a sent invitation waiting for its invitee is current")
		Expect(ready.Reason).To(Equal(orgsv1alpha1.SentReason))
		Expect(condition(inv, orgsv1alpha1.DeliveredCondition).Status).To(Equal(metav1.ConditionTrue))
		Eventually(func() []string { return eventReasons(f, "erin") }).Should(ContainElement(orgsv1alpha1.SentReason))
		Eventually(func(g Gomega) {
			org := &orgsv1alpha1.Organization{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: f.name}, org)).To(Succeed())
			g.Expect(org.Status.PendingInvitations).To(BeEquivalentTo(1))
		}).Should(Succeed())

		By("showing the invitation on the accept page")
		code, page := getPage(link)
		Expect(code).To(Equal(http.StatusOK))
		Expect(page).To(ContainSubstring("Join Team " + f.name))
		Expect(page).To(ContainSubstring(`id="role">Contributor<`))
		Expect(page).To(ContainSubstring(`id="invited-by">` + alice + `<`))
		Expect(page).To(ContainSubstring(`value="accept"`))
		Expect(page).To(ContainSubstring(`value="decline"`))
		Expect(invitation(f, "erin")(Default).Status.Phase).To(Equal(orgsv1alpha1.InvitationSent), "a GET changes nothing")

		By("accepting")
		code, page = postPage(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusOK), page)
		Expect(page).To(ContainSubstring(`data-outcome="accepted"`))
		Expect(page).To(ContainSubstring("You joined Team " + f.name + " with the role Contributor"))

		By("creating the Member, labelled with its Invitation, Ready with the role applied")
		Eventually(func(g Gomega) {
			members := membersFrom(f, "erin")
			g.Expect(members).To(HaveLen(1))
			mbr := members[0]
			g.Expect(mbr.Name).To(Equal(invite.MemberName(erin, 0)))
			g.Expect(mbr.Spec.User).To(Equal(erin))
			g.Expect(mbr.Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
			g.Expect(mbr.Annotations).To(HaveKeyWithValue(orgsv1alpha1.AcceptedTokenAnnotation, invite.HashToken(token)))
			g.Expect(mbr.Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleContributor))
			g.Expect(meta.IsStatusConditionTrue(mbr.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue())
		}).Should(Succeed())
		invitationGone(f, "erin")
		Eventually(func() []string { return eventReasons(f, "erin") }).Should(ContainElement(orgsv1alpha1.AcceptedReason))

		By("applying the role as RBAC: a Contributor edits the project and reads the members")
		Eventually(func() bool { return can(erin, "create", "apps", "deployments", project, "") }).Should(BeTrue())
		Expect(can(erin, "get", "", "secrets", project, "")).To(BeTrue())
		Expect(can(erin, "list", orgsv1alpha1.GroupVersion.Group, "members", f.home, "")).To(BeTrue())
		Expect(can(erin, orgsv1alpha1.VerbManageMembers, orgsv1alpha1.GroupVersion.Group, "organizations", "", f.name)).To(BeFalse())

		By("refusing the used link, and changing nothing")
		code, page = getPage(link)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring("already been used"))
		code, page = postPage(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring(`data-outcome="used"`))
		code, resp := postAPI(link, invite.DecisionDecline)
		Expect(code).To(Equal(http.StatusGone))
		Expect(resp.Outcome).To(Equal(invite.OutcomeUsed))
		Consistently(func() int { return len(membersFor(f, erin)) }, time.Second).Should(Equal(1))

		By("counting the delivery and the phases")
		n, ok := metricValue("roster_invitation_deliveries_total", map[string]string{"notifier": "smtp", "result": "success"})
		Expect(ok).To(BeTrue())
		Expect(n).To(BeNumerically(">=", 1))
		_, ok = metricValue("roster_invitations", map[string]string{"phase": "Sent"})
		Expect(ok).To(BeTrue())
		n, _ = metricValue("roster_invitation_accept_requests_total", map[string]string{"outcome": "accepted"})
		Expect(n).To(BeNumerically(">=", 1))

		expectSecret(f, token)
	})

	It("declines through the JSON API: the Invitation is Declined, nobody joins, and the link says so afterwards", func() {
		f := newOrg(nil)
		dan := "dan." + f.name + "@example.com"
		inviteAs(bob, f, "dan", dan, orgsv1alpha1.RoleViewer)
		link := waitMails(dan, 1)[0].Link()

		code, resp := postAPI(link, "")
		Expect(code).To(Equal(http.StatusOK))
		Expect(resp.Outcome).To(Equal(invite.OutcomeValid))
		Expect(resp.Organization).To(Equal(f.name))
		Expect(resp.Role).To(Equal("Viewer"))
		Expect(resp.InvitedBy).To(Equal(bob))
		Expect(resp.Email).To(Equal(dan))

		code, resp = postAPI(link, invite.DecisionDecline)
		Expect(code).To(Equal(http.StatusOK))
		Expect(resp.Outcome).To(Equal(invite.OutcomeDeclined))

		inv := waitInvitation(f, "dan", hasPhase(orgsv1alpha1.InvitationDeclined))
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		Expect(ready.Reason).To(Equal(orgsv1alpha1.DeclinedReason))
		Eventually(func() []string { return eventReasons(f, "dan") }).Should(ContainElement(orgsv1alpha1.DeclinedReason))

		code, resp = postAPI(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusGone))
		Expect(resp.Outcome).To(Equal(invite.OutcomeAlreadyDeclined))
		code, page := getPage(link)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring("was declined"))
		Expect(membersFor(f, dan)).To(BeEmpty())
		Expect(invitation(f, "dan")(Default).Status.Phase).To(Equal(orgsv1alpha1.InvitationDeclined))
		expectSecret(f, tokenOf(link))
	})

	It("resends on request with a fresh token and expiry: the old link is refused, the new one works", func() {
		f := newOrg(nil)
		gus := "gus." + f.name + "@example.com"
		inviteAs(alice, f, "gus", gus, orgsv1alpha1.RoleViewer)
		first := waitMails(gus, 1)[0].Link()
		before := waitInvitation(f, "gus", hasPhase(orgsv1alpha1.InvitationSent))

		By("setting the resend annotation as an admin")
		bobClient, err := env.User(bob)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() error {
			inv := invitation(f, "gus")(Default)
			patch := client.MergeFrom(inv.DeepCopy())
			inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = time.Now().UTC().Format(time.RFC3339Nano)
			return bobClient.Patch(ctx, inv, patch)
		}).Should(Succeed())
		second := waitMails(gus, 2)[1].Link()
		Expect(second).NotTo(Equal(first))
		after := waitInvitation(f, "gus", func(g Gomega, inv *orgsv1alpha1.Invitation) {
			g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationSent))
			g.Expect(inv.Status.SendCount).To(BeEquivalentTo(2))
		})
		Expect(after.Status.TokenHash).To(Equal(invite.HashToken(tokenOf(second))))
		Expect(after.Status.PreviousTokenHashes).To(ConsistOf(before.Status.TokenHash))
		// A fresh expiry (status times have a resolution of one second).
		Expect(after.Status.ExpiresAt.Time).To(BeTemporally(">=", before.Status.ExpiresAt.Time))
		Expect(after.Status.SentAt.Time).To(BeTemporally(">=", before.Status.SentAt.Time))
		Expect(after.Status.LastResendRequest).To(Equal(after.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]))

		By("refusing the old link")
		code, page := getPage(first)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring("This link was replaced"))
		code, page = postPage(first, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring(`data-outcome="replaced"`))
		Expect(membersFor(f, gus)).To(BeEmpty())

		By("accepting with the new one")
		code, page = postPage(second, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusOK), page)
		Eventually(func() []orgsv1alpha1.Member { return membersFrom(f, "gus") }).Should(HaveLen(1))
		invitationGone(f, "gus")
		expectSecret(f, tokenOf(first), tokenOf(second))
	})

	It("revokes by deleting the Invitation: its link stops working at once", func() {
		f := newOrg(nil)
		hal := "hal." + f.name + "@example.com"
		inviteAs(alice, f, "hal", hal, orgsv1alpha1.RoleAdmin)
		link := waitMails(hal, 1)[0].Link()
		waitInvitation(f, "hal", hasPhase(orgsv1alpha1.InvitationSent))

		aliceClient, err := env.User(alice)
		Expect(err).NotTo(HaveOccurred())
		Expect(aliceClient.Delete(ctx, invitation(f, "hal")(Default))).To(Succeed())

		// Refused at once. Until this replica's informer has delivered the
		// deletion the page may say "unknown" (404) rather than "revoked"
		// (410); either way nothing is created.
		code, page := postPage(link, invite.DecisionAccept)
		Expect(code).To(BeElementOf(http.StatusGone, http.StatusNotFound), page)
		Eventually(func() string { _, p := getPage(link); return p }).Should(ContainSubstring("This invitation was revoked"))
		code, resp := postAPI(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusGone))
		Expect(resp.Outcome).To(Equal(invite.OutcomeRevoked))
		Expect(membersFor(f, hal)).To(BeEmpty())
	})

	It("refuses wrong tokens and changes nothing", func() {
		f := newOrg(nil)
		ivy := "ivy." + f.name + "@example.com"
		inviteAs(alice, f, "ivy", ivy, orgsv1alpha1.RoleViewer)
		link := waitMails(ivy, 1)[0].Link()
		before := waitInvitation(f, "ivy", hasPhase(orgsv1alpha1.InvitationSent))
		token := tokenOf(link)

		random, _, err := invite.NewToken()
		Expect(err).NotTo(HaveOccurred())
		last := token[len(token)-1:]
		swap := "A"
		if last == "A" {
			swap = "B"
		}
		for _, wrong := range []string{random, token[:len(token)-1] + swap, "abc", strings.ToUpper(token), ""} {
			code, page := postPage(withToken(link, wrong), invite.DecisionAccept)
			Expect(code).To(BeElementOf(http.StatusNotFound, http.StatusBadRequest), "token %q", wrong)
			Expect(page).NotTo(ContainSubstring(`data-outcome="accepted"`))
		}
		code, page := getPage(withToken(link, random))
		Expect(code).To(Equal(http.StatusNotFound))
		Expect(page).To(ContainSubstring("Unknown invitation link"))
		code, resp := postAPI(withToken(link, random), invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusNotFound))
		Expect(resp.Outcome).To(Equal(invite.OutcomeUnknown))

		after := invitation(f, "ivy")(Default)
		Expect(after.Status).To(Equal(before.Status))
		Expect(membersFor(f, ivy)).To(BeEmpty())
		code, _ = getPage(link)
		Expect(code).To(Equal(http.StatusOK), "the right link still works")
	})

	It("retries a failed delivery with backoff, saying why, until it succeeds", func() {
		f := newOrg(nil)
		jo := "jo." + f.name + "@example.com"
		smtpSrv.RefuseNext(jo, 2)
		inviteAs(alice, f, "jo", jo, orgsv1alpha1.RoleViewer)

		By("reporting the failure in Delivered and Ready")
		waitInvitation(f, "jo", func(g Gomega, inv *orgsv1alpha1.Invitation) {
			g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationPending))
			delivered := condition(inv, orgsv1alpha1.DeliveredCondition)
			g.Expect(delivered.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(delivered.Reason).To(Equal(orgsv1alpha1.DeliveryFailedReason))
			g.Expect(delivered.Message).To(ContainSubstring("451"))
			g.Expect(delivered.Message).To(ContainSubstring("retries in"))
			ready := condition(inv, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(orgsv1alpha1.DeliveryFailedReason))
		})
		Eventually(func() []string { return eventReasons(f, "jo") }).Should(ContainElement(orgsv1alpha1.DeliveryFailedReason))

		By("delivering once the server takes it")
		inv := waitInvitation(f, "jo", hasPhase(orgsv1alpha1.InvitationSent))
		Expect(inv.Status.SendCount).To(BeEquivalentTo(1))
		Expect(condition(inv, orgsv1alpha1.DeliveredCondition).Status).To(Equal(metav1.ConditionTrue))
		Expect(smtpSrv.Refused(jo)).To(Equal(2))
		link := waitMails(jo, 1)[0].Link()
		Expect(inv.Status.TokenHash).To(Equal(invite.HashToken(tokenOf(link))))
		failures, _ := metricValue("roster_invitation_deliveries_total", map[string]string{"notifier": "smtp", "result": "failure"})
		Expect(failures).To(BeNumerically(">=", 2))

		code, page := postPage(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusOK), page)
		Eventually(func() []orgsv1alpha1.Member { return membersFrom(f, "jo") }).Should(HaveLen(1))
	})

	It("fails with InviterLostAuthority when the inviter may no longer grant the role, and tells the invitee to ask again", func() {
		f := newOrg(nil)
		kim := "kim." + f.name + "@example.com"
		inviteAs(bob, f, "kim", kim, orgsv1alpha1.RoleContributor)
		link := waitMails(kim, 1)[0].Link()
		waitInvitation(f, "kim", hasPhase(orgsv1alpha1.InvitationSent))

		By("demoting the inviter from Admin to Viewer")
		aliceClient, err := env.User(alice)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() error {
			m := &orgsv1alpha1.Member{}
			if err := aliceClient.Get(ctx, client.ObjectKey{Namespace: f.home, Name: "bob"}, m); err != nil {
				return err
			}
			patch := client.MergeFrom(m.DeepCopy())
			m.Spec.Role = orgsv1alpha1.RoleViewer
			return aliceClient.Patch(ctx, m, patch)
		}).Should(Succeed())
		Eventually(func() bool {
			return can(bob, orgsv1alpha1.VerbManageMembers, orgsv1alpha1.GroupVersion.Group, "organizations", "", f.name)
		}).Should(BeFalse())

		code, page := postPage(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusForbidden), page)
		Expect(page).To(ContainSubstring("can no longer be accepted"))
		Expect(page).To(ContainSubstring("Ask an Admin or Owner of the organization for a new invitation"))

		inv := waitInvitation(f, "kim", hasPhase(orgsv1alpha1.InvitationFailed))
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		Expect(ready.Reason).To(Equal(orgsv1alpha1.InviterLostAuthorityReason))
		Expect(ready.Message).To(ContainSubstring(bob + ", who invited " + kim + ", may no longer grant the role Contributor"))
		Eventually(func() []string { return eventReasons(f, "kim") }).Should(ContainElement(orgsv1alpha1.InviterLostAuthorityReason))
		Expect(membersFor(f, kim)).To(BeEmpty())

		code, resp := postAPI(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusForbidden))
		Expect(resp.Outcome).To(Equal(invite.OutcomeInviterLostAuthority))
		Expect(membersFor(f, kim)).To(BeEmpty())
	})

	It("resolves an invitation for someone who became a Member some other way (AlreadyMember), sending nothing", func() {
		f := newOrg(nil)
		lee := "lee." + f.name + "@example.com"
		// The mail server refuses everything for lee, so no link can reach
		// them before they become a Member by other means (a GitOps repo).
		smtpSrv.RefuseNext(lee, 1000)
		inviteAs(alice, f, "lee", lee, orgsv1alpha1.RoleContributor)
		waitInvitation(f, "lee", func(g Gomega, inv *orgsv1alpha1.Invitation) {
			g.Expect(condition(inv, orgsv1alpha1.DeliveredCondition).Reason).To(Equal(orgsv1alpha1.DeliveryFailedReason))
		})
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "lee"},
			Spec:       orgsv1alpha1.MemberSpec{User: lee, Role: orgsv1alpha1.RoleViewer},
		})).To(Succeed())

		inv := waitInvitation(f, "lee", hasPhase(orgsv1alpha1.InvitationAccepted))
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		Expect(ready.Reason).To(Equal(orgsv1alpha1.AlreadyMemberReason))
		Expect(ready.Message).To(ContainSubstring("Member lee"))
		delivered := condition(inv, orgsv1alpha1.DeliveredCondition)
		Expect(delivered.Status).To(Equal(metav1.ConditionFalse))
		Expect(delivered.Reason).To(Equal(orgsv1alpha1.AlreadyMemberReason))
		Expect(inv.Status.AcceptedAt).To(BeNil())
		Expect(inv.Status.SendCount).To(BeZero())
		Eventually(func() []string { return eventReasons(f, "lee") }).Should(ContainElement(orgsv1alpha1.AlreadyMemberReason))

		By("not looping: a resend sends nothing, even once the mail server would take it")
		smtpSrv.RefuseNext(lee, 0)
		refused := smtpSrv.Refused(lee)
		Eventually(func() error {
			i := invitation(f, "lee")(Default)
			patch := client.MergeFrom(i.DeepCopy())
			i.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "again"
			return env.Admin.Patch(ctx, i, patch)
		}).Should(Succeed())
		Consistently(func() []notifytest.Mail { return smtpSrv.MailsTo(lee) }, 3*time.Second).Should(BeEmpty())
		Expect(smtpSrv.Refused(lee)).To(Equal(refused), "no delivery was even attempted")
		Expect(invitation(f, "lee")(Default).Status.Phase).To(Equal(orgsv1alpha1.InvitationAccepted))
		Expect(membersFor(f, lee)).To(HaveLen(1))
	})

	It("admits an Owner's invitation for an existing member (a GitOps repository re-applying an accepted one) and resolves it without sending; it stays answered when the Member goes", func() {
		f := newOrg(nil)
		max := "max." + f.name + "@example.com"
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "max"},
			Spec:       orgsv1alpha1.MemberSpec{User: max, Role: orgsv1alpha1.RoleViewer},
		})).To(Succeed())
		Eventually(func() error { return env.RoleInEffect(ctx, max, f.name, f.home, orgsv1alpha1.RoleViewer) }).Should(Succeed())

		By("refusing a plain Admin, who is told to change the role instead")
		bobClient, err := env.User(bob)
		Expect(err).NotTo(HaveOccurred())
		err = bobClient.Create(ctx, &orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "max-by-bob"},
			Spec:       orgsv1alpha1.InvitationSpec{Email: max, Role: orgsv1alpha1.RoleViewer},
		})
		Expect(err).To(MatchError(ContainSubstring(max + ` is already a member of organization "` + f.name + `" with role Viewer; change their role with "kubectl roster set-role"`)))

		By("admitting the Owner's, with a warning that it sends nothing")
		inviteAs(alice, f, "max", max, orgsv1alpha1.RoleContributor)
		inv := waitInvitation(f, "max", hasPhase(orgsv1alpha1.InvitationAccepted))
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		Expect(ready.Reason).To(Equal(orgsv1alpha1.AlreadyMemberReason))
		Expect(ready.Message).To(ContainSubstring("Member max, role Viewer"))
		Expect(condition(inv, orgsv1alpha1.DeliveredCondition).Reason).To(Equal(orgsv1alpha1.AlreadyMemberReason))
		Expect(inv.Status.SendCount).To(BeZero())
		Expect(inv.Status.TokenHash).To(BeEmpty(), "no link was made")

		By("sending nothing, and leaving the Member's role alone, even after the Member is removed")
		Expect(env.Admin.Delete(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "max"}})).To(Succeed())
		Eventually(func() []orgsv1alpha1.Member { return membersFor(f, max) }).Should(BeEmpty())
		Consistently(func(g Gomega) {
			g.Expect(smtpSrv.MailsTo(max)).To(BeEmpty())
			g.Expect(invitation(f, "max")(g).Status.Phase).To(Equal(orgsv1alpha1.InvitationAccepted))
		}, 3*time.Second).Should(Succeed())
		Expect(membersFor(f, max)).To(BeEmpty(), "an answered Invitation makes no Member")
	})

	It("reconciles an invitation when a Member's or the Organization's spec changes, not when only their metadata or status does", func() {
		f := newOrg(nil)
		ivy := "ivy." + f.name + "@example.com"
		inviteAs(alice, f, "ivy", ivy, orgsv1alpha1.RoleViewer)
		waitInvitation(f, "ivy", hasPhase(orgsv1alpha1.InvitationSent))
		steps := invitationSteps(f, "ivy")
		Eventually(func() int { n := steps(); time.Sleep(time.Second); return steps() - n }).Should(BeZero(), "ivy's invitation settles")
		settled := steps()

		for i := range 5 {
			touch := fmt.Sprintf(`{"metadata":{"annotations":{"test.roster.dev/touch":"%d"}}}`, i)
			Expect(env.Admin.Patch(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: f.name}},
				client.RawPatch(types.MergePatchType, []byte(touch)))).To(Succeed())
			Expect(env.Admin.Patch(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "bob"}},
				client.RawPatch(types.MergePatchType, []byte(touch)))).To(Succeed())
		}
		// The organization controller writes bob's status meanwhile, too.
		Consistently(steps, 3*time.Second).Should(Equal(settled), "metadata and status changes reconciled the invitation")

		// A spec change does: the invitation reads the Organization's spec.
		Expect(env.Admin.Patch(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: f.name}},
			client.RawPatch(types.MergePatchType, []byte(`{"spec":{"displayName":"Renamed"}}`)))).To(Succeed())
		Eventually(steps).Should(BeNumerically(">", settled))
	})

	It("does not reconcile an invitation when its invitee's Member or the Organization changes only its status", func() {
		f := newOrg(nil)
		ivy := "ivy." + f.name + "@example.com"
		inviteAs(alice, f, "ivy", ivy, orgsv1alpha1.RoleViewer)
		waitInvitation(f, "ivy", hasPhase(orgsv1alpha1.InvitationSent))
		// ivy becomes a Member some other way: her Member matches the
		// Invitation, which stays (AlreadyMember), so every event of that
		// Member would reach it without the watch's predicate.
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "ivy"},
			Spec:       orgsv1alpha1.MemberSpec{User: ivy, Role: orgsv1alpha1.RoleViewer},
		})).To(Succeed())
		waitInvitation(f, "ivy", hasPhase(orgsv1alpha1.InvitationAccepted))
		steps := invitationSteps(f, "ivy")
		Eventually(func() int { n := steps(); time.Sleep(time.Second); return steps() - n }).Should(BeZero(), "ivy's invitation settles")
		settled := steps()

		touch := func(obj client.Object, conditions *[]metav1.Condition, i int) {
			GinkgoHelper()
			Eventually(func() error {
				if err := env.Admin.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
					return err
				}
				patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
				meta.SetStatusCondition(conditions, metav1.Condition{
					Type: "test.roster.dev/Touched", Status: metav1.ConditionTrue, Reason: "Touched", Message: fmt.Sprint(i),
				})
				return env.Admin.Status().Patch(ctx, obj, patch)
			}).Should(Succeed())
		}
		member := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "ivy"}}
		org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: f.name}}
		for i := range 5 {
			touch(member, &member.Status.Conditions, i)
			touch(org, &org.Status.Conditions, i)
		}
		Consistently(steps, 3*time.Second).Should(Equal(settled), "a status patch reconciled the invitation")
	})

	It("expires an unanswered invitation at expiresAt (a short TTL), refuses its link, and a resend revives it", func() {
		f, email := expiryOrg, expiryEmail
		link := waitMails(email, 1)[0].Link()
		sent := waitInvitation(f, "max", hasPhase(orgsv1alpha1.InvitationSent))
		Expect(sent.Status.ExpiresAt.Sub(sent.Status.SentAt.Time)).To(BeNumerically("~", time.Minute, 2*time.Second))

		By("becoming Expired at expiresAt, without polling")
		inv := waitInvitation(f, "max", hasPhase(orgsv1alpha1.InvitationExpired), 2*time.Minute)
		ready := condition(inv, orgsv1alpha1.ReadyCondition)
		Expect(ready.Status).To(Equal(metav1.ConditionFalse))
		Expect(ready.Reason).To(Equal(orgsv1alpha1.ExpiredReason))
		Expect(ready.Message).To(ContainSubstring(orgsv1alpha1.ResendRequestedAtAnnotation))
		// Condition times have a resolution of one second.
		Expect(ready.LastTransitionTime.Time).To(BeTemporally(">=", inv.Status.ExpiresAt.Add(-time.Second)))
		Expect(ready.LastTransitionTime.Time).To(BeTemporally("<", inv.Status.ExpiresAt.Add(5*time.Second)))
		Eventually(func() []string { return eventReasons(f, "max") }).Should(ContainElement(orgsv1alpha1.ExpiredReason))

		By("refusing the expired link")
		code, page := postPage(link, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring("This invitation has expired"))
		Expect(membersFor(f, email)).To(BeEmpty())

		By("reviving it with a resend")
		Eventually(func() error {
			i := invitation(f, "max")(Default)
			patch := client.MergeFrom(i.DeepCopy())
			i.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "revive"
			return env.Admin.Patch(ctx, i, patch)
		}).Should(Succeed())
		fresh := waitMails(email, 2)[1].Link()
		waitInvitation(f, "max", hasPhase(orgsv1alpha1.InvitationSent))
		code, page = getPage(link)
		Expect(code).To(Equal(http.StatusGone))
		Expect(page).To(ContainSubstring("replaced"))
		code, page = postPage(fresh, invite.DecisionAccept)
		Expect(code).To(Equal(http.StatusOK), page)
		Eventually(func() []orgsv1alpha1.Member { return membersFrom(f, "max") }).Should(HaveLen(1))
		invitationGone(f, "max")
	})
})

// The expiry test's invitation is created when the suite starts, so its
// one-minute TTL (the shortest spec.invitationTTL allows) runs while the
// other tests do.
var (
	expiryOrg   orgFixture
	expiryEmail string
)

func startExpiryClock() {
	GinkgoHelper()
	expiryOrg = newOrg(&metav1.Duration{Duration: time.Minute})
	expiryEmail = "max." + expiryOrg.name + "@example.com"
	inviteAs(alice, expiryOrg, "max", expiryEmail, orgsv1alpha1.RoleViewer)
}
