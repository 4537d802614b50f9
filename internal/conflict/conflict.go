// Package conflict is how Roster's reconcilers treat a write that lost a
// race: a conflict is how the API server refuses a decision taken on a
// stale view, so the reconcile reads again soon, quietly, instead of
// logging an error and backing off.
package conflict

import (
	"context"
	"errors"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// Retry is how soon a reconcile that lost a race reads again.
const Retry = 50 * time.Millisecond

// Requeue retries a reconcile whose view was stale without logging it as
// an error: a conflict is how the commit point refuses a decision taken
// on an old view, and the retry reads a newer one.
func Requeue(ctx context.Context, err error) (ctrl.Result, error) {
	if err != nil && Is(err) {
		log.FromContext(ctx).V(1).Info("stale view, retrying", "error", err.Error())
		return ctrl.Result{RequeueAfter: Retry}, nil
	}
	return ctrl.Result{}, err
}

// Is reports a conflict, or an aggregate of nothing but conflicts
// (reconcilers aggregate the errors of their steps, and
// apierrors.IsConflict does not look inside an aggregate).
func Is(err error) bool {
	var agg kerrors.Aggregate
	if errors.As(err, &agg) {
		for _, e := range agg.Errors() {
			if !Is(e) {
				return false
			}
		}
		return len(agg.Errors()) > 0
	}
	return apierrors.IsConflict(err)
}
