package rostertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/notify"
)

// Invitation is one invitation link Roster sent (with Options.Invitations,
// Roster records links instead of e-mailing them).
type Invitation struct {
	// Email is the invitee's address.
	Email string
	// Link is the link to accept the invitation with (Accept answers it).
	Link string
	// Organization is the organization's name.
	Organization string
	// Role is the role the invitation gives.
	Role string
	// InvitedBy is the username of whoever created the Invitation.
	InvitedBy string
	// Namespace and Name name the Invitation object.
	Namespace, Name string
	// ExpiresAt is when the link stops working.
	ExpiresAt time.Time
}

// recorder is the notifier Options.Invitations delivers with.
type recorder struct {
	mu   sync.Mutex
	sent []Invitation
}

var _ notify.Notifier = &recorder{}

func (*recorder) Name() string { return "rostertest" }

func (n *recorder) Notify(_ context.Context, m notify.Message) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, Invitation{
		Email: m.Email, Link: m.Link, Organization: m.Organization, Role: string(m.Role),
		InvitedBy: m.InvitedBy, Namespace: m.Invitation.Namespace, Name: m.Invitation.Name, ExpiresAt: m.ExpiresAt,
	})
	return nil
}

// Invitations returns every invitation link sent since Start, oldest
// first (a resend sends a new link; the old one stops working). It is
// empty without Options.Invitations.
func (r *Roster) Invitations() []Invitation {
	if r.links == nil {
		return nil
	}
	r.links.mu.Lock()
	defer r.links.mu.Unlock()
	return append([]Invitation(nil), r.links.sent...)
}

// LastInvitationLink returns the link of the last invitation sent to
// email (compared case-insensitively), or "" when none was sent yet:
// sending is asynchronous, so poll it (gomega's Eventually).
func (r *Roster) LastInvitationLink(email string) string {
	sent := r.Invitations()
	for i := len(sent) - 1; i >= 0; i-- {
		if strings.EqualFold(sent[i].Email, email) {
			return sent[i].Link
		}
	}
	return ""
}

// AcceptResult is the accept server's answer to a link.
type AcceptResult struct {
	// Outcome is "accepted" when the link made its invitee a member; else
	// why not, e.g. "used", "expired", "revoked", "replaced", "refused",
	// "inviter-lost-authority".
	Outcome string
	// Message is the sentence the accept page shows the invitee.
	Message string
	// Member is the name of the Member the acceptance created (in the
	// organization's home namespace), and User its spec.user.
	Member, User string
	// Organization and Role are the invitation's.
	Organization, Role string
	// HTTPStatus is the JSON API's status code (200 on acceptance).
	HTTPStatus int
}

// ErrNotAccepted is wrapped by Accept's error when the server answered
// but did not accept (the AcceptResult says why).
var ErrNotAccepted = errors.New("the invitation was not accepted")

// Accept answers link as its invitee would (no credentials: the link is
// the credential) through the accept server's JSON API, and returns the
// answer; the error wraps ErrNotAccepted when the server answered with
// another outcome than "accepted". The Member it creates is there when
// Accept returns; its RBAC follows once the Organization is Ready.
func (r *Roster) Accept(ctx context.Context, link string) (AcceptResult, error) {
	u, err := url.Parse(link)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("not an invitation link: %w", err)
	}
	prefix, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), invitation.AcceptPath)
	token := u.Query().Get("token")
	if !ok || token == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return AcceptResult{}, fmt.Errorf("not an invitation link (it looks like http://HOST%s?token=TOKEN): %q", invitation.AcceptPath, link)
	}
	body, err := json.Marshal(acceptserver.APIRequest{Token: token, Decision: invitation.DecisionAccept})
	if err != nil {
		return AcceptResult{}, err
	}
	endpoint := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: prefix + invitation.APIPath}).String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return AcceptResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("answering the invitation at %s: %w", endpoint, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out acceptserver.APIResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return AcceptResult{}, fmt.Errorf("unexpected answer from %s (HTTP %s): %w", endpoint, resp.Status, err)
	}
	res := AcceptResult{
		Outcome: string(out.Outcome), Message: out.Message, Member: out.Member, User: out.User,
		Organization: out.Organization, Role: out.Role, HTTPStatus: resp.StatusCode,
	}
	if out.Outcome != invitation.OutcomeAccepted {
		return res, fmt.Errorf("%w: %s (HTTP %d): %s", ErrNotAccepted, out.Outcome, resp.StatusCode, out.Message)
	}
	return res, nil
}
