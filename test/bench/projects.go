package bench

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/policy"
)

// ProjectsResult is workload 9: what a Project with K environments costs,
// against a plain client that creates the same namespaces and the
// RoleBindings access.Render gives for them itself.
type ProjectsResult struct {
	Organization string `json:"organization"`
	Members      int    `json:"members"`
	// Creator is the Contributor who creates and deletes the Projects.
	Creator string       `json:"creator"`
	Runs    []ProjectRun `json:"runs"`
}

// ProjectRun is one Project of K environments, created and deleted by
// Roster and by the plain client.
type ProjectRun struct {
	Environments int `json:"environments"`
	// RoleBindings is what access.Render gives for the K namespaces.
	RoleBindings int `json:"roleBindings"`
	// Create: from the create (the Project's, or the plain client's first
	// namespace) to Ready (Roster: the Project's Ready condition; plain:
	// its last write returned) and to every member's access being
	// effective in every namespace (a SubjectAccessReview per member and
	// namespace allowed).
	Roster ProjectCost `json:"roster"`
	Plain  ProjectCost `json:"plain"`
	// Delete: from the delete (the Project's, or the plain client's
	// namespace deletes) to every namespace gone.
	RosterDelete ProjectCost `json:"rosterDelete"`
	PlainDelete  ProjectCost `json:"plainDelete"`

	WriteRatio         float64 `json:"writeRatio"`
	ReadyRatio         float64 `json:"readyRatio"`
	AccessRatio        float64 `json:"accessRatio"`
	DeleteWriteRatio   float64 `json:"deleteWriteRatio"`
	DeleteSecondsRatio float64 `json:"deleteSecondsRatio"`
}

// ProjectCost is the writes and times of one create or delete.
type ProjectCost struct {
	Writes       int64            `json:"writes"`
	WritesByKind map[string]int64 `json:"writesByKind"`
	// The writes by what they write.
	NamespaceCreates int64 `json:"namespaceCreates"`
	NamespaceWrites  int64 `json:"namespaceWrites"` // labels, annotations, finalizers of namespaces
	NamespaceDeletes int64 `json:"namespaceDeletes"`
	RoleBindings     int64 `json:"roleBindings"`
	Quotas           int64 `json:"quotas"`
	Statuses         int64 `json:"statuses"`
	Other            int64 `json:"other"`
	// ReadySeconds: to Ready (create) or to every namespace gone (delete).
	ReadySeconds float64 `json:"readySeconds"`
	// AccessSeconds: to every member's access effective (create only).
	AccessSeconds float64 `json:"accessSeconds,omitempty"`
}

// ProjectOrg is the organization of the projects workload, apart from the
// others so that churn does not change its membership.
const ProjectOrg = "bench-projects"

// Projects runs workload 9 for each K of envs, in an organization of
// members Members over all five roles (RoleOf).
func Projects(ctx context.Context, env *Env, mgr *Manager, members int, envs []int) (*ProjectsResult, error) {
	creator := -1
	roles := map[orgsv1alpha1.Role]bool{}
	for i := range members {
		roles[RoleOf(i, members)] = true
		if creator < 0 && RoleOf(i, members) == orgsv1alpha1.RoleContributor {
			creator = i
		}
	}
	if len(roles) != len(orgsv1alpha1.Roles) {
		return nil, fmt.Errorf("projects: %d members do not cover all five roles; use -project-members=10 or more", members)
	}
	org, err := projectOrg(ctx, env, members, slices.Max(envs))
	if err != nil {
		return nil, err
	}
	settle(ctx, mgr, time.Second)
	res := &ProjectsResult{Organization: org.Name, Members: members, Creator: UserName(org.Name, creator)}
	cfg := rest.CopyConfig(env.AdminCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: res.Creator}
	contributor, err := client.New(cfg, client.Options{Scheme: env.Admin.Scheme()})
	if err != nil {
		return nil, err
	}
	plainCalls := NewCounter()
	pcfg := rest.CopyConfig(env.AdminCfg) // QPS -1: no client-side limit
	pcfg.Wrap(plainCalls.Wrap)
	plain, err := client.New(pcfg, client.Options{Scheme: env.Admin.Scheme()})
	if err != nil {
		return nil, err
	}
	for _, k := range envs {
		run, err := projectRun(ctx, env, mgr, org, members, k, contributor, plain, plainCalls)
		if err != nil {
			return res, fmt.Errorf("projects: K=%d: %w", k, err)
		}
		log.Printf("projects: K=%d: Roster %d writes (%s), Ready %.2fs, access %.2fs; plain %d writes, done %.2fs, access %.2fs; delete: Roster %d writes, %.2fs, plain %d writes, %.2fs",
			k, run.Roster.Writes, kinds(run.Roster.WritesByKind), run.Roster.ReadySeconds, run.Roster.AccessSeconds,
			run.Plain.Writes, run.Plain.ReadySeconds, run.Plain.AccessSeconds,
			run.RosterDelete.Writes, run.RosterDelete.ReadySeconds, run.PlainDelete.Writes, run.PlainDelete.ReadySeconds)
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

// projectOrg creates the workload's organization with its Members and
// waits until every Member is Ready.
func projectOrg(ctx context.Context, env *Env, members, maxEnvs int) (*orgsv1alpha1.Organization, error) {
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: ProjectOrg}}
	if maxEnvs > 5 {
		n := int32(maxEnvs) //nolint:gosec // a flag's few environments
		org.Spec.Projects = &orgsv1alpha1.ProjectPolicy{MaxEnvironmentsPerProject: &n}
	}
	if err := env.Admin.Create(ctx, org); err != nil {
		return nil, fmt.Errorf("projects: creating organization %s: %w", ProjectOrg, err)
	}
	if err := poll(ctx, 2*time.Minute, func() (bool, error) {
		err := env.Admin.Get(ctx, client.ObjectKeyFromObject(org), org)
		return err == nil && org.Status.HomeNamespace != "", client.IgnoreNotFound(err)
	}); err != nil {
		return nil, fmt.Errorf("projects: home namespace of %s: %w", ProjectOrg, err)
	}
	if err := parallel(ctx, Creators, members, func(i int) error {
		return env.Admin.Create(ctx, NewMember(ProjectOrg, i, RoleOf(i, members)))
	}); err != nil {
		return nil, fmt.Errorf("projects: creating Members: %w", err)
	}
	if err := poll(ctx, 5*time.Minute, func() (bool, error) {
		var list orgsv1alpha1.MemberList
		if err := env.Admin.List(ctx, &list, client.InNamespace(HomeNamespace(ProjectOrg))); err != nil {
			return false, err
		}
		ready := 0
		for i := range list.Items {
			if memberReady(&list.Items[i]) {
				ready++
			}
		}
		return ready == members, nil
	}); err != nil {
		return nil, fmt.Errorf("projects: Members of %s: %w", ProjectOrg, err)
	}
	return org, env.Admin.Get(ctx, client.ObjectKeyFromObject(org), org)
}

// projectRun creates a Project of k environments as the Contributor, then
// the same namespaces and RoleBindings with the plain client, then deletes
// both.
func projectRun(ctx context.Context, env *Env, mgr *Manager, org *orgsv1alpha1.Organization, members, k int,
	contributor, plain client.Client, plainCalls *Counter) (ProjectRun, error) {
	run := ProjectRun{Environments: k}
	p := &orgsv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org.Name), Name: fmt.Sprintf("k%d", k)}}
	for e := range k {
		p.Spec.Environments = append(p.Spec.Environments, fmt.Sprintf("env%d", e))
	}
	var roster, plainNS []string
	for _, n := range policy.ProjectNamespaces(org.Name, p) {
		roster = append(roster, n.Name)
		plainNS = append(plainNS, "plain-"+n.Name)
	}
	want := projectBindings(org, members, roster)
	run.RoleBindings = len(want)

	// Roster: the Project, created by a Contributor through the webhooks.
	calls0 := mgr.Calls.Snapshot()
	start := time.Now()
	if err := contributor.Create(ctx, p); err != nil {
		return run, fmt.Errorf("creating Project %s/%s as its Contributor: %w", p.Namespace, p.Name, err)
	}
	var ready time.Duration
	readyErr := make(chan error, 1)
	go func() {
		readyErr <- poll(ctx, 2*time.Minute, func() (bool, error) {
			got := &orgsv1alpha1.Project{}
			if err := env.Admin.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
				return false, err
			}
			c := meta.FindStatusCondition(got.Status.Conditions, orgsv1alpha1.ReadyCondition)
			if c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == got.Generation {
				ready = time.Since(start)
				return true, nil
			}
			return false, nil
		})
	}()
	accessed, err := accessEffective(ctx, env, org.Name, members, roster)
	if err != nil {
		return run, err
	}
	if err := <-readyErr; err != nil {
		return run, fmt.Errorf("the Project %s/%s never got Ready: %w", p.Namespace, p.Name, err)
	}
	settle(ctx, mgr, 2*time.Second)
	run.Roster = costOf(mgr.Calls.Snapshot().Sub(calls0))
	run.Roster.ReadySeconds, run.Roster.AccessSeconds = ready.Seconds(), accessed.Seconds()
	if run.Roster.NamespaceCreates != int64(k) {
		return run, fmt.Errorf("the manager created %d namespaces for %d environments, want %d (writes: %s)", run.Roster.NamespaceCreates, k, k, kinds(run.Roster.WritesByKind))
	}
	if err := sameBindings(ctx, env, want); err != nil {
		return run, err
	}

	// The plain client: the same namespaces (under other names, without the
	// organization label, so that Roster leaves them alone) and the same
	// RoleBindings, as a cluster admin: Roster's manager may write only
	// RBAC labelled as Roster's (ValidatingAdmissionPolicy
	// roster-manager-rbac), and these are not.
	plainWant := projectBindings(org, members, plainNS)
	calls0 = plainCalls.Snapshot()
	start = time.Now()
	if err := parallel(ctx, Creators, k, func(i int) error {
		return plain.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: plainNS[i]}})
	}); err != nil {
		return run, fmt.Errorf("plain: creating namespaces: %w", err)
	}
	if err := parallel(ctx, Creators, len(plainWant), func(i int) error {
		rb := plainWant[i].DeepCopyObject().(client.Object)
		rb.SetLabels(map[string]string{orgsv1alpha1.ManagedByLabel: "bench-plain"})
		return plain.Create(ctx, rb)
	}); err != nil {
		return run, fmt.Errorf("plain: creating RoleBindings: %w", err)
	}
	done := time.Since(start)
	if accessed, err = accessEffective(ctx, env, org.Name, members, plainNS); err != nil {
		return run, fmt.Errorf("plain: %w", err)
	}
	run.Plain = costOf(plainCalls.Snapshot().Sub(calls0))
	run.Plain.ReadySeconds, run.Plain.AccessSeconds = done.Seconds(), (done + accessed).Seconds()

	// The deletes, Roster's (the Contributor deletes the Project) and the
	// plain client's (its namespaces), at the same time: both wait for the
	// namespace controller, which takes seconds, and they see the same load.
	plainDone := make(chan error, 1)
	var plainGone time.Duration // written before plainDone
	plain0 := plainCalls.Snapshot()
	calls0 = mgr.Calls.Snapshot()
	start = time.Now()
	go func() {
		if err := parallel(ctx, Creators, k, func(i int) error {
			return plain.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: plainNS[i]}})
		}); err != nil {
			plainDone <- fmt.Errorf("plain: deleting namespaces: %w", err)
			return
		}
		err := namespacesGone(ctx, env, plainNS)
		plainGone = time.Since(start)
		plainDone <- err
	}()
	if err := contributor.Delete(ctx, p); err != nil {
		return run, errors.Join(fmt.Errorf("deleting Project %s/%s as its Contributor: %w", p.Namespace, p.Name, err), <-plainDone)
	}
	if err := namespacesGone(ctx, env, roster); err != nil {
		return run, errors.Join(err, <-plainDone)
	}
	gone := time.Since(start)
	if err := <-plainDone; err != nil {
		return run, fmt.Errorf("plain: %w", err)
	}
	if err := poll(ctx, 2*time.Minute, func() (bool, error) {
		err := env.Admin.Get(ctx, client.ObjectKeyFromObject(p), &orgsv1alpha1.Project{})
		return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
	}); err != nil {
		return run, fmt.Errorf("the Project %s/%s is not gone: %w", p.Namespace, p.Name, err)
	}
	settle(ctx, mgr, 2*time.Second)
	run.PlainDelete = costOf(plainCalls.Snapshot().Sub(plain0))
	run.PlainDelete.ReadySeconds = plainGone.Seconds()
	run.RosterDelete = costOf(mgr.Calls.Snapshot().Sub(calls0))
	run.RosterDelete.ReadySeconds = gone.Seconds()
	if run.RosterDelete.NamespaceDeletes != int64(k) {
		return run, fmt.Errorf("the manager deleted %d namespaces of %d, want %d (writes: %s)", run.RosterDelete.NamespaceDeletes, k, k, kinds(run.RosterDelete.WritesByKind))
	}

	run.WriteRatio = float64(run.Roster.Writes) / float64(run.Plain.Writes)
	run.ReadyRatio = run.Roster.ReadySeconds / run.Plain.ReadySeconds
	run.AccessRatio = run.Roster.AccessSeconds / run.Plain.AccessSeconds
	run.DeleteWriteRatio = float64(run.RosterDelete.Writes) / float64(run.PlainDelete.Writes)
	run.DeleteSecondsRatio = run.RosterDelete.ReadySeconds / run.PlainDelete.ReadySeconds
	return run, nil
}

// projectBindings is what access.Render gives for namespaces of org, whose
// members are RoleOf's: its RoleBindings there and nothing else.
func projectBindings(org *orgsv1alpha1.Organization, members int, namespaces []string) []client.Object {
	snap := access.Snapshot{Organization: org, HomeNamespace: HomeNamespace(org.Name), ProjectNamespaces: namespaces}
	for i := range members {
		snap.Subjects = append(snap.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: UserName(org.Name, i), Role: RoleOf(i, members)})
	}
	var out []client.Object
	for _, obj := range access.Render(snap) {
		if slices.Contains(namespaces, obj.GetNamespace()) {
			out = append(out, obj)
		}
	}
	return out
}

// sameBindings checks that Roster's RoleBindings in the namespaces of want
// are exactly want.
func sameBindings(ctx context.Context, env *Env, want []client.Object) error {
	actual, err := listRBAC(ctx, env.Admin)
	if err != nil {
		return err
	}
	inWant := map[string]bool{}
	var problems []string
	for _, w := range want {
		inWant[w.GetNamespace()] = true
		a, ok := actual[keyOf(w)]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %v", keyOf(w)))
		case !sameRBAC(w, a):
			problems = append(problems, fmt.Sprintf("differs %v", keyOf(w)))
		}
	}
	for k := range actual {
		if inWant[k.Namespace] && !slices.ContainsFunc(want, func(w client.Object) bool { return keyOf(w) == k }) {
			problems = append(problems, fmt.Sprintf("unexpected %v", k))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the project namespaces' RBAC differs from access.Render: %s", strings.Join(problems, "; "))
	}
	return nil
}

// accessCheck is a request member i's role allows in a project namespace
// and the role below it does not; ViewersNoSecrets are checked to list
// ConfigMaps (and, once, not to read Secrets).
func accessCheck(role orgsv1alpha1.Role) authorizationv1.ResourceAttributes {
	switch role {
	case orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleAdmin:
		return authorizationv1.ResourceAttributes{Verb: "create", Group: rbacv1.GroupName, Resource: "rolebindings"}
	case orgsv1alpha1.RoleContributor:
		return authorizationv1.ResourceAttributes{Verb: "create", Resource: "configmaps"}
	case orgsv1alpha1.RoleViewer:
		return authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets"}
	default:
		return authorizationv1.ResourceAttributes{Verb: "list", Resource: "configmaps"}
	}
}

// accessEffective asks a SubjectAccessReview for every member of org in
// every namespace, in rounds, until all are allowed, and returns how long
// that took. Then it checks that ViewersNoSecrets may not read Secrets.
func accessEffective(ctx context.Context, env *Env, org string, members int, namespaces []string) (time.Duration, error) {
	type pair struct {
		member int
		ns     string
	}
	var pending []pair
	for _, ns := range namespaces {
		for i := range members {
			pending = append(pending, pair{i, ns})
		}
	}
	review := func(i int, ns string, attrs authorizationv1.ResourceAttributes) (bool, error) {
		attrs.Namespace = ns
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: UserName(org, i), ResourceAttributes: &attrs,
		}}
		if err := env.Admin.Create(ctx, sar); err != nil {
			return false, err
		}
		return sar.Status.Allowed, nil
	}
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d members' access not effective after 2m, e.g. %s in %s", len(pending), UserName(org, pending[0].member), pending[0].ns)
		}
		var (
			mu   sync.Mutex
			left []pair
		)
		if err := parallel(ctx, Creators, len(pending), func(j int) error {
			q := pending[j]
			ok, err := review(q.member, q.ns, accessCheck(RoleOf(q.member, members)))
			if err == nil && !ok {
				mu.Lock()
				left = append(left, q)
				mu.Unlock()
			}
			return err
		}); err != nil {
			return 0, err
		}
		pending = left
		if len(pending) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	took := time.Since(start)
	for i := range members {
		if RoleOf(i, members) != orgsv1alpha1.RoleViewerNoSecrets {
			continue
		}
		ok, err := review(i, namespaces[0], accessCheck(orgsv1alpha1.RoleViewer))
		if err != nil {
			return 0, err
		}
		if ok {
			return 0, fmt.Errorf("the ViewerNoSecrets %s may read Secrets in %s", UserName(org, i), namespaces[0])
		}
		break
	}
	return took, nil
}

// namespacesGone waits until none of names exists.
func namespacesGone(ctx context.Context, env *Env, names []string) error {
	err := poll(ctx, 3*time.Minute, func() (bool, error) {
		for _, name := range names {
			err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, &corev1.Namespace{})
			if err == nil {
				return false, nil
			}
			if !apierrors.IsNotFound(err) {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("namespaces %v not deleted: %w", names, err)
	}
	return nil
}

// costOf sorts a create's or delete's writes by what they write.
func costOf(c Calls) ProjectCost {
	pc := ProjectCost{Writes: c.Mutating(), WritesByKind: c.ByKind(false)}
	for k, n := range c {
		if !k.Mutating() {
			continue
		}
		switch {
		case k.Resource == "namespaces" && k.Verb == "create":
			pc.NamespaceCreates += n
		case k.Resource == "namespaces" && k.Verb == "delete":
			pc.NamespaceDeletes += n
		case k.Resource == "namespaces":
			pc.NamespaceWrites += n
		case k.Resource == "rolebindings":
			pc.RoleBindings += n
		case k.Resource == "resourcequotas":
			pc.Quotas += n
		case strings.HasSuffix(k.Resource, "/status"):
			pc.Statuses += n
		default:
			pc.Other += n
		}
	}
	return pc
}
