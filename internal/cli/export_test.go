package cli

import (
	"context"

	"github.com/roster-dev/roster/internal/ui"
)

// NewUIBackend is the web page's backend as `kubectl roster ui` builds it
// for o's kubeconfig, and the function that stops it.
func NewUIBackend(ctx context.Context, o *Options) (ui.Backend, func(), error) {
	if _, err := o.client(); err != nil {
		return nil, nil, err
	}
	id, err := o.whoAmI(ctx)
	if err != nil {
		return nil, nil, err
	}
	b := newUIBackend(o, id)
	return b, b.watches.stopAll, nil
}
