package acceptserver

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/notify"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The accept page: one small HTML document, no JavaScript, its only style
// allowed by hash in the Content-Security-Policy.

const pageCSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #f6f8fa; --card: #ffffff; --line: #d1d9e0; --accent: #1f6feb; --danger: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23; --line: #3d444d; --accent: #4493f8; --danger: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(32rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 2rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.4rem 1rem; margin: 0 0 1.5rem; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
form { display: flex; gap: 0.75rem; }
button { font: inherit; padding: 0.55rem 1.3rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #ffffff; }
button.danger { color: var(--danger); }
.brand { color: var(--muted); font-size: 0.8rem; letter-spacing: 0.08em; text-transform: uppercase; margin-bottom: 0.5rem; }
`

// contentSecurityPolicy allows nothing but the page's own style and forms
// posting back to this server.
var contentSecurityPolicy = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<div class="brand">Roster</div>
<h1>{{.Title}}</h1>
{{- if eq .Outcome "valid"}}
<p><strong>{{.InvitedBy}}</strong> invited you to join <strong>{{.Org}}</strong>.</p>
<dl>
<dt>Organization</dt><dd id="organization">{{.Org}}</dd>
<dt>Role</dt><dd id="role">{{.Role}}</dd>
<dt>Invited by</dt><dd id="invited-by">{{.InvitedBy}}</dd>
<dt>E-mail</dt><dd id="email">{{.Email}}</dd>
<dt>Expires</dt><dd id="expires">{{.Expires}}</dd>
</dl>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<button class="primary" type="submit" name="decision" value="accept" id="accept">Accept</button>
<button class="danger" type="submit" name="decision" value="decline" id="decline">Decline</button>
</form>
{{- else}}
<p id="result" data-outcome="{{.Outcome}}">{{.Text}}</p>
{{- if .Detail}}<p class="muted" id="detail">{{.Detail}}</p>{{end}}
{{- end}}
</main>
</body>
</html>
`))

type pageData struct {
	CSS     template.CSS
	Title   string
	Outcome invitation.Outcome
	// Action is the URL the form posts to, without the token, and Token
	// the form field that carries it: the token stays out of the URLs that
	// proxies and ingresses log.
	Action    string
	Token     string
	Org       string
	Role      string
	InvitedBy string
	Email     string
	Expires   string
	Text      string
	Detail    string
}

// pageFor renders res: its title, sentence and HTTP status.
func pageFor(res invitation.Result) (pageData, int) {
	org := res.OrganizationDisplayName
	if org == "" {
		org = "the organization"
	}
	d := pageData{
		CSS:     template.CSS(pageCSS), //nolint:gosec // a constant of this package, allowed by hash in the CSP
		Outcome: res.Outcome, Org: org, Role: string(res.Role),
		InvitedBy: res.InvitedBy, Email: res.Email, Detail: res.Message,
	}
	if !res.ExpiresAt.IsZero() {
		d.Expires = notify.FormatTime(res.ExpiresAt)
	}
	status := http.StatusOK
	switch res.Outcome {
	case invitation.OutcomeValid:
		d.Title = "Join " + org
		d.Detail = ""
	case invitation.OutcomeAccepted:
		d.Title = "Welcome to " + org
		d.Text = "You joined " + org + " with the role " + string(res.Role) + "."
		d.Detail = "Your access is set up within a few seconds. Use the cluster as " + res.User + "."
	case invitation.OutcomeDeclined:
		d.Title = "Invitation declined"
		d.Text = "You declined the invitation to join " + org + ". Nothing else changes; you can close this page."
	case invitation.OutcomeAlreadyMember:
		d.Title = "You are already a member"
		d.Text = "You are already a member of " + org + roleSuffix(res.Role) + ". Nothing changed."
		d.Detail = ""
	case invitation.OutcomeInviterLostAuthority:
		d.Title = "This invitation can no longer be accepted"
		d.Text = "Whoever invited you may no longer grant this role in " + org + ". Ask an Admin or Owner of the organization for a new invitation."
		status = http.StatusForbidden
	case invitation.OutcomeRefused:
		d.Title = "This invitation cannot be accepted"
		d.Text = "Roster refused to add you to " + org + ". Ask an Admin or Owner of the organization for help."
		status = http.StatusForbidden
	case invitation.OutcomeExpired:
		d.Title = "This invitation has expired"
		d.Text = "The link expired. Ask whoever invited you to resend the invitation."
		if d.Expires != "" {
			d.Text = "The link expired on " + d.Expires + ". Ask whoever invited you to resend the invitation."
		}
		status = http.StatusGone
	case invitation.OutcomeUsed:
		d.Title = "This link has already been used"
		d.Text = "The invitation was accepted already: a link works once. If it was you, you are a member" + roleSuffix(res.Role) + " and nothing more is needed."
		d.Detail = ""
		status = http.StatusGone
	case invitation.OutcomeAlreadyDeclined:
		d.Title = "This invitation was declined"
		d.Text = "The invitation was declined already. Ask an Admin or Owner of the organization for a new invitation if you changed your mind."
		status = http.StatusGone
	case invitation.OutcomeRevoked:
		d.Title = "This invitation was revoked"
		d.Text = "An Admin or Owner of the organization withdrew this invitation. Ask them for a new one if you still need access."
		status = http.StatusGone
	case invitation.OutcomeReplaced:
		d.Title = "This link was replaced"
		d.Text = "A newer invitation e-mail was sent after this one: use the link in the most recent e-mail."
		status = http.StatusGone
	case invitation.OutcomeUnknown:
		d.Title = "Unknown invitation link"
		d.Text = "This link does not belong to any invitation. Check that you opened the whole link from the e-mail, or ask for a new invitation."
		status = http.StatusNotFound
	case invitation.OutcomeRateLimited:
		d.Title = "Too many attempts"
		d.Text = "Too many requests came from you or for this invitation. Wait a minute and try again."
		status = http.StatusTooManyRequests
	case invitation.OutcomeBadRequest:
		d.Title = "Bad request"
		d.Text = "The request was not understood. Open the link from the e-mail and use its buttons."
		status = http.StatusBadRequest
	default:
		d.Title = "Something went wrong"
		d.Text = "Roster could not answer just now. Try again in a minute."
		d.Detail = ""
		status = http.StatusServiceUnavailable
	}
	return d, status
}

func roleSuffix(role orgsv1alpha1.Role) string {
	if role == "" {
		return ""
	}
	return " with the role " + string(role)
}
