package notify

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// The e-mail's subject, plain-text part and HTML part.

var mailText = texttemplate.Must(texttemplate.New("text").Parse(`Hello,

{{.InvitedBy}} invited you ({{.Email}}) to join the organization {{.OrganizationDisplayName}} with the role {{.Role}}.

Open this link to accept or decline. It works once, until {{.Expires}}:

{{.Link}}

If you did not expect this invitation, ignore this e-mail: nothing happens unless you accept.

-- 
Roster
`))

var mailHTML = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: #1f2328; max-width: 36rem; margin: 2rem auto; padding: 0 1rem;">
<p>Hello,</p>
<p><strong>{{.InvitedBy}}</strong> invited you ({{.Email}}) to join the organization <strong>{{.OrganizationDisplayName}}</strong> with the role <strong>{{.Role}}</strong>.</p>
<p><a href="{{.Link}}" style="display: inline-block; background: #1f6feb; color: #ffffff; padding: 0.6rem 1.2rem; border-radius: 6px; text-decoration: none;">Accept or decline the invitation</a></p>
<p style="color: #59636e; font-size: 0.9rem;">The link works once, until {{.Expires}}. If the button does not work, copy this address into your browser:<br><span style="word-break: break-all;">{{.Link}}</span></p>
<p style="color: #59636e; font-size: 0.9rem;">If you did not expect this invitation, ignore this e-mail: nothing happens unless you accept.</p>
</body></html>
`))

type mailData struct {
	Message
	Subject string
	Expires string
}

// renderMail returns the subject and the two bodies for m.
func renderMail(m Message) (subject, text, html string, err error) {
	d := mailData{
		Message: m,
		Subject: "Invitation to join " + m.OrganizationDisplayName + " as " + string(m.Role),
		Expires: FormatTime(m.ExpiresAt),
	}
	var tb, hb bytes.Buffer
	if err := mailText.Execute(&tb, d); err != nil {
		return "", "", "", err
	}
	if err := mailHTML.Execute(&hb, d); err != nil {
		return "", "", "", err
	}
	// A subject is one line whatever the display name holds.
	subject = strings.Join(strings.Fields(d.Subject), " ")
	return subject, tb.String(), hb.String(), nil
}

// FormatTime is how Roster writes a time for people (e-mails, the accept
// page).
func FormatTime(t time.Time) string {
	return t.UTC().Format("Monday 2 January 2006, 15:04 MST")
}
