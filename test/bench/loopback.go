package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// Paths of Roster's webhooks (the markers in internal/webhook) and of the
// benchmark's own do-nothing webhook, the baseline.
const (
	validateMemberPath     = "/validate-orgs-roster-dev-v1alpha1-member"
	validateInvitationPath = "/validate-orgs-roster-dev-v1alpha1-invitation"
	mutateInvitationPath   = "/mutate-orgs-roster-dev-v1alpha1-invitation"
	allowAllPath           = "/bench-allow-all"
)

// LoopbackResult is the webhooks' own latency: AdmissionReviews sent
// straight to the webhook server over loopback TLS, as the API server sends
// them, without the API server's own time in front of them.
type LoopbackResult struct {
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	Requests int     `json:"requests"`
	// Errors: transport errors, non-200 answers and refusals (every request
	// sent is one the webhooks should allow).
	Errors   int     `json:"errors"`
	FirstErr string  `json:"firstError,omitempty"`
	All      Latency `json:"all"`
	// ByPath is each webhook's latency.
	ByPath map[string]Latency `json:"byPath"`
	// Baseline: the same clients, at the same time, asking a webhook on the
	// same server that allows everything without looking (decoding, TLS and
	// HTTP included), one request in five.
	Baseline Latency `json:"baseline"`
	// P99Ratio is All.P99 ÷ Baseline.P99.
	P99Ratio float64 `json:"p99Ratio"`
}

// RegisterAllowAll adds the baseline webhook to the manager's webhook
// server; call it before the manager starts.
func RegisterAllowAll(m *Manager) {
	m.Mgr.GetWebhookServer().Register(allowAllPath, &admission.Webhook{
		Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
			return admission.Allowed("")
		}),
	})
}

// Loopback runs clients goroutines, each an owner of an organization,
// posting Member create and update and Invitation create reviews (mutating
// and validating) to the webhook server for dur, interleaved with the
// baseline.
func Loopback(ctx context.Context, env *Env, orgs []string, clients int, dur time.Duration) (*LoopbackResult, error) {
	opts := env.Cluster.WebhookServerOptions()
	base := "https://" + net.JoinHostPort(orNone(opts.Host, "127.0.0.1"), strconv.Itoa(opts.Port))
	transport := &http.Transport{
		// Loopback to the server the benchmark started: latency, not trust, is measured.
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
		MaxIdleConnsPerHost: clients,
	}
	defer transport.CloseIdleConnections()
	httpClient := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	res := &LoopbackResult{Clients: clients, ByPath: map[string]Latency{}}
	var (
		mu       sync.Mutex
		byPath   = map[string][]time.Duration{}
		requests atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
	)
	send := func(path string, review *admissionv1.AdmissionReview) {
		body, err := json.Marshal(review)
		if err == nil {
			start := time.Now()
			err = post(ctx, httpClient, base+path, body)
			if err == nil {
				d := time.Since(start)
				mu.Lock()
				byPath[path] = append(byPath[path], d)
				mu.Unlock()
			}
		}
		requests.Add(1)
		if err != nil {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %v", path, err))
		}
	}

	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for c := range clients {
		org := orgs[c%len(orgs)]
		user := authenticationv1.UserInfo{Username: UserName(org, 0), Groups: []string{"system:authenticated"}}
		wg.Go(func() {
			for k := 0; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				name := fmt.Sprintf("loop-%02d-%06d", c, k)
				m := &orgsv1alpha1.Member{
					ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org), Name: name},
					Spec:       orgsv1alpha1.MemberSpec{User: name + "@example.com", Role: orgsv1alpha1.RoleViewer},
				}
				changed := m.DeepCopy()
				changed.Spec.Role = orgsv1alpha1.RoleContributor
				inv := &orgsv1alpha1.Invitation{
					ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org), Name: name},
					Spec:       orgsv1alpha1.InvitationSpec{Email: name + "@example.org", Role: orgsv1alpha1.RoleViewer},
				}
				send(validateMemberPath, review("Member", "members", admissionv1.Create, user, m, nil))
				send(validateMemberPath, review("Member", "members", admissionv1.Update, user, changed, m))
				send(mutateInvitationPath, review("Invitation", "invitations", admissionv1.Create, user, inv, nil))
				inv.Annotations = policy.InviterAnnotations(policy.Requester{User: user.Username, Groups: user.Groups})
				send(validateInvitationPath, review("Invitation", "invitations", admissionv1.Create, user, inv, nil))
				send(allowAllPath, review("Member", "members", admissionv1.Create, user, m, nil))
			}
		})
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	var all []time.Duration
	for path, d := range byPath {
		if path == allowAllPath {
			res.Baseline = summarize(d)
			continue
		}
		res.ByPath[path] = summarize(d)
		all = append(all, d...)
	}
	res.All = summarize(all)
	if res.Baseline.P99 > 0 {
		res.P99Ratio = res.All.P99 / res.Baseline.P99
	}
	res.Requests, res.Errors = int(requests.Load()), int(errs.Load())
	if v := firstErr.Load(); v != nil {
		res.FirstErr = v.(string)
	}
	log.Printf("loopback: %d clients, %d reviews, %d errors: webhooks %s; allow-all baseline %s; p99 ratio %.2f",
		clients, res.Requests, res.Errors, res.All, res.Baseline, res.P99Ratio)
	for path, l := range res.ByPath {
		log.Printf("loopback: %s: %s", path, l)
	}
	return res, nil
}

// review builds the AdmissionReview the API server would send.
func review(kind, resource string, op admissionv1.Operation, user authenticationv1.UserInfo, obj, old runtime.Object) *admissionv1.AdmissionReview {
	gv := orgsv1alpha1.GroupVersion
	raw := func(o runtime.Object) runtime.RawExtension {
		if o == nil {
			return runtime.RawExtension{}
		}
		o.GetObjectKind().SetGroupVersionKind(gv.WithKind(kind))
		b, _ := json.Marshal(o) // API types always marshal
		return runtime.RawExtension{Raw: b}
	}
	meta := obj.(metav1.Object)
	return &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(fmt.Sprintf("%s-%s-%s", meta.GetName(), resource, op)),
			Kind:      metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: kind},
			Resource:  metav1.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: resource},
			Namespace: meta.GetNamespace(),
			Name:      meta.GetName(),
			Operation: op,
			UserInfo:  user,
			Object:    raw(obj),
			OldObject: raw(old),
		},
	}
}

// post sends one review and checks that it was allowed.
func post(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &out); err != nil {
		return err
	}
	if out.Response == nil || !out.Response.Allowed {
		return fmt.Errorf("refused: %+v", out.Response)
	}
	return nil
}

func orNone(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
