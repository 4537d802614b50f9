package fault_test

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/rest"
)

// tcpProxy forwards TCP connections to target. Cut, its port refuses
// connections (the webhook Service has no endpoints); blackholed, it
// accepts them and never answers (the webhook hangs).
type tcpProxy struct {
	target string
	addr   string

	mu        sync.Mutex
	listener  net.Listener
	conns     map[net.Conn]struct{}
	blackhole bool
}

func newTCPProxy(target string) *tcpProxy {
	GinkgoHelper()
	p := &tcpProxy{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.resume()
	return p
}

// resume listens (again, on the same port) and forwards.
func (p *tcpProxy) resume() {
	GinkgoHelper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blackhole {
		// Connections held while hanging were never served: drop them.
		for c := range p.conns {
			_ = c.Close()
			delete(p.conns, c)
		}
	}
	p.blackhole = false
	p.listen()
}

// listen opens the port if it is closed; p.mu is held.
func (p *tcpProxy) listen() {
	GinkgoHelper()
	if p.listener != nil {
		return
	}
	l, err := net.Listen("tcp", p.addr)
	Expect(err).NotTo(HaveOccurred())
	p.listener, p.addr = l, l.Addr().String()
	go p.serve(l)
}

// cut closes the port and every open connection.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.listener != nil {
		_ = p.listener.Close()
		p.listener = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

// hang keeps the port open but answers nothing on new connections, and
// drops the open ones so that nothing is served from an old connection.
func (p *tcpProxy) hang() {
	GinkgoHelper()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.listen()
}

func (p *tcpProxy) close() { p.cut() }

func (p *tcpProxy) serve(l net.Listener) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[in] = struct{}{}
		hole := p.blackhole
		p.mu.Unlock()
		if hole {
			continue // held open, never answered, closed by cut or resume
		}
		go p.pipe(in)
	}
}

func (p *tcpProxy) pipe(in net.Conn) {
	defer p.forget(in)
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer func() { _ = out.Close() }()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
}

func (p *tcpProxy) forget(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// frontWebhooks puts a tcpProxy in front of the in-process webhook server
// and points every Roster webhook configuration at it.
func frontWebhooks() *tcpProxy {
	GinkgoHelper()
	serving := env.Cluster.WebhookServerOptions()
	target := net.JoinHostPort(serving.Host, fmt.Sprint(serving.Port))
	p := newTCPProxy(target)
	repoint := func(cc *admissionregistrationv1.WebhookClientConfig) {
		Expect(cc.URL).NotTo(BeNil())
		u, err := url.Parse(*cc.URL)
		Expect(err).NotTo(HaveOccurred())
		Expect(u.Host).To(Equal(target))
		u.Host = p.addr
		s := u.String()
		cc.URL = &s
	}
	var validating admissionregistrationv1.ValidatingWebhookConfigurationList
	Expect(env.Admin.List(ctx, &validating)).To(Succeed())
	for i := range validating.Items {
		for j := range validating.Items[i].Webhooks {
			repoint(&validating.Items[i].Webhooks[j].ClientConfig)
		}
		Expect(env.Admin.Update(ctx, &validating.Items[i])).To(Succeed())
	}
	var mutating admissionregistrationv1.MutatingWebhookConfigurationList
	Expect(env.Admin.List(ctx, &mutating)).To(Succeed())
	for i := range mutating.Items {
		for j := range mutating.Items[i].Webhooks {
			repoint(&mutating.Items[i].Webhooks[j].ClientConfig)
		}
		Expect(env.Admin.Update(ctx, &mutating.Items[i])).To(Succeed())
	}
	Expect(validating.Items).NotTo(BeEmpty())
	Expect(mutating.Items).NotTo(BeEmpty())
	return p
}

// apiProxy stands between one manager and the API server, as the
// manager's identity, and injects what a busy API server answers: 429 Too
// Many Requests with Retry-After, and 409 Conflict for writes that carry a
// resourceVersion (optimistic concurrency). Injected answers are never
// forwarded: nothing was written.
type apiProxy struct {
	server *httptest.Server

	mu               sync.Mutex
	rnd              *rand.Rand
	throttle, clash  float64
	injectedThrottle atomic.Int64
	injectedConflict atomic.Int64
	realConflicts    atomic.Int64
	forwarded        atomic.Int64
}

func newAPIProxy(upstream *rest.Config, throttle, clash float64) *apiProxy {
	GinkgoHelper()
	transport, err := rest.TransportFor(upstream)
	Expect(err).NotTo(HaveOccurred())
	target, err := url.Parse(upstream.Host)
	Expect(err).NotTo(HaveOccurred())
	p := &apiProxy{rnd: rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 7)), throttle: throttle, clash: clash}
	forward := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = target.Host },
		Transport:     transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusConflict {
				p.realConflicts.Add(1)
			}
			return nil
		},
	}
	p.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		watch := r.URL.Query().Get("watch") == "true"
		if !watch && p.roll(p.throttle) {
			p.injectedThrottle.Add(1)
			w.Header().Set("Retry-After", "1")
			writeStatus(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests, please try again later.")
			return
		}
		if optimistic(r) && p.roll(p.clash) {
			p.injectedConflict.Add(1)
			writeStatus(w, http.StatusConflict, "Conflict",
				"Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again")
			return
		}
		p.forwarded.Add(1)
		forward.ServeHTTP(w, r)
	}))
	p.server.StartTLS()
	return p
}

func (p *apiProxy) roll(rate float64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rnd.Float64() < rate
}

// kubeconfig writes a kubeconfig that reaches the API server through the
// proxy: the proxy's CA, no credentials (the proxy adds the manager's).
func (p *apiProxy) kubeconfig(path string) {
	GinkgoHelper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Certificate().Raw})
	Expect(writeKubeconfig(path, p.server.URL, ca, nil, nil)).To(Succeed())
}

func (p *apiProxy) close() { p.server.Close() }

// optimistic reports a write that asks for optimistic concurrency: an
// update (PUT always carries the resourceVersion it read), or a merge
// patch that carries one. Reading the body leaves it for the upstream.
func optimistic(r *http.Request) bool {
	switch r.Method {
	case http.MethodPut:
		return true
	case http.MethodPatch:
		if !strings.Contains(r.Header.Get("Content-Type"), "merge-patch") || r.Body == nil {
			return false
		}
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		return err == nil && bytes.Contains(body, []byte(`"resourceVersion"`))
	}
	return false
}

func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":%q,"reason":%q,"details":{"retryAfterSeconds":1},"code":%d}`,
		message, reason, code)
}
