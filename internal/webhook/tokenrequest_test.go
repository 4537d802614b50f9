package webhook_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// A token's owner holds create serviceaccounts/token on its ServiceAccount;
// mtokenrequest.roster.dev holds what that gives to the AccessToken: values
// for the API server only, bound to nothing, never past the token's expiry,
// and none once it is revoked. A cluster admin is held the same way.
var _ = Describe("TokenRequests for an AccessToken's ServiceAccount", func() {
	const root = "root@example.com" // a cluster admin
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	token := func(name string) *orgsv1alpha1.AccessToken {
		GinkgoHelper()
		t := &orgsv1alpha1.AccessToken{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, t)).To(Succeed())
		return t
	}
	readyToken := func(name, user string, ttl time.Duration) *orgsv1alpha1.AccessToken {
		GinkgoHelper()
		exp := metav1.NewTime(time.Now().Add(ttl).Truncate(time.Second))
		Expect(env.As(user).Create(ctx, &orgsv1alpha1.AccessToken{
			ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name},
			Spec:       orgsv1alpha1.AccessTokenSpec{ExpiresAt: &exp},
		})).To(Succeed())
		Eventually(func() orgsv1alpha1.AccessTokenPhase { return token(name).Status.Phase }).Should(Equal(orgsv1alpha1.AccessTokenReady))
		return token(name)
	}
	request := func(user, serviceAccount string, spec authenticationv1.TokenRequestSpec) (*authenticationv1.TokenRequest, error) {
		GinkgoHelper()
		var groups []string
		if user == root {
			groups = []string{"system:masters"}
		}
		cfg, err := env.UserConfig(user, groups...)
		Expect(err).NotTo(HaveOccurred())
		cs, err := kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		return cs.CoreV1().ServiceAccounts(o.home).CreateToken(ctx, serviceAccount, &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	}
	refusedBy := func(err error, is func(error) bool, says string) {
		GinkgoHelper()
		Expect(err).To(HaveOccurred())
		Expect(is(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring(`admission webhook "mtokenrequest.roster.dev" denied the request`))
		Expect(err.Error()).To(ContainSubstring(says))
	}

	It("caps a value asked for past the token's expiry to that expiry", func() {
		t := readyToken("ci", contributor, time.Hour)
		tr, err := request(contributor, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](30 * 24 * 3600)})
		Expect(err).NotTo(HaveOccurred())
		Expect(tr.Status.ExpirationTimestamp.Time).NotTo(BeTemporally(">", t.Spec.ExpiresAt.Time))
		Expect(tr.Status.ExpirationTimestamp.Time).To(BeTemporally("~", t.Spec.ExpiresAt.Time, time.Minute))

		tr, err = request(contributor, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](900)})
		Expect(err).NotTo(HaveOccurred())
		Expect(tr.Status.ExpirationTimestamp.Time).To(BeTemporally("~", time.Now().Add(900*time.Second), time.Minute), "a shorter value is left alone")
	})

	It("refuses other audiences and a bound object, whoever asks", func() {
		t := readyToken("ci", contributor, time.Hour)
		for _, user := range []string{contributor, root} {
			_, err := request(user, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{Audiences: []string{"https://vault.example.com"}})
			refusedBy(err, apierrors.IsInvalid, "spec.audiences")
			_, err = request(user, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{
				BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "anything"}})
			refusedBy(err, apierrors.IsInvalid, "spec.boundObjectRef")
		}
	})

	It("refuses a value of a revoked token while its ServiceAccount still exists", func() {
		t := readyToken("ci", contributor, time.Hour)
		// Hold the ServiceAccount's deletion, as a slow garbage collection would.
		sa := &corev1.ServiceAccount{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: t.ServiceAccountName()}, sa)).To(Succeed())
		patch := client.MergeFrom(sa.DeepCopy())
		controllerutil.AddFinalizer(sa, "example.com/hold")
		Expect(env.Admin.Patch(ctx, sa, patch)).To(Succeed())
		DeferCleanup(func() {
			Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(sa), sa)).To(Succeed())
			patch := client.MergeFrom(sa.DeepCopy())
			controllerutil.RemoveFinalizer(sa, "example.com/hold")
			Expect(env.Admin.Patch(ctx, sa, patch)).To(Succeed())
		})

		revoke := client.MergeFrom(t.DeepCopy())
		t.Spec.Revoked = true
		Expect(env.As(contributor).Patch(ctx, t, revoke)).To(Succeed())
		Eventually(func() orgsv1alpha1.AccessTokenPhase { return token("ci").Status.Phase }).Should(Equal(orgsv1alpha1.AccessTokenRevoked))
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(sa), sa)).To(Succeed(), "the ServiceAccount is still there")
		_, err := request(root, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{})
		refusedBy(err, apierrors.IsForbidden, `AccessToken "ci" is revoked (RevokedBy`)
	})

	It("refuses a value when less than ten minutes of the token remain, and for a ServiceAccount with no AccessToken", func() {
		t := readyToken("brief", contributor, 5*time.Minute)
		_, err := request(contributor, t.ServiceAccountName(), authenticationv1.TokenRequestSpec{})
		refusedBy(err, apierrors.IsForbidden, "less than the TokenRequest API's minimum of 600 seconds")

		ghost := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: orgsv1alpha1.TokenServiceAccountPrefix + "ghost",
			Labels: map[string]string{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue}}}
		Expect(env.Admin.Create(ctx, ghost)).To(Succeed())
		_, err = request(root, ghost.Name, authenticationv1.TokenRequestSpec{})
		refusedBy(err, apierrors.IsForbidden, `AccessToken "ghost" does not exist`)
	})
})
