package ui_test

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// invitee is the selector of the Set User Roles row of email.
func invitee(email string) string { return `#invitee-rows tr[data-email="` + email + `"]` }

var _ = Describe("+ Create Users and the invitations", func() {
	It("invites a list as an Admin: malformed addresses marked first, a refused one on its row while the others go, acceptance shown live", func() {
		org := newOrg()
		ana, ben := "ana."+org.Name+"@example.com", "ben."+org.Name+"@example.com"
		p := openUI(admin2, org.Name)
		Eventually(p.rows).Should(HaveLen(5))

		p.do(chromedp.Click(chromedp.CSS("#create-users")), chromedp.WaitVisible(chromedp.CSS("#invite-emails")),
			chromedp.SendKeys(chromedp.CSS("#invite-emails"), ana+", not-an-address, "+ben+", "+contrib),
			chromedp.Click(chromedp.CSS("#invite-next")), chromedp.WaitVisible(chromedp.CSS("#invite-step2")))
		Expect(eval[[]string](p, `[...document.querySelectorAll('#invitee-rows tr')].map(r => r.dataset.email)`)).
			To(Equal([]string{ana, "not-an-address", ben, contrib}))
		Expect(eval[string](p, `document.querySelector('`+invitee("not-an-address")+`').className`)).To(Equal("invalid"))
		Expect(p.text(invitee("not-an-address") + " .result")).NotTo(BeEmpty())
		Expect(eval[bool](p, `document.getElementById('invite-send').disabled`)).To(BeTrue(), "nothing is sent while an address is malformed")
		Expect(p.options("#invite-default-role")).NotTo(ContainElement("Owner"), "an Admin may not invite Owners")
		p.screenshot("ui-set-user-roles")

		p.do(chromedp.Click(chromedp.CSS(`button[aria-label="Remove not-an-address"]`)), chromedp.WaitNotPresent(chromedp.CSS(invitee("not-an-address"))))
		p.selectOption("#invite-default-role", "Contributor")
		p.selectOption(invitee(ben)+" select", "Viewer")
		p.do(chromedp.Click(chromedp.CSS("#invite-send")), chromedp.WaitVisible(chromedp.CSS("#invite-summary")))
		Expect(p.text("#invite-summary")).To(Equal("2 invitations sent; 1 refused: see each row."))
		Expect(p.text(invitee(contrib)+" .result")).To(HavePrefix(contrib+" is already a member of organization"), "Roster's own words, without kubectl's wrapper")
		Expect(p.text(invitee(ana) + " .result")).To(Equal("Invited"))
		Expect(p.text(invitee(ben) + " .result")).To(Equal("Invited"))
		p.screenshot("ui-invite-partly-refused")
		roles := map[string]orgsv1alpha1.Role{}
		for _, inv := range invitations(org) {
			roles[inv.Spec.Email] = inv.Spec.Role
		}
		Expect(roles).To(Equal(map[string]orgsv1alpha1.Role{ana: orgsv1alpha1.RoleContributor, ben: orgsv1alpha1.RoleViewer}))

		p.do(chromedp.Click(chromedp.CSS("#invite-back")), chromedp.WaitVisible(chromedp.CSS("#users-view")))
		Eventually(p.rows).Should(ContainElements(ana, ben))
		Expect(p.text(row(ana) + " .status")).To(Equal("Pending"))
		Eventually(func() string { return p.text(row(ana) + " .detail") }).Should(MatchRegexp(`^Sent · expires in \d+ days$`))
		Expect(p.text(row(ana)+" td:nth-child(4)")).To(Equal(admin2), "invited by")

		// ana accepts in her own browser; the page, untouched, shows her joining.
		var link string
		Eventually(func() string { link = delivered.link(ana); return link }).ShouldNot(BeEmpty())
		tab, cancel := chromedp.NewContext(browser)
		defer cancel()
		tab, cancelTimeout := context.WithTimeout(tab, time.Minute)
		defer cancelTimeout()
		Expect(chromedp.Do(tab, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#accept")),
			chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#result")))).To(Succeed())
		Eventually(func() string { return p.text(row(ana) + " .status") }).Should(Equal("Member"))
		Expect(p.text(row(ana) + " .role")).To(Equal("Contributor"))
		var members orgsv1alpha1.MemberList
		Expect(env.Admin.List(ctx, &members, client.InNamespace(org.Home))).To(Succeed())
		users := map[string]orgsv1alpha1.Role{}
		for _, m := range members.Items {
			users[m.Spec.User] = m.Spec.Role
		}
		Expect(users).To(HaveKeyWithValue(ana, orgsv1alpha1.RoleContributor))
		p.screenshot("ui-users-live")
	})

	It("resends and deletes an invitation from its menu as the Owner", func() {
		org := newOrg()
		zoe := "zoe." + org.Name + "@example.com"
		Expect(env.As(owner).Create(ctx, testenv.NewInvitation(org.Home, "zoe", zoe, orgsv1alpha1.RoleViewer))).To(Succeed())
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(ContainElement(zoe))
		Eventually(func() string { return p.text(row(zoe) + " .detail") }).Should(HavePrefix("Sent"))
		Eventually(func() string { return delivered.link(zoe) }).ShouldNot(BeEmpty())
		first := delivered.link(zoe)
		Expect(p.actions(zoe)).To(Equal([]string{"Resend", "Delete"}))
		p.do(chromedp.Click(chromedp.CSS(row(zoe) + ` .menu-btn`)))
		p.screenshot("ui-invitation-menu")
		p.do(chromedp.Click(chromedp.CSS(row(zoe) + ` [data-action="resend"]`)))
		Eventually(func() string { return p.text("#notice") }).Should(ContainSubstring("Invitation resent with a new link. (" + zoe + ")"))
		Eventually(func() string { return delivered.link(zoe) }).ShouldNot(Equal(first), "a new link went out")

		p.choose(zoe, "delete")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-title")).To(Equal("Delete invitation"))
		p.do(chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		Eventually(func() error {
			return env.Admin.Get(ctx, client.ObjectKey{Namespace: org.Home, Name: "zoe"}, &orgsv1alpha1.Invitation{})
		}).Should(Satisfy(apierrors.IsNotFound))
		Eventually(p.rows).ShouldNot(ContainElement(zoe))
	})
})
