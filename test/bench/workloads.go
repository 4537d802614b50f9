package bench

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/manager"
)

// Latency summarises durations in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50Ms"`
	P90 float64 `json:"p90Ms"`
	P99 float64 `json:"p99Ms"`
	Max float64 `json:"maxMs"`
}

func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) float64 {
		return float64(s[int(p*float64(len(s)-1)+0.5)].Microseconds()) / 1000
	}
	return Latency{N: len(s), P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: float64(s[len(s)-1].Microseconds()) / 1000}
}

func (l Latency) String() string {
	return fmt.Sprintf("n=%d p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms", l.N, l.P50, l.P90, l.P99, l.Max)
}

// setRole patches a Member's spec.role.
func setRole(ctx context.Context, c client.Client, key types.NamespacedName, role orgsv1alpha1.Role) error {
	m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	return c.Patch(ctx, m, client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"spec":{"role":%q}}`, role)))
}

// UnrelatedResult is workload 6's second half.
type UnrelatedResult struct {
	RoleBindings  int     `json:"roleBindings"`
	CreateSeconds float64 `json:"createSeconds"`
	// ManagerCalls are the manager's requests while they were created.
	ManagerCalls map[string]int64 `json:"managerCalls"`
	Before       Mem              `json:"before"`
	After        Mem              `json:"after"`
	// HeapIncreasePct compares the process's HeapInuse after and before.
	HeapIncreasePct float64 `json:"heapIncreasePct"`
	// The manager's own heap (what stopping it releases) without and with
	// the RoleBindings.
	ManagerHeapBeforeMiB   float64 `json:"managerHeapBeforeMiB"`
	ManagerHeapAfterMiB    float64 `json:"managerHeapAfterMiB"`
	ManagerHeapIncreasePct float64 `json:"managerHeapIncreasePct"`
}

// Unrelated restarts the manager (so that its heap before and after is
// measured at the same stage: a manager that restarted on the converged
// state), then creates n RoleBindings that are not Roster's (1,000 per
// namespace) while the new manager runs. RestartChange measures the heap
// after. It returns the running manager.
func Unrelated(ctx context.Context, env *Env, mgr *Manager, s Sizes, n int) (*UnrelatedResult, *Manager, error) {
	res := &UnrelatedResult{RoleBindings: n}
	running, stopped, err := stopMeasured(mgr)
	if err != nil {
		return nil, nil, err
	}
	res.ManagerHeapBeforeMiB = running.HeapInuseMiB - stopped.HeapInuseMiB
	rec0 := reconciles()
	mgr, err = env.StartManager(true)
	if err != nil {
		return nil, nil, err
	}
	err = poll(ctx, 10*time.Minute, func() (bool, error) {
		return reconciles()-rec0 >= int64(s.Orgs) && queueDepth() == 0, nil
	})
	if err != nil {
		return nil, mgr, err
	}
	settle(ctx, mgr, 2*time.Second)
	res.Before = MeasureMem()
	calls0 := mgr.Calls.Snapshot()
	const perNamespace = 1000
	namespaces := (n + perNamespace - 1) / perNamespace
	start := time.Now()
	err = parallel(ctx, Creators, namespaces, func(i int) error {
		return env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%03d", i)}})
	})
	if err != nil {
		return nil, mgr, err
	}
	err = parallel(ctx, PlainWriters, n, func(i int) error {
		return env.Admin.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: fmt.Sprintf("unrelated-%03d", i/perNamespace),
				Name:      fmt.Sprintf("rb-%05d", i),
				Labels:    map[string]string{"app.kubernetes.io/managed-by": "someone-else"},
			},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("someone-%05d@example.com", i)}},
		})
	})
	if err != nil {
		return nil, mgr, err
	}
	res.CreateSeconds = time.Since(start).Seconds()
	time.Sleep(3 * time.Second)
	res.ManagerCalls = mgr.Calls.Snapshot().Sub(calls0).ByKind(true)
	res.After = MeasureMem()
	res.HeapIncreasePct = 100 * (res.After.HeapInuseMiB - res.Before.HeapInuseMiB) / res.Before.HeapInuseMiB
	log.Printf("unrelated: %d RoleBindings in %.1fs; process heap in use %.1f → %.1f MiB (%+.1f%%); manager calls meanwhile: %v",
		n, res.CreateSeconds, res.Before.HeapInuseMiB, res.After.HeapInuseMiB, res.HeapIncreasePct, res.ManagerCalls)
	return res, mgr, nil
}

// RestartResult is workload 4.
type RestartResult struct {
	// StartSeconds: manager.New to caches synced and webhook serving.
	StartSeconds float64 `json:"startSeconds"`
	// InitialSeconds: manager.New until every organization was reconciled
	// once and the queue is empty.
	InitialSeconds float64          `json:"initialSeconds"`
	Reconciles     int64            `json:"reconciles"`
	Writes         int64            `json:"writes"`
	WritesByKind   map[string]int64 `json:"writesByKind"`
	// Memory with the manager running and right after it stopped; the
	// difference is what the manager held.
	Running        Mem     `json:"running"`
	Stopped        Mem     `json:"stopped"`
	ManagerHeapMiB float64 `json:"managerHeapMiB"`
}

// RestartChangeResult is workload 4's second half: a restart with a role
// change sent as soon as admission takes it.
type RestartChangeResult struct {
	// AdmittedSeconds and AppliedSeconds count from manager.New;
	// AfterAdmitSeconds from the change admitted to applied.
	AdmittedSeconds   float64 `json:"admittedSeconds"`
	AppliedSeconds    float64 `json:"appliedSeconds"`
	AfterAdmitSeconds float64 `json:"afterAdmitSeconds"`
	// Memory as in RestartResult.
	Running        Mem     `json:"running"`
	Stopped        Mem     `json:"stopped"`
	ManagerHeapMiB float64 `json:"managerHeapMiB"`
}

// stopMeasured stops the manager and measures memory before and after.
func stopMeasured(mgr *Manager) (running, stopped Mem, err error) {
	running = MeasureMem()
	if err := mgr.Stop(); err != nil {
		return running, stopped, err
	}
	// Let the goroutines that still refer to its caches finish.
	time.Sleep(2 * time.Second)
	return running, MeasureMem(), nil
}

// Restart stops the manager and starts a new one with nothing changed,
// counting what the new one writes. It returns the running manager.
func Restart(ctx context.Context, env *Env, mgr *Manager, s Sizes) (*RestartResult, *Manager, error) {
	res := &RestartResult{}
	var err error
	if res.Running, res.Stopped, err = stopMeasured(mgr); err != nil {
		return nil, nil, err
	}
	res.ManagerHeapMiB = res.Running.HeapInuseMiB - res.Stopped.HeapInuseMiB

	rec0 := reconciles()
	start := time.Now()
	m2, err := env.StartManager(true)
	if err != nil {
		return nil, nil, err
	}
	res.StartSeconds = time.Since(start).Seconds()
	err = poll(ctx, 10*time.Minute, func() (bool, error) {
		return reconciles()-rec0 >= int64(s.Orgs) && queueDepth() == 0, nil
	})
	if err != nil {
		return nil, m2, fmt.Errorf("restart: initial reconciles: %w", err)
	}
	res.InitialSeconds = time.Since(start).Seconds()
	settle(ctx, m2, 3*time.Second)
	calls := m2.Calls.Snapshot()
	res.Writes = calls.Mutating()
	res.WritesByKind = calls.ByKind(false)
	res.Reconciles = reconciles() - rec0
	log.Printf("restart: manager heap %.1f MiB; caches synced in %.1fs, %d reconciles done %.1fs after start; writes: %s",
		res.ManagerHeapMiB, res.StartSeconds, res.Reconciles, res.InitialSeconds, calls)
	return res, m2, nil
}

// RestartChange stops the manager and starts a new one while a role change
// waits to be admitted. It returns the running manager.
func RestartChange(ctx context.Context, env *Env, mgr *Manager, tr *Tracker, change types.NamespacedName, role orgsv1alpha1.Role) (*RestartChangeResult, *Manager, error) {
	res := &RestartChangeResult{}
	var err error
	if res.Running, res.Stopped, err = stopMeasured(mgr); err != nil {
		return nil, nil, err
	}
	res.ManagerHeapMiB = res.Running.HeapInuseMiB - res.Stopped.HeapInuseMiB
	w := tr.ExpectRole(change, role)
	start := time.Now()
	admitted := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(5 * time.Minute)
		for {
			err := setRole(ctx, env.Admin, change, role)
			if err == nil || time.Now().After(deadline) {
				admitted <- err
				return
			}
			time.Sleep(20 * time.Millisecond) // refused while the webhook is down
		}
	}()
	m3, err := env.StartManager(true)
	if err != nil {
		return nil, nil, err
	}
	if err := <-admitted; err != nil {
		return nil, m3, fmt.Errorf("restart: change: %w", err)
	}
	admittedAt := time.Now()
	select {
	case <-w.Done:
	case <-time.After(10 * time.Minute):
		return nil, m3, errors.New("restart: the change was not applied")
	}
	res.AppliedSeconds = w.At.Sub(start).Seconds()
	res.AfterAdmitSeconds = w.At.Sub(admittedAt).Seconds()
	res.AdmittedSeconds = admittedAt.Sub(start).Seconds()
	log.Printf("restart: manager heap %.1f MiB; a change sent during the restart was admitted %.1fs after manager start and applied %.1fs after it",
		res.ManagerHeapMiB, res.AdmittedSeconds, res.AppliedSeconds)
	return res, m3, nil
}

// ChurnResult is workload 3.
type ChurnResult struct {
	Rate        float64 `json:"rate"`
	Seconds     float64 `json:"seconds"`
	RoleChanges int     `json:"roleChanges"`
	Removals    int     `json:"removals"`
	Errors      int     `json:"errors"`
	// Missing changes were not seen applied within five minutes of the last.
	Missing int `json:"missing"`
	// Latency from sending the change to the Member reporting the new role
	// applied (role changes), or to the user being in none of the
	// organization's bindings (removals).
	All          Latency          `json:"all"`
	Role         Latency          `json:"role"`
	Removal      Latency          `json:"removal"`
	Writes       int64            `json:"writes"`
	WritesByKind map[string]int64 `json:"writesByKind"`
	Reconciles   int64            `json:"reconciles"`
	ReconcileMs  float64          `json:"reconcileMs"`
	QueueWaitMs  float64          `json:"queueWaitMs"`
	// SendLagMs is how far behind schedule the last change was sent.
	SendLagMs float64 `json:"sendLagMs"`
}

var nonOwnerRoles = []orgsv1alpha1.Role{orgsv1alpha1.RoleAdmin, orgsv1alpha1.RoleContributor, orgsv1alpha1.RoleViewer, orgsv1alpha1.RoleViewerNoSecrets}

// Churn sends rate changes per second for dur: four in five change a
// non-owner Member's role, one in five deletes one; each Member is touched
// at most once, and never one in skip. changed records the new roles (""
// for removed).
func Churn(ctx context.Context, env *Env, mgr *Manager, tr *Tracker, s Sizes, orgs []string, rate float64, dur time.Duration, skip, changed map[string]orgsv1alpha1.Role) (*ChurnResult, error) {
	if err := tr.TrackRBAC(ctx); err != nil {
		return nil, err
	}
	type target struct {
		org string
		i   int
	}
	var candidates []target
	for _, org := range orgs {
		for i := 3; i < s.Members; i++ {
			if _, ok := skip[UserName(org, i)]; !ok {
				candidates = append(candidates, target{org, i})
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a reproducible choice of Members, not a secret
	rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	n := min(int(rate*dur.Seconds()), len(candidates))
	res := &ChurnResult{Rate: rate}
	calls0 := mgr.Calls.Snapshot()
	rec0 := reconciles()
	rt0, rc0 := reconcileTime()
	qw0, qc0 := queueWait()

	var (
		mu                      sync.Mutex
		all, roles, removals    []time.Duration
		errs, missing           int
		wg                      sync.WaitGroup
		changedMu               sync.Mutex
		lastSend, lastScheduled time.Time
	)
	start := time.Now()
	for k := range n {
		at := start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		time.Sleep(time.Until(at))
		tg := candidates[k]
		key := types.NamespacedName{Namespace: HomeNamespace(tg.org), Name: MemberName(tg.i)}
		user := UserName(tg.org, tg.i)
		remove := k%5 == 4
		var role orgsv1alpha1.Role
		if !remove {
			cur := RoleOf(tg.i, s.Members)
			idx := slices.Index(nonOwnerRoles, cur)
			role = nonOwnerRoles[(idx+1+k%3)%len(nonOwnerRoles)]
			if role == cur {
				role = nonOwnerRoles[(idx+1)%len(nonOwnerRoles)]
			}
		}
		lastSend, lastScheduled = time.Now(), at
		wg.Go(func() {
			var w *Wait
			if remove {
				w = tr.ExpectRemoval(tg.org, user)
			} else {
				w = tr.ExpectRole(key, role)
			}
			sent := time.Now()
			var err error
			if remove {
				err = env.Admin.Delete(ctx, &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})
			} else {
				err = setRole(ctx, env.Admin, key, role)
			}
			if err != nil {
				if remove {
					tr.CancelRemoval(tg.org, user)
				} else {
					tr.Cancel(key)
				}
				mu.Lock()
				errs++
				mu.Unlock()
				log.Printf("churn: %v", err)
				return
			}
			changedMu.Lock()
			changed[user] = role
			changedMu.Unlock()
			select {
			case <-w.Done:
			case <-time.After(time.Until(start.Add(dur)) + 5*time.Minute):
				mu.Lock()
				missing++
				mu.Unlock()
				return
			}
			d := w.At.Sub(sent)
			mu.Lock()
			all = append(all, d)
			if remove {
				removals = append(removals, d)
			} else {
				roles = append(roles, d)
			}
			mu.Unlock()
		})
	}
	res.Seconds = time.Since(start).Seconds()
	res.SendLagMs = float64(lastSend.Sub(lastScheduled).Microseconds()) / 1000
	wg.Wait()
	settle(ctx, mgr, 2*time.Second)
	calls := mgr.Calls.Snapshot().Sub(calls0)
	res.Writes = calls.Mutating()
	res.WritesByKind = calls.ByKind(false)
	res.Reconciles = reconciles() - rec0
	res.ReconcileMs, res.QueueWaitMs = meanMs(rt0, rc0, reconcileTime), meanMs(qw0, qc0, queueWait)
	res.All, res.Role, res.Removal = summarize(all), summarize(roles), summarize(removals)
	res.RoleChanges, res.Removals = len(roles), len(removals)
	res.Errors, res.Missing = errs, missing
	log.Printf("churn: %d changes at %.0f/s: all %s; role %s; removal %s; %d errors, %d missing; %d reconciles (mean %.0f ms, %.0f ms waiting in the queue); writes: %s",
		n, rate, res.All, res.Role, res.Removal, errs, missing, res.Reconciles, res.ReconcileMs, res.QueueWaitMs, calls)
	return res, nil
}

// AdmissionResult is workload 5.
type AdmissionResult struct {
	Clients   int     `json:"clients"`
	Seconds   float64 `json:"seconds"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"errorRate"`
	// All covers the Member and Invitation requests, ByOp each kind.
	All  Latency            `json:"all"`
	ByOp map[string]Latency `json:"byOp"`
	// Baseline: the same clients creating and updating ConfigMaps, which no
	// webhook sees, at the same concurrency.
	Baseline Latency `json:"baseline"`
	// SingleClient and SingleBaseline: the same with one client alone.
	SingleClient   Latency `json:"singleClient"`
	SingleBaseline Latency `json:"singleBaseline"`
	// APIServer is the API server's own histogram of the calls to Roster's
	// validating webhooks (apiserver_admission_webhook_admission_duration_seconds)
	// during the run: the share of calls at or under each bound.
	APIServer map[string]map[string]float64 `json:"apiServer"`
	// WebhookServer is Roster's webhook server's own time per request
	// (decoding, the cache snapshot, the SubjectAccessReview, the policy),
	// by path, during the concurrent run.
	WebhookServer map[string]WebhookServerLatency `json:"webhookServer"`
	// ReviewCalls and ReviewMeanMs: the webhooks' SubjectAccessReviews
	// during the concurrent run, and their mean round trip.
	ReviewCalls  int64   `json:"reviewCalls"`
	ReviewMeanMs float64 `json:"reviewMeanMs"`
	FirstErr     string  `json:"firstError,omitempty"`
}

// Admission runs clients concurrent users, each an owner of an
// organization, creating and updating Members and Invitations through the
// webhooks for dur, then the same with ConfigMaps.
func Admission(ctx context.Context, env *Env, mgr *Manager, orgs []string, clients int, dur time.Duration) (*AdmissionResult, error) {
	res := &AdmissionResult{Clients: clients, ByOp: map[string]Latency{}}
	users := make([]client.Client, clients)
	var subjects []rbacv1.Subject
	for c := range clients {
		user := UserName(orgs[c%len(orgs)], 0)
		cfg, err := env.Cluster.AddUser(user, "system:authenticated")
		if err != nil {
			return nil, err
		}
		cfg.QPS = -1
		if users[c], err = client.New(cfg, client.Options{Scheme: manager.Scheme}); err != nil {
			return nil, err
		}
		subjects = append(subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
	}
	// The baseline's ConfigMaps live in a namespace where the same users may edit.
	const baselineNS = "admission-baseline"
	if err := env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: baselineNS}}); err != nil {
		return nil, err
	}
	if err := env.Admin.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: baselineNS, Name: "edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   subjects,
	}); err != nil {
		return nil, err
	}
	hist0, err := webhookHistogram(ctx, env)
	if err != nil {
		return nil, err
	}
	server0 := webhookServerStats()
	reviews := func() (n, nanos int64) {
		sar := func(c Call) bool { return c.Verb == "create" && c.Resource == "subjectaccessreviews" }
		return mgr.Calls.Snapshot().Sum(sar), mgr.Calls.Time().Sum(sar)
	}
	sarN0, sarT0 := reviews()

	var (
		mu       sync.Mutex
		byOp     = map[string][]time.Duration{}
		requests atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
	)
	record := func(op string, start time.Time, err error) bool {
		d := time.Since(start)
		requests.Add(1)
		if err != nil {
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			return false
		}
		mu.Lock()
		byOp[op] = append(byOp[op], d)
		mu.Unlock()
		return true
	}
	run := func(users []client.Client, dur time.Duration, fn func(c int, cl client.Client, k int)) {
		var wg sync.WaitGroup
		deadline := time.Now().Add(dur)
		for c, cl := range users {
			wg.Go(func() {
				for k := 0; time.Now().Before(deadline); k++ {
					fn(c, cl, k)
				}
			})
		}
		wg.Wait()
	}
	roster := func(c int, cl client.Client, k int) {
		org := orgs[c%len(orgs)]
		ns := HomeNamespace(org)
		m := &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("adm-%02d-%05d", c, k)},
			Spec:       orgsv1alpha1.MemberSpec{User: fmt.Sprintf("adm-%02d-%05d@example.com", c, k), Role: orgsv1alpha1.RoleViewer},
		}
		t := time.Now()
		if record("create Member", t, cl.Create(ctx, m)) {
			t = time.Now()
			record("update Member", t, setRole(ctx, cl, client.ObjectKeyFromObject(m), orgsv1alpha1.RoleContributor))
		}
		inv := &orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("adm-%02d-%05d", c, k)},
			Spec:       orgsv1alpha1.InvitationSpec{Email: fmt.Sprintf("inv-%02d-%05d@example.com", c, k), Role: orgsv1alpha1.RoleViewer},
		}
		t = time.Now()
		if record("create Invitation", t, cl.Create(ctx, inv)) {
			t = time.Now()
			record("update Invitation", t, cl.Patch(ctx, inv, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"role":"Contributor"}}`))))
		}
	}
	start := time.Now()
	run(users, dur, roster)
	res.Seconds = time.Since(start).Seconds()
	res.WebhookServer = webhookServerStats().since(server0)
	if n, t := reviews(); n > sarN0 {
		res.ReviewCalls = n - sarN0
		res.ReviewMeanMs = float64(t-sarT0) / float64(n-sarN0) / 1e6
	}
	hist1, err := webhookHistogram(ctx, env)
	if err != nil {
		return nil, err
	}
	var all []time.Duration
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		res.ByOp[op] = summarize(byOp[op])
		all = append(all, byOp[op]...)
	}
	res.All = summarize(all)
	res.APIServer = hist1.sub(hist0).shares()

	var baseline []time.Duration
	configMaps := func(c int, cl client.Client, k int) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: baselineNS, Name: fmt.Sprintf("cm-%02d-%05d", c, k)}}
		t := time.Now()
		err := cl.Create(ctx, cm)
		d := time.Since(t)
		if err != nil {
			return
		}
		cm.Data = map[string]string{"k": "v"}
		t = time.Now()
		err = cl.Patch(ctx, cm, client.RawPatch(types.MergePatchType, []byte(`{"data":{"k":"v"}}`)))
		d2 := time.Since(t)
		if err == nil {
			mu.Lock()
			baseline = append(baseline, d, d2)
			mu.Unlock()
		}
	}
	run(users, dur, configMaps)
	res.Baseline = summarize(baseline)

	// One client alone: what a request costs without queueing behind 49
	// others on this machine.
	byOp = map[string][]time.Duration{}
	run(users[:1], dur/2, func(c int, cl client.Client, k int) { roster(c, cl, 100000+k) })
	var single []time.Duration
	for _, op := range ops {
		single = append(single, byOp[op]...)
	}
	res.SingleClient = summarize(single)
	baseline = nil
	run(users[:1], dur/2, func(c int, cl client.Client, k int) { configMaps(c, cl, 100000+k) })
	res.SingleBaseline = summarize(baseline)
	res.Requests, res.Errors = int(requests.Load()), int(errs.Load())
	res.ErrorRate = float64(res.Errors) / float64(max(res.Requests, 1))
	if v := firstErr.Load(); v != nil {
		res.FirstErr = v.(string)
	}
	log.Printf("admission: %d clients, %d requests, %d errors (%.2f%%): all %s; baseline (ConfigMaps) %s; one client: %s, baseline %s; API server's webhook histogram: %v",
		clients, res.Requests, res.Errors, 100*res.ErrorRate, res.All, res.Baseline, res.SingleClient, res.SingleBaseline, res.APIServer)
	for _, op := range ops {
		log.Printf("admission: %s: %s", op, res.ByOp[op])
	}
	log.Printf("admission: %d SubjectAccessReviews, mean round trip %.1f ms", res.ReviewCalls, res.ReviewMeanMs)
	for path, l := range res.WebhookServer {
		log.Printf("admission: webhook server %s: %.0f calls, mean %.2f ms, %.1f%% within 1 ms, %.1f%% within 10 ms",
			path, l.Calls, l.MeanMs, 100*l.Le1ms, 100*l.Le10ms)
	}
	if res.FirstErr != "" {
		log.Printf("admission: first error: %s", res.FirstErr)
	}
	return res, nil
}
