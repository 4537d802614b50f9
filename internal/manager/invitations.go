package manager

import (
	"context"
	"fmt"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/notify"
)

// InvitationOptions configures invitations: how links are delivered and
// where the accept page and API are served.
type InvitationOptions struct {
	// Notifier delivers links (log, smtp, webhook).
	Notifier notify.NotifierConfig
	// Deliver, when set, delivers links instead of the notifier Notifier
	// configures (pkg/rostertest records them for a test to read).
	Deliver notify.Notifier
	// Accept configures the accept server (bind address, base URL, rate
	// limits). Informers and Log are filled in here.
	Accept acceptserver.ServerOptions
	// RetryBase and RetryMax bound the backoff of failed deliveries.
	RetryBase, RetryMax time.Duration
}

// setupInvitations adds the accept server (on every replica) and the
// Invitation controller (on the leader).
func setupInvitations(ctx context.Context, mgr ctrl.Manager, o Options) error {
	settings := o.Invitations
	if err := index.RegisterInvitationIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	notifier := settings.Deliver
	if notifier == nil {
		var err error
		if notifier, err = notify.NewNotifier(settings.Notifier, mgr.GetAPIReader(), ctrl.Log.WithName("invitations").WithName("notifier")); err != nil {
			return err
		}
	}
	recorder := mgr.GetEventRecorder("roster")
	acceptor := &invitation.Acceptor{
		Client:     mgr.GetClient(),
		Live:       mgr.GetAPIReader(),
		UserPrefix: o.UserPrefix,
		Recorder:   recorder,
	}
	accept := settings.Accept
	accept.Informers = mgr.GetCache()
	accept.Log = ctrl.Log.WithName("invitations").WithName("accept")
	server, err := acceptserver.NewServer(accept, acceptor)
	if err != nil {
		return err
	}
	if err := mgr.Add(server); err != nil {
		server.Close()
		return fmt.Errorf("adding the accept server: %w", err)
	}
	if err := (&invitation.Reconciler{
		Client:     mgr.GetClient(),
		Live:       mgr.GetAPIReader(),
		Recorder:   recorder,
		Notifier:   notifier,
		BaseURL:    server.BaseURL(),
		Acceptor:   acceptor,
		UserPrefix: o.UserPrefix,
		RetryBase:  settings.RetryBase,
		RetryMax:   settings.RetryMax,
	}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Invitation controller: %w", err)
	}
	metrics.RegisterPhaseMetrics(mgr.GetClient())
	return nil
}
