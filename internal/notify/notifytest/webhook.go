package notifytest

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/roster-dev/roster/internal/notify"
)

// VerifySignature checks a webhook request's signature and that its
// timestamp is within tolerance of now (refusing replays of old requests).
// It is what a receiver does (docs/invitations.md); the tests receive with it.
func VerifySignature(key []byte, timestamp string, body []byte, signature string, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("malformed %s", notify.TimestampHeader)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s is %s away from now, more than %s", notify.TimestampHeader, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(notify.Sign(key, timestamp, body)), []byte(signature)) {
		return errors.New("signature mismatch")
	}
	return nil
}
