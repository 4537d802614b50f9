package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SessionCookie is the prefix of the cookie that holds the session a
// browser got for the launch secret; the port follows, since cookies are
// not kept apart by port and two pages (two users, --as) may run at once.
const SessionCookie = "roster_ui_session_"

// CSRFHeader carries the single-use token of a state-changing request.
const CSRFHeader = "X-Roster-CSRF"

// csrfLifetime bounds how long an unused CSRF token is honoured.
const csrfLifetime = 10 * time.Minute

// contentSecurityPolicy allows the page's own embedded script and styles
// and nothing else: no inline script or style, no other origin, no
// framing, no form posted elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// guard is the server's security state: the launch secret, the sessions
// it opened and their unused CSRF tokens.
type guard struct {
	secret string
	// cookie is the session cookie's name.
	cookie string
	// hosts are the Host header values the server answers to.
	hosts []string
	now   func() time.Time

	mu       sync.Mutex
	sessions map[string]map[string]time.Time // session -> CSRF token -> issued
}

func newGuard(port int, now func() time.Time) *guard {
	p := strconv.Itoa(port)
	return &guard{
		secret:   randomToken(),
		cookie:   SessionCookie + p,
		hosts:    []string{"127.0.0.1:" + p, "localhost:" + p},
		now:      now,
		sessions: map[string]map[string]time.Time{},
	}
}

// hostAllowed refuses any Host but the server's own address: a DNS
// rebinding page reaches 127.0.0.1 under its own name.
func (g *guard) hostAllowed(host string) bool {
	for _, h := range g.hosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

// originAllowed wants the Origin of a state-changing request to be the
// server's own: browsers send it on every cross-origin and every fetch
// POST, so a request without one is not the page's.
func (g *guard) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	for _, h := range g.hosts {
		if strings.EqualFold(origin, "http://"+h) {
			return true
		}
	}
	return false
}

// openSession starts a session for whoever presented the launch secret.
func (g *guard) openSession(secret string) (string, bool) {
	if !equalSecret(secret, g.secret) {
		return "", false
	}
	id := randomToken()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions[id] = map[string]time.Time{}
	return id, true
}

// session is the request's session id, if its cookie names one.
func (g *guard) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(g.cookie)
	if err != nil || c.Value == "" {
		return "", false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for id := range g.sessions {
		if equalSecret(id, c.Value) {
			return id, true
		}
	}
	return "", false
}

// issueCSRF hands the session a new single-use token.
func (g *guard) issueCSRF(session string) string {
	token := randomToken()
	g.mu.Lock()
	defer g.mu.Unlock()
	tokens := g.sessions[session]
	now := g.now()
	for t, at := range tokens {
		if now.Sub(at) > csrfLifetime {
			delete(tokens, t)
		}
	}
	tokens[token] = now
	return token
}

// useCSRF consumes token: true once, for a token the session was issued
// and has not used; a replayed token is refused.
func (g *guard) useCSRF(session, token string) bool {
	if token == "" {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	tokens := g.sessions[session]
	for t, at := range tokens {
		if equalSecret(t, token) {
			delete(tokens, t)
			return g.now().Sub(at) <= csrfLifetime
		}
	}
	return false
}

// secureHeaders are set on every answer.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// protect wraps the page's handlers: Host first, then the session, then,
// for anything but GET and HEAD, the Origin, a JSON body and the CSRF
// token.
func (g *guard) protect(next func(w http.ResponseWriter, r *http.Request, session string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		if !g.hostAllowed(r.Host) {
			http.Error(w, "unknown host: this server answers only to its own address", http.StatusMisdirectedRequest)
			return
		}
		session, ok := g.session(r)
		if !ok {
			http.Error(w, "no session: open the address kubectl roster ui printed", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !g.originAllowed(r) {
				http.Error(w, "cross-origin request refused", http.StatusForbidden)
				return
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				http.Error(w, "a JSON body is required", http.StatusUnsupportedMediaType)
				return
			}
			if !g.useCSRF(session, r.Header.Get(CSRFHeader)) {
				http.Error(w, "missing, used or expired CSRF token: reload the page", http.StatusForbidden)
				return
			}
		}
		next(w, r, session)
	})
}
