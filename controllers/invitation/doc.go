// Package invitation is Roster's invitations feature: the Invitation
// reconciler (delivery, resend, expiry, resolving an invitation for someone
// who became a Member some other way), its pure status setters, the
// single-use tokens (only their hash is stored) and the Member names an
// acceptance tries, and the Acceptor that answers a link (accept or
// decline), creating the Member once the recorded inviter's authority and
// the invariants allow it (decided by internal/policy). The HTTP side (the
// accept page, the JSON API, rate limits) is internal/acceptserver; the
// delivery of links is internal/notify. See docs/invitations.md.
package invitation
