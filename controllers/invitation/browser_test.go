package invitation_test

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("The accept page in a browser", func() {
	It("shows the invitation in headless Chromium; clicking Accept shows the confirmation and makes a Member", func() {
		path := testenv.RequireChromium()
		f := newOrg(nil)
		nia := "nia." + f.name + "@example.com"
		inviteAs(alice, f, "nia", nia, orgsv1alpha1.RoleViewer)
		link := waitMails(nia, 1)[0].Link()

		allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(GinkgoT().TempDir()),
		)
		defer cancelAlloc()
		browser, cancelBrowser := chromedp.NewContext(allocCtx)
		defer cancelBrowser()
		browser, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
		defer cancelTimeout()

		Expect(chromedp.Do(browser,
			chromedp.Navigate(link),
			chromedp.WaitVisible(chromedp.CSS("#accept")),
		)).To(Succeed())
		text := func(sel string) string {
			GinkgoHelper()
			s, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS(sel)))
			Expect(err).NotTo(HaveOccurred())
			return s
		}
		Expect(text("#organization")).To(Equal("Team " + f.name))
		Expect(text("#role")).To(Equal("Viewer"))
		Expect(text("#invited-by")).To(Equal(alice))

		// The form posts to a URL without the token, which proxies and
		// ingresses would log: the token goes in the body.
		action, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.CSS("form"), "action"))
		Expect(err).NotTo(HaveOccurred())
		Expect(action.Exists).To(BeTrue(), "the form has no action: it posts back to the link, token and all")
		Expect(action.Value).NotTo(ContainSubstring("token"))
		Expect(action.Value).NotTo(ContainSubstring("?"))
		token, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.CSS(`input[name="token"]`), "value"))
		Expect(err).NotTo(HaveOccurred())
		Expect(token.Value).To(Equal(tokenOf(link)))

		Expect(chromedp.Do(browser,
			chromedp.Click(chromedp.CSS("#accept")),
			chromedp.WaitVisible(chromedp.CSS("#result")),
		)).To(Succeed())
		location, err := chromedp.Run(browser, chromedp.Location())
		Expect(err).NotTo(HaveOccurred())
		Expect(location).NotTo(ContainSubstring(tokenOf(link)), "the form posted to a URL holding the token")
		outcome, err := chromedp.Run(browser, chromedp.AttributeValue(chromedp.CSS("#result"), "data-outcome"))
		Expect(err).NotTo(HaveOccurred())
		Expect(outcome.Value).To(Equal("accepted"))
		Expect(text("#result")).To(ContainSubstring("You joined Team " + f.name + " with the role Viewer"))

		Eventually(func() []orgsv1alpha1.Member { return membersFrom(f, "nia") }).Should(HaveLen(1))
		invitationGone(f, "nia")
	})
})
