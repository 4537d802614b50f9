package acceptserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
)

// fakeAnswerer answers from a table of tokens and records what was asked.
type fakeAnswerer struct {
	mu        sync.Mutex
	results   map[string]invitation.Result // by token
	keys      map[string]string            // token -> invitation key
	responses []string                     // "token decision"
}

func (f *fakeAnswerer) InvitationKey(_ context.Context, token string) string {
	if k, ok := f.keys[token]; ok {
		return k
	}
	return "hash-of-" + token
}

func (f *fakeAnswerer) Lookup(_ context.Context, token string) (invitation.Result, error) {
	if r, ok := f.results[token]; ok {
		return r, nil
	}
	return invitation.Result{Outcome: invitation.OutcomeUnknown}, nil
}

func (f *fakeAnswerer) Respond(ctx context.Context, token, decision string) (invitation.Result, error) {
	f.mu.Lock()
	f.responses = append(f.responses, token+" "+decision)
	f.mu.Unlock()
	r, _ := f.Lookup(ctx, token)
	if r.Outcome != invitation.OutcomeValid {
		return r, nil
	}
	if decision == invitation.DecisionAccept {
		r.Outcome, r.Member, r.User = invitation.OutcomeAccepted, "erin-at-example-com", "erin@example.com"
	} else {
		r.Outcome = invitation.OutcomeDeclined
	}
	return r, nil
}

func valid() invitation.Result {
	return invitation.Result{
		Outcome: invitation.OutcomeValid, Email: "erin@example.com", Organization: "acme", OrganizationDisplayName: "Acme <Corp>",
		Role: orgsv1alpha1.RoleViewer, InvitedBy: "alice@example.com", ExpiresAt: time.Date(2026, 3, 8, 9, 30, 0, 0, time.UTC),
	}
}

func newTestServer(t *testing.T, f *fakeAnswerer, opts acceptserver.ServerOptions) http.Handler {
	t.Helper()
	if opts.BaseURL == "" {
		opts.BaseURL = "https://roster.example.com/team"
	}
	opts.Log = logr.Discard()
	s, err := acceptserver.NewServer(opts, f)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

func do(h http.Handler, method, target, contentType, body, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAcceptPage(t *testing.T) {
	f := &fakeAnswerer{results: map[string]invitation.Result{
		"good":    valid(),
		"expired": {Outcome: invitation.OutcomeExpired, ExpiresAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		"used":    {Outcome: invitation.OutcomeUsed, Role: orgsv1alpha1.RoleViewer},
		"revoked": {Outcome: invitation.OutcomeRevoked},
		"old":     {Outcome: invitation.OutcomeReplaced},
		"lost":    {Outcome: invitation.OutcomeInviterLostAuthority, OrganizationDisplayName: "Acme"},
	}}
	h := newTestServer(t, f, acceptserver.ServerOptions{})
	const base = "/team/invitations/accept?token="
	const post = "/team/invitations/accept"
	cases := []struct {
		name     string
		method   string
		target   string
		form     string
		status   int
		contains []string
		absent   []string
	}{
		{"valid link shows the invitation", "GET", base + "good", "", 200,
			[]string{"Join Acme &lt;Corp&gt;", `id="role">Viewer<`, `id="invited-by">alice@example.com<`, `id="email">erin@example.com<`,
				`id="expires">Sunday 8 March 2026, 09:30 UTC<`, `value="accept"`, `value="decline"`,
				`<form method="post" action="/team/invitations/accept">`, `<input type="hidden" name="token" value="good">`}, []string{"<script", "?token"}},
		{"accept", "POST", post, "token=good&decision=accept", 200, []string{`data-outcome="accepted"`, "You joined Acme &lt;Corp&gt; with the role Viewer", "erin@example.com"}, []string{"good"}},
		{"decline", "POST", post, "decision=decline&token=good", 200, []string{`data-outcome="declined"`, "You declined"}, []string{"good"}},
		{"the token in the URL of a POST", "POST", base + "good", "decision=accept", 400, []string{`data-outcome="bad-request"`, "never in the URL"}, []string{"<form"}},
		{"the token in the URL and the body of a POST", "POST", base + "good", "token=good&decision=accept", 400, []string{`data-outcome="bad-request"`}, []string{"<form"}},
		{"any query on a POST", "POST", post + "?x=1", "token=good&decision=accept", 400, []string{`data-outcome="bad-request"`}, nil},
		{"a POST without a token", "POST", post, "decision=accept", 400, []string{`data-outcome="bad-request"`}, nil},
		{"expired says so", "GET", base + "expired", "", 410, []string{`data-outcome="expired"`, "expired on Sunday 1 March 2026", "resend"}, []string{"<form"}},
		{"used says so", "GET", base + "used", "", 410, []string{`data-outcome="used"`, "already been used"}, nil},
		{"revoked says so", "POST", post, "token=revoked&decision=accept", 410, []string{`data-outcome="revoked"`, "withdrew"}, nil},
		{"replaced says so", "GET", base + "old", "", 410, []string{`data-outcome="replaced"`, "most recent e-mail"}, nil},
		{"unknown says so", "GET", base + "nope", "", 404, []string{`data-outcome="unknown"`, "does not belong to any invitation"}, nil},
		{"inviter lost authority", "POST", post, "token=lost&decision=accept", 403, []string{"can no longer be accepted", "new invitation"}, nil},
		{"no token", "GET", "/team/invitations/accept", "", 400, []string{`data-outcome="bad-request"`}, nil},
		{"outside the base path", "GET", "/invitations/accept?token=good", "", 404, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ct := ""
			if tc.method == "POST" {
				ct = "application/x-www-form-urlencoded"
			}
			rec := do(h, tc.method, tc.target, ct, tc.form, "")
			g.Expect(rec.Code).To(Equal(tc.status), rec.Body.String())
			for _, s := range tc.contains {
				g.Expect(rec.Body.String()).To(ContainSubstring(s))
			}
			for _, s := range tc.absent {
				g.Expect(rec.Body.String()).NotTo(ContainSubstring(s))
			}
			hdr := rec.Header()
			g.Expect(hdr.Get("Cache-Control")).To(Equal("no-store"))
			g.Expect(hdr.Get("Referrer-Policy")).To(Equal("no-referrer"))
			g.Expect(hdr.Get("X-Frame-Options")).To(Equal("DENY"))
			g.Expect(hdr.Get("Content-Security-Policy")).To(ContainSubstring("default-src 'none'"))
			g.Expect(hdr.Get("Content-Security-Policy")).To(ContainSubstring("form-action 'self'"))
		})
	}
	NewWithT(t).Expect(f.responses).To(ConsistOf("good accept", "good decline", "revoked accept", "lost accept"),
		"a POST with a query decides nothing")
}

func TestAcceptAPI(t *testing.T) {
	f := &fakeAnswerer{results: map[string]invitation.Result{"good": valid(), "used": {Outcome: invitation.OutcomeUsed}}}
	h := newTestServer(t, f, acceptserver.ServerOptions{})
	const path = "/team/api/v1/invitations/accept"
	cases := []struct {
		name        string
		contentType string
		body        string
		status      int
		outcome     invitation.Outcome
	}{
		{"look up", "application/json", `{"token":"good"}`, 200, invitation.OutcomeValid},
		{"accept", "application/json", `{"token":"good","decision":"accept"}`, 200, invitation.OutcomeAccepted},
		{"decline", "application/json; charset=utf-8", `{"token":"good","decision":"decline"}`, 200, invitation.OutcomeDeclined},
		{"used", "application/json", `{"token":"used","decision":"accept"}`, 410, invitation.OutcomeUsed},
		{"unknown", "application/json", `{"token":"x","decision":"accept"}`, 404, invitation.OutcomeUnknown},
		{"bad decision", "application/json", `{"token":"good","decision":"maybe"}`, 400, invitation.OutcomeBadRequest},
		{"no token", "application/json", `{"decision":"accept"}`, 400, invitation.OutcomeBadRequest},
		{"not JSON", "application/json", `token=good`, 400, invitation.OutcomeBadRequest},
		{"form content type", "application/x-www-form-urlencoded", `{"token":"good"}`, 400, invitation.OutcomeBadRequest},
		{"too large", "application/json", `{"token":"` + strings.Repeat("a", 10<<10) + `"}`, 400, invitation.OutcomeBadRequest},
		{"the token in the URL", "application/json", `{"token":"good","decision":"accept"}`, 400, invitation.OutcomeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			target := path
			if tc.name == "the token in the URL" {
				target += "?token=good"
			}
			rec := do(h, "POST", target, tc.contentType, tc.body, "")
			g.Expect(rec.Code).To(Equal(tc.status), rec.Body.String())
			g.Expect(rec.Header().Get("Content-Type")).To(Equal("application/json"))
			var resp acceptserver.APIResponse
			g.Expect(json.Unmarshal(rec.Body.Bytes(), &resp)).To(Succeed())
			g.Expect(resp.Outcome).To(Equal(tc.outcome))
			g.Expect(resp.Message).NotTo(BeEmpty())
			if tc.outcome == invitation.OutcomeAccepted {
				g.Expect(resp.Member).To(Equal("erin-at-example-com"))
				g.Expect(resp.Role).To(Equal("Viewer"))
				g.Expect(resp.Organization).To(Equal("acme"))
				g.Expect(resp.ExpiresAt).To(Equal("2026-03-08T09:30:00Z"))
			}
		})
	}
	// GET is not the API.
	NewWithT(t).Expect(do(h, "GET", path, "", "", "").Code).To(Equal(http.StatusMethodNotAllowed))
}

func TestAcceptRateLimits(t *testing.T) {
	g := NewWithT(t)
	now := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := &fakeAnswerer{
		results: map[string]invitation.Result{"a1": valid(), "a2": valid(), "b": valid()},
		// a1 and a2 are two links (a resend) of one invitation.
		keys: map[string]string{"a1": "uid-a", "a2": "uid-a", "b": "uid-b"},
	}
	h := newTestServer(t, f, acceptserver.ServerOptions{
		ClientLimit:     acceptserver.Limit{Every: time.Minute, Burst: 5},
		InvitationLimit: acceptserver.Limit{Every: time.Minute, Burst: 3},
		Clock:           now,
	})
	get := func(token, remote string) *httptest.ResponseRecorder {
		return do(h, "GET", "/team/invitations/accept?token="+url.QueryEscape(token), "", "", remote)
	}
	// Per invitation: three requests, across both of its links, from different clients.
	g.Expect(get("a1", "10.0.0.1:1000").Code).To(Equal(200))
	g.Expect(get("a2", "10.0.0.2:1000").Code).To(Equal(200))
	g.Expect(get("a1", "10.0.0.3:1000").Code).To(Equal(200))
	limited := get("a2", "10.0.0.4:1000")
	g.Expect(limited.Code).To(Equal(http.StatusTooManyRequests))
	g.Expect(limited.Header().Get("Retry-After")).NotTo(BeEmpty())
	g.Expect(limited.Body.String()).To(ContainSubstring(`data-outcome="rate-limited"`))
	// Another invitation is not affected.
	g.Expect(get("b", "10.0.0.4:1000").Code).To(Equal(200))

	// Per client: five requests whatever the tokens, then refused, also for the API.
	for i := range 5 {
		g.Expect(get("unknown-"+string(rune('a'+i)), "10.9.9.9:1").Code).To(Equal(404))
	}
	g.Expect(get("b", "10.9.9.9:2").Code).To(Equal(http.StatusTooManyRequests))
	api := do(h, "POST", "/team/api/v1/invitations/accept", "application/json", `{"token":"b","decision":"accept"}`, "10.9.9.9:3")
	g.Expect(api.Code).To(Equal(http.StatusTooManyRequests))
	g.Expect(f.responses).To(BeEmpty(), "a refused request decides nothing")

	// The bucket refills.
	now.SetTime(now.Now().Add(time.Minute))
	g.Expect(get("b", "10.9.9.9:4").Code).To(Equal(200))
}

func TestAcceptRateLimitBehindProxy(t *testing.T) {
	g := NewWithT(t)
	f := &fakeAnswerer{results: map[string]invitation.Result{"x": valid()}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newTestServer(t, f, acceptserver.ServerOptions{
		ClientLimit: acceptserver.Limit{Every: time.Hour, Burst: 1}, TrustForwardedFor: true,
		Clock: clocktesting.NewFakePassiveClock(now),
	})
	req := func(xff string) int {
		r := httptest.NewRequest("GET", "/team/invitations/accept?token=nope", nil)
		r.RemoteAddr = "10.0.0.1:443" // the proxy
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	// The proxy appends the real client last; what a client sends before it does not count.
	g.Expect(req("1.1.1.1, 203.0.113.7")).To(Equal(404))
	g.Expect(req("9.9.9.9, 203.0.113.7")).To(Equal(429))
	g.Expect(req("203.0.113.8")).To(Equal(404))
}

func TestServerBaseURL(t *testing.T) {
	cases := []struct {
		name    string
		opts    acceptserver.ServerOptions
		want    string
		wantErr string
	}{
		{"given", acceptserver.ServerOptions{BaseURL: "https://roster.example.com/"}, "https://roster.example.com", ""},
		{"with a path", acceptserver.ServerOptions{BaseURL: "https://example.com/roster"}, "https://example.com/roster", ""},
		{"derived from a loopback listener", acceptserver.ServerOptions{BindAddress: "127.0.0.1:0"}, "http://127.0.0.1:", ""},
		{"every interface becomes loopback", acceptserver.ServerOptions{BindAddress: ":0"}, "http://127.0.0.1:", ""},
		{"not a URL", acceptserver.ServerOptions{BaseURL: "roster.example.com"}, "", "absolute http or https URL"},
		{"with a query", acceptserver.ServerOptions{BaseURL: "https://x.io/?a=b"}, "", "without query"},
		{"nothing", acceptserver.ServerOptions{}, "", "bind address or a base URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			s, err := acceptserver.NewServer(tc.opts, &fakeAnswerer{})
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			defer s.Close()
			g.Expect(s.BaseURL()).To(HavePrefix(tc.want))
		})
	}
}

func TestServerFallsBackToAFreePort(t *testing.T) {
	g := NewWithT(t)
	taken, err := acceptserver.NewServer(acceptserver.ServerOptions{BindAddress: "127.0.0.1:0"}, &fakeAnswerer{})
	g.Expect(err).NotTo(HaveOccurred())
	defer taken.Close()
	_, err = acceptserver.NewServer(acceptserver.ServerOptions{BindAddress: taken.Addr()}, &fakeAnswerer{})
	g.Expect(err).To(MatchError(ContainSubstring("cannot listen")))
	s, err := acceptserver.NewServer(acceptserver.ServerOptions{BindAddress: taken.Addr(), FallbackToEphemeral: true}, &fakeAnswerer{})
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	g.Expect(s.Addr()).NotTo(Equal(taken.Addr()))
	g.Expect(s.BaseURL()).To(Equal("http://" + s.Addr()))
}

func TestServerServes(t *testing.T) {
	g := NewWithT(t)
	f := &fakeAnswerer{results: map[string]invitation.Result{"good": valid()}}
	s, err := acceptserver.NewServer(acceptserver.ServerOptions{BindAddress: "127.0.0.1:0", Log: logr.Discard()}, f)
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Start(ctx) }()
	g.Expect(s.NeedLeaderElection()).To(BeFalse())
	resp, err := http.Get(invitation.Link(s.BaseURL(), "good"))
	g.Expect(err).NotTo(HaveOccurred())
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(200))
	g.Expect(string(body)).To(ContainSubstring(`id="accept"`))
	cancel()
	g.Eventually(done).Should(Receive(BeNil()))
}
