package bench

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
)

// Creators is how many clients create Members at once, in the operator
// run and in the plain-client run alike.
const Creators = 16

// Setup creates the organizations and their project namespaces and waits
// until the operator has made every home namespace and counted every
// project, then until its writes stop.
func Setup(ctx context.Context, env *Env, mgr *Manager, s Sizes, prefix string) ([]string, error) {
	orgs := make([]string, s.Orgs)
	for i := range orgs {
		orgs[i] = OrgName(prefix, i)
	}
	err := parallel(ctx, Creators, len(orgs), func(i int) error {
		return env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: orgs[i]}})
	})
	if err != nil {
		return nil, fmt.Errorf("creating organizations: %w", err)
	}
	err = parallel(ctx, Creators, len(orgs)*s.Projects, func(k int) error {
		return env.Admin.Create(ctx, NewProject(orgs[k/s.Projects], k%s.Projects))
	})
	if err != nil {
		return nil, fmt.Errorf("creating project namespaces: %w", err)
	}
	err = poll(ctx, 10*time.Minute, func() (bool, error) {
		var list orgsv1alpha1.OrganizationList
		if err := env.Admin.List(ctx, &list); err != nil {
			return false, err
		}
		done := 0
		for _, o := range list.Items {
			if o.Status.HomeNamespace != "" && int(o.Status.Projects) == s.Projects && o.Status.ObservedGeneration == o.Generation {
				done++
			}
		}
		return done == len(orgs), nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for home namespaces: %w", err)
	}
	if mgr != nil {
		settle(ctx, mgr, time.Second)
	}
	return orgs, nil
}

// settle waits until the manager has made no mutating call for quiet.
func settle(ctx context.Context, mgr *Manager, quiet time.Duration) {
	last := mgr.Calls.Snapshot().Mutating()
	lastChange := time.Now()
	for time.Since(lastChange) < quiet && ctx.Err() == nil {
		time.Sleep(quiet / 10)
		if n := mgr.Calls.Snapshot().Mutating(); n != last {
			last, lastChange = n, time.Now()
		}
	}
}

// ConvergeResult is workload 1.
type ConvergeResult struct {
	Sizes Sizes `json:"sizes"`
	// Seconds from the first Member create to every Member and
	// Organization ready for its current generation.
	Seconds float64 `json:"seconds"`
	// CreateSeconds is how long creating the Members took (admission included).
	CreateSeconds float64 `json:"createSeconds"`
	// Writes are the manager's mutating calls in the window (failed ones
	// included); WritesNoEvents leaves out Events.
	Writes         int64            `json:"writes"`
	WritesNoEvents int64            `json:"writesNoEvents"`
	Conflicts      int64            `json:"conflicts"`
	WritesByKind   map[string]int64 `json:"writesByKind"`
	Reconciles     int64            `json:"reconciles"`
	// ReconcileMs is the mean reconcile duration, QueueWaitMs the mean time
	// an organization waited in the work queue for a worker.
	ReconcileMs float64 `json:"reconcileMs"`
	QueueWaitMs float64 `json:"queueWaitMs"`
	// MinWrites = RBAC objects that had to change + one status write per
	// Member and Organization + the last-owner finalizers.
	MinWrites        int64   `json:"minWrites"`
	RBACChanged      int64   `json:"rbacChanged"`
	RBACObjects      int64   `json:"rbacObjects"`
	OwnerFinalizers  int64   `json:"ownerFinalizers"`
	WriteRatio       float64 `json:"writeRatio"`
	WriteRatioNoEvts float64 `json:"writeRatioNoEvents"`
	Memory           Mem     `json:"memory"`

	// Before is Roster's RBAC before the first Member.
	Before map[rbacKey]client.Object `json:"-"`
}

// Converge creates every Member and waits until all are ready. The
// tracker must be reset to s.
func Converge(ctx context.Context, env *Env, mgr *Manager, tr *Tracker, s Sizes, orgs []string) (*ConvergeResult, error) {
	res := &ConvergeResult{Sizes: s}
	before, err := listRBAC(ctx, env.Admin)
	if err != nil {
		return nil, err
	}
	res.Before = before
	calls0 := mgr.Calls.Snapshot()
	rec0 := reconciles()
	rt0, rc0 := reconcileTime()
	qw0, qc0 := queueWait()
	members := memberOrder(orgs, s)

	start := time.Now()
	err = parallel(ctx, Creators, len(members), func(i int) error {
		return env.Admin.Create(ctx, members[i].DeepCopy())
	})
	if err != nil {
		return nil, fmt.Errorf("creating members: %w", err)
	}
	res.CreateSeconds = time.Since(start).Seconds()
	log.Printf("converge: created %d members in %.1fs", len(members), res.CreateSeconds)

	done, at := tr.Converged()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	deadline := time.After(time.Duration(30+s.TotalMembers()/10) * time.Second)
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			m, o, _ := tr.Progress()
			log.Printf("converge: %d/%d members and %d/%d organizations ready after %.0fs; manager writes so far: %d",
				m, s.TotalMembers(), o, s.Orgs, time.Since(start).Seconds(), mgr.Calls.Snapshot().Sub(calls0).Mutating())
		case <-deadline:
			m, o, _ := tr.Progress()
			return nil, fmt.Errorf("not converged after %s: %d/%d members, %d/%d organizations ready",
				time.Since(start).Round(time.Second), m, s.TotalMembers(), o, s.Orgs)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	res.Seconds = at().Sub(start).Seconds()
	// Writes that trail convergence (events, the last no-op reconciles)
	// belong to it too.
	settle(ctx, mgr, 2*time.Second)
	calls := mgr.Calls.Snapshot().Sub(calls0)
	res.Writes = calls.Mutating()
	res.WritesNoEvents = calls.MutatingExcept("events")
	res.Conflicts = calls.Sum(func(c Call) bool { return c.Mutating() && c.Code == "409" })
	res.WritesByKind = calls.ByKind(false)
	res.Reconciles = reconciles() - rec0
	res.ReconcileMs, res.QueueWaitMs = meanMs(rt0, rc0, reconcileTime), meanMs(qw0, qc0, queueWait)
	log.Printf("converge: %.1fs, %d reconciles (mean %.0f ms, %.0f ms waiting in the queue), manager writes: %s",
		res.Seconds, res.Reconciles, res.ReconcileMs, res.QueueWaitMs, calls)

	after, err := listRBAC(ctx, env.Admin)
	if err != nil {
		return nil, err
	}
	res.RBACObjects = int64(len(after))
	for k, obj := range after {
		if prev, ok := before[k]; !ok || !sameRBAC(prev, obj) {
			res.RBACChanged++
		}
	}
	var list orgsv1alpha1.MemberList
	if err := env.Admin.List(ctx, &list); err != nil {
		return nil, err
	}
	for i := range list.Items {
		for _, f := range list.Items[i].Finalizers {
			if f == orgsv1alpha1.LastOwnerFinalizer {
				res.OwnerFinalizers++
			}
		}
	}
	res.MinWrites = res.RBACChanged + int64(len(list.Items)) + res.OwnerFinalizers + int64(s.Orgs)
	res.WriteRatio = float64(res.Writes) / float64(res.MinWrites)
	res.WriteRatioNoEvts = float64(res.WritesNoEvents) / float64(res.MinWrites)
	return res, nil
}

// meanMs is the mean in milliseconds of a histogram since (sum0, count0).
func meanMs(sum0, count0 float64, now func() (float64, float64)) float64 {
	sum, count := now()
	if count == count0 {
		return 0
	}
	return 1000 * (sum - sum0) / (count - count0)
}

// rbacKey names an RBAC object.
type rbacKey struct{ Kind, Namespace, Name string }

// listRBAC lists the objects labelled managed-by=roster.
func listRBAC(ctx context.Context, c client.Reader) (map[rbacKey]client.Object, error) {
	sel := client.MatchingLabels{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue}
	out := map[rbacKey]client.Object{}
	var crs rbacv1.ClusterRoleList
	if err := c.List(ctx, &crs, sel); err != nil {
		return nil, err
	}
	for i := range crs.Items {
		out[rbacKey{"ClusterRole", "", crs.Items[i].Name}] = &crs.Items[i]
	}
	var crbs rbacv1.ClusterRoleBindingList
	if err := c.List(ctx, &crbs, sel); err != nil {
		return nil, err
	}
	for i := range crbs.Items {
		out[rbacKey{"ClusterRoleBinding", "", crbs.Items[i].Name}] = &crbs.Items[i]
	}
	var rbs rbacv1.RoleBindingList
	if err := c.List(ctx, &rbs, sel); err != nil {
		return nil, err
	}
	for i := range rbs.Items {
		out[rbacKey{"RoleBinding", rbs.Items[i].Namespace, rbs.Items[i].Name}] = &rbs.Items[i]
	}
	return out, nil
}

// sameRBAC compares content: rules, roleRef, subjects and labels.
func sameRBAC(a, b client.Object) bool {
	if !equality.Semantic.DeepEqual(a.GetLabels(), b.GetLabels()) {
		return false
	}
	switch x := a.(type) {
	case *rbacv1.ClusterRole:
		y, ok := b.(*rbacv1.ClusterRole)
		return ok && equality.Semantic.DeepEqual(x.Rules, y.Rules)
	case *rbacv1.ClusterRoleBinding:
		y, ok := b.(*rbacv1.ClusterRoleBinding)
		return ok && x.RoleRef == y.RoleRef && equality.Semantic.DeepEqual(x.Subjects, y.Subjects)
	case *rbacv1.RoleBinding:
		y, ok := b.(*rbacv1.RoleBinding)
		return ok && x.RoleRef == y.RoleRef && equality.Semantic.DeepEqual(x.Subjects, y.Subjects)
	}
	return false
}

// VerifyRBAC checks that the cluster holds exactly the RBAC that
// access.Render gives for the membership the workload created (roles by
// RoleOf, except where changed overrides them; removed members absent),
// object for object, and no other object labelled as Roster's.
func VerifyRBAC(ctx context.Context, env *Env, s Sizes, orgs []string, changed map[string]orgsv1alpha1.Role) error {
	actual, err := listRBAC(ctx, env.Admin)
	if err != nil {
		return err
	}
	want := map[rbacKey]client.Object{}
	for _, name := range orgs {
		org := &orgsv1alpha1.Organization{}
		if err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, org); err != nil {
			return err
		}
		snap := access.Snapshot{Organization: org, HomeNamespace: HomeNamespace(name)}
		for j := range s.Projects {
			snap.ProjectNamespaces = append(snap.ProjectNamespaces, ProjectNamespace(name, j))
		}
		for i := range s.Members {
			role := RoleOf(i, s.Members)
			if r, ok := changed[UserName(name, i)]; ok {
				role = r
			}
			if role == "" {
				continue // removed
			}
			snap.Subjects = append(snap.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: UserName(name, i), Role: role})
		}
		for _, obj := range access.Render(snap) {
			want[keyOf(obj)] = obj
		}
	}
	var problems []string
	for k, w := range want {
		a, ok := actual[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %v", k))
		case !sameRBAC(w, a):
			problems = append(problems, fmt.Sprintf("differs %v", k))
		}
	}
	for k := range actual {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("unexpected %v", k))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("… and %d more", len(problems)-10))
		}
		return fmt.Errorf("RBAC differs from access.Render of the workload's membership (%d objects wanted, %d found): %v", len(want), len(actual), problems)
	}
	return nil
}

// VerifyCounts checks every Organization's status counts against the workload.
func VerifyCounts(ctx context.Context, env *Env, s Sizes, orgs []string) error {
	for _, name := range orgs {
		org := &orgsv1alpha1.Organization{}
		if err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, org); err != nil {
			return err
		}
		var want orgsv1alpha1.RoleCounts
		for i := range s.Members {
			switch RoleOf(i, s.Members) {
			case orgsv1alpha1.RoleOwner:
				want.Owners++
			case orgsv1alpha1.RoleAdmin:
				want.Admins++
			case orgsv1alpha1.RoleContributor:
				want.Contributors++
			case orgsv1alpha1.RoleViewer:
				want.Viewers++
			case orgsv1alpha1.RoleViewerNoSecrets:
				want.ViewersNoSecrets++
			}
		}
		st := org.Status
		if st.RoleCounts != want || int(st.Members) != s.Members || int(st.Projects) != s.Projects || int(st.Owners) != 2 {
			return fmt.Errorf("organization %s: status counts %+v members=%d projects=%d owners=%d, want %+v members=%d projects=%d owners=2",
				name, st.RoleCounts, st.Members, st.Projects, st.Owners, want, s.Members, s.Projects)
		}
	}
	var nss corev1.NamespaceList
	if err := env.Admin.List(ctx, &nss, client.HasLabels{orgsv1alpha1.HomeOfLabel}); err != nil {
		return err
	}
	if len(nss.Items) != len(orgs) {
		return fmt.Errorf("%d home namespaces, want %d", len(nss.Items), len(orgs))
	}
	return nil
}

// parallel runs fn(0..n-1) on workers goroutines; the first error stops it.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(workers, max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// poll calls ok every 200 ms until it says true, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := ok()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
