package access

import (
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// lastRendered keeps, per organization, the objects the Applier was last
// asked for, so that watch events can be told apart: an RBAC object that
// already is what Roster last rendered (its own write coming back, often
// before the write's response) asks for no reconcile, and neither does one
// Roster pruned going away. A reconcile that reacted to its own writes
// would run again after every one, picking up whatever else had changed
// meanwhile: during a bulk import, a loop that rewrites the same bindings
// over and over. Anything else (a binding edited, deleted or made by
// someone else) is drift, and reconciled at once.
type lastRendered struct {
	mu   sync.Mutex
	orgs map[string]map[objKey]client.Object
}

func (l *lastRendered) set(org string, want map[objKey]client.Object) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.orgs == nil {
		l.orgs = map[string]map[objKey]client.Object{}
	}
	l.orgs[org] = want
}

// Forget drops what was last rendered for an organization that is gone.
func (a *Applier) Forget(org string) {
	a.last.mu.Lock()
	defer a.last.mu.Unlock()
	delete(a.last.orgs, org)
}

// lookup returns what was last rendered for obj's organization and key, and
// whether anything was rendered for that organization at all.
func (l *lastRendered) lookup(obj client.Object) (desired client.Object, rendered bool) {
	k, err := keyOf(obj)
	if err != nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	want, ok := l.orgs[obj.GetLabels()[AccessForLabel]]
	if !ok {
		return nil, false
	}
	return want[k], true
}

// AsRendered reports whether obj, as a watch event shows it, already is what
// the Applier last rendered for it: nothing to do.
func (a *Applier) AsRendered(obj client.Object) bool {
	desired, _ := a.last.lookup(obj)
	return desired != nil && matches(desired, obj)
}

// PrunedAsRendered reports whether obj, deleted, is an object the last
// render of its organization did not want: nothing to do.
func (a *Applier) PrunedAsRendered(obj client.Object) bool {
	desired, rendered := a.last.lookup(obj)
	return rendered && desired == nil
}
