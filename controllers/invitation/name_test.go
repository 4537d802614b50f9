package invitation

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestMemberName(t *testing.T) {
	long := strings.Repeat("x", 80) + "@example.com"
	cases := []struct {
		name    string
		email   string
		attempt int
		want    string
	}{
		{"plain", "alice@example.com", 0, "alice-at-example-com"},
		{"case and dots", "Alice.Smith@Example.COM", 0, "alice-smith-at-example-com"},
		{"plus and underscores", "bob+roster_test@mail.example.org", 0, "bob-roster-test-at-mail-example-org"},
		{"collapses runs", "a..b--c@x.io", 0, "a-b-c-at-x-io"},
		{"leading symbols", "_.alice@x.io", 0, "alice-at-x-io"},
		{"unicode", "jürgen@exämple.de", 0, "j-rgen-at-ex-mple-de"},
		{"nothing usable", "___", 0, "member"},
		{"long is cut", long, 0, strings.Repeat("x", 48)},
		{"collision suffix", "alice@example.com", 1, "alice-at-example-com-ff8d98"},
		{"third choice", "alice@example.com", 2, "alice-at-example-com-ff8d98-2"},
		{"suffix ignores case", "ALICE@example.com", 1, "alice-at-example-com-ff8d98"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := MemberName(tc.email, tc.attempt)
			g.Expect(got).To(Equal(tc.want))
			g.Expect(validation.IsDNS1123Label(got)).To(BeEmpty())
		})
	}
}

func TestMemberNameSeparatesLookAlikes(t *testing.T) {
	g := NewWithT(t)
	a, b := "a.b@x.io", "a-b@x.io"
	g.Expect(MemberName(a, 0)).To(Equal(MemberName(b, 0)))
	g.Expect(MemberName(a, 1)).NotTo(Equal(MemberName(b, 1)))
	for attempt := range 1000 {
		g.Expect(validation.IsDNS1123Label(MemberName(strings.Repeat("y", 300)+"@z.io", attempt))).To(BeEmpty())
	}
}

func TestAcceptanceName(t *testing.T) {
	g := NewWithT(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	name := AcceptanceName("Alice@example.com", "hash-a", at)
	g.Expect(name).To(HavePrefix("alice-at-example-com-"))
	g.Expect(name).To(HaveLen(len("alice-at-example-com-") + 8))
	// As stored: to the second, in any zone.
	g.Expect(AcceptanceName("Alice@example.com", "hash-a", at.Add(999*time.Millisecond).In(time.FixedZone("x", 3600)))).To(Equal(name))
	g.Expect(AcceptanceName("Alice@example.com", "hash-b", at)).NotTo(Equal(name))
	g.Expect(AcceptanceName("Alice@example.com", "hash-a", at.Add(time.Second))).NotTo(Equal(name))
	for attempt := range stableNames {
		g.Expect(name).NotTo(Equal(MemberName("Alice@example.com", attempt)))
	}
	g.Expect(validation.IsDNS1123Label(AcceptanceName(strings.Repeat("y", 300)+"@z.io", "h", at))).To(BeEmpty())
}
