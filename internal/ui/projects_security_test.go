package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// The fake backend's Projects view: it records the writes that reach it.

func (f *fakeBackend) Projects(_ context.Context, org string) (*Projects, error) {
	return &Projects{Organization: org, Items: []Project{{Name: "web", Environments: []string{"dev"},
		Namespaces: []ProjectNamespace{{Name: org + "-web-dev", Environment: "dev", Phase: "Active"}}, Ready: true, Reason: "Ready"}}}, nil
}
func (f *fakeBackend) CreateProject(_ context.Context, _ string, p NewProject) error {
	return f.record("create " + p.Name + " " + strings.Join(p.Environments, ","))
}
func (f *fakeBackend) AddEnvironment(_ context.Context, _, project, env string) error {
	return f.record("add-env " + project + " " + env)
}
func (f *fakeBackend) RemoveEnvironment(_ context.Context, _, project, env string) error {
	return f.record("remove-env " + project + " " + env)
}
func (f *fakeBackend) DeleteProject(_ context.Context, _, project string) error {
	return f.record("delete " + project)
}
func (f *fakeBackend) ConfirmDeleteNamespaces(_ context.Context, _, project string, namespaces []string) error {
	return f.record("confirm " + project + " " + strings.Join(namespaces, ","))
}

// projectWrites are the Projects view's state-changing endpoints, each
// with a body the fake accepts and the write it records.
var projectWrites = []struct{ path, body, write string }{
	{"/api/projects", `{"org":"acme","project":"web","environments":["dev","prod"]}`, "create web dev,prod"},
	{"/api/projects/environments/add", `{"org":"acme","project":"web","environment":"qa"}`, "add-env web qa"},
	{"/api/projects/environments/remove", `{"org":"acme","project":"web","environment":"dev"}`, "remove-env web dev"},
	{"/api/projects/delete", `{"org":"acme","project":"web"}`, "delete web"},
	{"/api/projects/confirm-delete", `{"org":"acme","project":"web","namespaces":["acme-web-dev"]}`, "confirm web acme-web-dev"},
}

// TestProjectsEndpointsGuarded: the Projects API keeps every protection of
// the Users page's: no session, another Host, a cross-origin or form post,
// a missing, made-up, replayed or another session's CSRF token are all
// refused before the backend is asked.
func TestProjectsEndpointsGuarded(t *testing.T) {
	g := NewWithT(t)
	srv, fb, base, c := start(t)
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	anon := &http.Client{}

	code, _ := do(t, anon, http.MethodGet, base+"/api/projects?org=acme", nil, "")
	g.Expect(code).To(Equal(http.StatusUnauthorized), "no session")
	code, _ = do(t, anon, http.MethodGet, base+"/static/projects.js", nil, "")
	g.Expect(code).To(Equal(http.StatusUnauthorized), "no session")
	code, _ = do(t, c, http.MethodGet, base+"/api/projects?org=acme", map[string]string{"Host": "evil.example:" + port}, "")
	g.Expect(code).To(Equal(http.StatusMisdirectedRequest), "DNS rebinding")

	second := func() *http.Client {
		cl := &http.Client{Jar: newJar(t)}
		resp, err := cl.Get(srv.URL())
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		return cl
	}()

	for _, w := range projectWrites {
		token := csrf(t, c, base)
		code, _ = do(t, anon, http.MethodPost, base+w.path, post(base, token), w.body)
		g.Expect(code).To(Equal(http.StatusUnauthorized), "%s without a session", w.path)

		h := post(base, token)
		h["Host"], h["Origin"] = "evil.example:"+port, "http://evil.example:"+port
		code, _ = do(t, c, http.MethodPost, base+w.path, h, w.body)
		g.Expect(code).To(Equal(http.StatusMisdirectedRequest), "%s from another Host", w.path)

		for _, origin := range []string{"http://evil.example", "null", ""} {
			h := post(base, csrf(t, c, base))
			h["Origin"] = origin
			if origin == "" {
				delete(h, "Origin")
			}
			code, _ = do(t, c, http.MethodPost, base+w.path, h, w.body)
			g.Expect(code).To(Equal(http.StatusForbidden), "%s from origin %q", w.path, origin)
		}
		h = post(base, csrf(t, c, base))
		h["Content-Type"] = "application/x-www-form-urlencoded"
		code, _ = do(t, c, http.MethodPost, base+w.path, h, "org=acme&project=web")
		g.Expect(code).To(Equal(http.StatusUnsupportedMediaType), "%s as a form post", w.path)

		for _, bad := range []string{"", "made-up", csrf(t, second, base)} {
			code, _ = do(t, c, http.MethodPost, base+w.path, post(base, bad), w.body)
			g.Expect(code).To(Equal(http.StatusForbidden), "%s with token %q", w.path, bad)
		}
		g.Expect(fb.calls()).To(BeEmpty(), "%s: nothing refused reached the backend", w.path)
	}

	// Each goes through once with a fresh token, and a replay is refused.
	var want []string
	for _, w := range projectWrites {
		token := csrf(t, c, base)
		code, body := do(t, c, http.MethodPost, base+w.path, post(base, token), w.body)
		g.Expect(code).To(Equal(http.StatusOK), "%s: %s", w.path, body)
		code, _ = do(t, c, http.MethodPost, base+w.path, post(base, token), w.body)
		g.Expect(code).To(Equal(http.StatusForbidden), "%s with a replayed token", w.path)
		want = append(want, w.write)
	}
	g.Expect(fb.calls()).To(Equal(want))

	code, body := do(t, c, http.MethodGet, base+"/api/projects?org=acme", nil, "")
	g.Expect(code).To(Equal(http.StatusOK), body)
	var list Projects
	g.Expect(json.Unmarshal([]byte(body), &list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Namespaces[0].Name).To(Equal("acme-web-dev"))

	js, _ := assets.ReadFile("assets/projects.js")
	g.Expect(string(js)).NotTo(ContainSubstring("innerHTML"), "strings reach the page through textContent only")
}

func TestProjectsRequestWantsAProject(t *testing.T) {
	g := NewWithT(t)
	_, fb, base, c := start(t)
	code, body := do(t, c, http.MethodPost, base+"/api/projects/delete", post(base, csrf(t, c, base)), `{"org":"acme"}`)
	g.Expect(code).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("no project"))
	code, body = do(t, c, http.MethodPost, base+"/api/projects/confirm-delete", post(base, csrf(t, c, base)), `{"org":"acme","project":"web"}`)
	g.Expect(code).To(Equal(http.StatusBadRequest), body)
	code, _ = do(t, c, http.MethodPost, base+"/api/projects", post(base, csrf(t, c, base)), `{"org":"acme","project":"web","spec":{}}`)
	g.Expect(code).To(Equal(http.StatusBadRequest), "a forged field is refused, not ignored")
	g.Expect(fb.calls()).To(BeEmpty())
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return jar
}

// onlyUsers is a Backend without the Projects view.
type onlyUsers struct{ Backend }

func TestNoProjectsBackend(t *testing.T) {
	g := NewWithT(t)
	srv, err := New(Options{Backend: onlyUsers{&fakeBackend{}}})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Serve(ctx) }()
	c := &http.Client{Jar: newJar(t)}
	resp, err := c.Get(srv.URL())
	g.Expect(err).NotTo(HaveOccurred())
	_ = resp.Body.Close()
	code, _ := do(t, c, http.MethodGet, "http://"+srv.Addr()+"/api/projects?org=acme", nil, "")
	g.Expect(code).To(Equal(http.StatusNotImplemented))
}
