package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTP TLS modes.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNoTLS    = "none"
)

// smtpNotifier sends a multipart (plain text and HTML) e-mail through an
// SMTP server with github.com/wneessen/go-mail.
type smtpNotifier struct {
	cfg   SMTPConfig
	creds credentials
}

func newSMTPNotifier(cfg SMTPConfig, creds credentials) (*smtpNotifier, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("the smtp notifier needs --smtp-host")
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("the smtp notifier needs --smtp-from, the sender's address")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("--smtp-from %q is not an e-mail address: %w", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = SMTPStartTLS
	case SMTPStartTLS, SMTPTLS, SMTPNoTLS:
	default:
		return nil, fmt.Errorf("--smtp-tls must be starttls, tls or none, not %q", cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == SMTPTLS {
			cfg.Port = 465
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &smtpNotifier{cfg: cfg, creds: creds}, nil
}

func (*smtpNotifier) Name() string { return NotifierSMTP }

func (n *smtpNotifier) Notify(ctx context.Context, m Message) error {
	data, err := n.creds.get(ctx)
	if err != nil {
		return err
	}
	opts := []mail.Option{mail.WithPort(n.cfg.Port), mail.WithTimeout(n.cfg.Timeout)}
	if n.cfg.TLSConfig != nil {
		tc := n.cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = n.cfg.Host
		}
		opts = append(opts, mail.WithTLSConfig(tc))
	}
	switch n.cfg.TLS {
	case SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case SMTPNoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if user := string(data[SecretUsernameKey]); user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(user), mail.WithPassword(string(data[SecretPasswordKey])))
	}
	c, err := mail.NewClient(n.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("configuring the SMTP client: %w", err)
	}
	subject, text, html, err := renderMail(m)
	if err != nil {
		return fmt.Errorf("rendering the e-mail: %w", err)
	}
	msg := mail.NewMsg()
	if err := msg.From(n.cfg.From); err != nil {
		return fmt.Errorf("setting the sender: %w", err)
	}
	if err := msg.To(m.Email); err != nil {
		return fmt.Errorf("%s is not an address the SMTP client accepts: %w", m.Email, err)
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("sending through %s:%d: %w", n.cfg.Host, n.cfg.Port, err)
	}
	return nil
}
