package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// fakeBackend records the writes that reach it.
type fakeBackend struct {
	mu      sync.Mutex
	entries []Entry
	writes  []string
}

func (f *fakeBackend) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, s)
	return nil
}

func (f *fakeBackend) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.writes...)
}

func (f *fakeBackend) User(context.Context) (string, error) { return "alice@example.com", nil }
func (f *fakeBackend) Organizations(context.Context) ([]Organization, string, error) {
	return []Organization{{Name: "acme", Role: orgsv1alpha1.RoleOwner}}, "acme", nil
}
func (f *fakeBackend) Directory(_ context.Context, org string) (*Directory, error) {
	return &Directory{Organization: org, Entries: f.entries}, nil
}
func (f *fakeBackend) Access(context.Context, string) (Access, error) {
	return Access{ViewUsers: true, Invite: true, ManageUsers: true}, nil
}
func (f *fakeBackend) SetRole(_ context.Context, _, member string, role orgsv1alpha1.Role) error {
	return f.record("set-role " + member + " " + string(role))
}
func (f *fakeBackend) Remove(_ context.Context, _, member string) error {
	return f.record("remove " + member)
}
func (f *fakeBackend) Leave(context.Context, string) error { return f.record("leave") }
func (f *fakeBackend) ValidEmail(email string) error {
	if !strings.Contains(email, "@") {
		return fmt.Errorf("not an e-mail address such as alice@example.com")
	}
	return nil
}
func (f *fakeBackend) Invite(_ context.Context, _, email string, role orgsv1alpha1.Role) error {
	if role == orgsv1alpha1.RoleOwner {
		return &Problem{Message: "admission webhook denied the request: only Owners may invite Owners", Code: http.StatusForbidden}
	}
	return f.record("invite " + email + " " + string(role))
}
func (f *fakeBackend) Resend(_ context.Context, _, name string) error {
	return f.record("resend " + name)
}
func (f *fakeBackend) Revoke(_ context.Context, _, name string) error {
	return f.record("revoke " + name)
}

// start serves a Server with a fake backend and returns it, its base URL
// and a client that opened a session.
func start(t *testing.T) (*Server, *fakeBackend, string, *http.Client) {
	t.Helper()
	g := NewWithT(t)
	fb := &fakeBackend{entries: []Entry{{Kind: "Member", Name: "alice@example.com", Role: orgsv1alpha1.RoleOwner, Status: "member", Object: "alice"}}}
	srv, err := New(Options{Backend: fb})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		g.Expect(<-done).To(Succeed())
	})
	jar, err := cookiejar.New(nil)
	g.Expect(err).NotTo(HaveOccurred())
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(srv.URL())
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	return srv, fb, "http://" + srv.Addr(), c
}

func do(t *testing.T, c *http.Client, method, u string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, u, strings.NewReader(body))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func csrf(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	code, body := do(t, c, http.MethodGet, base+"/api/csrf", nil, "")
	NewWithT(t).Expect(code).To(Equal(http.StatusOK), body)
	var v struct{ Token string }
	NewWithT(t).Expect(json.Unmarshal([]byte(body), &v)).To(Succeed())
	return v.Token
}

func post(base, token string) map[string]string {
	return map[string]string{"Origin": base, "Content-Type": "application/json", CSRFHeader: token}
}

const removeBody = `{"org":"acme","member":"bob"}`

func TestListensOnLoopbackOnly(t *testing.T) {
	g := NewWithT(t)
	srv, _, _, _ := start(t)
	g.Expect(srv.Addr()).To(HavePrefix("127.0.0.1:"))
	g.Expect(srv.URL()).To(MatchRegexp(`^http://127\.0\.0\.1:\d+/session\?secret=[A-Za-z0-9_-]{43}$`))
}

func TestSessionCookieFromTheSecret(t *testing.T) {
	g := NewWithT(t)
	srv, _, base, _ := start(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL())
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
	g.Expect(resp.Header.Get("Location")).To(Equal("/"), "the secret must leave the address bar")
	cookie := resp.Header.Get("Set-Cookie")
	g.Expect(cookie).To(HavePrefix(srv.guard.cookie + "="))
	g.Expect(cookie).To(ContainSubstring("HttpOnly"))
	g.Expect(cookie).To(ContainSubstring("SameSite=Strict"))
	g.Expect(cookie).NotTo(ContainSubstring(srv.guard.secret), "the cookie is a session id, not the launch secret")

	code, _ := do(t, noRedirect, http.MethodGet, base+"/session?secret=wrong", nil, "")
	g.Expect(code).To(Equal(http.StatusUnauthorized))
	code, _ = do(t, noRedirect, http.MethodGet, base+"/session", nil, "")
	g.Expect(code).To(Equal(http.StatusUnauthorized))
}

func TestRefusedWithoutSession(t *testing.T) {
	g := NewWithT(t)
	srv, fb, base, c := start(t)
	token := csrf(t, c, base)
	anon := &http.Client{}
	for _, path := range []string{"/", "/static/app.js", "/api/session", "/api/users?org=acme", "/api/csrf", "/nothing"} {
		code, _ := do(t, anon, http.MethodGet, base+path, nil, "")
		g.Expect(code).To(Equal(http.StatusUnauthorized), path)
	}
	code, _ := do(t, anon, http.MethodPost, base+"/api/members/remove", post(base, token), removeBody)
	g.Expect(code).To(Equal(http.StatusUnauthorized))
	forged := &http.Client{}
	code, _ = do(t, forged, http.MethodGet, base+"/api/users?org=acme", map[string]string{"Cookie": srv.guard.cookie + "=forged"}, "")
	g.Expect(code).To(Equal(http.StatusUnauthorized))
	g.Expect(fb.calls()).To(BeEmpty())
}

func TestRefusesAnotherHost(t *testing.T) {
	g := NewWithT(t)
	srv, fb, base, c := start(t)
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.nip.io:" + port, "127.0.0.1:1"} {
		code, _ := do(t, c, http.MethodGet, base+"/api/users?org=acme", map[string]string{"Host": host}, "")
		g.Expect(code).To(Equal(http.StatusMisdirectedRequest), host)
		token := csrf(t, c, base)
		code, _ = do(t, c, http.MethodPost, base+"/api/members/remove", map[string]string{"Host": host, "Origin": "http://" + host,
			"Content-Type": "application/json", CSRFHeader: token}, removeBody)
		g.Expect(code).To(Equal(http.StatusMisdirectedRequest), host)
		secretURL, _ := url.Parse(srv.URL())
		code, _ = do(t, &http.Client{}, http.MethodGet, secretURL.String(), map[string]string{"Host": host}, "")
		g.Expect(code).To(Equal(http.StatusMisdirectedRequest), "a rebinding page must not get a session either")
	}
	g.Expect(srv.guard.hostAllowed("localhost:"+port)).To(BeTrue(), "localhost names the same server")
	code, _ := do(t, c, http.MethodGet, base+"/api/users?org=acme", nil, "")
	g.Expect(code).To(Equal(http.StatusOK))
	g.Expect(fb.calls()).To(BeEmpty())
}

func TestRefusesCrossOriginPost(t *testing.T) {
	g := NewWithT(t)
	_, fb, base, c := start(t)
	for _, origin := range []string{"http://evil.example", "null", "", "https://" + strings.TrimPrefix(base, "http://")} {
		h := post(base, csrf(t, c, base))
		if origin == "" {
			delete(h, "Origin")
		} else {
			h["Origin"] = origin
		}
		code, body := do(t, c, http.MethodPost, base+"/api/members/remove", h, removeBody)
		g.Expect(code).To(Equal(http.StatusForbidden), "origin %q: %s", origin, body)
	}
	// A simple cross-site form post cannot send JSON.
	code, _ := do(t, c, http.MethodPost, base+"/api/members/remove", map[string]string{"Origin": base,
		"Content-Type": "application/x-www-form-urlencoded", CSRFHeader: csrf(t, c, base)}, "org=acme&member=bob")
	g.Expect(code).To(Equal(http.StatusUnsupportedMediaType))
	g.Expect(fb.calls()).To(BeEmpty())
}

func TestCSRFTokenIsSingleUse(t *testing.T) {
	g := NewWithT(t)
	_, fb, base, c := start(t)
	code, _ := do(t, c, http.MethodPost, base+"/api/members/remove", post(base, ""), removeBody)
	g.Expect(code).To(Equal(http.StatusForbidden), "no token")
	code, _ = do(t, c, http.MethodPost, base+"/api/members/remove", post(base, "made-up"), removeBody)
	g.Expect(code).To(Equal(http.StatusForbidden), "a token never issued")

	token := csrf(t, c, base)
	code, body := do(t, c, http.MethodPost, base+"/api/members/remove", post(base, token), removeBody)
	g.Expect(code).To(Equal(http.StatusOK), body)
	code, _ = do(t, c, http.MethodPost, base+"/api/members/remove", post(base, token), removeBody)
	g.Expect(code).To(Equal(http.StatusForbidden), "a replayed token")
	g.Expect(fb.calls()).To(Equal([]string{"remove bob"}))

}

func TestCSRFTokenOfAnotherSession(t *testing.T) {
	g := NewWithT(t)
	srv, fb, base, c := start(t)
	jar, _ := cookiejar.New(nil)
	second := &http.Client{Jar: jar}
	resp, err := second.Get(srv.URL())
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	token := csrf(t, second, base)
	code, _ := do(t, c, http.MethodPost, base+"/api/members/remove", post(base, token), removeBody)
	g.Expect(code).To(Equal(http.StatusForbidden))
	g.Expect(fb.calls()).To(BeEmpty())
}

func TestContentSecurityPolicy(t *testing.T) {
	g := NewWithT(t)
	_, _, base, c := start(t)
	resp, err := c.Get(base + "/")
	g.Expect(err).NotTo(HaveOccurred())
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	g.Expect(csp).To(ContainSubstring("default-src 'none'"))
	g.Expect(csp).To(ContainSubstring("script-src 'self'"))
	g.Expect(csp).To(ContainSubstring("frame-ancestors 'none'"))
	g.Expect(csp).NotTo(ContainSubstring("unsafe"))
	g.Expect(csp).NotTo(ContainSubstring("http"), "no other origin")
	g.Expect(resp.Header.Get("X-Frame-Options")).To(Equal("DENY"))
	// No inline script, no inline style, no external asset.
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(page), -1) {
		g.Expect(tag).To(MatchRegexp(`src="/static/`), tag)
	}
	g.Expect(string(page)).NotTo(ContainSubstring("style="))
	g.Expect(string(page)).NotTo(MatchRegexp(`(src|href)="(https?:)?//`))
	js, _ := assets.ReadFile("assets/app.js")
	g.Expect(string(js)).NotTo(ContainSubstring("innerHTML"), "strings reach the page through textContent only")
}

func TestPaging(t *testing.T) {
	g := NewWithT(t)
	d := &Directory{Organization: "acme"}
	for i := range 10000 {
		d.Entries = append(d.Entries, Entry{Kind: "Member", Name: fmt.Sprintf("user%05d@example.com", i), Role: orgsv1alpha1.RoleViewer, Status: "member"})
	}
	d.Entries[42].Role = orgsv1alpha1.RoleOwner
	d.Entries = append(d.Entries, Entry{Kind: "Invitation", Name: "zed@example.com", Role: orgsv1alpha1.RoleAdmin, Status: "pending"})
	p := pageOf(d, "", "", false, 1, 0)
	g.Expect(p.Items).To(HaveLen(DefaultPageSize))
	g.Expect(p.Total).To(Equal(10001))
	g.Expect(p.Pages).To(Equal(401))
	g.Expect(p.Owners).To(Equal(1))
	g.Expect(p.Members).To(Equal(10000))
	g.Expect(p.Pending).To(Equal(1))
	g.Expect(p.Items[0].Name).To(Equal("user00042@example.com"), "Owners first")

	p = pageOf(d, "USER0999", "name", true, 1, 5)
	g.Expect(p.Total).To(Equal(10))
	g.Expect(p.Items[0].Name).To(Equal("user09999@example.com"))
	p = pageOf(d, "", "name", false, 9999, 1000)
	g.Expect(p.Size).To(Equal(MaxPageSize))
	g.Expect(p.Page).To(Equal(p.Pages), "a page past the end is the last")
	g.Expect(p.Items[len(p.Items)-1].Name).To(Equal("zed@example.com"))
	g.Expect(pageOf(d, "pending", "", false, 1, 0).Items).To(HaveLen(1))
}

func TestBulkInvitePartlyRefused(t *testing.T) {
	g := NewWithT(t)
	_, fb, base, c := start(t)
	code, body := do(t, c, http.MethodPost, base+"/api/invitations", post(base, csrf(t, c, base)),
		`{"org":"acme","invitations":[{"email":"ana@example.com","role":"Viewer"},{"email":"boss@example.com","role":"Owner"},{"email":"nope","role":"Viewer"}]}`)
	g.Expect(code).To(Equal(http.StatusOK), body)
	var r struct{ Results []inviteResult }
	g.Expect(json.Unmarshal([]byte(body), &r)).To(Succeed())
	g.Expect(r.Results).To(HaveLen(3))
	g.Expect(r.Results[0].OK).To(BeTrue())
	g.Expect(r.Results[1].OK).To(BeFalse())
	g.Expect(r.Results[1].Error.Message).To(ContainSubstring("only Owners may invite Owners"))
	g.Expect(r.Results[2].OK).To(BeFalse())
	g.Expect(fb.calls()).To(Equal([]string{"invite ana@example.com Viewer"}))
}
