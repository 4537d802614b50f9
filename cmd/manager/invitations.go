package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/notify"
)

// Accept server addresses: every interface in a cluster (behind a Service),
// loopback in local mode, where a taken port falls back to a free one.
const (
	defaultAcceptAddress      = ":8082"
	defaultLocalAcceptAddress = "127.0.0.1:8082"
)

// inviteFlags configure invitations: the notifier and the accept server.
type inviteFlags struct {
	notifier          string
	secret            string
	baseURL           string
	acceptAddress     string
	trustForwardedFor bool
	smtp              notify.SMTPConfig
	smtpCAFile        string
	webhookURL        string
}

func (f *inviteFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.notifier, "notifier", notify.NotifierLog, `How invitation links are delivered: "log" (a line "invitation link" with the e-mail and URL in the manager's log; in local mode a line "invitation for EMAIL (ROLE in ORG): URL" on its standard output), "smtp" (an e-mail) or "webhook" (an HMAC-signed JSON POST, for chat tools).`)
	fs.StringVar(&f.secret, "notifier-secret", "roster-notifier", "The Secret, in the manager's namespace, with the notifier's credentials: username and password (smtp), hmac-key and optionally url (webhook). config/rbac lets the manager read this one Secret only.")
	fs.StringVar(&f.baseURL, "invite-base-url", "", "Where invitees reach the accept server; links are <invite-base-url>/invitations/accept?token=... Required against a cluster; in local mode it defaults to the accept server's own loopback address.")
	fs.StringVar(&f.acceptAddress, "accept-bind-address", "", "Address of the accept page and API (default "+defaultAcceptAddress+", or "+defaultLocalAcceptAddress+" in local mode, where a taken port falls back to a free one).")
	fs.BoolVar(&f.trustForwardedFor, "accept-trust-forwarded-for", false, "Rate-limit accept requests by the last X-Forwarded-For address (set it only behind a proxy that appends that header).")
	fs.StringVar(&f.smtp.Host, "smtp-host", "", "SMTP notifier: the server's host name.")
	fs.IntVar(&f.smtp.Port, "smtp-port", 0, "SMTP notifier: the server's port (default 587 with starttls, 465 with tls).")
	fs.StringVar(&f.smtp.From, "smtp-from", "", `SMTP notifier: the sender, e.g. "Roster <roster@example.com>".`)
	fs.StringVar(&f.smtp.TLS, "smtp-tls", notify.SMTPStartTLS, "SMTP notifier: starttls (mandatory STARTTLS), tls (implicit TLS) or none (plain text, only for a relay on the same host).")
	fs.StringVar(&f.smtpCAFile, "smtp-ca-file", "", "SMTP notifier: PEM file of the CA that signed the server's certificate (default: the system's roots).")
	fs.StringVar(&f.webhookURL, "notifier-webhook-url", "", "Webhook notifier: the URL that receives the POST (the notifier Secret's url key, if set, wins: chat webhook URLs are often secrets).")
}

// options builds the manager's invitation options.
func (f *inviteFlags) options(namespace string, local bool) (*manager.InvitationOptions, error) {
	addr, fallback := f.acceptAddress, false
	if addr == "" {
		addr = defaultAcceptAddress
		if local {
			addr, fallback = defaultLocalAcceptAddress, true
		}
	}
	if f.baseURL == "" && !local {
		return nil, errors.New("--invite-base-url is required when running against a cluster: set it to the URL at which invitees reach the accept server (--accept-bind-address, port 8082 by default, usually behind an Ingress)")
	}
	smtp := f.smtp
	if f.smtpCAFile != "" {
		pem, err := os.ReadFile(f.smtpCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading --smtp-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--smtp-ca-file %s holds no PEM certificate", f.smtpCAFile)
		}
		smtp.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	notifier := notify.NotifierConfig{
		Kind: f.notifier, SecretNamespace: namespace, SecretName: f.secret,
		SMTP: smtp, Webhook: notify.WebhookConfig{URL: f.webhookURL},
	}
	if local {
		// The person who ran `make run` watches this terminal: each link
		// is a line of its own there, not a field of a log entry.
		notifier.Terminal = os.Stdout
	}
	return &manager.InvitationOptions{
		Notifier: notifier,
		Accept: acceptserver.ServerOptions{
			BindAddress: addr, FallbackToEphemeral: fallback, BaseURL: f.baseURL,
			ClientLimit: acceptserver.DefaultClientLimit, InvitationLimit: acceptserver.DefaultInvitationLimit,
			TrustForwardedFor: f.trustForwardedFor,
		},
	}, nil
}
