package cli

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// watchIdle is how long a directory nobody has asked for is still followed.
const watchIdle = 2 * time.Minute

// directoryWatches keeps the directories the page shows, each listed once
// and then followed by a watch with the user's own credentials, so that a
// poll of a 10,000-member organization reads memory, not the API server.
// A directory is followed only after the user could list it directly: a
// non-member's page never starts a watch that would retry a refusal.
type directoryWatches struct {
	cl    client.WithWatch
	clock func() time.Time

	mu      sync.Mutex
	watches map[string]*directoryWatch // by home namespace
}

// directoryWatch is one home namespace's Members and Invitations.
type directoryWatch struct {
	members, invitations         cache.Store
	membersSynced, invitesSynced cache.InformerSynced
	stop                         context.CancelFunc
	lastUsed                     time.Time
	// stale is set by a write through the page: the next read lists
	// directly, so the writer sees their change at once even if its watch
	// event is still on its way.
	stale bool
}

func newDirectoryWatches(cl client.WithWatch, clock func() time.Time) *directoryWatches {
	return &directoryWatches{cl: cl, clock: clock, watches: map[string]*directoryWatch{}}
}

// directory is org's directory: from its watch once that has synced,
// otherwise listed directly by o (which then starts the watch).
func (w *directoryWatches) directory(ctx context.Context, o *Options, org *orgsv1alpha1.Organization) (*directory, error) {
	ns := org.HomeNamespaceName()
	w.mu.Lock()
	w.stopIdle()
	dw := w.watches[ns]
	if dw != nil {
		dw.lastUsed = w.clock()
		if !dw.stale && dw.membersSynced() && dw.invitesSynced() {
			w.mu.Unlock()
			return &directory{org: org, members: listed[orgsv1alpha1.Member](dw.members), invitations: listed[orgsv1alpha1.Invitation](dw.invitations)}, nil
		}
		dw.stale = false
	}
	w.mu.Unlock()

	d, err := o.directory(ctx, org)
	if err != nil || dw != nil || w.cl == nil {
		return d, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watches[ns] == nil {
		w.watches[ns] = w.start(ns)
	}
	return d, nil
}

// changed marks every followed directory stale after a write.
func (w *directoryWatches) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, dw := range w.watches {
		dw.stale = true
	}
}

// stopAll ends every watch (the page's server is stopping).
func (w *directoryWatches) stopAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ns, dw := range w.watches {
		dw.stop()
		delete(w.watches, ns)
	}
}

// stopIdle ends the watches of directories nobody asked for lately (the
// user switched organization). Called with mu held.
func (w *directoryWatches) stopIdle() {
	for ns, dw := range w.watches {
		if w.clock().Sub(dw.lastUsed) > watchIdle {
			dw.stop()
			delete(w.watches, ns)
		}
	}
}

func (w *directoryWatches) start(ns string) *directoryWatch {
	ctx, cancel := context.WithCancel(context.Background())
	dw := &directoryWatch{stop: cancel, lastUsed: w.clock()}
	var members, invites cache.Controller
	dw.members, members = cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: listWatch(w.cl, ns, &orgsv1alpha1.MemberList{}),
		ObjectType:    &orgsv1alpha1.Member{},
		Handler:       cache.ResourceEventHandlerFuncs{},
	})
	dw.invitations, invites = cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: listWatch(w.cl, ns, &orgsv1alpha1.InvitationList{}),
		ObjectType:    &orgsv1alpha1.Invitation{},
		Handler:       cache.ResourceEventHandlerFuncs{},
	})
	dw.membersSynced, dw.invitesSynced = members.HasSynced, invites.HasSynced
	go members.RunWithContext(ctx)
	go invites.RunWithContext(ctx)
	return dw
}

// listWatch lists and watches one kind in namespace ns through cl.
func listWatch[L client.ObjectList](cl client.WithWatch, ns string, empty L) *cache.ListWatch {
	opts := func(o metav1.ListOptions) *client.ListOptions {
		return &client.ListOptions{Namespace: ns, Raw: &o}
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			list := empty.DeepCopyObject().(L)
			return list, cl.List(ctx, list, opts(o))
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return cl.Watch(ctx, empty.DeepCopyObject().(L), opts(o))
		},
	}
}

// listed is a copy of every object in s.
func listed[T any, P interface{ *T }](s cache.Store) []T {
	items := s.List()
	out := make([]T, 0, len(items))
	for _, it := range items {
		if p, ok := it.(P); ok {
			out = append(out, *(*T)(p))
		}
	}
	return out
}
