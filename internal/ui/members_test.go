package ui_test

import (
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var _ = Describe("Change Role, Remove Access and Leave Organization", func() {
	It("changes a role in EDIT USER, and refuses demoting the only Owner with Roster's message beside the role", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))

		p.choose(contrib, "role")
		p.do(chromedp.WaitVisible(chromedp.CSS("#edit-dialog")))
		Expect(p.text("#edit-title")).To(Equal("EDIT USER"))
		Expect(p.text("#edit-user")).To(Equal(contrib))
		Expect(p.options("#edit-role")).To(ContainElement("Owner"), "an Owner may make Owners")
		p.selectOption("#edit-role", "Admin")
		p.do(chromedp.Click(chromedp.CSS("#edit-update")), chromedp.WaitNotVisible(chromedp.CSS("#edit-dialog")))
		Eventually(func() string { return p.text(row(contrib) + " .role") }).Should(Equal("Admin"))
		Expect(p.text("#notice")).To(ContainSubstring("Changed the role of " + contrib + " to Admin"))
		m, err := member(org, "carol")
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleAdmin))

		p.choose(owner, "role")
		p.do(chromedp.WaitVisible(chromedp.CSS("#edit-dialog")))
		p.selectOption("#edit-role", "Admin")
		p.do(chromedp.Click(chromedp.CSS("#edit-update")), chromedp.WaitVisible(chromedp.CSS("#edit-error")))
		Expect(p.text("#edit-error > span:first-child")).To(Equal(`user "`+owner+`" is the last owner of organization "`+org.Name+`"; assign the Owner role to another user first`),
			"Roster's own words, without kubectl's wrapper")
		Expect(p.visible("#edit-dialog")).To(BeTrue(), "the refusal stays beside the control")
		p.screenshot("ui-edit-user-refused")
		m, err = member(org, "alice")
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleOwner))
		p.do(chromedp.Click(chromedp.CSS("#edit-cancel")), chromedp.WaitNotVisible(chromedp.CSS("#edit-dialog")))
		Expect(p.text(row(owner) + " .role")).To(Equal("Owner"))
	})

	It("offers an Admin no Owner role and no control over Owners", func() {
		org := newOrg()
		p := openUI(admin2, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		Expect(p.actions(owner)).To(BeEmpty())
		Expect(p.actions(admin2)).To(Equal([]string{"Change Role", "Leave Organization"}))
		p.choose(viewer, "role")
		p.do(chromedp.WaitVisible(chromedp.CSS("#edit-dialog")))
		Expect(p.options("#edit-role")).NotTo(ContainElement("Owner"))
		Expect(p.options("#edit-role")).To(ContainElement("Admin"))
	})

	It("removes access after the confirmation, and leaves a cancelled removal alone", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))

		p.choose(viewer, "remove")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-title")).To(Equal("Remove Access"))
		p.do(chromedp.Click(chromedp.CSS("#confirm-cancel")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		_, err := member(org, "dave")
		Expect(err).NotTo(HaveOccurred())

		p.choose(admin2, "remove")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-text")).To(ContainSubstring("Remove " + admin2 + " (Admin) from " + org.Name))
		p.screenshot("ui-remove-access")
		p.do(chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		Eventually(func() error { _, err := member(org, "bob"); return err }).Should(Satisfy(apierrors.IsNotFound))
		Eventually(p.rows).ShouldNot(ContainElement(admin2))
		Expect(p.rows()).To(ContainElement(viewer))
	})

	It("refuses the only Owner leaving with Roster's message, and lets an Admin leave", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		p.choose(owner, "leave")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.text("#confirm-title")).To(Equal("Leave Organization"))
		p.do(chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitVisible(chromedp.CSS("#confirm-error")))
		Expect(p.text("#confirm-error > span:first-child")).To(HavePrefix(`user "` + owner + `" is the last owner of organization "` + org.Name + `"`))
		Expect(p.text("#confirm-error")).NotTo(ContainSubstring("Error from server"))
		m, err := member(org, "alice")
		Expect(err).NotTo(HaveOccurred())
		Expect(m.DeletionTimestamp).To(BeNil())

		b := openUI(admin2, org.Name)
		Eventually(b.rows).Should(HaveLen(5))
		b.choose(admin2, "leave")
		b.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")),
			chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitNotVisible(chromedp.CSS("#confirm-dialog")))
		Expect(b.text("#notice")).To(ContainSubstring("You left the organization"))
		Eventually(func() error { _, err := member(org, "bob"); return err }).Should(Satisfy(apierrors.IsNotFound))
		Eventually(b.rows).Should(BeEmpty(), "no stale rows, nor their controls, after leaving")
		Expect(b.text("#my-role")).To(Equal("not a member"))
		Eventually(p.rows).ShouldNot(ContainElement(admin2), "the Owner's page shows it by itself")
	})
})
