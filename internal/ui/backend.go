// Package ui serves the product's Users page for `kubectl roster ui`: a
// web server on 127.0.0.1 that acts with the credentials of the person who
// started it. It holds no privilege of its own: every read and write goes
// through a Backend (the plugin's client, so the API server, its RBAC and
// Roster's webhooks decide) and every refusal is shown as the server words
// it.
//
// The server is a local target, so it guards itself (security.go): a
// per-launch secret exchanged for an HttpOnly, SameSite=Strict session
// cookie, a Host check against DNS rebinding, an Origin check and a
// single-use CSRF token on every state-changing request, and a
// Content-Security-Policy that allows no inline script and no other
// origin. Its assets are embedded; strings reach the page only through
// html/template or textContent.
package ui

import (
	"context"
	"time"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Entry is one row of the Users list: a Member or an Invitation.
type Entry struct {
	// Kind is Member or Invitation.
	Kind string `json:"kind"`
	// Name is the member's user ("group:<name>" for a group) or the
	// invitee's e-mail.
	Name          string            `json:"name"`
	Role          orgsv1alpha1.Role `json:"role"`
	EffectiveRole orgsv1alpha1.Role `json:"effectiveRole,omitempty"`
	// Status is the plugin's: member, held back, duplicate, removing,
	// pending, expired, declined, failed, accepted, revoking.
	Status string `json:"status"`
	// Phase is an Invitation's status.phase (Sent, Failed, Expired...).
	Phase     string     `json:"phase,omitempty"`
	Message   string     `json:"message,omitempty"`
	InvitedBy string     `json:"invitedBy,omitempty"`
	Since     time.Time  `json:"since"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Object is the Kubernetes object's name in the home namespace.
	Object string `json:"object"`
	// Self marks the Member of the signed-in user.
	Self bool `json:"self,omitempty"`
	// Group marks a Member of a group.
	Group bool `json:"group,omitempty"`
}

// Directory is an organization's Members and Invitations.
type Directory struct {
	Organization string  `json:"organization"`
	DisplayName  string  `json:"displayName,omitempty"`
	Entries      []Entry `json:"entries"`
}

// Access is what the signed-in user may do in an organization, from
// SelfSubjectAccessReviews (the checks of `kubectl roster can-i`).
type Access struct {
	ViewUsers    bool `json:"viewUsers"`
	Invite       bool `json:"invite"`
	InviteOwners bool `json:"inviteOwners"`
	ManageUsers  bool `json:"manageUsers"`
	ManageOwners bool `json:"manageOwners"`
	// Leave is the RBAC half of leaving; the page also wants the user's
	// own row to be an Admin or Owner.
	Leave bool `json:"leave"`
}

// Organization is one entry of the switcher.
type Organization struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Role        orgsv1alpha1.Role `json:"role,omitempty"`
}

// Backend reads and writes the directory as the signed-in user. The
// plugin implements it with its own client (internal/cli/ui.go).
type Backend interface {
	// User is who the API server says the signed-in user is.
	User(ctx context.Context) (string, error)
	// Organizations are those the user belongs to (or may see), and the
	// one to show first.
	Organizations(ctx context.Context) (orgs []Organization, current string, err error)
	Directory(ctx context.Context, org string) (*Directory, error)
	Access(ctx context.Context, org string) (Access, error)
	SetRole(ctx context.Context, org, member string, role orgsv1alpha1.Role) error
	// Remove deletes the Member named member; Leave deletes the user's own.
	Remove(ctx context.Context, org, member string) error
	Leave(ctx context.Context, org string) error
	// ValidEmail says what is wrong with an address, before anything is sent.
	ValidEmail(email string) error
	Invite(ctx context.Context, org, email string, role orgsv1alpha1.Role) error
	Resend(ctx context.Context, org, invitation string) error
	Revoke(ctx context.Context, org, invitation string) error
}

// Problem is a refusal as the page shows it: the server's words and, if
// there is one, the plugin's hint.
type Problem struct {
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// Code is the HTTP status the page gets.
	Code int `json:"-"`
}

func (p *Problem) Error() string { return p.Message }
