package invitation

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestNewToken(t *testing.T) {
	g := NewWithT(t)
	seen := map[string]bool{}
	for range 1000 {
		token, hash, err := NewToken()
		g.Expect(err).NotTo(HaveOccurred())
		raw, err := base64.RawURLEncoding.DecodeString(token)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(len(raw) * 8).To(BeNumerically(">=", 128))
		g.Expect(WellFormed(token)).To(BeTrue())
		g.Expect(hash).To(HaveLen(64))
		g.Expect(hash).NotTo(ContainSubstring(token))
		g.Expect(HashToken(token)).To(Equal(hash))
		g.Expect(HashMatches(HashToken(token), hash)).To(BeTrue())
		g.Expect(seen).NotTo(HaveKey(token))
		g.Expect(token).NotTo(HavePrefix("-"), "a token on a command line must not read as a flag")
		seen[token] = true
	}
}

func TestTokenChecks(t *testing.T) {
	token, hash, err := NewToken()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	other, otherHash, _ := NewToken()
	cases := []struct {
		name       string
		token      string
		hash       string
		wellFormed bool
		matches    bool
	}{
		{"the token", token, hash, true, true},
		{"another token", other, hash, true, false},
		{"the hash as token", hash, hash, false, false},
		{"empty token", "", hash, false, false},
		{"empty hash", token, "", true, false},
		{"truncated hash", token, hash[:63], true, false},
		{"upper-case hash", token, strings.ToUpper(hash), true, false},
		{"other hash", token, otherHash, true, false},
		{"one character short", token[1:], hash, false, false},
		{"not base64url", strings.Repeat("+", len(token)), hash, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(WellFormed(tc.token)).To(Equal(tc.wellFormed))
			g.Expect(HashMatches(HashToken(tc.token), tc.hash)).To(Equal(tc.matches))
		})
	}
}

func TestLink(t *testing.T) {
	cases := []struct{ base, want string }{
		{"http://127.0.0.1:8082", "http://127.0.0.1:8082/invitations/accept?token=TOKEN"},
		{"https://roster.example.com/", "https://roster.example.com/invitations/accept?token=TOKEN"},
		{"https://example.com/roster", "https://example.com/roster/invitations/accept?token=TOKEN"},
	}
	for _, tc := range cases {
		g := NewWithT(t)
		g.Expect(Link(tc.base, "TOKEN")).To(Equal(tc.want))
		u, err := url.Parse(Link(tc.base, "a-b_c"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(u.Query().Get("token")).To(Equal("a-b_c"))
	}
}
