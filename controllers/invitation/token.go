package invitation

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// TokenBytes is the size of a token's random part: 256 bits, twice the
// 128 bits a guess must beat.
const TokenBytes = 32

// tokenLen is the length of a token as it appears in links: unpadded
// base64url of TokenBytes.
var tokenLen = base64.RawURLEncoding.EncodedLen(TokenBytes)

// NewToken returns a fresh random token and its hash. Only the hash is
// stored; the token goes into the link and nowhere else.
//
// A token never starts with '-': `kubectl roster accept <token>` would read
// it as a flag (and print it in the error). Drawing again costs 1/64 of the
// space, far less than a bit.
func NewToken() (token, hash string, err error) {
	b := make([]byte, TokenBytes)
	for token == "" || strings.HasPrefix(token, "-") {
		if _, err := rand.Read(b); err != nil {
			return "", "", fmt.Errorf("reading random bytes for an invitation token: %w", err)
		}
		token = base64.RawURLEncoding.EncodeToString(b)
	}
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token: SHA-256, hex. A token has 256
// random bits, so a fast unsalted hash is enough (nothing to brute-force).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether token looks like one NewToken makes, so that
// garbage is refused before any lookup.
func WellFormed(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// HashMatches compares two token hashes in constant time.
func HashMatches(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// AcceptPath and APIPath are where the accept page and the JSON API live
// under the base URL.
const (
	AcceptPath = "/invitations/accept"
	APIPath    = "/api/v1/invitations/accept"
)

// Link is the acceptance link for token: <base>/invitations/accept?token=<token>.
func Link(base, token string) string {
	return strings.TrimRight(base, "/") + AcceptPath + "?token=" + url.QueryEscape(token)
}
