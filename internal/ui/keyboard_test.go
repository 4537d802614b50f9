package ui_test

import (
	"encoding/json"
	"fmt"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var _ = Describe("Keyboard use and labels", func() {
	It("changes a role with keys only, and every control has an accessible name", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))
		menuBtn := "Actions for " + contrib

		// Tab from the top of the page to carol's menu button.
		Expect(p.tabTo(menuBtn, 30)).To(BeTrue(), "Tab reaches "+menuBtn)

		// ArrowDown opens the menu on its first item, ArrowDown moves,
		// Escape closes it and gives the focus back to the button.
		p.keys(kb.ArrowDown)
		Eventually(p.focused).Should(Equal("Change Role"))
		Expect(eval[string](p, `document.activeElement.closest('.menu-wrap').querySelector('.menu-btn').getAttribute('aria-expanded')`)).To(Equal("true"))
		p.keys(kb.ArrowDown)
		Expect(p.focused()).To(Equal("Remove Access"))
		p.keys(kb.ArrowDown)
		Expect(p.focused()).To(Equal("Change Role"), "the menu wraps around")
		p.keys(kb.Escape)
		Expect(p.focused()).To(Equal(menuBtn))
		Expect(p.visible(row(contrib) + " [role=menu]")).To(BeFalse())

		// Enter opens the menu too; Enter on Change Role opens EDIT USER on
		// the role; Escape closes it, changing nothing.
		p.keys(kb.Enter)
		Eventually(p.focused).Should(Equal("Change Role"))
		p.labels()
		p.keys(kb.Enter)
		Eventually(func() bool { return p.visible("#edit-dialog") }).Should(BeTrue())
		Expect(eval[string](p, `document.activeElement.id`)).To(Equal("edit-role"))
		p.labels()
		p.keys(kb.Escape)
		Eventually(func() bool { return p.visible("#edit-dialog") }).Should(BeFalse())
		Eventually(p.focused).Should(Equal(menuBtn), "the focus goes back to the row's menu")

		// Again, and this time ArrowUp picks Admin, Tab Tab reaches Update.
		p.keys(kb.Enter)
		Eventually(p.focused).Should(Equal("Change Role"))
		p.keys(kb.Enter)
		Eventually(func() bool { return p.visible("#edit-dialog") }).Should(BeTrue())
		p.keys(kb.ArrowUp)
		Expect(eval[string](p, `document.getElementById('edit-role').value`)).To(Equal("Admin"))
		p.keys(kb.Tab)
		Expect(p.focused()).To(Equal("Cancel"))
		p.keys(kb.Tab)
		Expect(p.focused()).To(Equal("Update"))
		p.keys(kb.Enter)
		Eventually(func() bool { return p.visible("#edit-dialog") }).Should(BeFalse())
		Eventually(func() string { return p.text(row(contrib) + " .role") }).Should(Equal("Admin"))
		m, err := member(org, "carol")
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleAdmin))
		Eventually(p.focused).Should(Equal(menuBtn), "the focus goes back to the row's menu after Update")

		// The other views: Remove Access's confirmation and + Create Users.
		p.choose(viewer, "remove")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		Expect(p.focused()).To(Equal("Cancel"), "the safe choice has the focus")
		p.labels()
		p.keys(kb.Escape)
		Eventually(func() bool { return p.visible("#confirm-dialog") }).Should(BeFalse())
		_, err = member(org, "dave")
		Expect(err).NotTo(HaveOccurred())

		p.do(chromedp.Focus(chromedp.CSS("#create-users")))
		p.keys(kb.Enter)
		Eventually(func() string { return eval[string](p, `document.activeElement.id`) }).Should(Equal("invite-emails"))
		p.labels()
		p.keys("ana@example.com, nope")
		p.keys(kb.Tab, kb.Tab)
		Expect(p.focused()).To(Equal("Set User Roles"))
		p.keys(kb.Enter)
		p.do(chromedp.WaitVisible(chromedp.CSS("#invite-step2")))
		p.labels()
	})
})

var _ = Describe("Every action with keys only", func() {
	It("invites (removing a mistyped row), resends and deletes an invitation and removes a member; an Admin leaves", func() {
		org := newOrg()
		p := openUI(owner, org.Name)
		Eventually(p.rows).Should(HaveLen(5))

		// + Create Users: two addresses, one REMOVEd on step 2, then sent.
		p.fromTop()
		Expect(p.tabTo("+ Create Users", 30)).To(BeTrue())
		p.keys(kb.Enter)
		Eventually(func() string { return eval[string](p, `document.activeElement.id`) }).Should(Equal("invite-emails"))
		p.keys("ana@example.com, oops@example.com")
		Expect(p.tabTo("Set User Roles", 5)).To(BeTrue())
		p.keys(kb.Enter)
		p.do(chromedp.WaitVisible(chromedp.CSS("#invite-step2")))
		Expect(p.tabTo("Remove oops@example.com", 10)).To(BeTrue())
		p.keys(kb.Enter)
		Eventually(func() int { return eval[int](p, `document.querySelectorAll('#invitee-rows tr').length`) }).Should(Equal(1))
		Expect(p.tabTo("Set User Roles", 10)).To(BeTrue())
		Expect(eval[string](p, `document.activeElement.id`)).To(Equal("invite-send"))
		p.keys(kb.Enter)
		Eventually(func() error { _, err := invitation(org, "ana@example.com"); return err }).Should(Succeed())
		_, err := invitation(org, "oops@example.com")
		Expect(err).To(HaveOccurred(), "the REMOVEd address was not invited")

		// All sent, the page is back on the list; the invitation's menu:
		// Resend, then Delete.
		Eventually(p.rows).Should(HaveLen(6))
		p.menuItem("ana@example.com", "Resend")
		Eventually(func() string {
			inv, err := invitation(org, "ana@example.com")
			if err != nil {
				return ""
			}
			return inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]
		}).ShouldNot(BeEmpty())
		p.menuItem("ana@example.com", "Delete")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		p.keys(kb.Tab)
		Expect(p.focused()).To(Equal("Yes, delete"))
		p.keys(kb.Enter)
		Eventually(func() error { _, err := invitation(org, "ana@example.com"); return err }).ShouldNot(Succeed())

		// Remove Access: the confirmation's Yes with Tab and Enter.
		p.menuItem(viewer, "Remove Access")
		p.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		p.keys(kb.Tab)
		Expect(p.focused()).To(Equal("Yes, remove"))
		p.keys(kb.Enter)
		Eventually(func() error { _, err := member(org, "dave"); return err }).ShouldNot(Succeed())

		// An Admin leaves from their own row's menu.
		q := openUI(admin2, org.Name)
		q.menuItem(admin2, "Leave Organization")
		q.do(chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")))
		q.keys(kb.Tab)
		Expect(q.focused()).To(Equal("Yes, leave"))
		q.keys(kb.Enter)
		Eventually(func() error { _, err := member(org, "bob"); return err }).ShouldNot(Succeed())
	})
})

// fromTop moves the focus back to the start of the page, as a reload does,
// so that Tab walks the page from its first control.
func (p *page) fromTop() {
	GinkgoHelper()
	eval[bool](p, `(() => { if (document.activeElement) document.activeElement.blur(); return true; })()`)
}

// menuItem opens the menu of name's row with keys (Tab to its button,
// ArrowDown) and picks item with ArrowDown and Enter.
func (p *page) menuItem(name, item string) {
	GinkgoHelper()
	p.fromTop()
	Expect(p.tabTo("Actions for "+name, 60)).To(BeTrue(), "Tab reaches the menu of "+name)
	p.keys(kb.ArrowDown)
	for range 4 {
		if p.focused() == item {
			break
		}
		p.keys(kb.ArrowDown)
	}
	Expect(p.focused()).To(Equal(item))
	p.keys(kb.Enter)
}

// keys types keys into whatever has the focus.
func (p *page) keys(keys ...string) {
	GinkgoHelper()
	for _, k := range keys {
		p.do(chromedp.KeyEvent(k))
	}
}

// focused is the accessible label of the focused element: its aria-label,
// else its text.
func (p *page) focused() string {
	return eval[string](p, `(() => { const a = document.activeElement; return a ? (a.getAttribute('aria-label') || a.textContent.trim()) : ''; })()`)
}

// tabTo presses Tab until the element labelled label has the focus, at most
// n times.
func (p *page) tabTo(label string, n int) bool {
	GinkgoHelper()
	for range n {
		p.keys(kb.Tab)
		if p.focused() == label {
			return true
		}
	}
	return false
}

// interactive are the roles of controls: each must have a name.
var interactive = map[string]bool{
	"button": true, "link": true, "combobox": true, "textbox": true, "searchbox": true, "menuitem": true,
	"checkbox": true, "radio": true, "listbox": true, "menu": true, "dialog": true, "tab": true, "switch": true,
	"menuitemcheckbox": true, "menuitemradio": true, "slider": true, "spinbutton": true,
}

// labels checks Chromium's accessibility tree of the page as it is now:
// every control that is not hidden has an accessible name.
func (p *page) labels() {
	GinkgoHelper()
	tree, err := chromedp.Call(p.tab, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	Expect(err).NotTo(HaveOccurred())
	var unnamed []string
	controls := 0
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		role := axString(n.Role)
		if !interactive[role] {
			continue
		}
		controls++
		if axString(n.Name) == "" {
			unnamed = append(unnamed, fmt.Sprintf("%s (DOM node %d)", role, n.BackendDOMNodeID))
		}
	}
	Expect(controls).To(BeNumerically(">=", 3), "the tree has the page's controls (a modal dialog hides the rest)")
	Expect(unnamed).To(BeEmpty(), "controls without an accessible name")
}

func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return s
}
