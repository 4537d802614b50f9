package organization

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Batching is how changes to an organization's Members and Invitations are
// collected into reconciles. Every reconcile rewrites each RBAC binding a
// change touched, so a bulk import of a thousand Members reconciled a
// thousand times writes the same bindings a thousand times; collected, it
// writes them a few times. Changes that do not come in a burst are not
// delayed.
type Batching struct {
	// Burst changes to one organization within Window make a burst; any
	// fewer are reconciled at once.
	Burst  int
	Window time.Duration
	// Quiet: the changes of a burst are collected until none has come for
	// this long...
	Quiet time.Duration
	// MaxWait: ...or for at most this long since the first was collected.
	MaxWait time.Duration
}

// DefaultBatching is Roster's batching: a change is applied at once unless
// it is the fourth within a second to one organization (a GitOps sync, a
// script); a burst is applied after a second of quiet, at least every
// 30 s. Only changes that cannot take access away are batched: new
// Members and Invitations' changes. A Member's role change or removal, and
// a new Owner Member (which may end the hold on a removed owner), are
// always applied at once.
var DefaultBatching = Batching{Burst: 4, Window: time.Second, Quiet: time.Second, MaxWait: 30 * time.Second}

// batcher enqueues organizations as Batching says. The zero Batching
// enqueues every change at once.
type batcher struct {
	Batching
	clock clock.WithDelayedExecution

	mu   sync.Mutex
	orgs map[string]*batch
}

// batch is one organization's state: when its last changes came, and the
// collection under way, if any.
type batch struct {
	// recent holds the times of the last Burst-1 changes, oldest first.
	recent []time.Time
	first  time.Time
	timer  clock.Timer
	// gen tells a timer that fired from the one that replaced it.
	gen int
}

func newBatcher(b Batching, c clock.WithDelayedExecution) *batcher {
	return &batcher{Batching: b, clock: c, orgs: map[string]*batch{}}
}

// add enqueues org now, or when the collection it joins ends.
func (b *batcher) add(q queue, org string) {
	req := ctrl.Request{NamespacedName: client.ObjectKey{Name: org}}
	if b.Burst < 2 {
		q.Add(req)
		return
	}
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.orgs[org]
	if st == nil {
		st = &batch{}
		b.orgs[org] = st
	}
	burst := len(st.recent) == b.Burst-1 && now.Sub(st.recent[0]) < b.Window
	st.recent = append(st.recent, now)
	if len(st.recent) > b.Burst-1 {
		st.recent = st.recent[1:]
	}
	if st.timer == nil && !burst {
		q.Add(req)
		return
	}
	if st.timer == nil {
		st.first = now
	} else {
		st.timer.Stop()
	}
	delay := min(b.Quiet, st.first.Add(b.MaxWait).Sub(now))
	st.gen++
	gen := st.gen
	st.timer = b.clock.AfterFunc(max(delay, 0), func() {
		b.mu.Lock()
		if st.gen == gen {
			st.timer = nil
		}
		b.mu.Unlock()
		q.Add(req)
	})
}

// forget drops an organization's state once it is gone.
func (b *batcher) forget(org string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st := b.orgs[org]; st != nil && st.timer != nil {
		st.timer.Stop()
	}
	delete(b.orgs, org)
}

// membershipHandler enqueues the organization of a changed Member or
// Invitation through the batcher, except for changes that may take access
// away: those are applied at once, never held back by a burst.
type membershipHandler struct {
	batcher *batcher
	orgOf   func(context.Context, client.Object) []ctrl.Request
	// revokes says whether an update may take access away; nil: never.
	revokes func(old, new client.Object) bool
	// deleteRevokes: deleting the object takes access away.
	deleteRevokes bool
	// urgentCreate says whether a new object must not wait; nil: none.
	urgentCreate func(obj client.Object) bool
}

func (h membershipHandler) enqueue(ctx context.Context, q queue, obj client.Object, now bool) {
	for _, req := range h.orgOf(ctx, obj) {
		if now {
			q.Add(req)
			continue
		}
		h.batcher.add(q, req.Name)
	}
}

func (h membershipHandler) Create(ctx context.Context, e event.CreateEvent, q queue) {
	h.enqueue(ctx, q, e.Object, h.urgentCreate != nil && h.urgentCreate(e.Object))
}

func (h membershipHandler) Update(ctx context.Context, e event.UpdateEvent, q queue) {
	h.enqueue(ctx, q, e.ObjectNew, h.revokes != nil && h.revokes(e.ObjectOld, e.ObjectNew))
}

func (h membershipHandler) Delete(ctx context.Context, e event.DeleteEvent, q queue) {
	h.enqueue(ctx, q, e.Object, h.deleteRevokes)
}

func (h membershipHandler) Generic(ctx context.Context, e event.GenericEvent, q queue) {
	h.enqueue(ctx, q, e.Object, false)
}

// memberMayLoseAccess: a Member's spec changed (its role) or its deletion
// began. Removing someone must not wait for a burst to end.
func memberMayLoseAccess(old, new client.Object) bool {
	return old.GetGeneration() != new.GetGeneration() ||
		old.GetDeletionTimestamp().IsZero() != new.GetDeletionTimestamp().IsZero()
}

// memberIsOwner: a new Owner Member may release the hold on an owner who
// was removed (the last-owner rule): that removal must not wait for a
// burst to end either.
func memberIsOwner(obj client.Object) bool {
	m, ok := obj.(*orgsv1alpha1.Member)
	return ok && m.Spec.Role == orgsv1alpha1.RoleOwner
}

// notStatusOnly passes every change of an Organization or Member but an
// update of its status alone, which only the reconciler itself makes. A
// resync (the same resourceVersion twice) passes.
func notStatusOnly() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld, e.ObjectNew
			return o.GetResourceVersion() == n.GetResourceVersion() ||
				o.GetGeneration() != n.GetGeneration() ||
				o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() ||
				!slices.Equal(o.GetFinalizers(), n.GetFinalizers()) ||
				!maps.Equal(o.GetLabels(), n.GetLabels()) ||
				!maps.Equal(o.GetAnnotations(), n.GetAnnotations())
		},
	}
}

// notAsRendered passes every RBAC event but those of objects that already
// are what the Applier last rendered, or that it pruned
// (access.Applier.AsRendered, PrunedAsRendered): its own writes coming back.
// Anything else is drift, repaired at once.
func (r *Reconciler) notAsRendered() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !r.Access.AsRendered(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return !r.Access.AsRendered(e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool { return !r.Access.PrunedAsRendered(e.Object) },
	}
}
