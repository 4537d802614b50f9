package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/notify/notifytest"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/notify"
)

const testLink = "http://127.0.0.1:8082/invitations/accept?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func testMessage() notify.Message {
	return notify.Message{
		Email: "erin@example.com", Link: testLink,
		Organization: "acme", OrganizationDisplayName: "Acme <Corp> & Co",
		Role: orgsv1alpha1.RoleViewer, InvitedBy: "alice@example.com",
		ExpiresAt:  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Invitation: types.NamespacedName{Namespace: "org-acme", Name: "erin"},
	}
}

func secretReader(data map[string]string) client.Reader {
	b := fake.NewClientBuilder()
	if data != nil {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "roster-system", Name: "roster-notifier"}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		b = b.WithObjects(s)
	}
	return b.Build()
}

// hookReceiver is a chat-tool stand-in that verifies the signature itself,
// with crypto/hmac, not with the code under test.
type hookReceiver struct {
	key      []byte
	mu       sync.Mutex
	payloads []notify.WebhookPayload
	refusals []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get(notify.TimestampHeader)
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	h.mu.Lock()
	defer h.mu.Unlock()
	if !hmac.Equal([]byte(want), []byte(r.Header.Get(notify.SignatureHeader))) || r.Header.Get("Content-Type") != "application/json" {
		h.refusals = append(h.refusals, r.Header.Get(notify.SignatureHeader))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if err := notifytest.VerifySignature(h.key, ts, body, r.Header.Get(notify.SignatureHeader), time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var p notify.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.payloads = append(h.payloads, p)
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhookNotifierSignature(t *testing.T) {
	g := NewWithT(t)
	recv := &hookReceiver{key: []byte("s3cret-key")}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	cfg := notify.NotifierConfig{Kind: notify.NotifierWebhook, SecretNamespace: "roster-system", SecretName: "roster-notifier",
		Webhook: notify.WebhookConfig{URL: srv.URL + "/hooks/T000/B000/XXXXXXXX"}}
	n, err := notify.NewNotifier(cfg, secretReader(map[string]string{notify.SecretHMACKey: "s3cret-key"}), logr.Discard())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.Name()).To(Equal("webhook"))
	g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
	g.Expect(recv.payloads).To(HaveLen(1))
	p := recv.payloads[0]
	g.Expect(p.Type).To(Equal(notify.WebhookPayloadType))
	g.Expect(p.Email).To(Equal("erin@example.com"))
	g.Expect(p.URL).To(Equal(testLink))
	g.Expect(p.Role).To(Equal("Viewer"))
	g.Expect(p.Organization).To(Equal("acme"))
	g.Expect(p.InvitedBy).To(Equal("alice@example.com"))
	g.Expect(p.ExpiresAt).To(Equal("2026-03-01T12:00:00Z"))
	g.Expect(p.Text).To(ContainSubstring(testLink))
	g.Expect(p.Text).To(ContainSubstring("alice@example.com invited erin@example.com to join Acme <Corp> & Co as Viewer"))

	// Signed with another key: the receiver refuses it and the error says
	// what the receiver answered, without the (secret) URL.
	wrong, err := notify.NewNotifier(cfg, secretReader(map[string]string{notify.SecretHMACKey: "another-key"}), logr.Discard())
	g.Expect(err).NotTo(HaveOccurred())
	err = wrong.Notify(context.Background(), testMessage())
	g.Expect(err).To(MatchError(ContainSubstring("401 Unauthorized")))
	g.Expect(err.Error()).NotTo(ContainSubstring("XXXXXXXX"))
	g.Expect(recv.refusals).To(HaveLen(1))
}

func TestWebhookNotifierConfiguration(t *testing.T) {
	recv := &hookReceiver{key: []byte("k")}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/secret-path-123"
	closed.Close()
	cases := []struct {
		name    string
		flagURL string
		secret  map[string]string
		wantErr string
	}{
		{"url from the Secret wins", "https://wrong.invalid/x", map[string]string{notify.SecretHMACKey: "k", notify.SecretURLKey: srv.URL + "/from-secret"}, ""},
		{"no Secret", srv.URL, nil, `has no key "hmac-key"`},
		{"no hmac-key", srv.URL, map[string]string{"other": "x"}, `has no key "hmac-key"`},
		{"no url anywhere", "", map[string]string{notify.SecretHMACKey: "k"}, "no webhook URL"},
		{"bad url in Secret", "", map[string]string{notify.SecretHMACKey: "k", notify.SecretURLKey: "ftp://x"}, "absolute http or https URL"},
		{"receiver down: no URL in the error", closedURL, map[string]string{notify.SecretHMACKey: "k"}, "POST to the webhook receiver failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			n, err := notify.NewNotifier(notify.NotifierConfig{Kind: notify.NotifierWebhook, SecretNamespace: "roster-system", SecretName: "roster-notifier",
				Webhook: notify.WebhookConfig{URL: tc.flagURL}}, secretReader(tc.secret), logr.Discard())
			g.Expect(err).NotTo(HaveOccurred())
			err = n.Notify(context.Background(), testMessage())
			if tc.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			g.Expect(err.Error()).NotTo(ContainSubstring("secret-path-123"))
			g.Expect(err.Error()).NotTo(ContainSubstring("token="))
		})
	}
	_, err := notify.NewNotifier(notify.NotifierConfig{Kind: notify.NotifierWebhook, Webhook: notify.WebhookConfig{URL: srv.URL}}, secretReader(nil), logr.Discard())
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("--notifier-secret")))
}

func TestVerifySignature(t *testing.T) {
	key, body := []byte("k"), []byte(`{"a":1}`)
	now := time.Unix(1_700_000_000, 0)
	ts := "1700000000"
	good := notify.Sign(key, ts, body)
	cases := []struct {
		name      string
		key       []byte
		timestamp string
		body      []byte
		signature string
		now       time.Time
		wantErr   string
	}{
		{"valid", key, ts, body, good, now, ""},
		{"within tolerance", key, ts, body, good, now.Add(4 * time.Minute), ""},
		{"too old (replay)", key, ts, body, good, now.Add(6 * time.Minute), "more than 5m0s"},
		{"from the future", key, ts, body, good, now.Add(-6 * time.Minute), "more than 5m0s"},
		{"other key", []byte("x"), ts, body, good, now, "signature mismatch"},
		{"body changed", key, ts, []byte(`{"a":2}`), good, now, "signature mismatch"},
		{"timestamp changed", key, "1700000001", body, good, now, "signature mismatch"},
		{"no prefix", key, ts, body, strings.TrimPrefix(good, "sha256="), now, "signature mismatch"},
		{"malformed timestamp", key, "yesterday", body, good, now, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := notifytest.VerifySignature(tc.key, tc.timestamp, tc.body, tc.signature, tc.now, 5*time.Minute)
			if tc.wantErr == "" {
				NewWithT(t).Expect(err).NotTo(HaveOccurred())
			} else {
				NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			}
		})
	}
}

func TestLogNotifier(t *testing.T) {
	g := NewWithT(t)
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, prefix+" "+args) }, funcr.Options{})
	n, err := notify.NewNotifier(notify.NotifierConfig{Kind: notify.NotifierLog}, nil, log)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.Name()).To(Equal("log"))
	g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
	g.Expect(lines).To(HaveLen(1))
	g.Expect(lines[0]).To(ContainSubstring("invitation link"))
	g.Expect(lines[0]).To(ContainSubstring("erin@example.com"))
	g.Expect(lines[0]).To(ContainSubstring(testLink))
}

// In local mode the link is one short line on the manager's stdout, and
// the log entry moves to debug level (-v), so the link is not drowned in a
// long log line nor printed twice.
func TestLogNotifierTerminal(t *testing.T) {
	for _, verbosity := range []int{0, 1} {
		g := NewWithT(t)
		var lines []string
		log := funcr.New(func(prefix, args string) { lines = append(lines, prefix+" "+args) }, funcr.Options{Verbosity: verbosity})
		var terminal strings.Builder
		n, err := notify.NewNotifier(notify.NotifierConfig{Kind: notify.NotifierLog, Terminal: &terminal}, nil, log)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
		g.Expect(terminal.String()).To(Equal("invitation for erin@example.com (Viewer in acme): " + testLink + "\n"))
		if verbosity == 0 {
			g.Expect(lines).To(BeEmpty(), "at info level the terminal line is the only record")
		} else {
			g.Expect(lines).To(ConsistOf(ContainSubstring(`"url"="` + testLink + `"`)))
		}
	}

	// A terminal that cannot be written to: the link still reaches the log.
	g := NewWithT(t)
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, prefix+" "+args) }, funcr.Options{})
	n, err := notify.NewNotifier(notify.NotifierConfig{Kind: notify.NotifierLog, Terminal: failingWriter{}}, nil, log)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
	g.Expect(lines).To(ConsistOf(ContainSubstring(testLink)))
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestNewNotifierRefusesBadConfiguration(t *testing.T) {
	cases := []struct {
		name    string
		cfg     notify.NotifierConfig
		wantErr string
	}{
		{"unknown kind", notify.NotifierConfig{Kind: "pigeon"}, "unknown notifier"},
		{"smtp without host", notify.NotifierConfig{Kind: notify.NotifierSMTP, SMTP: notify.SMTPConfig{From: "r@example.com"}}, "--smtp-host"},
		{"smtp without sender", notify.NotifierConfig{Kind: notify.NotifierSMTP, SMTP: notify.SMTPConfig{Host: "mail"}}, "--smtp-from"},
		{"smtp bad sender", notify.NotifierConfig{Kind: notify.NotifierSMTP, SMTP: notify.SMTPConfig{Host: "mail", From: "not an address"}}, "not an e-mail address"},
		{"smtp bad tls", notify.NotifierConfig{Kind: notify.NotifierSMTP, SMTP: notify.SMTPConfig{Host: "mail", From: "r@example.com", TLS: "maybe"}}, "starttls, tls or none"},
		{"webhook bad url", notify.NotifierConfig{Kind: notify.NotifierWebhook, SecretName: "s", Webhook: notify.WebhookConfig{URL: "mailto:x"}}, "absolute http or https"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.NewNotifier(tc.cfg, secretReader(nil), logr.Discard())
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
		})
	}
}

func TestSMTPNotifier(t *testing.T) {
	g := NewWithT(t)
	srv, err := notifytest.StartSMTP("roster", "mail-password")
	g.Expect(err).NotTo(HaveOccurred())
	defer srv.Close()
	cfg := func(tlsMode string) notify.NotifierConfig {
		return notify.NotifierConfig{Kind: notify.NotifierSMTP, SecretNamespace: "roster-system", SecretName: "roster-notifier",
			SMTP: notify.SMTPConfig{Host: srv.Host, Port: srv.Port, From: "Roster <roster@example.com>", TLS: tlsMode,
				TLSConfig: &tls.Config{RootCAs: srv.CertPool, MinVersion: tls.VersionTLS12}, Timeout: 10 * time.Second}}
	}
	creds := secretReader(map[string]string{notify.SecretUsernameKey: "roster", notify.SecretPasswordKey: "mail-password"})

	n, err := notify.NewNotifier(cfg(notify.SMTPStartTLS), creds, logr.Discard())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.Name()).To(Equal("smtp"))
	g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
	mails := srv.MailsTo("erin@example.com")
	g.Expect(mails).To(HaveLen(1))
	m := mails[0]
	g.Expect(m.TLS).To(BeTrue(), "delivered over STARTTLS")
	g.Expect(m.AuthUser).To(Equal("roster"))
	g.Expect(m.From).To(Equal("roster@example.com"))
	g.Expect(m.Subject).To(Equal("Invitation to join Acme <Corp> & Co as Viewer"))
	g.Expect(m.Link()).To(Equal(testLink))
	g.Expect(m.Text).To(ContainSubstring("alice@example.com invited you (erin@example.com)"))
	g.Expect(m.HTML).To(ContainSubstring(`href="` + strings.ReplaceAll(testLink, "&", "&amp;") + `"`))
	g.Expect(m.HTML).To(ContainSubstring("Acme &lt;Corp&gt; &amp; Co"), "the HTML part escapes the display name")

	// Credentials are read at every delivery: a wrong password fails.
	bad, err := notify.NewNotifier(cfg(notify.SMTPStartTLS), secretReader(map[string]string{notify.SecretUsernameKey: "roster", notify.SecretPasswordKey: "nope"}), logr.Discard())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bad.Notify(context.Background(), testMessage())).To(MatchError(ContainSubstring("sending through 127.0.0.1")))

	// A temporary refusal is an error that says why.
	srv.RefuseNext("erin@example.com", 1)
	err = n.Notify(context.Background(), testMessage())
	g.Expect(err).To(MatchError(ContainSubstring("451")))
	g.Expect(err.Error()).NotTo(ContainSubstring("token="))
	g.Expect(n.Notify(context.Background(), testMessage())).To(Succeed())
	g.Expect(srv.MailsTo("erin@example.com")).To(HaveLen(2))
}
