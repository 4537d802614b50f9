package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/manager"
)

// Final is what the operator ended up writing in the converge workload,
// for the plain client to write again.
type Final struct {
	// Before is Roster's RBAC before the first Member (the ClusterRoles),
	// After is Roster's RBAC once converged.
	Before, After map[rbacKey]client.Object
	// Members' statuses and finalizers, Organizations' statuses.
	MemberStatus     map[types.NamespacedName]orgsv1alpha1.MemberStatus
	MemberFinalizers map[types.NamespacedName][]string
	OrgStatus        map[string]orgsv1alpha1.OrganizationStatus
}

// finalFile is Final as stored between the operator and plain runs.
type finalFile struct {
	Before, After rbacObjects
	Members       []orgsv1alpha1.Member
	Orgs          []orgsv1alpha1.Organization
}

type rbacObjects struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	RoleBindings        []rbacv1.RoleBinding
}

func toObjects(m map[rbacKey]client.Object) rbacObjects {
	var out rbacObjects
	for _, obj := range m {
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			out.ClusterRoles = append(out.ClusterRoles, *o)
		case *rbacv1.ClusterRoleBinding:
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, *o)
		case *rbacv1.RoleBinding:
			out.RoleBindings = append(out.RoleBindings, *o)
		}
	}
	return out
}

func (o rbacObjects) byKey() map[rbacKey]client.Object {
	out := map[rbacKey]client.Object{}
	for i := range o.ClusterRoles {
		out[keyOf(&o.ClusterRoles[i])] = &o.ClusterRoles[i]
	}
	for i := range o.ClusterRoleBindings {
		out[keyOf(&o.ClusterRoleBindings[i])] = &o.ClusterRoleBindings[i]
	}
	for i := range o.RoleBindings {
		out[keyOf(&o.RoleBindings[i])] = &o.RoleBindings[i]
	}
	return out
}

// CaptureFinal reads the converged state into a temporary file and returns
// its path. before is Roster's RBAC as it was before the first Member.
func CaptureFinal(ctx context.Context, env *Env, before map[rbacKey]client.Object) (string, error) {
	after, err := listRBAC(ctx, env.Admin)
	if err != nil {
		return "", err
	}
	f := finalFile{Before: toObjects(before), After: toObjects(after)}
	var members orgsv1alpha1.MemberList
	if err := env.Admin.List(ctx, &members); err != nil {
		return "", err
	}
	for _, m := range members.Items {
		f.Members = append(f.Members, orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: m.Name, Finalizers: m.Finalizers},
			Status:     m.Status,
		})
	}
	var orgs orgsv1alpha1.OrganizationList
	if err := env.Admin.List(ctx, &orgs); err != nil {
		return "", err
	}
	for _, o := range orgs.Items {
		f.Orgs = append(f.Orgs, orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: o.Name}, Status: o.Status})
	}
	file, err := os.CreateTemp("", "roster-bench-final-*.json")
	if err != nil {
		return "", err
	}
	if err := errors.Join(json.NewEncoder(file).Encode(&f), file.Close()); err != nil {
		return "", err
	}
	return file.Name(), nil
}

func readFinal(path string) (*Final, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f finalFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	out := &Final{
		Before:           f.Before.byKey(),
		After:            f.After.byKey(),
		MemberStatus:     map[types.NamespacedName]orgsv1alpha1.MemberStatus{},
		MemberFinalizers: map[types.NamespacedName][]string{},
		OrgStatus:        map[string]orgsv1alpha1.OrganizationStatus{},
	}
	for _, m := range f.Members {
		key := client.ObjectKeyFromObject(&m)
		out.MemberStatus[key] = m.Status
		out.MemberFinalizers[key] = m.Finalizers
	}
	for _, o := range f.Orgs {
		out.OrgStatus[o.Name] = o.Status
	}
	return out, nil
}

// PlainResult is workload 2: the lower bound.
type PlainResult struct {
	// Seconds from the first Member create until every Member exists and
	// every RBAC object, Member status, finalizer and Organization status
	// the operator wrote is written.
	Seconds       float64 `json:"seconds"`
	CreateSeconds float64 `json:"createSeconds"`
	// Writes the plain client made besides creating Members.
	Writes  int64 `json:"writes"`
	Workers int   `json:"workers"`
}

// PlainWriters is the plain client's parallelism for the operator's share
// of the writes (the Members are created by Creators clients, as in the
// operator run).
const PlainWriters = 32

// Plain runs the lower bound on env, a fresh control plane with a
// webhook-only manager (admission costs the same as in the operator run,
// nothing reconciles): untimed, it makes the state the operator run started
// from (organizations with their finalizer, home and project namespaces, the
// ClusterRoles); timed, it creates the same Members in the same order and,
// as fast as the API server takes them, writes the RBAC the operator ended
// up with (creates), each Member's status and finalizers and each
// Organization's status.
func Plain(ctx context.Context, env *Env, s Sizes, orgs []string, final *Final) (*PlainResult, error) {
	mgr, err := env.StartManager(false)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.Stop() }()
	// The operator's share of the writes goes out under the manager's
	// identity (the same authorization and API priority and fairness as the
	// operator), without a client-side rate limit.
	cfg := rest.CopyConfig(env.ManagerCfg)
	cfg.QPS = -1
	writer, err := client.New(cfg, client.Options{Scheme: manager.Scheme})
	if err != nil {
		return nil, err
	}

	uids := map[string]types.UID{}
	var uidsMu sync.Mutex
	err = parallel(ctx, Creators, len(orgs), func(i int) error {
		org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: orgs[i]}}
		if err := env.Admin.Create(ctx, org); err != nil {
			return err
		}
		controllerutil.AddFinalizer(org, orgsv1alpha1.OrganizationFinalizer)
		if err := env.Admin.Update(ctx, org); err != nil {
			return err
		}
		uidsMu.Lock()
		uids[org.Name] = org.UID
		uidsMu.Unlock()
		return env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: HomeNamespace(orgs[i]),
			Labels: map[string]string{
				orgsv1alpha1.HomeOfLabel:    orgs[i],
				orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue,
			},
		}})
	})
	if err != nil {
		return nil, fmt.Errorf("plain setup: %w", err)
	}
	err = parallel(ctx, Creators, len(orgs)*s.Projects, func(k int) error {
		return env.Admin.Create(ctx, NewProject(orgs[k/s.Projects], k%s.Projects))
	})
	if err != nil {
		return nil, fmt.Errorf("plain setup: %w", err)
	}
	reown := func(obj client.Object) client.Object {
		obj = obj.DeepCopyObject().(client.Object)
		obj.SetResourceVersion("")
		obj.SetUID("")
		obj.SetCreationTimestamp(metav1.Time{})
		obj.SetManagedFields(nil)
		refs := obj.GetOwnerReferences()
		for i := range refs {
			refs[i].UID = uids[refs[i].Name]
		}
		obj.SetOwnerReferences(refs)
		return obj
	}
	var before []client.Object
	for _, obj := range final.Before {
		before = append(before, reown(obj))
	}
	if err := parallel(ctx, PlainWriters, len(before), func(i int) error { return env.Admin.Create(ctx, before[i]) }); err != nil {
		return nil, fmt.Errorf("plain setup: %w", err)
	}
	var changed []client.Object
	for k, obj := range final.After {
		if prev, ok := final.Before[k]; !ok || !sameRBAC(prev, obj) {
			changed = append(changed, obj)
		}
	}
	// Wait until the webhook-only manager's cache knows every organization,
	// as the operator's did.
	err = poll(ctx, time.Minute, func() (bool, error) {
		var list orgsv1alpha1.OrganizationList
		if err := mgr.Mgr.GetCache().List(ctx, &list); err != nil {
			return false, err
		}
		return len(list.Items) == len(orgs), nil
	})
	if err != nil {
		return nil, err
	}

	members := memberOrder(orgs, s)
	remaining := map[string]*atomic.Int64{}
	for _, org := range orgs {
		remaining[org] = &atomic.Int64{}
		remaining[org].Store(int64(s.Members))
	}
	tasks := make(chan func() error, len(changed)+2*len(members)+len(orgs))
	var writes atomic.Int64
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }

	start := time.Now()
	for range PlainWriters {
		wg.Go(func() {
			for task := range tasks {
				if err := task(); err != nil {
					fail(err)
				}
				writes.Add(1)
			}
		})
	}
	for _, obj := range changed {
		tasks <- func() error {
			if prev, ok := final.Before[keyOf(obj)]; ok {
				cur := reown(prev)
				if err := writer.Get(ctx, client.ObjectKeyFromObject(cur), cur); err != nil {
					return err
				}
				return writer.Patch(ctx, reown(obj), client.MergeFrom(cur))
			}
			return writer.Create(ctx, reown(obj))
		}
	}
	err = parallel(ctx, Creators, len(members), func(i int) error {
		m := members[i].DeepCopy()
		if err := env.Admin.Create(ctx, m); err != nil {
			return err
		}
		key := client.ObjectKeyFromObject(m)
		tasks <- func() error {
			m.Status = final.MemberStatus[key]
			if err := writer.Status().Update(ctx, m); err != nil {
				return fmt.Errorf("member status: %w", err)
			}
			if fins := final.MemberFinalizers[key]; len(fins) > 0 {
				base := m.DeepCopy()
				m.Finalizers = fins
				writes.Add(1)
				return writer.Patch(ctx, m, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
			}
			return nil
		}
		org := m.Namespace[len(orgsv1alpha1.DefaultHomeNamespacePrefix):]
		if remaining[org].Add(-1) == 0 {
			tasks <- func() error {
				o := &orgsv1alpha1.Organization{}
				if err := writer.Get(ctx, client.ObjectKey{Name: org}, o); err != nil {
					return err
				}
				base := o.DeepCopy()
				o.Status = final.OrgStatus[org]
				return writer.Status().Patch(ctx, o, client.MergeFrom(base))
			}
		}
		return nil
	})
	createSeconds := time.Since(start).Seconds()
	close(tasks)
	wg.Wait()
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("plain: creating members: %w", err)
	}
	if firstErr != nil {
		return nil, fmt.Errorf("plain: %w", firstErr)
	}
	log.Printf("plain: %d members created in %.1fs, %d writes, all done in %.1fs", len(members), createSeconds, writes.Load(), elapsed.Seconds())
	return &PlainResult{Seconds: elapsed.Seconds(), CreateSeconds: createSeconds, Writes: writes.Load(), Workers: PlainWriters}, nil
}

func keyOf(obj client.Object) rbacKey {
	return rbacKey{rbacKind(obj), obj.GetNamespace(), obj.GetName()}
}

func rbacKind(obj client.Object) string {
	switch obj.(type) {
	case *rbacv1.ClusterRole:
		return "ClusterRole"
	case *rbacv1.ClusterRoleBinding:
		return "ClusterRoleBinding"
	case *rbacv1.RoleBinding:
		return "RoleBinding"
	}
	return fmt.Sprintf("%T", obj)
}
