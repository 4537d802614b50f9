package invitation

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// maxNameBase keeps a Member name within a DNS label (63 characters) with
// room for the collision suffixes "-<6 hex>" and "-<attempt>".
const maxNameBase = 48

// MemberName is the name of the Member an accepted invitation to email
// creates; attempt counts the names already taken by other Members.
//
// The mapping, documented in docs/invitations.md, is deterministic and
// always a DNS label (RFC 1123: at most 63 lower-case letters, digits and
// '-', starting and ending with a letter or digit):
//
//  1. lower-case the address and replace "@" with "-at-";
//  2. replace every character other than a-z and 0-9 with "-", collapse
//     runs of "-" and trim "-" at both ends ("member" if nothing is left);
//  3. cut it to 48 characters (and trim a trailing "-" again).
//
// Attempt 0 is that base ("Alice.Smith@Example.com" → "alice-smith-at-example-com").
// On a collision, attempt 1 appends "-" and the first 6 hex digits of the
// SHA-256 of the lower-cased address, and attempt n > 1 appends "-n" after
// that: different addresses that map to the same base (a.b@x.io and
// a-b@x.io) get different, stable names.
func MemberName(email string, attempt int) string {
	lower := strings.ToLower(strings.TrimSpace(email))
	base := dnsLabel(strings.ReplaceAll(lower, "@", "-at-"))
	if attempt <= 0 {
		return base
	}
	sum := sha256.Sum256([]byte(lower))
	name := base + "-" + hex.EncodeToString(sum[:])[:6]
	if attempt > 1 {
		name += "-" + strconv.Itoa(attempt)
	}
	return name
}

func dnsLabel(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > maxNameBase {
		out = strings.TrimRight(out[:maxNameBase], "-")
	}
	if out == "" {
		return "member"
	}
	return out
}

// AcceptanceName is the name an acceptance tries when other Members hold
// every stable name: the base of MemberName, "-" and 8 hex digits of the
// SHA-256 of the accepted token's hash and the moment of acceptance, to
// the second as status.acceptedAt stores it. Whoever completes the
// acceptance computes the same name.
func AcceptanceName(email, tokenHash string, acceptedAt time.Time) string {
	sum := sha256.Sum256([]byte(tokenHash + "/" + acceptedAt.UTC().Format(time.RFC3339)))
	return MemberName(email, 0) + "-" + hex.EncodeToString(sum[:])[:8]
}
