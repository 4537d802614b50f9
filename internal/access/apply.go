package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/parallel"
)

// DefaultFieldOwner is the server-side apply field manager used when
// Applier.FieldOwner is empty.
const DefaultFieldOwner = "roster"

// Applier writes rendered RBAC to the cluster.
type Applier struct {
	// Client reads (it may be a cache, scoped by the managed-by label) and
	// writes. It needs list on ClusterRoles, ClusterRoleBindings and
	// RoleBindings in all namespaces.
	Client client.Client
	// FieldOwner is the server-side apply field manager; empty means "roster".
	FieldOwner string

	last lastRendered
}

// Result counts what Apply did per object. A binding re-created because
// its roleRef changed counts as Updated (it costs two writes: a delete and
// an apply).
type Result struct {
	Created, Updated, Deleted, Unchanged int
}

// kind ranks: ClusterRoles are written before the bindings that refer to
// them, bindings are deleted before the roles they refer to.
const (
	rankClusterRole = iota
	rankRole
	rankClusterRoleBinding
	rankRoleBinding
)

type objKey struct {
	rank            int
	namespace, name string
}

func (k objKey) String() string {
	kind := [...]string{"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"}[k.rank]
	if k.namespace == "" {
		return kind + " " + k.name
	}
	return kind + " " + k.namespace + "/" + k.name
}

func keyOf(obj client.Object) (objKey, error) {
	k := objKey{namespace: obj.GetNamespace(), name: obj.GetName()}
	switch obj.(type) {
	case *rbacv1.ClusterRole:
		k.rank = rankClusterRole
	case *rbacv1.Role:
		k.rank = rankRole
	case *rbacv1.ClusterRoleBinding:
		k.rank = rankClusterRoleBinding
	case *rbacv1.RoleBinding:
		k.rank = rankRoleBinding
	default:
		return k, fmt.Errorf("access: cannot apply %T %s: only ClusterRoles, Roles, ClusterRoleBindings and RoleBindings", obj, client.ObjectKeyFromObject(obj))
	}
	return k, nil
}

func less(a, b objKey) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.namespace != b.namespace {
		return a.namespace < b.namespace
	}
	return a.name < b.name
}

// Apply makes the organization's RBAC what desired says. It lists the
// objects labelled AccessForLabel=<org> and:
//
//   - leaves an object that already matches (rules, subjects, roleRef, and
//     the desired labels, annotations and ownerReferences, extra ones
//     tolerated) alone: an unchanged object costs no write;
//   - applies (server-side apply, forced, as FieldOwner) an object that is
//     missing or differs; a binding whose roleRef differs is deleted and
//     applied again, since roleRef is immutable;
//   - only then deletes the labelled objects that are no longer desired
//     (with a UID precondition), bindings before roles.
//
// ClusterRoles are written before any binding and bindings deleted before
// any ClusterRole; the writes within each of these steps go out at once, up
// to parallel.Limit in flight, so a change costs a round trip or two, not
// one per object.
//
// Every desired object must carry AccessForLabel=<org.Name>, or it could
// never be pruned; Apply refuses the whole set otherwise. Errors are
// aggregated: one failed object does not stop the others. Pruning runs even
// when a create or update failed, so removed access is removed without delay.
func (a *Applier) Apply(ctx context.Context, org *orgsv1alpha1.Organization, desired []client.Object) (Result, error) {
	return a.write(ctx, org, desired, true)
}

// Withdraw is Apply that creates nothing: it updates and prunes the
// organization's existing RBAC objects towards desired and leaves out a
// desired object that does not exist. It is for an organization that may
// lose access but not gain it (its home namespace is being deleted): no
// namespace that has no binding of the organization gets one, nor a tier
// or role that has none. Whether an existing binding's new subjects give
// less is the caller's to ensure (policy.WithdrawOnly).
func (a *Applier) Withdraw(ctx context.Context, org *orgsv1alpha1.Organization, desired []client.Object) (Result, error) {
	return a.write(ctx, org, desired, false)
}

func (a *Applier) write(ctx context.Context, org *orgsv1alpha1.Organization, desired []client.Object, create bool) (Result, error) {
	if org == nil || org.Name == "" {
		return Result{}, errors.New("access: Apply needs an Organization with a name")
	}
	want, keys, err := indexDesired(org.Name, desired)
	if err != nil {
		return Result{}, err
	}
	existing, err := a.list(ctx, org.Name)
	if err != nil {
		return Result{}, err
	}
	if !create {
		keys = slices.DeleteFunc(keys, func(k objKey) bool {
			_, found := existing[k]
			if !found {
				delete(want, k)
			}
			return !found
		})
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].rank < keys[j].rank })
	// Before the writes: their watch events can come back before their responses.
	a.last.set(org.Name, want)

	w := &writeRun{a: a, log: logf.FromContext(ctx).WithValues("organization", org.Name), existing: existing, want: want}
	var errs []error
	// ClusterRoles first, so that no binding refers to one not yet written;
	// then every binding at once.
	for _, stage := range stages(keys) {
		errs = append(errs, parallel.Each(len(stage), parallel.Limit, func(i int) error { return w.write(ctx, stage[i]) })...)
	}
	for _, stage := range stages(pruneOrder(existing, want)) {
		errs = append(errs, parallel.Each(len(stage), parallel.Limit, func(i int) error { return w.prune(ctx, stage[i]) })...)
	}
	return w.res, utilerrors.NewAggregate(errs)
}

// indexDesired keys desired, refusing an object without the organization's
// AccessForLabel or rendered twice; keys are in desired's order.
func indexDesired(org string, desired []client.Object) (map[objKey]client.Object, []objKey, error) {
	want := make(map[objKey]client.Object, len(desired))
	keys := make([]objKey, 0, len(desired))
	for _, obj := range desired {
		k, err := keyOf(obj)
		if err != nil {
			return nil, nil, err
		}
		if got := obj.GetLabels()[AccessForLabel]; got != org {
			return nil, nil, fmt.Errorf("access: %s has label %s=%q, want %q", k, AccessForLabel, got, org)
		}
		if _, dup := want[k]; dup {
			return nil, nil, fmt.Errorf("access: %s is rendered twice", k)
		}
		want[k] = obj
		keys = append(keys, k)
	}
	return want, keys, nil
}

// writeRun is one Apply or Withdraw's writes, which run in parallel, and
// their counts.
type writeRun struct {
	a        *Applier
	log      logr.Logger
	existing map[objKey]client.Object
	want     map[objKey]client.Object

	mu  sync.Mutex
	res Result
}

func (w *writeRun) count(n *int) {
	w.mu.Lock()
	*n++
	w.mu.Unlock()
}

// write creates, leaves alone, re-creates (roleRef changed) or updates the
// object of k.
func (w *writeRun) write(ctx context.Context, k objKey) error {
	obj := w.want[k]
	cur, found := w.existing[k]
	switch {
	case !found:
		if err := w.a.apply(ctx, obj); err != nil {
			return fmt.Errorf("creating %s: %w", k, err)
		}
		w.log.V(1).Info("created RBAC object", "object", k.String())
		w.count(&w.res.Created)
	case matches(obj, cur):
		w.count(&w.res.Unchanged)
	case roleRefChanged(obj, cur):
		// roleRef is immutable: delete and create again. Access through
		// this binding is briefly absent, never wider than desired.
		if err := w.a.delete(ctx, cur); err != nil {
			return fmt.Errorf("re-creating %s (roleRef changed): %w", k, err)
		}
		if err := w.a.apply(ctx, obj); err != nil {
			return fmt.Errorf("re-creating %s (roleRef changed): %w", k, err)
		}
		w.log.V(1).Info("re-created RBAC binding with a new roleRef", "object", k.String())
		w.count(&w.res.Updated)
	default:
		if err := w.a.apply(ctx, obj); err != nil {
			return fmt.Errorf("updating %s: %w", k, err)
		}
		w.log.V(1).Info("updated RBAC object", "object", k.String())
		w.count(&w.res.Updated)
	}
	return nil
}

// prune deletes the existing object of k, no longer desired.
func (w *writeRun) prune(ctx context.Context, k objKey) error {
	if err := w.a.delete(ctx, w.existing[k]); err != nil {
		return fmt.Errorf("deleting %s: %w", k, err)
	}
	w.log.V(1).Info("deleted RBAC object", "object", k.String())
	w.count(&w.res.Deleted)
	return nil
}

// stages splits keys, already in the order they must be written, into the
// runs whose writes are independent: ClusterRoles, and bindings (which only
// refer to ClusterRoles).
func stages(keys []objKey) [][]objKey {
	var out [][]objKey
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && isRole(keys[j]) == isRole(keys[i]) {
			j++
		}
		out = append(out, keys[i:j])
		i = j
	}
	return out
}

// isRole: a ClusterRole or Role, written before any binding.
func isRole(k objKey) bool { return k.rank == rankClusterRole || k.rank == rankRole }

// DeleteAll deletes every ClusterRole, ClusterRoleBinding and RoleBinding
// labelled AccessForLabel=<org>, bindings first, and returns how many it
// deleted. Objects already gone are not errors. It is what the
// Organization's finalizer calls.
func (a *Applier) DeleteAll(ctx context.Context, org string) (int, error) {
	if org == "" {
		return 0, errors.New("access: DeleteAll needs an organization name")
	}
	a.last.set(org, map[objKey]client.Object{})
	existing, err := a.list(ctx, org)
	if err != nil {
		return 0, err
	}
	var (
		errs    []error
		deleted int
	)
	var mu sync.Mutex
	for _, stage := range stages(pruneOrder(existing, nil)) {
		errs = append(errs, parallel.Each(len(stage), parallel.Limit, func(i int) error {
			k := stage[i]
			if err := a.delete(ctx, existing[k]); err != nil {
				return fmt.Errorf("deleting %s: %w", k, err)
			}
			mu.Lock()
			deleted++
			mu.Unlock()
			return nil
		})...)
	}
	return deleted, utilerrors.NewAggregate(errs)
}

// pruneOrder lists the keys of existing that are not in want: RoleBindings,
// then ClusterRoleBindings, then ClusterRoles, each sorted by name.
func pruneOrder(existing, want map[objKey]client.Object) []objKey {
	var out []objKey
	for k := range existing {
		if _, ok := want[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank > out[j].rank
		}
		return less(out[i], out[j])
	})
	return out
}

// list returns the objects labelled AccessForLabel=<org>, by key.
func (a *Applier) list(ctx context.Context, org string) (map[objKey]client.Object, error) {
	sel := client.MatchingLabels{AccessForLabel: org}
	out := map[objKey]client.Object{}

	var crs rbacv1.ClusterRoleList
	if err := a.Client.List(ctx, &crs, sel); err != nil {
		return nil, fmt.Errorf("listing ClusterRoles of organization %s: %w", org, err)
	}
	for i := range crs.Items {
		out[objKey{rank: rankClusterRole, name: crs.Items[i].Name}] = &crs.Items[i]
	}
	var roles rbacv1.RoleList
	if err := a.Client.List(ctx, &roles, sel); err != nil {
		return nil, fmt.Errorf("listing Roles of organization %s: %w", org, err)
	}
	for i := range roles.Items {
		r := &roles.Items[i]
		out[objKey{rank: rankRole, namespace: r.Namespace, name: r.Name}] = r
	}
	var crbs rbacv1.ClusterRoleBindingList
	if err := a.Client.List(ctx, &crbs, sel); err != nil {
		return nil, fmt.Errorf("listing ClusterRoleBindings of organization %s: %w", org, err)
	}
	for i := range crbs.Items {
		out[objKey{rank: rankClusterRoleBinding, name: crbs.Items[i].Name}] = &crbs.Items[i]
	}
	var rbs rbacv1.RoleBindingList
	if err := a.Client.List(ctx, &rbs, sel); err != nil {
		return nil, fmt.Errorf("listing RoleBindings of organization %s: %w", org, err)
	}
	for i := range rbs.Items {
		rb := &rbs.Items[i]
		out[objKey{rank: rankRoleBinding, namespace: rb.Namespace, name: rb.Name}] = rb
	}
	return out, nil
}

func (a *Applier) fieldOwner() string {
	if a.FieldOwner == "" {
		return DefaultFieldOwner
	}
	return a.FieldOwner
}

// apply writes obj with server-side apply, forcing ownership of the fields
// it sets.
func (a *Applier) apply(ctx context.Context, obj client.Object) error {
	ac, err := applyConfiguration(obj)
	if err != nil {
		return err
	}
	return a.Client.Apply(ctx, ac, client.FieldOwner(a.fieldOwner()), client.ForceOwnership)
}

// delete deletes obj if it is still the object that was read (same UID).
func (a *Applier) delete(ctx context.Context, obj client.Object) error {
	uid := obj.GetUID()
	var opts []client.DeleteOption
	if uid != "" {
		opts = append(opts, client.Preconditions{UID: &uid})
	}
	err := a.Client.Delete(ctx, obj, opts...)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// matches reports whether the existing object cur already is what desired
// asks for, so applying desired would change nothing: the same rules,
// subjects and roleRef, and every desired label, annotation and
// ownerReference present (others, added by someone else, are tolerated, as
// server-side apply would leave them too).
func matches(desired, cur client.Object) bool {
	if !subset(desired.GetLabels(), cur.GetLabels()) ||
		!subset(desired.GetAnnotations(), cur.GetAnnotations()) ||
		!ownerRefsPresent(desired.GetOwnerReferences(), cur.GetOwnerReferences()) {
		return false
	}
	switch d := desired.(type) {
	case *rbacv1.ClusterRole:
		c, ok := cur.(*rbacv1.ClusterRole)
		return ok && equality.Semantic.DeepEqual(d.Rules, c.Rules)
	case *rbacv1.Role:
		c, ok := cur.(*rbacv1.Role)
		return ok && equality.Semantic.DeepEqual(d.Rules, c.Rules)
	case *rbacv1.ClusterRoleBinding:
		c, ok := cur.(*rbacv1.ClusterRoleBinding)
		return ok && d.RoleRef == c.RoleRef && equality.Semantic.DeepEqual(d.Subjects, c.Subjects)
	case *rbacv1.RoleBinding:
		c, ok := cur.(*rbacv1.RoleBinding)
		return ok && d.RoleRef == c.RoleRef && equality.Semantic.DeepEqual(d.Subjects, c.Subjects)
	}
	return false
}

// roleRefChanged reports whether desired and cur are bindings whose roleRefs differ.
func roleRefChanged(desired, cur client.Object) bool {
	switch d := desired.(type) {
	case *rbacv1.ClusterRoleBinding:
		c, ok := cur.(*rbacv1.ClusterRoleBinding)
		return ok && d.RoleRef != c.RoleRef
	case *rbacv1.RoleBinding:
		c, ok := cur.(*rbacv1.RoleBinding)
		return ok && d.RoleRef != c.RoleRef
	}
	return false
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func ownerRefsPresent(want, have []metav1.OwnerReference) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.UID == w.UID {
				found = equality.Semantic.DeepEqual(w, h)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// applyConfiguration turns a rendered object into the apply configuration
// that sets exactly its labels, annotations, ownerReferences and content.
func applyConfiguration(obj client.Object) (runtime.ApplyConfiguration, error) {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		ac := rbacv1ac.ClusterRole(o.Name)
		setMeta(&ac.ObjectMetaApplyConfiguration, o)
		for _, r := range o.Rules {
			ac.WithRules(policyRule(r))
		}
		return ac, nil
	case *rbacv1.Role:
		ac := rbacv1ac.Role(o.Name, o.Namespace)
		setMeta(&ac.ObjectMetaApplyConfiguration, o)
		for _, r := range o.Rules {
			ac.WithRules(policyRule(r))
		}
		return ac, nil
	case *rbacv1.ClusterRoleBinding:
		ac := rbacv1ac.ClusterRoleBinding(o.Name).WithRoleRef(roleRef(o.RoleRef))
		setMeta(&ac.ObjectMetaApplyConfiguration, o)
		for _, s := range o.Subjects {
			ac.WithSubjects(subject(s))
		}
		return ac, nil
	case *rbacv1.RoleBinding:
		ac := rbacv1ac.RoleBinding(o.Name, o.Namespace).WithRoleRef(roleRef(o.RoleRef))
		setMeta(&ac.ObjectMetaApplyConfiguration, o)
		for _, s := range o.Subjects {
			ac.WithSubjects(subject(s))
		}
		return ac, nil
	}
	_, err := keyOf(obj)
	return nil, err
}

func setMeta(m **metav1ac.ObjectMetaApplyConfiguration, obj client.Object) {
	if *m == nil {
		*m = &metav1ac.ObjectMetaApplyConfiguration{}
	}
	if len(obj.GetLabels()) > 0 {
		(*m).WithLabels(obj.GetLabels())
	}
	if len(obj.GetAnnotations()) > 0 {
		(*m).WithAnnotations(obj.GetAnnotations())
	}
	for _, ref := range obj.GetOwnerReferences() {
		r := metav1ac.OwnerReference().
			WithAPIVersion(ref.APIVersion).
			WithKind(ref.Kind).
			WithName(ref.Name).
			WithUID(ref.UID)
		if ref.Controller != nil {
			r.WithController(*ref.Controller)
		}
		if ref.BlockOwnerDeletion != nil {
			r.WithBlockOwnerDeletion(*ref.BlockOwnerDeletion)
		}
		(*m).WithOwnerReferences(r)
	}
}

func policyRule(r rbacv1.PolicyRule) *rbacv1ac.PolicyRuleApplyConfiguration {
	return rbacv1ac.PolicyRule().
		WithAPIGroups(r.APIGroups...).
		WithResources(r.Resources...).
		WithResourceNames(r.ResourceNames...).
		WithNonResourceURLs(r.NonResourceURLs...).
		WithVerbs(r.Verbs...)
}

func roleRef(r rbacv1.RoleRef) *rbacv1ac.RoleRefApplyConfiguration {
	return rbacv1ac.RoleRef().WithAPIGroup(r.APIGroup).WithKind(r.Kind).WithName(r.Name)
}

func subject(s rbacv1.Subject) *rbacv1ac.SubjectApplyConfiguration {
	ac := rbacv1ac.Subject().WithKind(s.Kind).WithName(s.Name)
	if s.APIGroup != "" {
		ac.WithAPIGroup(s.APIGroup)
	}
	if s.Namespace != "" {
		ac.WithNamespace(s.Namespace)
	}
	return ac
}
