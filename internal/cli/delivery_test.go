package cli

import (
	"testing"

	. "github.com/onsi/gomega"
)

// The plugin says what Roster really does with a link: nobody should wait
// for an e-mail that is a line in the manager's terminal.
func TestLinkDeliveryByNotifier(t *testing.T) {
	cases := []struct {
		notifier        string
		one, many, next string
	}{
		{"log",
			"1 of 1 invited to acme; Roster logged the link in its terminal (in a cluster, its log).",
			"2 of 2 invited to acme; Roster logged each invitee's link in its terminal (in a cluster, its log).",
			"Roster logs a new link in its terminal (in a cluster, its log)"},
		{"smtp",
			"1 of 1 invited to acme; Roster e-mails the link.",
			"2 of 2 invited to acme; Roster e-mails each invitee's link.",
			"Roster e-mails a new link"},
		{"webhook",
			"1 of 1 invited to acme; Roster posts the link to its webhook.",
			"2 of 2 invited to acme; Roster posts each invitee's link to its webhook.",
			"Roster posts a new link to its webhook"},
		{"", // Roster did not say in time
			"1 of 1 invited to acme; Roster sends the link through its notifier (--wait waits until it has).",
			"2 of 2 invited to acme; Roster sends each invitee's link through its notifier (--wait waits until it has).",
			"Roster sends a new link through its notifier (--wait waits until it has)"},
		{"rostertest", // a notifier the plugin does not know
			"1 of 1 invited to acme; Roster sends the link through its notifier (--wait waits until it has).",
			"2 of 2 invited to acme; Roster sends each invitee's link through its notifier (--wait waits until it has).",
			"Roster sends a new link through its notifier (--wait waits until it has)"},
	}
	for _, tc := range cases {
		t.Run(tc.notifier, func(t *testing.T) {
			g := NewWithT(t)
			one := InviteReport{Organization: "acme", Notifier: tc.notifier, Succeeded: 1, Results: make([]InviteResult, 1)}
			g.Expect(one.summary()).To(Equal(tc.one))
			many := InviteReport{Organization: "acme", Notifier: tc.notifier, Succeeded: 2, Results: make([]InviteResult, 2)}
			g.Expect(many.summary()).To(Equal(tc.many))
			g.Expect(linkDelivery(tc.notifier, "a new link", false)).To(Equal(tc.next))
		})
	}
	// A partial failure or a dry run says nothing of delivery.
	partial := InviteReport{Organization: "acme", Notifier: "log", Succeeded: 1, Failed: 1, Results: make([]InviteResult, 2)}
	NewWithT(t).Expect(partial.summary()).To(Equal("1 of 2 invited to acme, 1 failed."))
}
