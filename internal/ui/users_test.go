package ui_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
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

	It("shows a non-member nothing of the organization and no control, with the server's refusal", func() {
		org := newOrg()
		p := openUI(outsider, org.Name)
		Eventually(func() bool { return eval[bool](p, `!document.getElementById('load-error').hidden`) }).Should(BeTrue())
		Expect(p.text("#load-error")).To(ContainSubstring("forbidden"))
		Expect(p.text("#whoami")).To(Equal(outsider))
		Expect(p.text("#my-role")).To(Equal("not a member"))
		Expect(p.rows()).To(BeEmpty())
		Expect(eval[bool](p, `document.getElementById('create-users').hidden`)).To(BeTrue())
		Expect(eval[int](p, `document.querySelectorAll('#rows .menu-btn').length`)).To(Equal(0))
	})

	It("renders markup in a name as text", func() {
		name := testenv.UniqueName("ui")
		markup := `<img src=x onerror="document.title='owned'"> Acme`
		org := env.NewOrg(ctx, &orgsv1alpha1.Organization{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       orgsv1alpha1.OrganizationSpec{DisplayName: markup},
		}, testenv.Team...)
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		Expect(eval[string](p, `document.getElementById('org-switcher').selectedOptions[0].textContent`)).To(ContainSubstring(markup))
		Expect(eval[int](p, `document.querySelectorAll('img').length`)).To(Equal(0), "no element was made of the name")
		Expect(eval[string](p, `document.title`)).NotTo(Equal("owned"))
		Expect(strings.Contains(p.text("body"), "<img")).To(BeTrue(), "the name is shown as it is")
	})
})
