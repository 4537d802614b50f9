package ui_test

import (
	"fmt"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("The Users list: sort, search and pages", func() {
	It("sorts by a clicked column, filters as one types and pages through more members than a page holds, as the Owner", func() {
		org := newOrg()
		// 26 more Members and one invitation: 32 rows, two pages of 25.
		for i := range 26 {
			env.CreateMember(ctx, org.Home, fmt.Sprintf("user%02d", i), fmt.Sprintf("user%02d@example.com", i), orgsv1alpha1.RoleViewer)
		}
		zoe := "zoe." + org.Name + "@example.com"
		Expect(env.As(owner).Create(ctx, testenv.NewInvitation(org.Home, "zoe", zoe, orgsv1alpha1.RoleContributor))).To(Succeed())
		p := openUI(owner, org.Name)
		Eventually(func() string { return p.text("#count") }).Should(Equal("32 users · 31 members, 1 invitation"))
		Expect(p.rows()).To(HaveLen(25))
		Expect(p.text("#page-info")).To(Equal("Page 1 of 2"))
		Expect(p.disabled("#prev")).To(BeTrue())
		Expect(p.disabled("#next")).To(BeFalse())
		Expect(p.rows()[0]).To(Equal(owner), "by default the highest role first")

		// Paging.
		p.do(chromedp.Click(chromedp.CSS("#next")))
		Eventually(func() string { return p.text("#page-info") }).Should(Equal("Page 2 of 2"))
		Expect(p.rows()).To(HaveLen(7))
		Expect(p.rows()).To(ContainElement(zoe), "invitations come after the members")
		Expect(p.disabled("#next")).To(BeTrue())
		Expect(p.disabled("#prev")).To(BeFalse())
		p.do(chromedp.Click(chromedp.CSS("#prev")))
		Eventually(func() string { return p.text("#page-info") }).Should(Equal("Page 1 of 2"))
		Expect(p.rows()).To(HaveLen(25))

		// Sorting: a click on a heading sorts by it, a second reverses.
		p.do(chromedp.Click(chromedp.CSS(`button.sort[data-sort="name"]`)))
		Eventually(func() string { return p.sortOf("name") }).Should(Equal("ascending"))
		Expect(p.rows()[:6]).To(Equal([]string{owner, admin2, contrib, viewer, "erin@example.com", "user00@example.com"}))
		p.do(chromedp.Click(chromedp.CSS(`button.sort[data-sort="name"]`)))
		Eventually(func() string { return p.sortOf("name") }).Should(Equal("descending"))
		Expect(p.rows()[:2]).To(Equal([]string{zoe, "user25@example.com"}))
		p.do(chromedp.Click(chromedp.CSS(`button.sort[data-sort="role"]`)))
		Eventually(func() string { return p.sortOf("role") }).Should(Equal("ascending"))
		Expect(p.sortOf("name")).To(BeEmpty(), "one column sorts at a time")
		Expect(p.rows()[:4]).To(Equal([]string{owner, admin2, contrib, zoe}), "highest role first, an invitation among its role")

		// Searching from page 2 filters the whole list and starts at page 1.
		p.do(chromedp.Click(chromedp.CSS("#next")))
		Eventually(func() string { return p.text("#page-info") }).Should(Equal("Page 2 of 2"))
		p.do(chromedp.SendKeys(chromedp.CSS("#search"), "user1"))
		Eventually(p.rows).Should(Equal([]string{
			"user10@example.com", "user11@example.com", "user12@example.com", "user13@example.com", "user14@example.com",
			"user15@example.com", "user16@example.com", "user17@example.com", "user18@example.com", "user19@example.com",
		}))
		Expect(p.text("#count")).To(Equal("10 users match · 31 members, 1 invitation"))
		Expect(p.text("#page-info")).To(Equal("Page 1 of 1"))
		Expect(p.disabled("#next")).To(BeTrue())
		p.do(chromedp.SendKeys(chromedp.CSS("#search"), "9"))
		Eventually(p.rows).Should(Equal([]string{"user19@example.com"}))
		Expect(p.text("#count")).To(Equal("1 user matches · 31 members, 1 invitation"))
		p.screenshot("ui-users-search")

		// Search by role and by status.
		p.clear("#search")
		p.do(chromedp.SendKeys(chromedp.CSS("#search"), "pending"))
		Eventually(p.rows).Should(Equal([]string{zoe}))
		p.clear("#search")
		p.do(chromedp.SendKeys(chromedp.CSS("#search"), "contributor"))
		Eventually(p.rows).Should(ConsistOf(contrib, zoe))

		// Cleared, the whole list is back, still sorted by role.
		p.clear("#search")
		p.do(chromedp.SendKeys(chromedp.CSS("#search"), " "))
		Eventually(func() string { return p.text("#count") }).Should(Equal("32 users · 31 members, 1 invitation"))
		Expect(p.rows()).To(HaveLen(25))
		Expect(p.rows()[0]).To(Equal(owner))
	})
})

// sortOf is the aria-sort of the column's heading ("" when unsorted).
func (p *page) sortOf(col string) string {
	return eval[string](p, fmt.Sprintf(`document.querySelector('th[data-col=%q]').getAttribute('aria-sort') || ''`, col))
}

// clear empties a text field (no input event: the keys typed next fire it).
func (p *page) clear(sel string) {
	GinkgoHelper()
	eval[bool](p, fmt.Sprintf(`(() => { document.querySelector(%q).value = ''; return true; })()`, sel))
}

// disabled says whether the control is disabled.
func (p *page) disabled(sel string) bool {
	return eval[bool](p, fmt.Sprintf(`document.querySelector(%q).disabled`, sel))
}
