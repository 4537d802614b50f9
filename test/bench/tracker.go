package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/manager"
)

// Tracker watches Members and Organizations (and, once asked, Roster's
// bindings) with informers of its own and timestamps what the workloads
// wait for: convergence, a role change applied, access removed. It keeps
// slim copies (a few hundred bytes per Member) so that it adds little to
// the heap measured in the same process.
type Tracker struct {
	cfg    *rest.Config
	cache  cache.Cache
	rbac   cache.Cache
	cancel context.CancelFunc

	mu           sync.Mutex
	want         Sizes
	members      map[types.NamespacedName]bool // ready or not
	orgs         map[string]bool
	readyMembers int
	readyOrgs    int
	lastEvent    time.Time
	convergedAt  time.Time
	converged    chan struct{}
	roleWaits    map[types.NamespacedName]*Wait
	removalWaits map[string]map[string]*Wait // org → subject name
	bindings     map[string]map[string][]string
}

// Wait is one expectation: closed at the time it was seen.
type Wait struct {
	Done chan struct{}
	At   time.Time
	role orgsv1alpha1.Role
}

func newWait() *Wait { return &Wait{Done: make(chan struct{})} }

func (w *Wait) fire(at time.Time) {
	if w.At.IsZero() {
		w.At = at
		close(w.Done)
	}
}

// NewTracker starts informers on Members and Organizations and returns once
// they have synced. want is what convergence means.
func NewTracker(ctx context.Context, cfg *rest.Config, want Sizes) (*Tracker, error) {
	t := &Tracker{
		cfg:          cfg,
		want:         want,
		members:      map[types.NamespacedName]bool{},
		orgs:         map[string]bool{},
		converged:    make(chan struct{}),
		roleWaits:    map[types.NamespacedName]*Wait{},
		removalWaits: map[string]map[string]*Wait{},
	}
	c, err := cache.New(cfg, cache.Options{
		Scheme: manager.Scheme,
		ByObject: map[client.Object]cache.ByObject{
			&orgsv1alpha1.Member{}:       {Transform: slimMember},
			&orgsv1alpha1.Organization{}: {Transform: slimOrganization},
		},
	})
	if err != nil {
		return nil, err
	}
	t.cache = c
	ctx, t.cancel = context.WithCancel(ctx)
	mi, err := c.GetInformer(ctx, &orgsv1alpha1.Member{})
	if err != nil {
		return nil, err
	}
	if _, err := mi.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.onMember(obj, false) },
		UpdateFunc: func(_, obj any) { t.onMember(obj, false) },
		DeleteFunc: func(obj any) { t.onMember(obj, true) },
	}); err != nil {
		return nil, err
	}
	oi, err := c.GetInformer(ctx, &orgsv1alpha1.Organization{})
	if err != nil {
		return nil, err
	}
	if _, err := oi.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.onOrganization(obj, false) },
		UpdateFunc: func(_, obj any) { t.onOrganization(obj, false) },
		DeleteFunc: func(obj any) { t.onOrganization(obj, true) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.cancel()
		return nil, errors.New("the tracker's caches did not sync")
	}
	return t, nil
}

// Stop stops the informers.
func (t *Tracker) Stop() { t.cancel() }

// Reset starts waiting for convergence to want again.
func (t *Tracker) Reset(want Sizes) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.want = want
	t.convergedAt = time.Time{}
	t.converged = make(chan struct{})
	t.checkConverged(time.Now())
}

// Converged is closed once every Member and Organization is ready; it
// returns the time it happened.
func (t *Tracker) Converged() (<-chan struct{}, func() time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := t.converged
	return ch, func() time.Time {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.convergedAt
	}
}

// Progress reports ready Members and Organizations.
func (t *Tracker) Progress() (members, orgs int, last time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.readyMembers, t.readyOrgs, t.lastEvent
}

// ExpectRole returns a wait fired when member key is seen with spec.role
// role applied: its effective role, RoleApplied and Ready for its current
// generation. Register it before making the change.
func (t *Tracker) ExpectRole(key types.NamespacedName, role orgsv1alpha1.Role) *Wait {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := newWait()
	w.role = role
	t.roleWaits[key] = w
	return w
}

// Cancel drops an expectation on member key (its change failed).
func (t *Tracker) Cancel(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.roleWaits, key)
}

// ExpectRemoval returns a wait fired when subject (a user) is in none of
// org's bindings. TrackRBAC must have been called.
func (t *Tracker) ExpectRemoval(org, subject string) *Wait {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := newWait()
	if t.removalWaits[org] == nil {
		t.removalWaits[org] = map[string]*Wait{}
	}
	t.removalWaits[org][subject] = w
	return w
}

// CancelRemoval drops a removal expectation (the delete failed).
func (t *Tracker) CancelRemoval(org, subject string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.removalWaits[org], subject)
}

func (t *Tracker) onMember(obj any, deleted bool) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = d.Obj, true
	}
	m, ok := obj.(*orgsv1alpha1.Member)
	if !ok {
		return
	}
	now := time.Now()
	key := client.ObjectKeyFromObject(m)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastEvent = now
	ready := !deleted && memberReady(m)
	if was, seen := t.members[key]; seen && was {
		t.readyMembers--
	}
	if deleted {
		delete(t.members, key)
	} else {
		t.members[key] = ready
		if ready {
			t.readyMembers++
		}
	}
	if w := t.roleWaits[key]; w != nil && ready && m.Spec.Role == w.role {
		w.fire(now)
		delete(t.roleWaits, key)
	}
	t.checkConverged(now)
}

func (t *Tracker) onOrganization(obj any, deleted bool) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = d.Obj, true
	}
	o, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastEvent = now
	ready := !deleted && t.orgReady(o)
	if was := t.orgs[o.Name]; was {
		t.readyOrgs--
	}
	if deleted {
		delete(t.orgs, o.Name)
	} else {
		t.orgs[o.Name] = ready
		if ready {
			t.readyOrgs++
		}
	}
	t.checkConverged(now)
}

func (t *Tracker) checkConverged(now time.Time) {
	if !t.convergedAt.IsZero() {
		return
	}
	if len(t.members) == t.want.TotalMembers() && t.readyMembers == t.want.TotalMembers() &&
		len(t.orgs) == t.want.Orgs && t.readyOrgs == t.want.Orgs {
		t.convergedAt = now
		close(t.converged)
	}
}

// memberReady: Ready for the current generation with spec.role applied.
func memberReady(m *orgsv1alpha1.Member) bool {
	if m.Status.ObservedGeneration != m.Generation || m.Status.EffectiveRole != m.Spec.Role || !m.DeletionTimestamp.IsZero() {
		return false
	}
	for _, t := range []string{orgsv1alpha1.RoleAppliedCondition, orgsv1alpha1.ReadyCondition} {
		c := meta.FindStatusCondition(m.Status.Conditions, t)
		if c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != m.Generation {
			return false
		}
	}
	return true
}

func (t *Tracker) orgReady(o *orgsv1alpha1.Organization) bool {
	c := meta.FindStatusCondition(o.Status.Conditions, orgsv1alpha1.ReadyCondition)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == o.Generation &&
		o.Status.ObservedGeneration == o.Generation &&
		int(o.Status.Members) == t.want.Members && int(o.Status.Projects) == t.want.Projects
}

// TrackRBAC starts informers on Roster's ClusterRoleBindings and
// RoleBindings, for ExpectRemoval.
func (t *Tracker) TrackRBAC(ctx context.Context) error {
	ours := labels.SelectorFromSet(labels.Set{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue})
	c, err := cache.New(t.cfg, cache.Options{
		Scheme: manager.Scheme,
		ByObject: map[client.Object]cache.ByObject{
			&rbacv1.RoleBinding{}:        {Label: ours, Transform: slimBinding},
			&rbacv1.ClusterRoleBinding{}: {Label: ours, Transform: slimBinding},
		},
	})
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.bindings = map[string]map[string][]string{}
	t.mu.Unlock()
	for _, obj := range []client.Object{&rbacv1.RoleBinding{}, &rbacv1.ClusterRoleBinding{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { t.onBinding(obj, false) },
			UpdateFunc: func(_, obj any) { t.onBinding(obj, false) },
			DeleteFunc: func(obj any) { t.onBinding(obj, true) },
		}); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	go func() { _ = c.Start(rctx) }()
	if !c.WaitForCacheSync(rctx) {
		cancel()
		return errors.New("the tracker's RBAC caches did not sync")
	}
	prev := t.cancel
	t.cancel = func() { cancel(); prev() }
	t.rbac = c
	return nil
}

func (t *Tracker) onBinding(obj any, deleted bool) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = d.Obj, true
	}
	var (
		o        client.Object
		subjects []rbacv1.Subject
		kind     string
	)
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		o, subjects, kind = b, b.Subjects, "rb"
	case *rbacv1.ClusterRoleBinding:
		o, subjects, kind = b, b.Subjects, "crb"
	default:
		return
	}
	org := o.GetLabels()[access.AccessForLabel]
	if org == "" {
		return
	}
	now := time.Now()
	key := kind + "/" + o.GetNamespace() + "/" + o.GetName()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bindings[org] == nil {
		t.bindings[org] = map[string][]string{}
	}
	if deleted {
		delete(t.bindings[org], key)
	} else {
		names := make([]string, 0, len(subjects))
		for _, s := range subjects {
			names = append(names, s.Name)
		}
		t.bindings[org][key] = names
	}
	for subject, w := range t.removalWaits[org] {
		if !t.boundLocked(org, subject) {
			w.fire(now)
			delete(t.removalWaits[org], subject)
		}
	}
}

func (t *Tracker) boundLocked(org, subject string) bool {
	for _, names := range t.bindings[org] {
		for _, n := range names {
			if n == subject {
				return true
			}
		}
	}
	return false
}

// slimMember keeps what the tracker reads.
func slimMember(obj any) (any, error) {
	m, ok := obj.(*orgsv1alpha1.Member)
	if !ok {
		return obj, nil
	}
	out := &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{
			Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
			Generation: m.Generation, DeletionTimestamp: m.DeletionTimestamp,
		},
		Spec: orgsv1alpha1.MemberSpec{Role: m.Spec.Role},
		Status: orgsv1alpha1.MemberStatus{
			ObservedGeneration: m.Status.ObservedGeneration,
			EffectiveRole:      m.Status.EffectiveRole,
		},
	}
	for _, c := range m.Status.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, metav1.Condition{
			Type: c.Type, Status: c.Status, Reason: c.Reason, ObservedGeneration: c.ObservedGeneration,
		})
	}
	return out, nil
}

// slimOrganization keeps what the tracker reads.
func slimOrganization(obj any) (any, error) {
	o, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return obj, nil
	}
	out := &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{
			Name: o.Name, UID: o.UID, ResourceVersion: o.ResourceVersion, Generation: o.Generation,
		},
		Status: orgsv1alpha1.OrganizationStatus{
			ObservedGeneration: o.Status.ObservedGeneration,
			Members:            o.Status.Members,
			Projects:           o.Status.Projects,
		},
	}
	for _, c := range o.Status.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, metav1.Condition{
			Type: c.Type, Status: c.Status, Reason: c.Reason, ObservedGeneration: c.ObservedGeneration,
		})
	}
	return out, nil
}

// slimBinding keeps the organization label and the subjects.
func slimBinding(obj any) (any, error) {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		return &rbacv1.RoleBinding{ObjectMeta: slimMeta(&b.ObjectMeta), Subjects: b.Subjects}, nil
	case *rbacv1.ClusterRoleBinding:
		return &rbacv1.ClusterRoleBinding{ObjectMeta: slimMeta(&b.ObjectMeta), Subjects: b.Subjects}, nil
	}
	return obj, nil
}

func slimMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Labels: map[string]string{access.AccessForLabel: m.Labels[access.AccessForLabel]},
	}
}
