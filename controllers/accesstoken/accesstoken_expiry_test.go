package accesstoken_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/accesstoken"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/testenv/fakeapi"
)

// A token stored with an expiry later than its creation plus the
// organization's maxTTL (the maximum lowered since, or admission bypassed)
// is revoked as Expired at that cap, not at spec.expiresAt. The clock is
// the reconciler's, so no API server can help: a fake client.
func TestTokenRevokedAtTheMaxTTLCap(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	org := &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "uid-acme"},
		Spec:       orgsv1alpha1.OrganizationSpec{TokenPolicy: &orgsv1alpha1.TokenPolicy{MaxTTL: &metav1.Duration{Duration: 7 * 24 * time.Hour}}},
		Status:     orgsv1alpha1.OrganizationStatus{EffectiveOwners: []string{"olivia@example.com"}},
	}
	home := org.HomeNamespaceName()
	member := &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "olivia"},
		Spec:       orgsv1alpha1.MemberSpec{User: "olivia@example.com", Role: orgsv1alpha1.RoleOwner},
	}
	farOut := metav1.NewTime(created.Add(365 * 24 * time.Hour))
	token := &orgsv1alpha1.AccessToken{
		ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "ci", UID: "uid-ci", CreationTimestamp: metav1.NewTime(created),
			Finalizers: []string{orgsv1alpha1.TokenFinalizer}},
		Spec: orgsv1alpha1.AccessTokenSpec{Owner: "olivia@example.com", Role: orgsv1alpha1.RoleOwner, ExpiresAt: &farOut},
	}
	// The owner's RoleBinding, as the Organization reconciler renders it.
	bound := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: token.ServiceAccountName()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: token.ServiceAccountName()},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "olivia@example.com"}},
	}
	c := fakeapi.Builder(manager.Scheme, org, member, token, bound).
		WithStatusSubresource(&orgsv1alpha1.AccessToken{}).Build()
	capAt := policy.TokenExpiry(token, policy.TokenMaxTTL(org))
	g.Expect(capAt).To(Equal(created.Add(7*24*time.Hour + time.Minute)))

	clock := clocktesting.NewFakePassiveClock(capAt.Add(-time.Minute))
	r := &accesstoken.Reconciler{Client: c, Clock: clock}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(token)}
	got := &orgsv1alpha1.AccessToken{}

	res, err := r.Reconcile(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Get(ctx, req.NamespacedName, got)).To(Succeed())
	g.Expect(got.Status.Phase).To(Equal(orgsv1alpha1.AccessTokenReady), got.Status.Message)
	g.Expect(res.RequeueAfter).To(Equal(time.Minute), "it wakes at the cap, not at spec.expiresAt")
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: home, Name: token.ServiceAccountName()}, &corev1.ServiceAccount{})).To(Succeed())

	clock.SetTime(capAt)
	_, err = r.Reconcile(ctx, req)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Get(ctx, req.NamespacedName, got)).To(Succeed())
	g.Expect(got.Status.Phase).To(Equal(orgsv1alpha1.AccessTokenRevoked))
	g.Expect(got.Status.Reason).To(Equal(orgsv1alpha1.TokenExpiredReason))
	g.Expect(apierrors.IsNotFound(c.Get(ctx, client.ObjectKey{Namespace: home, Name: token.ServiceAccountName()}, &corev1.ServiceAccount{}))).
		To(BeTrue(), "its ServiceAccount is deleted, so every value issued for it stops authenticating")
	g.Expect(got.Finalizers).To(BeEmpty(), "a revoked token's deletion waits for nothing")
}
