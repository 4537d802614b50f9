package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook headers. The signature is "sha256=" and the hex HMAC-SHA256,
// keyed with the Secret's hmac-key, of the timestamp, a ".", and the body.
const (
	SignatureHeader = "X-Roster-Signature"
	TimestampHeader = "X-Roster-Timestamp"
)

// WebhookPayload is the JSON body the webhook notifier POSTs. Text is a
// ready-made sentence, so Slack-style incoming webhooks show it as is.
type WebhookPayload struct {
	Type                    string `json:"type"`
	Text                    string `json:"text"`
	Email                   string `json:"email"`
	URL                     string `json:"url"`
	Organization            string `json:"organization"`
	OrganizationDisplayName string `json:"organizationDisplayName"`
	Role                    string `json:"role"`
	InvitedBy               string `json:"invitedBy"`
	ExpiresAt               string `json:"expiresAt"`
	Namespace               string `json:"namespace"`
	Invitation              string `json:"invitation"`
}

// WebhookPayloadType is WebhookPayload.Type.
const WebhookPayloadType = "orgs.roster.dev/invitation"

type webhookNotifier struct {
	cfg   WebhookConfig
	creds credentials
	now   func() time.Time
}

func newWebhookNotifier(cfg WebhookConfig, creds credentials) (*webhookNotifier, error) {
	if creds.name == "" {
		return nil, errors.New("the webhook notifier signs its requests with the hmac-key of the notifier Secret: set --notifier-secret")
	}
	if cfg.URL != "" {
		if err := checkWebhookURL(cfg.URL); err != nil {
			return nil, err
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	return &webhookNotifier{cfg: cfg, creds: creds, now: time.Now}, nil
}

func checkWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("the webhook URL must be an absolute http or https URL")
	}
	return nil
}

func (*webhookNotifier) Name() string { return NotifierWebhook }

func (n *webhookNotifier) Notify(ctx context.Context, m Message) error {
	data, err := n.creds.get(ctx)
	if err != nil {
		return err
	}
	key := data[SecretHMACKey]
	if len(key) == 0 {
		return fmt.Errorf("%s has no key %q: the webhook notifier signs every request with it", n.creds, SecretHMACKey)
	}
	target := n.cfg.URL
	if u := strings.TrimSpace(string(data[SecretURLKey])); u != "" {
		target = u
	}
	if target == "" {
		return fmt.Errorf("no webhook URL: set --notifier-webhook-url or the key %q of %s", SecretURLKey, n.creds)
	}
	if err := checkWebhookURL(target); err != nil {
		return err
	}
	body, err := json.Marshal(WebhookPayload{
		Type: WebhookPayloadType,
		Text: fmt.Sprintf("%s invited %s to join %s as %s. Accept or decline before %s: %s",
			m.InvitedBy, m.Email, m.OrganizationDisplayName, m.Role, FormatTime(m.ExpiresAt), m.Link),
		Email: m.Email, URL: m.Link,
		Organization: m.Organization, OrganizationDisplayName: m.OrganizationDisplayName,
		Role: string(m.Role), InvitedBy: m.InvitedBy, ExpiresAt: m.ExpiresAt.UTC().Format(time.RFC3339),
		Namespace: m.Invitation.Namespace, Invitation: m.Invitation.Name,
	})
	if err != nil {
		return fmt.Errorf("encoding the webhook payload: %w", err)
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("building the webhook request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "roster-invitations")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(key, ts, body))
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which may hold a secret (chat
		// webhooks): report only what went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("POST to the webhook receiver failed: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the webhook receiver answered %s", resp.Status)
	}
	return nil
}

// Sign is the signature header's value for body sent at timestamp (unix
// seconds, as in the timestamp header): "sha256=" + hex(HMAC-SHA256(key,
// timestamp + "." + body)).
func Sign(key []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
