package policy

import (
	"strings"
	"testing"
	"unicode/utf8"

	. "github.com/onsi/gomega"
)

func TestIdentityKeyIsExact(t *testing.T) {
	g := NewWithT(t)
	g.Expect(IdentityKey(UserIdentity, "alice@example.com")).To(Equal(IdentityKey(UserIdentity, "alice@example.com")))
	for _, other := range []string{"Alice@example.com", "ALICE@EXAMPLE.COM", "al\u0130ce@example.com", "alice@example.com ", "\uff41lice@example.com"} {
		g.Expect(IdentityKey(UserIdentity, other)).NotTo(Equal(IdentityKey(UserIdentity, "alice@example.com")), other)
	}
	// A user and a group of the same name are two RBAC subjects.
	g.Expect(IdentityKey(UserIdentity, "ops")).NotTo(Equal(IdentityKey(GroupIdentity, "ops")))
	g.Expect(IdentityKey(GroupIdentity, "ops").String()).To(Equal("group:ops"))
}

func TestResembles(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       bool
	}{
		{"the same name is not a look-alike of itself", "alice@example.com", "alice@example.com", false},
		{"someone else", "alice@example.com", "alicia@example.com", false},
		{"letter case", "OLIVIA@EXAMPLE.COM", "olivia@example.com", true},
		{"U+0130 capital I with dot", "\u0130van@example.com", "ivan@example.com", true},
		{"U+0131 dotless i", "\u0131van@example.com", "ivan@example.com", true},
		{"Kelvin sign (NFKC)", "\u212aate@example.com", "kate@example.com", true},
		{"fullwidth letters (NFKC)", "\uff41lice@example.com", "alice@example.com", true},
		{"ligature fi (NFKC)", "\ufb01nn@example.com", "finn@example.com", true},
		{"combining accent", "jose\u0301@example.com", "jose@example.com", true},
		{"precomposed accent", "jos\u00e9@example.com", "jose@example.com", true},
		{"sharp s folds to ss", "stra\u00dfe", "STRASSE", true},
		{"zero-width space", "al\u200bice@example.com", "alice@example.com", true},
		{"bidi override", "\u202ealice@example.com", "alice@example.com", true},
		{"ASCII against non-ASCII", "alice", "ALİCE", true},
		{"a prefix is part of the name", "oidc:alice", "alice", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(Resembles(c.a, c.b)).To(Equal(c.want), "%q ~ %q: keys %q, %q", c.a, c.b, LookalikeKey(c.a), LookalikeKey(c.b))
			g.Expect(Resembles(c.b, c.a)).To(Equal(c.want), "symmetric")
		})
	}
}

// FuzzIdentity checks the identity key and the look-alike check together:
//   - IdentityKey is exact: equal keys exactly when the names are equal;
//   - a name never resembles itself, and resemblance is symmetric;
//   - LookalikeKey is idempotent (a look-alike of a look-alike is one);
//   - upper- and lower-case variants of a name resemble it;
//   - the ASCII fast path answers what LookalikeKey answers.
//
// The seed corpus (testdata/fuzz/FuzzIdentity plus the f.Add calls) holds
// case, Unicode-fold, NFKC and bidi examples.
func FuzzIdentity(f *testing.F) {
	for _, pair := range [][2]string{
		{"olivia@example.com", "OLIVIA@EXAMPLE.COM"},
		{"ivan@example.com", "\u0130van@example.com"},
		{"ivan@example.com", "\u0131van@example.com"},
		{"kate@example.com", "\u212aate@example.com"},
		{"alice@example.com", "\uff41lice@example.com"},
		{"finn", "\ufb01nn"},
		{"jose", "jos\u00e9"},
		{"alice", "\u202ealice"},
		{"alice", "al\u200dice"},
		{"team-a", "Team-A"},
		{"oidc:alice@example.com", "alice@example.com"},
	} {
		f.Add(pair[0], pair[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // the API server stores only valid UTF-8
		}
		if (IdentityKey(UserIdentity, a) == IdentityKey(UserIdentity, b)) != (a == b) {
			t.Fatalf("IdentityKey(%q) vs IdentityKey(%q): not exact", a, b)
		}
		if Resembles(a, a) {
			t.Fatalf("%q resembles itself", a)
		}
		if Resembles(a, b) != Resembles(b, a) {
			t.Fatalf("Resembles(%q, %q) is not symmetric", a, b)
		}
		if want := a != b && a != "" && b != "" && LookalikeKey(a) == LookalikeKey(b); newResemblance(a).of(b) != want {
			t.Fatalf("resemblance(%q).of(%q) = %v, LookalikeKey says %v", a, b, !want, want)
		}
		if k := LookalikeKey(a); LookalikeKey(k) != k {
			t.Fatalf("LookalikeKey(%q) = %q is not idempotent: %q", a, k, LookalikeKey(k))
		}
		for _, variant := range []string{strings.ToUpper(a), strings.ToLower(a)} {
			if variant != a && !Resembles(a, variant) {
				t.Fatalf("%q and its case variant %q do not resemble each other: %q vs %q", a, variant, LookalikeKey(a), LookalikeKey(variant))
			}
		}
	})
}
