package access

import (
	"crypto/sha256"
	"io"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// lastRendered keeps, per organization, a fingerprint of the objects the
// Applier was last asked for, so that watch events can be told apart: an
// RBAC object that already is what Roster last rendered (its own write
// coming back, often before the write's response) asks for no reconcile,
// and neither does one Roster pruned going away. A reconcile that reacted
// to its own writes would run again after every one, picking up whatever
// else had changed meanwhile: during a bulk import, a loop that rewrites
// the same bindings over and over. Anything else (a binding edited,
// deleted or made by someone else) is drift, and reconciled at once.
//
// Fingerprints, not the objects: a copy of every rendered binding would
// cost the manager about as much memory as its RBAC cache. SHA-256, so
// that nobody who may edit a binding can craft one that passes for what
// was rendered and escapes repair.
type lastRendered struct {
	mu   sync.Mutex
	orgs map[string]rendering
}

// rendering is one organization's last render: what every object's labels
// and ownerReferences must include (the same for all of them), and each
// object's content fingerprint.
type rendering struct {
	labels    map[string]string
	ownerRefs []metav1.OwnerReference
	content   map[objKey][sha256.Size]byte
}

func (l *lastRendered) set(org string, want map[objKey]client.Object) {
	r := rendering{content: make(map[objKey][sha256.Size]byte, len(want))}
	for k, obj := range want {
		r.labels, r.ownerRefs = obj.GetLabels(), obj.GetOwnerReferences()
		r.content[k] = fingerprint(obj)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.orgs == nil {
		l.orgs = map[string]rendering{}
	}
	l.orgs[org] = r
}

// AsRendered reports whether obj, as a watch event shows it, already is what
// the Applier last rendered for it (as Apply's own comparison would find):
// nothing to do.
func (a *Applier) AsRendered(obj client.Object) bool {
	k, err := keyOf(obj)
	if err != nil {
		return false
	}
	a.last.mu.Lock()
	r, ok := a.last.orgs[obj.GetLabels()[AccessForLabel]]
	a.last.mu.Unlock()
	if !ok {
		return false
	}
	want, ok := r.content[k]
	return ok && want == fingerprint(obj) &&
		subset(r.labels, obj.GetLabels()) && ownerRefsPresent(r.ownerRefs, obj.GetOwnerReferences())
}

// PrunedAsRendered reports whether obj, deleted, is an object the last
// render of its organization did not want: nothing to do.
func (a *Applier) PrunedAsRendered(obj client.Object) bool {
	k, err := keyOf(obj)
	if err != nil {
		return false
	}
	a.last.mu.Lock()
	defer a.last.mu.Unlock()
	r, ok := a.last.orgs[obj.GetLabels()[AccessForLabel]]
	if !ok {
		return false
	}
	_, wanted := r.content[k]
	return !wanted
}

// Forget drops what was last rendered for an organization that is gone.
func (a *Applier) Forget(org string) {
	a.last.mu.Lock()
	defer a.last.mu.Unlock()
	delete(a.last.orgs, org)
}

// fingerprint hashes what matches compares besides metadata: a
// ClusterRole's rules, a binding's roleRef and subjects.
func fingerprint(obj client.Object) [sha256.Size]byte {
	h := sha256.New()
	put := func(ss ...string) {
		for _, s := range ss {
			_, _ = io.WriteString(h, s)
			_, _ = h.Write([]byte{0})
		}
		_, _ = h.Write([]byte{1})
	}
	subjects := func(ref rbacv1.RoleRef, subs []rbacv1.Subject) {
		put(ref.APIGroup, ref.Kind, ref.Name)
		for _, s := range subs {
			put(s.Kind, s.APIGroup, s.Name, s.Namespace)
		}
	}
	rules := func(rs []rbacv1.PolicyRule) {
		for _, r := range rs {
			put(r.APIGroups...)
			put(r.Resources...)
			put(r.ResourceNames...)
			put(r.NonResourceURLs...)
			put(r.Verbs...)
		}
	}
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		put("ClusterRole")
		rules(o.Rules)
	case *rbacv1.Role:
		put("Role")
		rules(o.Rules)
	case *rbacv1.ClusterRoleBinding:
		put("ClusterRoleBinding")
		subjects(o.RoleRef, o.Subjects)
	case *rbacv1.RoleBinding:
		put("RoleBinding")
		subjects(o.RoleRef, o.Subjects)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
