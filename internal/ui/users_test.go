package ui_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The Users list", func() {
	It("shows an Owner every member, the one-owner banner and the controls an Owner has", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		Expect(p.rows()[:4]).To(Equal([]string{owner, admin2, contrib, viewer}), "highest role first")
		Expect(p.text("#whoami")).To(Equal(owner))
		Expect(p.text("#my-role")).To(Equal("Owner"))
		Expect(p.text("#banner")).To(ContainSubstring("only one Owner"))
		Expect(eval[bool](p, `!document.getElementById('create-users').hidden`)).To(BeTrue())
		Expect(p.actions(owner)).To(Equal([]string{"Change Role", "Leave Organization"}))
		Expect(p.actions(admin2)).To(Equal([]string{"Change Role", "Remove Access"}))
		Expect(p.text(row(contrib) + " .status")).To(Equal("Member"))
		Expect(p.text("#count")).To(ContainSubstring("5 users"))
		p.screenshot("ui-users-owner")
	})

	It("shows a Viewer the list and nothing to change", func() {
		org := newOrg()
		p := openUI(viewer, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		Expect(p.text("#my-role")).To(Equal("Viewer"))
		Expect(eval[bool](p, `document.getElementById('create-users').hidden`)).To(BeTrue())
		Expect(eval[int](p, `document.querySelectorAll('#rows .menu-btn').length`)).To(Equal(0))
		Expect(p.text("#banner")).To(ContainSubstring("only one Owner"))
	})
})
