package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"time"

	"k8s.io/utils/clock"
)

//go:embed assets
var assets embed.FS

var pageTemplate = template.Must(template.ParseFS(assets, "assets/index.html", "assets/projects.html"))

// Options configure a Server.
type Options struct {
	Backend Backend
	// Port is the port on 127.0.0.1; 0 picks a free one.
	Port int
	// Org is the organization to show first (--org); empty lets the
	// Backend choose.
	Org string
	// PollInterval is how often the page asks for changes (default 2s).
	PollInterval time.Duration
	// Clock is the clock; tests fix it. Default the real one.
	Clock clock.PassiveClock
}

// Server is the Users page's web server.
type Server struct {
	o        Options
	listener net.Listener
	guard    *guard
	http     *http.Server
}

// New listens on 127.0.0.1 (never another address) and returns the
// server, not yet serving.
func New(o Options) (*Server, error) {
	if o.Backend == nil {
		return nil, errors.New("ui: no backend")
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(o.Port)))
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1:%d: %w", o.Port, err)
	}
	s := &Server{o: o, listener: l, guard: newGuard(l.Addr().(*net.TCPAddr).Port, o.Clock.Now)}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL opens a session: it holds the launch secret, which the server
// exchanges for a cookie and removes from the address bar.
func (s *Server) URL() string {
	u := "http://" + s.Addr() + "/session?secret=" + url.QueryEscape(s.guard.secret)
	if s.o.Org != "" {
		u += "&org=" + url.QueryEscape(s.o.Org)
	}
	return u
}

// Serve serves until ctx ends, then shuts down.
func (s *Server) Serve(ctx context.Context) error {
	errs := make(chan error, 1)
	go func() { errs <- s.http.Serve(s.listener) }()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
		// Requests in flight get a moment to finish. Then whatever is
		// left is closed: the browser keeps speculative connections open
		// that Shutdown counts as busy for their first 5 s, and a local
		// page going away has nothing left to lose.
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.http.Shutdown(shutdown); !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return s.http.Close()
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /session", s.openSession)
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", s.guard.protect(func(w http.ResponseWriter, r *http.Request, _ string) {
		http.StripPrefix("/static/", files).ServeHTTP(w, r)
	}))
	mux.Handle("GET /{$}", s.guard.protect(s.page))
	mux.Handle("GET /api/session", s.guard.protect(s.apiSession))
	mux.Handle("GET /api/csrf", s.guard.protect(s.apiCSRF))
	mux.Handle("GET /api/users", s.guard.protect(s.apiUsers))
	mux.Handle("POST /api/members/role", s.guard.protect(s.apiSetRole))
	mux.Handle("POST /api/members/remove", s.guard.protect(s.apiRemove))
	mux.Handle("POST /api/leave", s.guard.protect(s.apiLeave))
	mux.Handle("POST /api/invitations", s.guard.protect(s.apiInvite))
	mux.Handle("POST /api/invitations/check", s.guard.protect(s.apiCheckEmails))
	mux.Handle("POST /api/invitations/resend", s.guard.protect(s.apiResend))
	mux.Handle("POST /api/invitations/delete", s.guard.protect(s.apiRevoke))
	s.projectRoutes(mux)
	// Anything else, and every route above, is refused without the Host
	// and session checks having passed.
	mux.Handle("/", s.guard.protect(func(w http.ResponseWriter, r *http.Request, _ string) { http.NotFound(w, r) }))
	return mux
}

// openSession exchanges the launch secret for the session cookie and
// sends the browser on to the page, without the secret in the address.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if !s.guard.hostAllowed(r.Host) {
		http.Error(w, "unknown host: this server answers only to its own address", http.StatusMisdirectedRequest)
		return
	}
	id, ok := s.guard.openSession(r.URL.Query().Get("secret"))
	if !ok {
		http.Error(w, "wrong or missing secret: open the address kubectl roster ui printed", http.StatusUnauthorized)
		return
	}
	// Not Secure: the server speaks plain HTTP on the loopback interface.
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // see above
		Name: s.guard.cookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	next := "/"
	if org := r.URL.Query().Get("org"); org != "" {
		next += "?org=" + url.QueryEscape(org)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// pageData fills index.html.
type pageData struct {
	PollMillis int64
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request, _ string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, pageData{PollMillis: s.o.PollInterval.Milliseconds()})
}

func contextWithTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}
