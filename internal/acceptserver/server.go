package acceptserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/metrics"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// Answerer answers acceptance links; *invitation.Acceptor is the real one.
type Answerer interface {
	// InvitationKey names the invitation a token belongs to, cheaply, for
	// per-invitation rate limits.
	InvitationKey(ctx context.Context, token string) string
	// Lookup says what a token is a link to and changes nothing.
	Lookup(ctx context.Context, token string) (invitation.Result, error)
	// Respond accepts or declines.
	Respond(ctx context.Context, token, decision string) (invitation.Result, error)
}

// ServerOptions configures the accept server.
type ServerOptions struct {
	// BindAddress is where the server listens, e.g. ":8082". Empty: do
	// not listen (tests that only use Handler).
	BindAddress string
	// FallbackToEphemeral takes any free port on the same host when
	// BindAddress is taken (local mode, where two Rosters may run).
	FallbackToEphemeral bool
	// BaseURL is where invitees reach this server (--invite-base-url).
	// Empty: http://<the listener's address>, loopback when the listener
	// is on every interface.
	BaseURL string
	// ClientLimit and InvitationLimit rate-limit requests per client
	// address and per invitation.
	ClientLimit     Limit
	InvitationLimit Limit
	// TrustForwardedFor takes the client's address from the last entry of
	// X-Forwarded-For (set it only behind a proxy that appends it).
	TrustForwardedFor bool
	// Informers, when set, feed the acceptor the deletions of Invitations,
	// so revoked links are recognised.
	Informers cache.Informers
	Log       logr.Logger
	// Clock is the clock (tests); default the real one.
	Clock clock.PassiveClock
}

// Default rate limits: a person clicking around never meets them; a
// script hammering the endpoint does at once.
var (
	DefaultClientLimit     = Limit{Every: 2 * time.Second, Burst: 30}
	DefaultInvitationLimit = Limit{Every: 6 * time.Second, Burst: 10}
)

// Server serves the accept page and the JSON API. It runs on every
// replica (no leader election): any replica can answer a link.
type Server struct {
	opts        ServerOptions
	answerer    Answerer
	listener    net.Listener
	baseURL     string
	prefix      string
	clients     *Limiter
	invitations *Limiter
}

// NewServer listens on opts.BindAddress (so the base URL is known before
// the manager starts) and returns the server.
func NewServer(opts ServerOptions, answerer Answerer) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	s := &Server{
		opts: opts, answerer: answerer,
		clients:     NewLimiter(opts.ClientLimit, 100000),
		invitations: NewLimiter(opts.InvitationLimit, 100000),
	}
	if opts.BindAddress != "" {
		l, err := listen(opts.BindAddress, opts.FallbackToEphemeral)
		if err != nil {
			return nil, err
		}
		s.listener = l
	}
	base := opts.BaseURL
	if base == "" {
		if s.listener == nil {
			return nil, errors.New("the accept server needs a bind address or a base URL")
		}
		base = "http://" + loopback(s.listener.Addr().String())
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		s.Close()
		return nil, fmt.Errorf("--invite-base-url %q must be an absolute http or https URL without query", base)
	}
	s.prefix = strings.TrimRight(u.Path, "/")
	s.baseURL = strings.TrimRight(u.String(), "/")
	return s, nil
}

func listen(addr string, fallback bool) (net.Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", addr)
	if err == nil || !fallback {
		if err != nil {
			return nil, fmt.Errorf("the accept server cannot listen on %s: %w", addr, err)
		}
		return l, nil
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, fmt.Errorf("the accept server cannot listen on %s: %w", addr, err)
	}
	l, err2 := lc.Listen(context.Background(), "tcp", net.JoinHostPort(host, "0"))
	if err2 != nil {
		return nil, fmt.Errorf("the accept server cannot listen on %s (%w) nor on any port of %q: %w", addr, err, host, err2)
	}
	return l, nil
}

// loopback turns a listener address on every interface into one a browser
// on this machine can open.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// BaseURL is the base of the links this server answers.
func (s *Server) BaseURL() string { return s.baseURL }

// Addr is the address the server listens on ("" when not listening).
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Close releases the listener of a server that was never started.
func (s *Server) Close() {
	if s.listener != nil {
		_ = s.listener.Close()
	}
}

// NeedLeaderElection is false: every replica serves links.
func (*Server) NeedLeaderElection() bool { return false }

// deletionTracker is implemented by *invitation.Acceptor.
type deletionTracker interface {
	TrackDeletions(ctx context.Context, informers cache.Informers) error
}

// Start serves until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	if s.listener == nil {
		return errors.New("the accept server has no listener")
	}
	if t, ok := s.answerer.(deletionTracker); ok && s.opts.Informers != nil {
		if err := t.TrackDeletions(ctx, s.opts.Informers); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	s.opts.Log.Info("serving invitation links", "address", s.listener.Addr().String(), "baseURL", s.baseURL)
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	err := srv.Serve(s.listener)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Handler is the accept page, the JSON API and a health check, under the
// base URL's path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+s.prefix+invitation.AcceptPath, s.servePage)
	mux.HandleFunc("POST "+s.prefix+invitation.AcceptPath, s.servePage)
	mux.HandleFunc("POST "+s.prefix+invitation.APIPath, s.serveAPI)
	mux.HandleFunc("GET "+s.prefix+"/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return securityHeaders(mux)
}

// securityHeaders: no caching (the URL holds a token), no referrer (it
// would carry the token elsewhere), no framing, no sniffing, and a CSP
// that allows the page's own style and nothing else.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

const maxBody = 8 << 10

// queryRefused is the answer to a POST with a query: a POST carries the
// token in its body, so that no URL a proxy logs holds it.
const queryRefused = "A POST carries the token in its body, never in the URL, where proxies and ingresses log it: open the link from the e-mail again and use its buttons, or send the token in the JSON body."

// servePage shows the invitation of the link's token (GET, the link from
// the e-mail) or acts on it (POST, the page's form, whose URL has no
// token: it comes in the body).
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		token := r.URL.Query().Get("token")
		res, wait := s.answer(r.Context(), r, token, "", false)
		s.renderPage(w, res, wait, token)
		return
	}
	if r.URL.RawQuery != "" {
		s.renderPage(w, invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: queryRefused}, 0, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.renderPage(w, invitation.Result{Outcome: invitation.OutcomeBadRequest}, 0, "")
		return
	}
	token := r.PostForm.Get("token")
	res, wait := s.answer(r.Context(), r, token, r.PostForm.Get("decision"), true)
	s.renderPage(w, res, wait, token)
}

// renderPage writes the page for res; token goes into the form of a valid
// link, and nowhere else.
func (s *Server) renderPage(w http.ResponseWriter, res invitation.Result, wait time.Duration, token string) {
	d, status := pageFor(res)
	if res.Outcome == invitation.OutcomeValid {
		d.Action, d.Token = s.prefix+invitation.AcceptPath, token
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, d); err != nil {
		s.opts.Log.Error(err, "rendering the accept page")
	}
}

// APIRequest is the JSON API's request body. An empty decision only looks
// the invitation up.
type APIRequest struct {
	Token    string `json:"token"`
	Decision string `json:"decision,omitempty"`
}

// APIResponse is the JSON API's answer.
type APIResponse struct {
	Outcome                 invitation.Outcome `json:"outcome"`
	Message                 string             `json:"message"`
	Email                   string             `json:"email,omitempty"`
	Organization            string             `json:"organization,omitempty"`
	OrganizationDisplayName string             `json:"organizationDisplayName,omitempty"`
	Role                    string             `json:"role,omitempty"`
	InvitedBy               string             `json:"invitedBy,omitempty"`
	ExpiresAt               string             `json:"expiresAt,omitempty"`
	Member                  string             `json:"member,omitempty"`
	User                    string             `json:"user,omitempty"`
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	var req APIRequest
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var res invitation.Result
	var wait time.Duration
	switch {
	case r.URL.RawQuery != "":
		res = invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: queryRefused}
	case mediaType != "application/json":
		res = invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: "send the request as application/json"}
	case json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req) != nil:
		res = invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: `the body must be JSON: {"token": "...", "decision": "accept" or "decline"}`}
	case req.Decision != "" && req.Decision != invitation.DecisionAccept && req.Decision != invitation.DecisionDecline:
		res = invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: `decision must be "accept", "decline" or empty (look up only)`}
	default:
		res, wait = s.answer(r.Context(), r, req.Token, req.Decision, req.Decision != "")
	}
	d, status := pageFor(res)
	out := APIResponse{
		Outcome: res.Outcome, Message: strings.TrimSpace(d.Text + " " + d.Detail),
		Email: res.Email, Organization: res.Organization, OrganizationDisplayName: res.OrganizationDisplayName,
		Role: string(res.Role), InvitedBy: res.InvitedBy, Member: res.Member, User: res.User,
	}
	if res.Outcome == invitation.OutcomeValid {
		out.Message = "The invitation can be accepted or declined."
	}
	if !res.ExpiresAt.IsZero() {
		out.ExpiresAt = res.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// answer rate-limits, then looks up or responds. It never logs the token.
func (s *Server) answer(ctx context.Context, r *http.Request, token, decision string, act bool) (invitation.Result, time.Duration) {
	now := s.opts.Clock.Now()
	client := s.clientAddress(r)
	res, wait := s.limitedAnswer(ctx, client, token, decision, act, now)
	metrics.RecordAcceptRequest(string(res.Outcome))
	s.opts.Log.V(1).Info("invitation link answered", "outcome", res.Outcome, "client", client, "act", act)
	return res, wait
}

func (s *Server) limitedAnswer(ctx context.Context, client, token, decision string, act bool, now time.Time) (invitation.Result, time.Duration) {
	if ok, wait := s.clients.Allow(client, now); !ok {
		return invitation.Result{Outcome: invitation.OutcomeRateLimited}, wait
	}
	if token == "" {
		return invitation.Result{Outcome: invitation.OutcomeBadRequest, Message: "the link has no token"}, 0
	}
	if ok, wait := s.invitations.Allow(s.answerer.InvitationKey(ctx, token), now); !ok {
		return invitation.Result{Outcome: invitation.OutcomeRateLimited}, wait
	}
	var (
		res invitation.Result
		err error
	)
	if act {
		res, err = s.answerer.Respond(ctx, token, decision)
	} else {
		res, err = s.answerer.Lookup(ctx, token)
	}
	if err != nil {
		s.opts.Log.Error(err, "answering an invitation link", "outcome", res.Outcome)
		if res.Outcome == "" || res.Outcome == invitation.OutcomeValid {
			res.Outcome = invitation.OutcomeUnavailable
		}
	}
	return res, 0
}

// clientAddress is the rate limit's notion of a client: the peer's IP, or
// the proxy's last X-Forwarded-For entry when trusted.
func (s *Server) clientAddress(r *http.Request) string {
	if s.opts.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
