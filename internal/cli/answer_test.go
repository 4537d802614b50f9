package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
)

// accept and decline talk to the invitation server's JSON API. These
// tests run them against the real server code (acceptserver.Server's handler,
// so the paths, request and response shapes and status codes are the
// server's own) with a fake answerer behind it.

type fakeAnswerer struct {
	mu        sync.Mutex
	outcomes  map[string]invitation.Outcome // by token; missing: unknown
	decisions []string
}

func (f *fakeAnswerer) InvitationKey(_ context.Context, token string) string { return token }

func (f *fakeAnswerer) Lookup(_ context.Context, token string) (invitation.Result, error) {
	return f.result(token, invitation.OutcomeValid), nil
}

func (f *fakeAnswerer) Respond(_ context.Context, token, decision string) (invitation.Result, error) {
	f.mu.Lock()
	f.decisions = append(f.decisions, decision)
	f.mu.Unlock()
	outcome := invitation.OutcomeAccepted
	if decision == invitation.DecisionDecline {
		outcome = invitation.OutcomeDeclined
	}
	return f.result(token, outcome), nil
}

func (f *fakeAnswerer) result(token string, valid invitation.Outcome) invitation.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.outcomes[token]
	if !ok {
		return invitation.Result{Outcome: invitation.OutcomeUnknown}
	}
	if o == invitation.OutcomeValid {
		o = valid
	}
	return invitation.Result{
		Outcome: o, Email: "frank@example.com", Organization: "acme", OrganizationDisplayName: "Acme Corporation",
		Role: orgsv1alpha1.RoleViewer, InvitedBy: "alice@example.com", User: "frank@example.com", Member: "frank-at-example-com",
		ExpiresAt: time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC),
	}
}

// newInviteServer serves the invitation API under /roster, like a manager
// with --invite-base-url=<server>/roster.
func newInviteServer(t *testing.T, outcomes map[string]invitation.Outcome) (*httptest.Server, *fakeAnswerer, string) {
	t.Helper()
	fake := &fakeAnswerer{outcomes: outcomes}
	ts := httptest.NewServer(nil)
	t.Cleanup(ts.Close)
	srv, err := acceptserver.NewServer(acceptserver.ServerOptions{BaseURL: ts.URL + "/roster"}, fake)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	return ts, fake, srv.BaseURL()
}

func token(t *testing.T) string {
	t.Helper()
	tok, _, err := invitation.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func runPlugin(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	o := &Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
	code = o.Run(context.Background(), args)
	return out.String(), errOut.String(), code
}

func TestAcceptAndDecline(t *testing.T) {
	valid, expired, used, lost, fresh := token(t), token(t), token(t), token(t), token(t)
	ts, fake, base := newInviteServer(t, map[string]invitation.Outcome{
		valid: invitation.OutcomeValid, fresh: invitation.OutcomeValid, expired: invitation.OutcomeExpired,
		used: invitation.OutcomeUsed, lost: invitation.OutcomeInviterLostAuthority,
	})

	t.Run("accept a link", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := runPlugin("accept", invitation.Link(base, valid))
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(out).To(Equal("You joined Acme Corporation with the role Viewer. Your access is set up within a few seconds. Use the cluster as frank@example.com.\n"))
		g.Expect(fake.decisions).To(HaveLen(1))
		g.Expect(fake.decisions[0]).To(Equal("accept"))
	})

	t.Run("decline a bare token with --server-url, -o json", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := runPlugin("decline", fresh, "--server-url", base, "-o", "json")
		g.Expect(code).To(Equal(ExitOK), errOut)
		var a Answer
		g.Expect(json.Unmarshal([]byte(out), &a)).To(Succeed())
		g.Expect(a).To(SatisfyAll(HaveField("Kind", "InvitationAnswer"), HaveField("Decision", "decline"), HaveField("HTTPStatus", http.StatusOK)))
		g.Expect(a.Outcome).To(Equal(invitation.OutcomeDeclined))
		g.Expect(a.Organization).To(Equal("acme"))
		g.Expect(a.Message).To(ContainSubstring("You declined the invitation to join Acme Corporation"))
		g.Expect(fake.decisions[len(fake.decisions)-1]).To(Equal("decline"))
	})

	cases := []struct {
		name, token string
		code        int
		says        string
	}{
		{"an expired link", expired, ExitLinkUnusable, "error: The link expired on "},
		{"a used link", used, ExitLinkUnusable, "error: The invitation was accepted already: a link works once."},
		{"an inviter who lost authority", lost, ExitRefused, "error: Whoever invited you may no longer grant this role in Acme Corporation."},
		{"an unknown link", token(t), ExitNotFound, "error: This link does not belong to any invitation."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			out, errOut, code := runPlugin("accept", invitation.Link(base, tc.token))
			g.Expect(code).To(Equal(tc.code), errOut)
			g.Expect(out).To(BeEmpty())
			g.Expect(errOut).To(HavePrefix(tc.says))
		})
	}

	t.Run("the failure as json on stdout too", func(t *testing.T) {
		g := NewWithT(t)
		out, _, code := runPlugin("accept", invitation.Link(base, expired), "-o", "yaml")
		g.Expect(code).To(Equal(ExitLinkUnusable))
		g.Expect(out).To(ContainSubstring("outcome: expired"))
		g.Expect(out).To(ContainSubstring("httpStatus: 410"))
	})

	t.Run("malformed input is refused before any request", func(t *testing.T) {
		before := len(fake.decisions)
		for _, args := range [][]string{
			{"accept", valid}, // bare token, no --server-url
			{"accept", ts.URL + "/roster/elsewhere?token=" + valid}, // not the accept path
			{"accept", ts.URL + "/roster/invitations/accept"},       // no token
			{"accept", "short", "--server-url", base},               // not a token
			{"accept", valid, "--server-url", "ftp://example.com"},  // not http
			{"accept"},       // no argument
			{"accept", "  "}, // an empty one
		} {
			g := NewWithT(t)
			_, errOut, code := runPlugin(args...)
			g.Expect(code).To(Equal(ExitUsage), "%v: %s", args, errOut)
			g.Expect(errOut).NotTo(ContainSubstring(valid), "the token is a secret and is never printed")
		}
		NewWithT(t).Expect(fake.decisions).To(HaveLen(before))
	})

	t.Run("a server that is not Roster's", func(t *testing.T) {
		g := NewWithT(t)
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}))
		defer other.Close()
		_, errOut, code := runPlugin("accept", invitation.Link(other.URL, valid))
		g.Expect(code).To(Equal(ExitError))
		g.Expect(errOut).To(ContainSubstring("unexpected answer from " + other.URL + "/api/v1/invitations/accept: HTTP 502 Bad Gateway"))
		g.Expect(errOut).To(ContainSubstring("hint: is that Roster's invitation server?"))
	})
}

func TestParseLink(t *testing.T) {
	tok := token(t)
	cases := []struct {
		in, serverURL, base string
	}{
		{"https://roster.example.com/invitations/accept?token=" + tok, "", "https://roster.example.com"},
		{"https://example.com/roster/invitations/accept/?token=" + tok, "", "https://example.com/roster"},
		{"  http://127.0.0.1:8082/invitations/accept?token=" + tok + "\n", "", "http://127.0.0.1:8082"},
		{tok, "https://roster.example.com/", "https://roster.example.com"},
		{"http://internal:8082/invitations/accept?token=" + tok, "https://public.example.com", "https://public.example.com"},
	}
	for _, tc := range cases {
		g := NewWithT(t)
		base, got, err := parseLink(tc.in, tc.serverURL)
		g.Expect(err).NotTo(HaveOccurred(), tc.in)
		g.Expect(base).To(Equal(tc.base))
		g.Expect(got).To(Equal(tok))
	}
}
