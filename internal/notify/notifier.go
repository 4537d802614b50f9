package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Message is one acceptance link to deliver.
type Message struct {
	// Email is the invitee's address.
	Email string
	// Link is the acceptance link. It carries the token: a notifier sends
	// it to the invitee and nowhere else (the log notifier logs it, which
	// is its whole point).
	Link string
	// Organization is the organization's name; OrganizationDisplayName its
	// spec.displayName, or the name when that is empty.
	Organization            string
	OrganizationDisplayName string
	Role                    orgsv1alpha1.Role
	// InvitedBy is the username recorded at admission.
	InvitedBy  string
	ExpiresAt  time.Time
	Invitation types.NamespacedName
}

// Notifier delivers acceptance links.
type Notifier interface {
	// Name is the notifier's kind (log, smtp, webhook), for metrics and messages.
	Name() string
	// Notify delivers m. Its error says why delivery failed and never
	// contains the link or any credential.
	Notify(ctx context.Context, m Message) error
}

// Notifier kinds.
const (
	NotifierLog     = "log"
	NotifierSMTP    = "smtp"
	NotifierWebhook = "webhook"
)

// NotifierConfig selects and configures the notifier (manager flags).
type NotifierConfig struct {
	// Kind is log, smtp or webhook.
	Kind string
	// SecretNamespace/SecretName name the Secret with the notifier's
	// credentials (smtp: username, password; webhook: hmac-key and
	// optionally url). The manager reads it at every delivery, through a
	// Role limited to that one name, so rotating it needs no restart.
	SecretNamespace string
	SecretName      string
	SMTP            SMTPConfig
	Webhook         WebhookConfig
	// Terminal, for the log notifier, is where a person watches (local
	// mode: the manager's stdout): each link is printed there as one short
	// line, and its log entry goes to debug level.
	Terminal io.Writer
}

// SMTPConfig configures the smtp notifier.
type SMTPConfig struct {
	Host string
	Port int
	// From is the sender, e.g. "Roster <roster@example.com>".
	From string
	// TLS is starttls (mandatory STARTTLS, the default), tls (implicit
	// TLS, usually port 465) or none (plain text: only for a relay on the
	// same host or in tests).
	TLS string
	// TLSConfig overrides the TLS client configuration (e.g. a private CA).
	TLSConfig *tls.Config
	// Timeout bounds one delivery (default 30s).
	Timeout time.Duration
}

// WebhookConfig configures the webhook notifier.
type WebhookConfig struct {
	// URL receives the POST, unless the Secret has a url key (chat
	// webhook URLs are often secrets themselves).
	URL string
	// Timeout bounds one delivery (default 10s).
	Timeout time.Duration
	// Client overrides the HTTP client (tests).
	Client *http.Client
}

// Secret keys the notifiers read.
const (
	SecretUsernameKey = "username"
	SecretPasswordKey = "password"
	SecretHMACKey     = "hmac-key"
	SecretURLKey      = "url"
)

// NewNotifier builds the notifier cfg names. secrets reads the credentials
// Secret (uncached: the manager may only get that one Secret by name).
func NewNotifier(cfg NotifierConfig, secrets client.Reader, log logr.Logger) (Notifier, error) {
	creds := credentials{reader: secrets, namespace: cfg.SecretNamespace, name: cfg.SecretName}
	switch cfg.Kind {
	case "", NotifierLog:
		return &LogNotifier{Log: log, Terminal: cfg.Terminal}, nil
	case NotifierSMTP:
		return newSMTPNotifier(cfg.SMTP, creds)
	case NotifierWebhook:
		return newWebhookNotifier(cfg.Webhook, creds)
	}
	return nil, fmt.Errorf("unknown notifier %q: use log, smtp or webhook", cfg.Kind)
}

// credentials reads the notifier's Secret.
type credentials struct {
	reader          client.Reader
	namespace, name string
}

func (c credentials) String() string { return "Secret " + c.namespace + "/" + c.name }

// get returns the Secret's data; nil when no Secret is configured or it
// does not exist.
func (c credentials) get(ctx context.Context) (map[string][]byte, error) {
	if c.name == "" || c.reader == nil {
		return nil, nil
	}
	secret := &corev1.Secret{}
	if err := c.reader.Get(ctx, client.ObjectKey{Namespace: c.namespace, Name: c.name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading the notifier credentials (%s): %w", c, err)
	}
	return secret.Data, nil
}

// LogNotifier writes the link to the manager's log: the default in local
// mode, and a fallback for clusters where whoever reads the operator's log
// forwards links by hand.
type LogNotifier struct {
	Log logr.Logger
	// Terminal, when set, gets each link as one line (TerminalLine); the
	// log entry is then at debug level, so the link is not printed twice.
	Terminal io.Writer

	mu sync.Mutex // one line at a time on Terminal
}

// Name is "log".
func (*LogNotifier) Name() string { return NotifierLog }

// Notify prints the link on the terminal, if there is one, and logs an
// entry "invitation link" with the e-mail and the URL: at info level, or at
// debug level when the terminal line was printed.
func (n *LogNotifier) Notify(_ context.Context, m Message) error {
	log := n.Log
	if n.Terminal != nil && n.printLine(m) == nil {
		log = log.V(1)
	}
	log.Info("invitation link",
		"email", m.Email, "url", m.Link,
		"organization", m.Organization, "role", m.Role, "invitedBy", m.InvitedBy,
		"expiresAt", m.ExpiresAt.UTC().Format(time.RFC3339), "invitation", m.Invitation.String())
	return nil
}

func (n *LogNotifier) printLine(m Message) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, err := fmt.Fprintln(n.Terminal, TerminalLine(m))
	return err
}

// TerminalLine is the line a person finds a link by in local mode:
// "invitation for judy@example.com (Viewer in acme): http://...". Every
// part is safe to print: the CRD refuses control characters in e-mails,
// organization names are DNS labels, roles an enum.
func TerminalLine(m Message) string {
	return fmt.Sprintf("invitation for %s (%s in %s): %s", m.Email, m.Role, m.Organization, m.Link)
}
