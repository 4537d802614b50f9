// Package invite is the I/O of Roster's invitations: single-use tokens
// (only their hash is stored), the notifiers that deliver acceptance links
// (operator log, SMTP, HMAC-signed webhook), the accept page and JSON API
// the manager serves, and the acceptance itself, which creates the Member
// once the recorded inviter's authority and the invariants allow it
// (decided by internal/policy). The Invitation reconciler in controllers
// drives delivery, resend and expiry; see docs/invitations.md.
package invite
