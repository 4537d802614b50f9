package cli

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Delivery results of --wait.
const (
	DeliverySent     = "sent"
	DeliveryFailed   = "not-sent"
	DeliveryAnswered = "answered"
	DeliveryTimeout  = "timeout"
)

// delivery is one Invitation whose delivery --wait watches.
type delivery struct {
	key client.ObjectKey
	// sendCount is status.sendCount before the request; a delivery is
	// seen when it grows.
	sendCount int32
	// resendAt is the resend annotation's value for a resend ("" for a
	// new invitation).
	resendAt string

	Result    string
	Message   string
	ExpiresAt *time.Time
}

// waitDelivered polls the invitations until Roster reports each delivered
// (status.sendCount grew and Delivered is True), failed (Delivered False),
// answered, or timeout passes. A terminal shows progress on stderr.
func (o *Options) waitDelivered(ctx context.Context, cl client.Client, ds []*delivery, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0
		for _, d := range ds {
			if d.Result == "" {
				o.checkDelivery(ctx, cl, d)
			}
			if d.Result != "" {
				done++
			}
		}
		o.progress("waiting for Roster to send the invitations: %d of %d done", done, len(ds))
		if done == len(ds) {
			o.progressDone()
			return
		}
		select {
		case <-ctx.Done():
			o.progressDone()
			for _, d := range ds {
				if d.Result == "" {
					d.Result, d.Message = DeliveryTimeout, fmt.Sprintf("not sent within %s; Roster keeps trying: `kubectl roster users` shows when it is", timeout)
				}
			}
			return
		case <-tick.C:
		}
	}
}

func (o *Options) checkDelivery(ctx context.Context, cl client.Client, d *delivery) {
	inv := &orgsv1alpha1.Invitation{}
	if err := cl.Get(ctx, d.key, inv); err != nil {
		if apierrors.IsNotFound(err) {
			d.Result, d.Message = DeliveryAnswered, "the invitation is gone (accepted or revoked)"
		}
		return
	}
	if d.resendAt != "" && inv.Status.LastResendRequest != d.resendAt {
		return
	}
	delivered := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.DeliveredCondition)
	switch {
	case !inv.IsPending():
		d.Result, d.Message = DeliveryAnswered, "the invitation is "+string(inv.Status.Phase)
	case inv.Status.SendCount > d.sendCount && delivered != nil && delivered.Status == metav1.ConditionTrue:
		d.Result = DeliverySent
		if inv.Status.ExpiresAt != nil {
			t := inv.Status.ExpiresAt.UTC()
			d.ExpiresAt = &t
		}
	case delivered != nil && delivered.Status == metav1.ConditionFalse:
		d.Result, d.Message = DeliveryFailed, delivered.Message
	}
}

// line is how a delivery shows in the table formats.
func (d *delivery) line(email string) string {
	switch d.Result {
	case DeliverySent:
		until := ""
		if d.ExpiresAt != nil {
			until = "; the link works until " + d.ExpiresAt.Format(time.RFC3339)
		}
		return fmt.Sprintf("sent        %s%s", email, until)
	case DeliveryAnswered:
		return fmt.Sprintf("answered    %s: %s", email, d.Message)
	}
	return fmt.Sprintf("not sent    %s: %s", email, d.Message)
}
