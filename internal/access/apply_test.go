package access

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// writeLog records every write a client sends to the API server.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (w *writeLog) add(verb, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, verb+" "+what)
}

// take returns the writes recorded since the last take.
func (w *writeLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.writes
	w.writes = nil
	return out
}

func objName(obj client.Object) string { return describe(obj) }

func applyName(ac runtime.ApplyConfiguration) string {
	switch o := ac.(type) {
	case *rbacv1ac.ClusterRoleApplyConfiguration:
		return "ClusterRole " + *o.GetName()
	case *rbacv1ac.ClusterRoleBindingApplyConfiguration:
		return "ClusterRoleBinding " + *o.GetName()
	case *rbacv1ac.RoleBindingApplyConfiguration:
		return "RoleBinding " + *o.GetNamespace() + "/" + *o.GetName()
	}
	return fmt.Sprintf("%T", ac)
}

// countingClient wraps c so that every write is recorded in the returned log.
func countingClient(c client.WithWatch) (client.WithWatch, *writeLog) {
	log := &writeLog{}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			log.add("create", objName(obj))
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			log.add("update", objName(obj))
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			log.add("patch", objName(obj))
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			log.add("apply", applyName(obj))
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			log.add("delete", objName(obj))
			return c.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			log.add("deleteallof", fmt.Sprintf("%T", obj))
			return c.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			log.add("create/"+sub, objName(obj))
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			log.add("update/"+sub, objName(obj))
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			log.add("patch/"+sub, objName(obj))
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceApply: func(ctx context.Context, c client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			log.add("apply/"+sub, applyName(obj))
			return c.SubResource(sub).Apply(ctx, obj, opts...)
		},
	}), log
}

// fixture is one organization in the shared API server, with its home
// namespace and project namespaces (named <org>-<project>).
type fixture struct {
	t        *testing.T
	admin    client.WithWatch
	org      *orgsv1alpha1.Organization
	applier  *Applier
	writes   *writeLog
	history  []string // every write of f.apply
	home     string
	projects []string
}

func newFixture(t *testing.T, name string, projects ...string) *fixture {
	t.Helper()
	g := NewWithT(t)
	admin := apiServer.Client(t)
	ctx := t.Context()
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}}
	g.Expect(admin.Create(ctx, org)).To(Succeed())
	f := &fixture{t: t, admin: admin, org: org, home: org.HomeNamespaceName()}
	for _, p := range projects {
		f.projects = append(f.projects, name+"-"+p)
	}
	for _, ns := range append([]string{f.home}, f.projects...) {
		g.Expect(admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}
	counting, writes := countingClient(admin)
	f.applier = &Applier{Client: counting, FieldOwner: "roster"}
	f.writes = writes
	return f
}

func (f *fixture) render(subjects []Subject, projects ...string) []client.Object {
	if projects == nil {
		projects = f.projects
	}
	return Render(Snapshot{
		Organization:      f.org,
		HomeNamespace:     f.home,
		Subjects:          subjects,
		ProjectNamespaces: projects,
	})
}

// apply applies desired and returns the result and the writes it sent.
func (f *fixture) apply(desired []client.Object) (Result, []string) {
	f.t.Helper()
	f.writes.take()
	res, err := f.applier.Apply(f.t.Context(), f.org, desired)
	NewWithT(f.t).Expect(err).NotTo(HaveOccurred())
	writes := f.writes.take()
	f.history = append(f.history, writes...)
	return res, writes
}

// state lists the organization's objects on the server, by description.
func state(t *testing.T, c client.Client, org string) map[string]client.Object {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	sel := client.MatchingLabels{AccessForLabel: org}
	out := map[string]client.Object{}
	var crs rbacv1.ClusterRoleList
	g.Expect(c.List(ctx, &crs, sel)).To(Succeed())
	for i := range crs.Items {
		out[describe(&crs.Items[i])] = &crs.Items[i]
	}
	var crbs rbacv1.ClusterRoleBindingList
	g.Expect(c.List(ctx, &crbs, sel)).To(Succeed())
	for i := range crbs.Items {
		out[describe(&crbs.Items[i])] = &crbs.Items[i]
	}
	var rbs rbacv1.RoleBindingList
	g.Expect(c.List(ctx, &rbs, sel)).To(Succeed())
	for i := range rbs.Items {
		out[describe(&rbs.Items[i])] = &rbs.Items[i]
	}
	return out
}

// expectServerHas checks that the server holds exactly the desired objects
// of the organization, field by field (independently of the Applier's own
// comparison).
func (f *fixture) expectServerHas(desired []client.Object) map[string]client.Object {
	f.t.Helper()
	g := NewWithT(f.t)
	got := state(f.t, f.admin, f.org.Name)
	var want []string
	for _, d := range desired {
		want = append(want, describe(d))
	}
	var have []string
	for k := range got {
		have = append(have, k)
	}
	g.Expect(have).To(ConsistOf(want))
	for _, d := range desired {
		o := got[describe(d)]
		for k, v := range d.GetLabels() {
			g.Expect(o.GetLabels()).To(HaveKeyWithValue(k, v), describe(d))
		}
		g.Expect(o.GetOwnerReferences()).To(Equal(d.GetOwnerReferences()), describe(d))
		switch d := d.(type) {
		case *rbacv1.ClusterRole:
			g.Expect(o.(*rbacv1.ClusterRole).Rules).To(Equal(d.Rules), describe(d))
		case *rbacv1.ClusterRoleBinding:
			g.Expect(o.(*rbacv1.ClusterRoleBinding).RoleRef).To(Equal(d.RoleRef), describe(d))
			g.Expect(o.(*rbacv1.ClusterRoleBinding).Subjects).To(Equal(d.Subjects), describe(d))
		case *rbacv1.RoleBinding:
			g.Expect(o.(*rbacv1.RoleBinding).RoleRef).To(Equal(d.RoleRef), describe(d))
			g.Expect(o.(*rbacv1.RoleBinding).Subjects).To(Equal(d.Subjects), describe(d))
		}
	}
	return got
}

func everyRole() []Subject {
	return []Subject{
		user("alice", orgsv1alpha1.RoleOwner),
		user("bob", orgsv1alpha1.RoleAdmin),
		user("carol", orgsv1alpha1.RoleContributor),
		user("dave", orgsv1alpha1.RoleViewer),
		group("auditors", orgsv1alpha1.RoleViewerNoSecrets),
	}
}

func TestApplyCreatesAllThenWritesNothing(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "idem", "web", "api")
	desired := f.render(everyRole())
	g.Expect(desired).To(HaveLen(5 + 3 + 2 + 2*5))

	res, writes := f.apply(desired)
	g.Expect(res).To(Equal(Result{Created: len(desired)}))
	g.Expect(writes).To(HaveLen(len(desired)))
	for _, w := range writes {
		g.Expect(w).To(HavePrefix("apply "), "creates use server-side apply")
	}
	f.expectServerHas(desired)

	// The same set again, and a freshly rendered equal set: no writes at all.
	res, writes = f.apply(desired)
	g.Expect(writes).To(BeEmpty())
	g.Expect(res).To(Equal(Result{Unchanged: len(desired)}))
	res, writes = f.apply(f.render(everyRole()))
	g.Expect(writes).To(BeEmpty())
	g.Expect(res.Created + res.Updated + res.Deleted).To(BeZero())

	// The objects are owned by the "roster" field manager.
	var rb rbacv1.RoleBinding
	g.Expect(f.admin.Get(t.Context(), client.ObjectKey{Namespace: "idem-web", Name: "roster:owner"}, &rb)).To(Succeed())
	var managers []string
	for _, mf := range rb.ManagedFields {
		managers = append(managers, mf.Manager)
	}
	g.Expect(managers).To(ConsistOf("roster"))
}

func TestApplyRoleChangeMovesSubject(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "roles", "a", "b")
	subjects := []Subject{user("alice", orgsv1alpha1.RoleOwner), user("bob", orgsv1alpha1.RoleViewer), user("carol", orgsv1alpha1.RoleViewer)}
	first := f.render(subjects)
	f.apply(first)
	before := f.expectServerHas(first)

	subjects[1].Role = orgsv1alpha1.RoleContributor // bob: Viewer -> Contributor
	desired := f.render(subjects)
	res, writes := f.apply(desired)
	g.Expect(writes).To(ConsistOf(
		"apply RoleBinding roles-a/roster:viewer", "apply RoleBinding roles-b/roster:viewer",
		"apply RoleBinding roles-a/roster:contributor", "apply RoleBinding roles-b/roster:contributor",
	))
	g.Expect(res).To(Equal(Result{Created: 2, Updated: 2, Unchanged: len(desired) - 4}))
	after := f.expectServerHas(desired)
	for _, ns := range f.projects {
		key := "RoleBinding " + ns + "/roster:viewer"
		g.Expect(after[key].(*rbacv1.RoleBinding).Subjects).To(Equal(users("carol")))
		g.Expect(after[key].GetUID()).To(Equal(before[key].GetUID()), "updated in place")
		g.Expect(after["RoleBinding "+ns+"/roster:contributor"].(*rbacv1.RoleBinding).Subjects).To(Equal(users("bob")))
	}

	// Promoting bob to Admin reaches the organization tiers and the home namespace too.
	subjects[1].Role = orgsv1alpha1.RoleAdmin
	desired = f.render(subjects)
	res, writes = f.apply(desired)
	g.Expect(writes).To(ConsistOf(
		"apply ClusterRoleBinding roster:org:roles:admin",
		"apply RoleBinding org-roles/roster:home-manage",
		"apply RoleBinding roles-a/roster:admin", "apply RoleBinding roles-b/roster:admin",
		"delete RoleBinding roles-a/roster:contributor", "delete RoleBinding roles-b/roster:contributor",
	))
	g.Expect(writes[len(writes)-2:]).To(HaveEach(HavePrefix("delete ")), "prune after creating and updating")
	g.Expect(res).To(Equal(Result{Created: 3, Updated: 1, Deleted: 2, Unchanged: len(desired) - 4}))
	f.expectServerHas(desired)
}

// Withdraw updates and prunes but creates nothing: a namespace or a role
// that has no binding yet gets none.
func TestWithdrawCreatesNothing(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "withdraw", "a", "b")
	subjects := []Subject{user("alice", orgsv1alpha1.RoleOwner), user("bob", orgsv1alpha1.RoleAdmin)}
	first := f.render(subjects, "withdraw-a")
	f.apply(first)
	f.expectServerHas(first)

	// bob is demoted to Viewer, and namespace b is new: neither gets a binding.
	subjects[1].Role = orgsv1alpha1.RoleViewer
	f.writes.take()
	res, err := f.applier.Withdraw(t.Context(), f.org, f.render(subjects))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.writes.take()).To(ConsistOf(
		"apply RoleBinding org-withdraw/roster:home-manage",
		"delete ClusterRoleBinding roster:org:withdraw:admin",
		"delete RoleBinding withdraw-a/roster:admin",
	))
	g.Expect(res).To(Equal(Result{Updated: 1, Deleted: 2, Unchanged: 5 + 2 + 1 + 1}))
	// The server has what was rendered, where something already was.
	existed := map[string]bool{}
	for _, obj := range first {
		existed[describe(obj)] = true
	}
	want := slices.DeleteFunc(f.render(subjects), func(obj client.Object) bool { return !existed[describe(obj)] })
	f.expectServerHas(want)
	// What was left out is not what the Applier last rendered.
	viewer := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "withdraw-b", Name: "roster:viewer",
		Labels: map[string]string{AccessForLabel: "withdraw"}}}
	g.Expect(f.applier.PrunedAsRendered(viewer)).To(BeTrue())
}

func TestApplyRemovingLastSubjectDeletesBinding(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "last", "a", "b")
	subjects := []Subject{user("alice", orgsv1alpha1.RoleOwner), user("erin", orgsv1alpha1.RoleViewerNoSecrets)}
	f.apply(f.render(subjects))
	f.expectServerHas(f.render(subjects))

	desired := f.render(subjects[:1]) // erin leaves
	res, writes := f.apply(desired)
	g.Expect(writes).To(ConsistOf(
		"apply ClusterRoleBinding roster:org:last:member",
		"apply RoleBinding org-last/roster:home-read",
		"delete RoleBinding last-a/roster:viewer-no-secrets", "delete RoleBinding last-b/roster:viewer-no-secrets",
	))
	g.Expect(res).To(Equal(Result{Updated: 2, Deleted: 2, Unchanged: len(desired) - 2}))
	f.expectServerHas(desired)
	for _, ns := range f.projects {
		err := f.admin.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "roster:viewer-no-secrets"}, &rbacv1.RoleBinding{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s/roster:viewer-no-secrets: %v", ns, err)
	}

	// Nobody left: the owner and member ClusterRoleBindings, both home
	// RoleBindings and roster:owner in both projects go; the five
	// ClusterRoles stay.
	res, _ = f.apply(f.render(nil))
	g.Expect(res).To(Equal(Result{Deleted: 2 + 2 + 2, Unchanged: 5}))
	f.expectServerHas(f.render(nil))
}

func TestApplyRecreatesBindingWhenRoleRefChanges(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "roleref", "web")
	subjects := []Subject{user("alice", orgsv1alpha1.RoleOwner), user("dave", orgsv1alpha1.RoleViewer)}

	// What an older table rendered: Viewer bound to plain `view`.
	old := f.render(subjects)
	for _, o := range old {
		if rb, ok := o.(*rbacv1.RoleBinding); ok && rb.Name == "roster:viewer" {
			rb.RoleRef.Name = "view"
		}
	}
	f.apply(old)
	before := f.expectServerHas(old)

	desired := f.render(subjects)
	res, writes := f.apply(desired)
	g.Expect(writes).To(Equal([]string{"delete RoleBinding roleref-web/roster:viewer", "apply RoleBinding roleref-web/roster:viewer"}))
	g.Expect(res).To(Equal(Result{Updated: 1, Unchanged: len(desired) - 1}))
	after := f.expectServerHas(desired)
	key := "RoleBinding roleref-web/roster:viewer"
	g.Expect(after[key].(*rbacv1.RoleBinding).RoleRef.Name).To(Equal("roster-viewer"))
	g.Expect(after[key].GetUID()).NotTo(Equal(before[key].GetUID()), "re-created")

	_, writes = f.apply(desired)
	g.Expect(writes).To(BeEmpty())
}

func TestApplyDroppedNamespaceLosesBindings(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "drop", "a", "b", "c")
	subjects := []Subject{user("alice", orgsv1alpha1.RoleOwner), user("carol", orgsv1alpha1.RoleContributor)}
	f.apply(f.render(subjects))
	before := f.expectServerHas(f.render(subjects))

	desired := f.render(subjects, "drop-a", "drop-c")
	res, writes := f.apply(desired)
	g.Expect(writes).To(ConsistOf("delete RoleBinding drop-b/roster:owner", "delete RoleBinding drop-b/roster:contributor"))
	g.Expect(res).To(Equal(Result{Deleted: 2, Unchanged: len(desired)}))
	after := f.expectServerHas(desired)
	for k, o := range after {
		g.Expect(o.GetResourceVersion()).To(Equal(before[k].GetResourceVersion()), k)
	}
	var left rbacv1.RoleBindingList
	g.Expect(f.admin.List(t.Context(), &left, client.InNamespace("drop-b"))).To(Succeed())
	g.Expect(left.Items).To(BeEmpty())
}

func TestApplyRepairsDriftAndToleratesAdditions(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	f := newFixture(t, "drift", "web")
	desired := f.render(everyRole())
	f.apply(desired)

	// Someone adds mallory to the owner binding, deletes the contributor
	// binding and labels the viewer binding.
	var owner rbacv1.RoleBinding
	g.Expect(f.admin.Get(ctx, client.ObjectKey{Namespace: "drift-web", Name: "roster:owner"}, &owner)).To(Succeed())
	owner.Subjects = append(owner.Subjects, users("mallory")...)
	g.Expect(f.admin.Update(ctx, &owner, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Expect(f.admin.Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "drift-web", Name: "roster:contributor"}})).To(Succeed())
	var viewer rbacv1.RoleBinding
	g.Expect(f.admin.Get(ctx, client.ObjectKey{Namespace: "drift-web", Name: "roster:viewer"}, &viewer)).To(Succeed())
	viewer.Labels["team"] = "payments"
	g.Expect(f.admin.Update(ctx, &viewer, client.FieldOwner("kubectl-label"))).To(Succeed())
	// ...and drops the managed-by label of the member ClusterRole.
	var member rbacv1.ClusterRole
	g.Expect(f.admin.Get(ctx, client.ObjectKey{Name: "roster:org:drift:member"}, &member)).To(Succeed())
	delete(member.Labels, orgsv1alpha1.ManagedByLabel)
	g.Expect(f.admin.Update(ctx, &member, client.FieldOwner("kubectl-label"))).To(Succeed())

	res, writes := f.apply(desired)
	g.Expect(writes).To(ConsistOf(
		"apply RoleBinding drift-web/roster:owner",
		"apply RoleBinding drift-web/roster:contributor",
		"apply ClusterRole roster:org:drift:member",
	))
	g.Expect(res).To(Equal(Result{Created: 1, Updated: 2, Unchanged: len(desired) - 3}))
	got := f.expectServerHas(desired)
	g.Expect(got["RoleBinding drift-web/roster:viewer"].GetLabels()).To(HaveKeyWithValue("team", "payments"))

	_, writes = f.apply(desired)
	g.Expect(writes).To(BeEmpty())
}

func TestApplyRefusesObjectsOfAnotherOrganization(t *testing.T) {
	g := NewWithT(t)
	f := newFixture(t, "refuse", "web")
	other := Render(Snapshot{Organization: testOrg("someone-else"), Subjects: everyRole()})
	res, err := f.applier.Apply(t.Context(), f.org, other)
	g.Expect(err).To(MatchError(ContainSubstring(`want "refuse"`)))
	g.Expect(res).To(Equal(Result{}))
	g.Expect(f.writes.take()).To(BeEmpty())

	_, err = f.applier.Apply(t.Context(), f.org, []client.Object{&corev1.ConfigMap{}})
	g.Expect(err).To(MatchError(ContainSubstring("only ClusterRoles, Roles, ClusterRoleBindings and RoleBindings")))
}

func TestDeleteAllLeavesOtherOrganizationsAlone(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	neighbour := newFixture(t, "neighbour", "web")
	neighbour.apply(neighbour.render(everyRole()))
	neighbourBefore := neighbour.expectServerHas(neighbour.render(everyRole()))

	f := newFixture(t, "gone", "web", "api")
	// A RoleBinding someone else made in one of gone's project namespaces.
	theirs := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "gone-web", Name: "team-deployers"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   users("ci"),
	}
	g.Expect(f.admin.Create(ctx, theirs)).To(Succeed())

	desired := f.render(everyRole())
	f.apply(desired)
	f.apply(f.render(everyRole()[:2], "gone-api")) // role changes, pruning
	f.apply(desired)

	n, err := f.applier.DeleteAll(ctx, "gone")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(len(desired)))
	g.Expect(state(t, f.admin, "gone")).To(BeEmpty())
	writes := f.writes.take()
	f.history = append(f.history, writes...)
	g.Expect(writes).To(HaveLen(len(desired)))
	g.Expect(writes).To(HaveEach(HavePrefix("delete ")))
	// Bindings go before the roles they refer to.
	g.Expect(slices.IndexFunc(writes, func(w string) bool { return w == "delete ClusterRole roster:org:gone:owner" })).
		To(BeNumerically(">", slices.Index(writes, "delete ClusterRoleBinding roster:org:gone:owner")))

	n, err = f.applier.DeleteAll(ctx, "gone")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(BeZero())

	// Nothing of the neighbour, nor the unrelated binding, was touched.
	neighbourAfter := state(t, f.admin, "neighbour")
	g.Expect(neighbourAfter).To(HaveLen(len(neighbourBefore)))
	for k, o := range neighbourBefore {
		g.Expect(neighbourAfter).To(HaveKey(k))
		g.Expect(neighbourAfter[k].GetResourceVersion()).To(Equal(o.GetResourceVersion()), k)
	}
	g.Expect(f.admin.Get(ctx, client.ObjectKeyFromObject(theirs), &rbacv1.RoleBinding{})).To(Succeed())
	g.Expect(f.history).NotTo(BeEmpty())
	for _, w := range f.history {
		g.Expect(w).NotTo(Or(ContainSubstring("neighbour"), ContainSubstring("team-deployers")))
	}
}

// TestApplyWithTheMarkersPermissions runs the Applier as a user that holds
// only what rbac.go's markers grant, with the project ClusterRoles given
// rules that user does not hold: it proves that `bind` on them and the
// organization permissions (instead of `escalate`) are enough, and that
// `bind` reaches no further.
func TestApplyWithTheMarkersPermissions(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	admin := apiServer.Client(t)

	// Without kube-controller-manager the aggregated roles are empty. Give
	// each a rule the manager does not hold, as a real cluster would.
	secretRule := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}}}
	for _, name := range []string{"admin", "edit", "view", "roster-viewer"} {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}}
		err := admin.Get(ctx, client.ObjectKeyFromObject(cr), cr)
		if apierrors.IsNotFound(err) {
			cr.Rules = secretRule
			g.Expect(admin.Create(ctx, cr)).To(Succeed())
			continue
		}
		g.Expect(err).NotTo(HaveOccurred())
		cr.Rules = secretRule
		g.Expect(admin.Update(ctx, cr)).To(Succeed())
	}

	managerRole := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "access-test-manager"}, Rules: markerRules(t)}
	g.Expect(admin.Create(ctx, managerRole)).To(Succeed())
	const managerName = "system:serviceaccount:roster-system:controller-manager"
	g.Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "access-test-manager"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: managerRole.Name},
		Subjects:   users(managerName),
	})).To(Succeed())
	managerClient := apiServer.User(t, managerName)

	f := newFixture(t, "least", "web")
	f.applier = &Applier{Client: managerClient}

	desired := f.render(everyRole())
	res, err := f.applier.Apply(ctx, f.org, desired)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Created).To(Equal(len(desired)))
	f.expectServerHas(desired)

	subjects := everyRole()
	subjects[2].Role = orgsv1alpha1.RoleViewer
	_, err = f.applier.Apply(ctx, f.org, f.render(subjects[:4]))
	g.Expect(err).NotTo(HaveOccurred())
	f.expectServerHas(f.render(subjects[:4]))

	n, err := f.applier.DeleteAll(ctx, "least")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(BeNumerically(">", 0))

	// bind reaches only the listed roles.
	err = managerClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "least-web", Name: "sneaky"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   users("mallory"),
	})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "binding cluster-admin must be forbidden, got %v", err)
}

// The controller does not reconcile on RBAC events that are its own writes
// coming back (AsRendered, PrunedAsRendered); every other change is drift.
func TestAsRenderedTellsOwnWritesFromDrift(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	f := newFixture(t, "echo", "web")
	get := func(ns, name string) *rbacv1.RoleBinding {
		var rb rbacv1.RoleBinding
		g.Expect(f.admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &rb)).To(Succeed())
		return &rb
	}

	// Before anything was rendered, every event counts.
	stranger := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "echo-web", Name: "roster:owner",
		Labels: map[string]string{AccessForLabel: "echo"}}}
	g.Expect(f.applier.AsRendered(stranger)).To(BeFalse())
	g.Expect(f.applier.PrunedAsRendered(stranger)).To(BeFalse())

	f.apply(f.render(everyRole()))
	owner := get("echo-web", "roster:owner")
	g.Expect(f.applier.AsRendered(owner)).To(BeTrue(), "the applied binding is as rendered")

	// An edit by someone else is drift.
	owner.Subjects = append(owner.Subjects, users("mallory")...)
	g.Expect(f.admin.Update(ctx, owner, client.FieldOwner("kubectl-edit"))).To(Succeed())
	g.Expect(f.applier.AsRendered(get("echo-web", "roster:owner"))).To(BeFalse())
	// So is deleting a binding that is wanted...
	g.Expect(f.applier.PrunedAsRendered(get("echo-web", "roster:viewer"))).To(BeFalse())
	// ...and a labelled binding nobody rendered.
	extra := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "echo-web", Name: "roster:extra",
		Labels: map[string]string{AccessForLabel: "echo"}}}
	g.Expect(f.applier.AsRendered(extra)).To(BeFalse())

	// Once dave leaves, his binding going away is the Applier's own prune.
	f.apply(f.render(slices.DeleteFunc(everyRole(), func(s Subject) bool { return s.Name == "dave" })))
	g.Expect(f.applier.PrunedAsRendered(&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "echo-web", Name: "roster:viewer",
		Labels: map[string]string{AccessForLabel: "echo"}}})).To(BeTrue())
	g.Expect(f.applier.AsRendered(get("echo-web", "roster:owner"))).To(BeTrue(), "the drift was repaired as rendered")

	// Deleting the organization's RBAC: every binding going away is expected.
	_, err := f.applier.DeleteAll(ctx, "echo")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.applier.PrunedAsRendered(owner)).To(BeTrue())
}
