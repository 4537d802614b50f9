package organization

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// batchFixture drives a batcher on a fake clock and counts what it adds
// to the queue.
type batchFixture struct {
	t     *testing.T
	clock *clocktesting.FakeClock
	b     *batcher
	q     *countingQueue
}

// countingQueue counts Adds (a workqueue would merge those of one key).
type countingQueue struct {
	queue
	mu   sync.Mutex
	adds int
}

func (q *countingQueue) Add(reconcile.Request) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.adds++
}

func newBatchFixture(t *testing.T, b Batching) *batchFixture {
	c := clocktesting.NewFakeClock(time.Unix(1_000_000, 0))
	return &batchFixture{t: t, clock: c, b: newBatcher(b, c), q: &countingQueue{}}
}

// queued says how many reconciles were added since the last call.
func (f *batchFixture) queued() int {
	f.q.mu.Lock()
	defer f.q.mu.Unlock()
	n := f.q.adds
	f.q.adds = 0
	return n
}

func (f *batchFixture) expectQueued(want int, when string) {
	f.t.Helper()
	if got := f.queued(); got != want {
		f.t.Fatalf("%s: %d reconciles queued, want %d", when, got, want)
	}
}

func TestBatcherAppliesChangesOutsideABurstAtOnce(t *testing.T) {
	f := newBatchFixture(t, DefaultBatching)
	for i := range 10 {
		f.b.add(f.q, "acme")
		f.expectQueued(1, fmt.Sprintf("change %d, %s apart", i, DefaultBatching.Window/2))
		f.clock.Step(DefaultBatching.Window / 2)
	}
	// Other organizations do not count towards acme's burst.
	for i := range DefaultBatching.Burst - 1 {
		f.b.add(f.q, fmt.Sprintf("org-%d", i))
	}
	f.b.add(f.q, "acme")
	f.expectQueued(DefaultBatching.Burst, "changes to different organizations at once")
}

func TestBatcherCollectsABurstUntilItIsQuiet(t *testing.T) {
	f := newBatchFixture(t, DefaultBatching)
	for range DefaultBatching.Burst - 1 {
		f.b.add(f.q, "acme")
	}
	f.expectQueued(DefaultBatching.Burst-1, "the changes before a burst")
	for range 20 {
		f.b.add(f.q, "acme")
		f.clock.Step(DefaultBatching.Quiet / 2)
	}
	f.expectQueued(0, "while a burst keeps coming")
	f.clock.Step(DefaultBatching.Quiet/2 - time.Millisecond)
	f.expectQueued(0, "just before the quiet period ends")
	f.clock.Step(time.Millisecond)
	f.expectQueued(1, "once quiet")
	f.clock.Step(time.Hour)
	f.expectQueued(0, "later, with nothing changed")
	f.b.add(f.q, "acme")
	f.expectQueued(1, "a change long after the burst")
}

func TestBatcherWaitsNoLongerThanMaxWait(t *testing.T) {
	f := newBatchFixture(t, DefaultBatching)
	for range DefaultBatching.Burst - 1 {
		f.b.add(f.q, "acme")
	}
	f.expectQueued(DefaultBatching.Burst-1, "the changes before a burst")
	// Bursts for a minute: a reconcile at least every MaxWait, not one per
	// change and not none until the stream ends.
	step := DefaultBatching.Window / time.Duration(DefaultBatching.Burst)
	last := f.clock.Now()
	reconciles := 0
	for waited := step; waited <= 2*DefaultBatching.MaxWait; waited += step {
		f.clock.Step(step)
		f.b.add(f.q, "acme")
		if n := f.queued(); n > 0 {
			reconciles += n
			if gap := f.clock.Now().Sub(last); gap > DefaultBatching.MaxWait+step {
				t.Fatalf("%s between reconciles, MaxWait is %s", gap, DefaultBatching.MaxWait)
			}
			last = f.clock.Now()
		}
	}
	f.clock.Step(DefaultBatching.Quiet)
	reconciles += f.queued()
	if reconciles != 2 {
		t.Fatalf("%d reconciles for a stream of two MaxWaits, want 2", reconciles)
	}
}

func TestBatcherOffEnqueuesEveryChange(t *testing.T) {
	f := newBatchFixture(t, Batching{})
	for range 3 {
		f.b.add(f.q, "acme")
		f.expectQueued(1, "every change")
	}
}

func TestBatcherForgetsAnOrganization(t *testing.T) {
	f := newBatchFixture(t, DefaultBatching)
	for range DefaultBatching.Burst {
		f.b.add(f.q, "acme")
	}
	f.expectQueued(DefaultBatching.Burst-1, "the changes before a burst")
	f.b.forget("acme")
	f.clock.Step(time.Hour)
	f.expectQueued(0, "a collection of a forgotten organization")
	f.b.add(f.q, "acme")
	f.expectQueued(1, "a change after forgetting")
}

// A Member's role change or removal is never held back by a burst: access
// must go as soon as it is taken away.
func TestMembershipHandlerAppliesRevocationsAtOnce(t *testing.T) {
	f := newBatchFixture(t, DefaultBatching)
	toAcme := func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: "acme"}}}
	}
	h := membershipHandler{batcher: f.b, orgOf: toAcme, revokes: memberMayLoseAccess, deleteRevokes: true, urgentCreate: memberIsOwner}
	member := func(generation int64, deleting bool) *orgsv1alpha1.Member {
		m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "bob", Generation: generation}}
		if deleting {
			m.DeletionTimestamp = &metav1.Time{Time: f.clock.Now()}
		}
		return m
	}
	ctx := context.Background()
	// A burst of new Members is under way...
	for range 2 * DefaultBatching.Burst {
		h.Create(ctx, event.CreateEvent{Object: member(1, false)}, f.q)
	}
	f.queued()
	// ...and still these go through at once.
	h.Update(ctx, event.UpdateEvent{ObjectOld: member(1, false), ObjectNew: member(2, false)}, f.q)
	f.expectQueued(1, "a role change during a burst")
	h.Update(ctx, event.UpdateEvent{ObjectOld: member(2, false), ObjectNew: member(2, true)}, f.q)
	f.expectQueued(1, "a removal starting during a burst")
	h.Delete(ctx, event.DeleteEvent{Object: member(2, true)}, f.q)
	f.expectQueued(1, "a Member gone during a burst")
	// A new Owner may end the hold on a removed owner: at once too.
	owner := member(1, false)
	owner.Spec.Role = orgsv1alpha1.RoleOwner
	h.Create(ctx, event.CreateEvent{Object: owner}, f.q)
	f.expectQueued(1, "a new Owner during a burst")
	h.Create(ctx, event.CreateEvent{Object: member(1, false)}, f.q)
	f.expectQueued(0, "another new Member during a burst")
	// A metadata-only change waits with the burst.
	h.Update(ctx, event.UpdateEvent{ObjectOld: member(2, false), ObjectNew: member(2, false)}, f.q)
	f.expectQueued(0, "another change during a burst")

	invitations := membershipHandler{batcher: f.b, orgOf: toAcme}
	invitations.Delete(ctx, event.DeleteEvent{Object: &orgsv1alpha1.Invitation{}}, f.q)
	f.expectQueued(0, "an Invitation gone during a burst")
}

// Roster's own status writes come back as update events; reacting to them
// would reconcile again after every reconcile.
func TestNotStatusOnly(t *testing.T) {
	p := notStatusOnly()
	base := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "bob", Generation: 1, ResourceVersion: "10"}}
	with := func(change func(m *orgsv1alpha1.Member)) *orgsv1alpha1.Member {
		m := base.DeepCopy()
		m.ResourceVersion = "11"
		change(m)
		return m
	}
	for _, tc := range []struct {
		name string
		new  *orgsv1alpha1.Member
		want bool
	}{
		{"a status update", with(func(m *orgsv1alpha1.Member) { m.Status.EffectiveRole = orgsv1alpha1.RoleViewer }), false},
		{"a resync", base.DeepCopy(), true},
		{"a spec change", with(func(m *orgsv1alpha1.Member) { m.Generation = 2 }), true},
		{"a deletion", with(func(m *orgsv1alpha1.Member) { now := metav1.Now(); m.DeletionTimestamp = &now }), true},
		{"a finalizer removed by hand", with(func(m *orgsv1alpha1.Member) { m.Finalizers = []string{"x"} }), true},
		{"a label", with(func(m *orgsv1alpha1.Member) { m.Labels = map[string]string{"team": "a"} }), true},
	} {
		if got := p.Update(event.UpdateEvent{ObjectOld: base, ObjectNew: tc.new}); got != tc.want {
			t.Errorf("%s: passes %v, want %v", tc.name, got, tc.want)
		}
	}
}
