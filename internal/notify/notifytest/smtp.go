// Package notifytest is a real SMTP server for tests of the SMTP notifier
// and of the invitation flow that delivers through it.
package notifytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTP is a real SMTP server in the test process (emersion/go-smtp):
// STARTTLS with its own certificate, AUTH PLAIN required, and a way to
// refuse the next deliveries to an address with a temporary error.
type SMTP struct {
	Addr     string
	Host     string
	Port     int
	CertPool *x509.CertPool

	server   *smtp.Server
	username string
	password string

	mu      sync.Mutex
	mails   []Mail
	refuse  map[string]int
	refused map[string]int
}

// Mail is one delivered e-mail, decoded.
type Mail struct {
	From     string
	To       []string
	Subject  string
	Text     string
	HTML     string
	TLS      bool
	AuthUser string
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/invitations/accept\?token=[A-Za-z0-9_-]+`)

// Link is the acceptance link in the plain-text part.
func (m Mail) Link() string { return linkPattern.FindString(m.Text) }

// StartSMTP starts a server on a loopback port that accepts username and
// password.
func StartSMTP(username, password string) (*SMTP, error) {
	cert, pool, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &SMTP{
		Addr: l.Addr().String(), Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, CertPool: pool,
		username: username, password: password, refuse: map[string]int{}, refused: map[string]int{},
	}
	t.server = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: t, conn: c}, nil
	}))
	t.server.Domain = "mail.test"
	t.server.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	t.server.ReadTimeout = 10 * time.Second
	t.server.WriteTimeout = 10 * time.Second
	go func() { _ = t.server.Serve(l) }()
	return t, nil
}

// Close stops the server.
func (t *SMTP) Close() { _ = t.server.Close() }

// RefuseNext makes the next n deliveries to rcpt fail with 451.
func (t *SMTP) RefuseNext(rcpt string, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refuse[strings.ToLower(rcpt)] = n
}

// Refused is how many deliveries to rcpt were refused.
func (t *SMTP) Refused(rcpt string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused[strings.ToLower(rcpt)]
}

// MailsTo returns the e-mails delivered to rcpt, oldest first.
func (t *SMTP) MailsTo(rcpt string) []Mail {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Mail
	for _, m := range t.mails {
		for _, to := range m.To {
			if strings.EqualFold(to, rcpt) {
				out = append(out, m)
			}
		}
	}
	return out
}

// All returns every delivered e-mail.
func (t *SMTP) All() []Mail {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Mail(nil), t.mails...)
}

type testSession struct {
	srv      *SMTP
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = &testSession{}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.srv.username || password != s.srv.password {
			return smtp.ErrAuthFailed
		}
		s.authUser = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	key := strings.ToLower(to)
	if s.srv.refuse[key] > 0 {
		s.srv.refuse[key]--
		s.srv.refused[key]++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox temporarily unavailable, try again later"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := decodeMail(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "undecodable message: " + err.Error()}
	}
	m.From, m.To, m.AuthUser = s.from, append([]string(nil), s.to...), s.authUser
	_, m.TLS = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, m)
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

// decodeMail extracts the subject and the text and HTML parts.
func decodeMail(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Mail{}, err
	}
	out := Mail{Subject: subject}
	err = walkParts(msg.Header.Get("Content-Type"), msg.Body, &out)
	return out, err
}

func walkParts(contentType string, body io.Reader, out *Mail) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		switch mediaType {
		case "text/plain":
			out.Text = string(b)
		case "text/html":
			out.HTML = string(b)
		}
		return nil
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable transparently
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := walkParts(p.Header.Get("Content-Type"), p, out); err != nil {
			return err
		}
	}
}

func selfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mail.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
