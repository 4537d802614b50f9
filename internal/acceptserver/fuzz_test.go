package acceptserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/roster-dev/roster/controllers/invitation"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/testenv/fakeapi"
)

// fuzzToken is the one link that works in the fuzzed cluster: base64url
// of 0xfb 0xff 0xbf (so that it holds both "-" and "_") and 0..28.
// fuzzReplaced is a well-formed link a resend replaced.
var (
	fuzzToken = func() string {
		b := make([]byte, invitation.TokenBytes)
		for i := range b {
			b[i] = byte(i - 3)
		}
		copy(b, []byte{0xfb, 0xff, 0xbf})
		return base64.RawURLEncoding.EncodeToString(b)
	}()
	fuzzReplaced = strings.Repeat("R", len(fuzzToken))
)

// FuzzAcceptEndpoint sends arbitrary tokens and bodies to the accept page
// (GET with the token in the query, POST with a form) and to the JSON API
// (a well-formed request, and raw bytes), through the server's handler,
// against a cluster holding one pending invitation whose link is
// fuzzToken. Properties, for every input:
//
//   - no panic; an HTTP status, a Content-Type, no caching and no
//     referrer on every answer; the API always answers JSON with an
//     outcome;
//   - neither the page nor the API ever echoes the token it was sent,
//     but for the form of the valid invitation, which carries it in a
//     hidden field (so that it posts to a URL without it);
//   - a POST with a query (the token in the URL, which proxies log) is a
//     bad request and changes nothing, whatever it carries;
//   - unless the input carries fuzzToken, nothing is valid, accepted or
//     declined, and nothing changes: no Member is created, the Invitation
//     keeps its resourceVersion (a guessed, mangled, padded, re-cased or
//     re-encoded token is worth nothing).
//
// The first byte picks the endpoint: 0 the page by GET (the token as the
// raw query value), 1 the page by POST (the token as the form's first
// field, then the body; with bit 2 set, the token in the URL's query
// instead), 2 the API with {"token": token, "decision": ...}, 3 the API
// with the raw body.
func FuzzAcceptEndpoint(f *testing.F) {
	for _, s := range acceptSeeds() {
		f.Add(s.mode, s.token, s.body)
	}
	f.Fuzz(func(t *testing.T, mode uint8, token string, body []byte) {
		c, server := fuzzAcceptServer(t)
		before := fuzzState(t, c)
		req := acceptRequest(mode, token, body)
		rec := httptest.NewRecorder()
		server.Handler().ServeHTTP(rec, req)

		h := rec.Header()
		if rec.Code < 200 || rec.Code >= 600 || h.Get("Content-Type") == "" {
			t.Fatalf("mode %d: status %d, Content-Type %q", mode%4, rec.Code, h.Get("Content-Type"))
		}
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("mode %d: a link page without no-store and no-referrer: %v", mode%4, h)
		}
		outcome := invitation.Outcome("")
		if mode%4 >= 2 && rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			var res APIResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Outcome == "" {
				t.Fatalf("mode %d: the API answered %d without a JSON outcome: %v %q", mode%4, rec.Code, err, rec.Body.Bytes())
			}
			outcome = res.Outcome
		}
		page := rec.Body.String()
		if mode%4 <= 1 && rec.Code == http.StatusOK {
			page = strings.Replace(page, `<input type="hidden" name="token" value="`+fuzzToken+`">`, "", 1)
		}
		for _, secret := range []string{token, fuzzToken} {
			if len(secret) >= 16 && strings.Contains(page, secret) {
				t.Fatalf("mode %d: the answer echoes a token: %q", mode%4, rec.Body.String())
			}
		}
		if req.URL.RawQuery != "" && req.Method == http.MethodPost {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("mode %d: a POST with the query %q answered %d", mode%4, req.URL.RawQuery, rec.Code)
			}
			if after := fuzzState(t, c); after != before {
				t.Fatalf("mode %d: a POST with a query changed the cluster:\nbefore %s\nafter  %s", mode%4, before, after)
			}
			return
		}
		carries := strings.Contains(token, fuzzToken) || bytes.Contains(body, []byte(fuzzToken))
		if carries {
			return
		}
		switch outcome {
		case invitation.OutcomeValid, invitation.OutcomeAccepted, invitation.OutcomeDeclined:
			t.Fatalf("mode %d: token %q came to %q", mode%4, token, outcome)
		}
		if after := fuzzState(t, c); after != before {
			t.Fatalf("mode %d: token %q changed the cluster:\nbefore %s\nafter  %s", mode%4, token, before, after)
		}
	})
}

// acceptRequest builds the request an endpoint gets.
func acceptRequest(mode uint8, token string, body []byte) *http.Request {
	decisions := []string{"", invitation.DecisionAccept, invitation.DecisionDecline}
	switch mode % 4 {
	case 0:
		req := httptest.NewRequest(http.MethodGet, invitation.AcceptPath, nil)
		req.URL.RawQuery = "token=" + token
		return req
	case 1:
		target, form := invitation.AcceptPath, "token="+url.QueryEscape(token)+"&"+string(body)
		if mode&4 != 0 {
			target, form = invitation.AcceptPath+"?token="+url.QueryEscape(token), string(body)
		}
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	case 2:
		b, _ := json.Marshal(APIRequest{Token: token, Decision: decisions[int(mode/4)%len(decisions)]})
		req := httptest.NewRequest(http.MethodPost, invitation.APIPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		return req
	default:
		req := httptest.NewRequest(http.MethodPost, invitation.APIPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		return req
	}
}

// fuzzAcceptServer: organization acme (home org-acme), owner alice, and
// the invitation erin, sent by alice (who still may invite), whose link is
// fuzzToken; rate limits out of the way.
func fuzzAcceptServer(t *testing.T) (client.Client, *Server) {
	t.Helper()
	scheme := fakeapi.Scheme()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	inv := &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin", UID: "uid-erin",
			Annotations: policy.InviterAnnotations(policy.Requester{User: "alice@example.com"})},
		Spec: orgsv1alpha1.InvitationSpec{Email: "erin@example.com", Role: orgsv1alpha1.RoleAdmin},
		Status: orgsv1alpha1.InvitationStatus{
			Phase: orgsv1alpha1.InvitationSent, TokenHash: invitation.HashToken(fuzzToken), InvitedBy: "alice@example.com",
			PreviousTokenHashes: []string{invitation.HashToken(fuzzReplaced)},
			ExpiresAt:           &metav1.Time{Time: now.Add(time.Hour)},
		},
	}
	c := fakeapi.Builder(scheme,
		&orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}},
		&orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "alice"},
			Spec: orgsv1alpha1.MemberSpec{User: "alice@example.com", Role: orgsv1alpha1.RoleOwner}},
		inv,
	).
		WithStatusSubresource(&orgsv1alpha1.Invitation{}).
		WithInterceptorFuncs(fakeapi.Reviews(func(spec authorizationv1.SubjectAccessReviewSpec) bool {
			return spec.User == "alice@example.com"
		})).
		Build()
	acceptor := &invitation.Acceptor{
		Client: c, Live: c, UserPrefix: "oidc:", Recorder: &events.FakeRecorder{},
		Clock: clocktesting.NewFakePassiveClock(now),
	}
	unlimited := Limit{Every: time.Nanosecond, Burst: 1 << 20}
	server, err := NewServer(ServerOptions{BaseURL: "https://roster.example.com", ClientLimit: unlimited, InvitationLimit: unlimited,
		Clock: clocktesting.NewFakePassiveClock(now)}, acceptor)
	if err != nil {
		t.Fatal(err)
	}
	return c, server
}

// fuzzState is everything an answer could change: the Members and the
// Invitation's resourceVersion.
func fuzzState(t *testing.T, c client.Client) string {
	t.Helper()
	var members orgsv1alpha1.MemberList
	if err := c.List(context.Background(), &members); err != nil {
		t.Fatal(err)
	}
	var invitations orgsv1alpha1.InvitationList
	if err := c.List(context.Background(), &invitations); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range members.Items {
		b.WriteString("member " + m.Name + "@" + m.ResourceVersion + " ")
	}
	for _, inv := range invitations.Items {
		b.WriteString("invitation " + inv.Name + "@" + inv.ResourceVersion + " " + string(inv.Status.Phase))
	}
	return b.String()
}

type acceptSeed struct {
	mode  uint8
	token string
	body  []byte
}

// acceptSeeds: the real link answered every way, and what a guesser or a
// mangled link would send.
func acceptSeeds() []acceptSeed {
	std := strings.NewReplacer("-", "+", "_", "/").Replace(fuzzToken)
	return []acceptSeed{
		{0, fuzzToken, nil},
		{1, fuzzToken, []byte("decision=accept")},
		{1, fuzzToken, []byte("decision=decline")},
		{2 + 4, fuzzToken, nil},
		{2 + 8, fuzzToken, nil},
		{3, "", []byte(`{"token":"` + fuzzToken + `"}`)},
		{0, fuzzToken + "=", nil},
		{0, strings.ToUpper(fuzzToken), nil},
		{0, fuzzToken[:len(fuzzToken)-1], nil},
		{0, fuzzToken[:len(fuzzToken)-1] + "B", nil},
		{0, " " + fuzzToken, nil},
		{0, url.QueryEscape(std), nil},
		{2 + 4, std, nil},
		{2 + 4, fuzzReplaced, nil},
		{2 + 4, strings.Repeat("A", len(fuzzToken)), nil},
		{0, "%zz", nil},
		{0, "", nil},
		{1, "", []byte("token=&decision=accept")},
		{1, "x", []byte("token=" + strings.Repeat("A", 43) + "&token=y&decision=accept")},
		{1, "x", []byte("%%%&&&==;decision")},
		{2 + 4, strings.Repeat("\x00", 43), nil},
		{3, "", []byte(`{"token":7,"decision":"accept"}`)},
		{3, "", []byte(`{"token":"a","token":"b","decision":"accept"}`)},
		{3, "", []byte(`{"token":"` + strings.Repeat("A", 43) + `","decision":"ACCEPT"}`)},
		{3, "", []byte(`[]`)},
		{3, "", []byte(`{"token":"\ud800","decision":"accept"}`)},
		{3, "", bytes.Repeat([]byte("["), 9000)},
		{1 + 4, fuzzToken, []byte("decision=accept")},
		{1 + 4, fuzzToken, []byte("token=" + fuzzToken + "&decision=accept")},
	}
}

// TestAcceptSeedOutcomes checks that the fuzz harness reaches real
// answers: the real link is valid and accepts or declines, and every
// mangled or guessed one is unknown (or replaced, for a replaced link).
func TestAcceptSeedOutcomes(t *testing.T) {
	seeds := acceptSeeds()
	apiOutcome := func(mode uint8, token string, body []byte) (invitation.Outcome, int, bool) {
		c, server := fuzzAcceptServer(t)
		before := fuzzState(t, c)
		rec := httptest.NewRecorder()
		server.Handler().ServeHTTP(rec, acceptRequest(mode, token, body))
		var res APIResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &res)
		return res.Outcome, rec.Code, fuzzState(t, c) != before
	}
	cases := []struct {
		seed    int
		outcome invitation.Outcome
		changed bool
	}{
		{3, invitation.OutcomeAccepted, true},
		{4, invitation.OutcomeDeclined, true},
		{5, invitation.OutcomeValid, false},
		{12, invitation.OutcomeUnknown, false},
		{13, invitation.OutcomeReplaced, false},
		{14, invitation.OutcomeUnknown, false},
		{20, invitation.OutcomeUnknown, false},
		{21, invitation.OutcomeBadRequest, false},
		{23, invitation.OutcomeBadRequest, false},
	}
	for _, c := range cases {
		s := seeds[c.seed]
		got, code, changed := apiOutcome(s.mode, s.token, s.body)
		if got != c.outcome || changed != c.changed {
			t.Errorf("seed %d: outcome %q (HTTP %d), changed %t; want %q, changed %t", c.seed, got, code, changed, c.outcome, c.changed)
		}
	}
	// The page's form acts with the token in its body, and never with the
	// token in the URL.
	for i, want := range map[int]int{1: http.StatusOK, 2: http.StatusOK, 27: http.StatusBadRequest, 28: http.StatusBadRequest} {
		c, server := fuzzAcceptServer(t)
		before := fuzzState(t, c)
		rec := httptest.NewRecorder()
		s := seeds[i]
		server.Handler().ServeHTTP(rec, acceptRequest(s.mode, s.token, s.body))
		if changed := fuzzState(t, c) != before; rec.Code != want || changed != (want == http.StatusOK) {
			t.Errorf("seed %d: the page answered %d (changed %t), want %d", i, rec.Code, changed, want)
		}
	}
	// The page, by GET, shows the real link as valid and anything else not.
	for i, want := range map[int]int{0: http.StatusOK, 6: http.StatusNotFound, 7: http.StatusNotFound, 8: http.StatusNotFound, 10: http.StatusNotFound} {
		_, server := fuzzAcceptServer(t)
		rec := httptest.NewRecorder()
		s := seeds[i]
		server.Handler().ServeHTTP(rec, acceptRequest(s.mode, s.token, s.body))
		if rec.Code != want {
			t.Errorf("seed %d: the page answered %d, want %d", i, rec.Code, want)
		}
	}
}
