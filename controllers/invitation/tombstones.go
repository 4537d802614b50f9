package invitation

import (
	"sync"

	toolscache "k8s.io/client-go/tools/cache"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// tombstones remember the token hashes of deleted Invitations, so that a
// revoked link gets a page saying so rather than "unknown". They live in
// memory, fed by every replica's own informer; after a restart a revoked
// link is reported as unknown, which is still a refusal.
type tombstones struct {
	mu    sync.Mutex
	max   int
	order []string
	by    map[string]Outcome
}

func newTombstones(max int) *tombstones {
	return &tombstones{max: max, by: map[string]Outcome{}}
}

func (t *tombstones) add(hash string, o Outcome) {
	if hash == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.by[hash]; !ok {
		t.order = append(t.order, hash)
	}
	t.by[hash] = o
	for len(t.order) > t.max {
		delete(t.by, t.order[0])
		t.order = t.order[1:]
	}
}

func (t *tombstones) get(hash string) (Outcome, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.by[hash]
	return o, ok
}

// onDelete records a deleted Invitation's hashes: used when it was
// accepted through its link, revoked otherwise.
func (t *tombstones) onDelete(obj any) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	inv, ok := obj.(*orgsv1alpha1.Invitation)
	if !ok {
		return
	}
	o := OutcomeRevoked
	if inv.Status.Phase == orgsv1alpha1.InvitationAccepted && inv.Status.AcceptedAt != nil {
		o = OutcomeUsed
	}
	t.add(inv.Status.TokenHash, o)
	for _, h := range inv.Status.PreviousTokenHashes {
		t.add(h, OutcomeRevoked)
	}
}
