package organization

import (
	"context"
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
)

// A reconcile that fails says so in the Organization's status, on whichever
// step it fails, instead of leaving the conditions of the last success.

// staleReady is the status of an earlier, successful reconcile.
func staleReady() orgsv1alpha1.OrganizationStatus {
	return orgsv1alpha1.OrganizationStatus{
		ObservedGeneration: 1,
		HomeNamespace:      "org-acme",
		Conditions: []metav1.Condition{{
			Type: orgsv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: orgsv1alpha1.ReadyReason,
			Message: "Organization acme is ready.", ObservedGeneration: 1, LastTransitionTime: metav1.Now(),
		}},
	}
}

// failingReconciler reconciles Organization acme (generation 2, last
// reconciled at 1), its home namespace org-acme (unless absent) and one
// owner Member, through a fake API server that fails as funcs says.
func failingReconciler(t *testing.T, homeExists bool, funcs interceptor.Funcs) (*Reconciler, client.Client) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := orgsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	org := &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "acme-uid", Generation: 2, Finalizers: []string{orgsv1alpha1.OrganizationFinalizer}},
		Status:     staleReady(),
	}
	objs := []client.Object{org, &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "alice", Generation: 1},
		Spec:       orgsv1alpha1.MemberSpec{User: "alice@example.com", Role: orgsv1alpha1.RoleOwner},
	}}
	if homeExists {
		objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "org-acme",
			Labels:      map[string]string{orgsv1alpha1.HomeOfLabel: "acme", orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue},
			Annotations: map[string]string{orgsv1alpha1.HomeOfUIDAnnotation: "acme-uid"},
		}})
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&orgsv1alpha1.Organization{}, &orgsv1alpha1.Member{}).
		WithInterceptorFuncs(funcs).Build()
	return &Reconciler{Client: c, Recorder: &events.FakeRecorder{}, Access: &access.Applier{Client: c}}, c
}

func reconcileAcme(r *Reconciler) (ctrl.Result, error) {
	return r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "acme"}})
}

func acmeStatus(g *WithT, c client.Client) orgsv1alpha1.OrganizationStatus {
	org := &orgsv1alpha1.Organization{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "acme"}, org)).To(Succeed())
	return org.Status
}

// noApply stands in for server-side apply, which the fake API server does
// not need to do for these tests: the RBAC is "written".
func noApply(context.Context, client.WithWatch, runtime.ApplyConfiguration, ...client.ApplyOption) error {
	return nil
}

func TestFailedStepWritesReadyFalse(t *testing.T) {
	g := NewWithT(t)
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "org-acme", errors.New("not today"))
	r, c := failingReconciler(t, false, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*corev1.Namespace); ok {
				return forbidden
			}
			return c.Create(ctx, obj, opts...)
		},
	})
	_, err := reconcileAcme(r)
	g.Expect(err).To(MatchError(ContainSubstring("creating home namespace")))

	st := acmeStatus(g, c)
	ready := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready).NotTo(BeNil())
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse), "the Ready of the last success does not stand")
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.ReconcileFailedReason))
	g.Expect(ready.Message).To(ContainSubstring(`creating home namespace "org-acme"`))
	g.Expect(ready.Message).To(ContainSubstring("not today"))
	g.Expect(st.ObservedGeneration).To(BeEquivalentTo(1), "only a success records observedGeneration")
}

func TestFailedMemberWriteWritesReadyFalse(t *testing.T) {
	// The Organization's status is decided and written with the Members'
	// statuses; a Member's write failing still ends in Ready=False.
	g := NewWithT(t)
	r, c := failingReconciler(t, true, interceptor.Funcs{
		Apply: noApply,
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if _, ok := obj.(*orgsv1alpha1.Member); ok {
				return apierrors.NewInternalError(errors.New("etcd is down"))
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	_, err := reconcileAcme(r)
	g.Expect(err).To(MatchError(ContainSubstring("etcd is down")))

	st := acmeStatus(g, c)
	g.Expect(meta.IsStatusConditionTrue(st.Conditions, orgsv1alpha1.AccessReadyCondition)).To(BeTrue(), "%v", st.Conditions)
	g.Expect(meta.IsStatusConditionTrue(st.Conditions, orgsv1alpha1.OwnerPresentCondition)).To(BeTrue(), "%v", st.Conditions)
	ready := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.ReconcileFailedReason))
	g.Expect(ready.Message).To(ContainSubstring("etcd is down"))
	g.Expect(st.EffectiveOwners).To(Equal([]string{"alice@example.com"}))
}

func TestFailedRBACSaysSoInAccessReady(t *testing.T) {
	// An RBAC failure is told by AccessReady, Ready summarises it, and each
	// Member's Ready points there.
	g := NewWithT(t)
	r, c := failingReconciler(t, true, interceptor.Funcs{
		Apply: func(context.Context, client.WithWatch, runtime.ApplyConfiguration, ...client.ApplyOption) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}, "x", errors.New("escalation"))
		},
	})
	_, err := reconcileAcme(r)
	g.Expect(err).To(MatchError(ContainSubstring("applying RBAC")))

	st := acmeStatus(g, c)
	accessReady := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.AccessReadyCondition)
	g.Expect(accessReady.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(accessReady.Reason).To(Equal(orgsv1alpha1.AccessFailedReason))
	g.Expect(accessReady.Message).To(HavePrefix("Applying RBAC failed: "))
	g.Expect(accessReady.Message).To(ContainSubstring("escalation"))
	ready := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.AccessFailedReason))
	g.Expect(st.ObservedGeneration).To(BeEquivalentTo(2), "the status was decided in this reconcile")

	m := &orgsv1alpha1.Member{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "org-acme", Name: "alice"}, m)).To(Succeed())
	memberReady := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(memberReady).NotTo(BeNil())
	g.Expect(memberReady.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(memberReady.Reason).To(Equal(orgsv1alpha1.AccessFailedReason))
	g.Expect(memberReady.Message).To(ContainSubstring("see the Organization's AccessReady condition"))
}

func TestConflictWritesNoFailure(t *testing.T) {
	// A conflict is a stale view, no failure: the reconcile retries quietly
	// and the status is left to the retry.
	g := NewWithT(t)
	writes := 0
	r, c := failingReconciler(t, false, interceptor.Funcs{
		Create: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			return apierrors.NewConflict(schema.GroupResource{Resource: "namespaces"}, obj.GetName(), errors.New("changed"))
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			writes++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			writes++
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	res, err := reconcileAcme(r)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.RequeueAfter).NotTo(BeZero())
	g.Expect(writes).To(BeZero())
	g.Expect(meta.IsStatusConditionTrue(acmeStatus(g, c).Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue())
}

func TestSucceedingReconcileClearsFailure(t *testing.T) {
	// Once the step that failed succeeds, Ready is computed again.
	g := NewWithT(t)
	fail := true
	r, c := failingReconciler(t, false, interceptor.Funcs{
		Apply: noApply,
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if fail {
				return apierrors.NewServiceUnavailable("later")
			}
			return c.Create(ctx, obj, opts...)
		},
	})
	_, err := reconcileAcme(r)
	g.Expect(err).To(HaveOccurred())
	g.Expect(meta.FindStatusCondition(acmeStatus(g, c).Conditions, orgsv1alpha1.ReadyCondition).Reason).To(Equal(orgsv1alpha1.ReconcileFailedReason))

	fail = false
	_, err = reconcileAcme(r)
	g.Expect(err).NotTo(HaveOccurred())
	st := acmeStatus(g, c)
	ready := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "%v", st.Conditions)
	g.Expect(strings.Contains(ready.Message, "failed")).To(BeFalse())
	g.Expect(st.ObservedGeneration).To(BeEquivalentTo(2))
}
