package accesstoken_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// Tokens against the API server's real authenticator: a value from the
// TokenRequest API, presented as a bearer token, with nothing else.
var _ = Describe("Personal access tokens", func() {
	var org, home, project string
	const (
		owner = "olivia@example.com"
		admin = "alice@example.com"
	)

	BeforeEach(func() {
		org = testenv.UniqueName("tokens")
		home = env.CreateHome(ctx, org)
		project = org + "-web"
		env.CreateAttachedProject(ctx, project, org)
		env.CreateMember(ctx, home, "olivia", owner, orgsv1alpha1.RoleOwner)
		env.CreateMember(ctx, home, "alice", admin, orgsv1alpha1.RoleAdmin)
		env.WaitReadyProjects(ctx, org, 2, 1)
	})

	// createToken creates the AccessToken as the webhooks would record it
	// (this suite runs without them), waits for Ready and requests a value
	// as its owner.
	createToken := func(name, user string, ttl time.Duration) (*orgsv1alpha1.AccessToken, *testenv.Bearer) {
		GinkgoHelper()
		exp := metav1.NewTime(time.Now().Add(ttl))
		t := &orgsv1alpha1.AccessToken{
			ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: name},
			Spec:       orgsv1alpha1.AccessTokenSpec{Owner: user, ExpiresAt: &exp},
		}
		Expect(env.Admin.Create(ctx, t)).To(Succeed())
		Eventually(tokenOf(home, name)).Should(HaveField("Status.Phase", orgsv1alpha1.AccessTokenReady))
		value, err := env.RequestToken(ctx, user, home, t.ServiceAccountName())
		Expect(err).NotTo(HaveOccurred())
		bearer, err := env.BearerClient(value)
		Expect(err).NotTo(HaveOccurred())
		return t, bearer
	}
	may := func(b *testenv.Bearer, verb, group, resource, namespace, name string) func() (bool, error) {
		return func() (bool, error) {
			return b.Can(ctx, authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Namespace: namespace, Name: name})
		}
	}
	refusedWith401 := func(b *testenv.Bearer) {
		GinkgoHelper()
		Eventually(func() error { _, err := b.WhoAmI(ctx); return err }).WithTimeout(tokenCacheTTL + 5*time.Second).
			Should(Satisfy(apierrors.IsUnauthorized))
	}

	It("authenticates as its ServiceAccount with its owner's access, which shrinks when the owner is demoted", func() {
		t, token := createToken("ci", admin, time.Hour)
		Expect(token.WhoAmI(ctx)).To(Equal("system:serviceaccount:" + home + ":" + t.ServiceAccountName()))
		Eventually(may(token, "create", "rbac.authorization.k8s.io", "rolebindings", project, "")).Should(BeTrue(), "an Admin's token is admin in projects")
		Expect(may(token, "get", "", "secrets", project, "")()).To(BeTrue())
		Expect(may(token, orgsv1alpha1.VerbManageMembers, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)()).To(BeTrue())
		Expect(may(token, orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)()).To(BeFalse())
		Expect(may(token, "get", "", "configmaps", "default", "")()).To(BeFalse(), "nothing outside the organization")
		Expect(may(token, "create", "", "serviceaccounts/token", home, t.ServiceAccountName())()).To(BeFalse(), "a token mints no tokens")

		_, err := env.RequestToken(ctx, owner, home, t.ServiceAccountName())
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "only the token's owner may request values: %v", err)

		m := env.GetMember(ctx, Default, home, "alice")
		m.Spec.Role = orgsv1alpha1.RoleContributor
		Expect(env.Admin.Update(ctx, m)).To(Succeed())
		Eventually(may(token, "create", "rbac.authorization.k8s.io", "rolebindings", project, "")).Should(BeFalse(), "demoted to Contributor: no more admin")
		Expect(may(token, "create", "apps", "deployments", project, "")()).To(BeTrue(), "a Contributor's token edits")
		Expect(may(token, orgsv1alpha1.VerbManageMembers, orgsv1alpha1.GroupVersion.Group, "organizations", "", org)()).To(BeFalse())
		Eventually(tokenOf(home, "ci")).Should(HaveField("Status.EffectiveRole", orgsv1alpha1.RoleContributor))

		m = env.GetMember(ctx, Default, home, "alice")
		m.Spec.Role = orgsv1alpha1.RoleViewer
		Expect(env.Admin.Update(ctx, m)).To(Succeed())
		refusedWith401(token)
		Eventually(tokenOf(home, "ci")).Should(And(
			HaveField("Status.Phase", orgsv1alpha1.AccessTokenRevoked),
			HaveField("Status.Reason", orgsv1alpha1.TokenOwnerDemotedReason)))
	})

	It("stops authenticating when its owner is removed", func() {
		_, token := createToken("script", admin, time.Hour)
		Expect(token.WhoAmI(ctx)).NotTo(BeEmpty())
		Expect(env.Admin.Delete(ctx, env.GetMember(ctx, Default, home, "alice"))).To(Succeed())
		refusedWith401(token)
		Eventually(tokenOf(home, "script")).Should(HaveField("Status.Reason", orgsv1alpha1.TokenOwnerRemovedReason))
	})

	It("stops authenticating when it is revoked, or deleted", func() {
		t, token := createToken("revoked", owner, time.Hour)
		Expect(token.WhoAmI(ctx)).NotTo(BeEmpty())
		patch := client.MergeFrom(t.DeepCopy())
		t.Spec.Revoked = true
		t.Annotations = map[string]string{orgsv1alpha1.TokenRevokedByAnnotation: owner}
		Expect(env.Admin.Patch(ctx, t, patch)).To(Succeed())
		refusedWith401(token)
		Eventually(tokenOf(home, "revoked")).Should(And(
			HaveField("Status.Reason", orgsv1alpha1.TokenRevokedByReason), HaveField("Status.RevokedBy", owner)))

		deleted, other := createToken("deleted", owner, time.Hour)
		Expect(env.Admin.Delete(ctx, deleted)).To(Succeed())
		refusedWith401(other)
		Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKeyFromObject(deleted), deleted) }).Should(Satisfy(apierrors.IsNotFound))
	})

	It("revokes a token a ServiceAccount owns, even one a Member names (made while the webhooks were down)", func() {
		parent, _ := createToken("parent", admin, time.Hour)
		sa := "system:serviceaccount:" + home + ":" + parent.ServiceAccountName()
		env.CreateMember(ctx, home, "parent-sa", sa, orgsv1alpha1.RoleAdmin)
		exp := metav1.NewTime(time.Now().Add(time.Hour))
		child := &orgsv1alpha1.AccessToken{
			ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "child"},
			Spec:       orgsv1alpha1.AccessTokenSpec{Owner: sa, ExpiresAt: &exp},
		}
		Expect(env.Admin.Create(ctx, child)).To(Succeed())
		Eventually(tokenOf(home, "child")).Should(And(
			HaveField("Status.Phase", orgsv1alpha1.AccessTokenRevoked),
			HaveField("Status.Reason", orgsv1alpha1.TokenOwnerIsServiceAccountReason)))
		Consistently(func() error {
			return env.Admin.Get(ctx, client.ObjectKey{Namespace: home, Name: child.ServiceAccountName()}, &corev1.ServiceAccount{})
		}).WithTimeout(time.Second).Should(Satisfy(apierrors.IsNotFound), "no ServiceAccount for a token a ServiceAccount owns")
	})

	It("never adopts a ServiceAccount of its name that someone else made, labelled as Roster's or not", func() {
		for i, labels := range []map[string]string{nil, {orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue}} {
			name := fmt.Sprintf("prepared%d", i)
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: orgsv1alpha1.TokenServiceAccountPrefix + name, Labels: labels}}
			Expect(env.Admin.Create(ctx, sa)).To(Succeed())
			exp := metav1.NewTime(time.Now().Add(time.Hour))
			Expect(env.Admin.Create(ctx, &orgsv1alpha1.AccessToken{
				ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: name},
				Spec:       orgsv1alpha1.AccessTokenSpec{Owner: admin, ExpiresAt: &exp},
			})).To(Succeed())
			Eventually(tokenOf(home, name)).Should(And(
				HaveField("Status.Phase", orgsv1alpha1.AccessTokenPending),
				HaveField("Status.Reason", orgsv1alpha1.TokenServiceAccountConflictReason),
				HaveField("Status.Message", ContainSubstring("ServiceAccount "+home+"/"+sa.Name+" exists but Roster did not make it")),
				HaveField("Status.Message", ContainSubstring("Delete ServiceAccount "+sa.Name))))
			// Bound nowhere, and its owner may not request values for it.
			Consistently(func(g Gomega) {
				for _, ns := range []string{home, project} {
					var rbs rbacv1.RoleBindingList
					g.Expect(env.Admin.List(ctx, &rbs, client.InNamespace(ns))).To(Succeed())
					for _, rb := range rbs.Items {
						g.Expect(rb.Name).NotTo(Equal(sa.Name))
						g.Expect(rb.Subjects).NotTo(ContainElement(HaveField("Name", sa.Name)), "RoleBinding %s/%s", ns, rb.Name)
					}
				}
			}).WithTimeout(2 * time.Second).Should(Succeed())
			_, err := env.RequestToken(ctx, admin, home, sa.Name)
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
			Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(sa), sa)).To(Succeed())
			Expect(sa.OwnerReferences).To(BeEmpty(), "not adopted")

			// Once it is gone, Roster makes the token's own.
			Expect(env.Admin.Delete(ctx, sa)).To(Succeed())
			Eventually(tokenOf(home, name)).WithTimeout(30 * time.Second).Should(HaveField("Status.Phase", orgsv1alpha1.AccessTokenReady))
			Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(sa), sa)).To(Succeed())
			Expect(sa.OwnerReferences).To(ContainElement(HaveField("UID", tokenOf(home, name)(Default).UID)))
		}
	})

	It("stops authenticating at its expiry", func() {
		_, token := createToken("short", owner, 4*time.Second)
		Expect(token.WhoAmI(ctx)).NotTo(BeEmpty())
		refusedWith401(token)
		Eventually(tokenOf(home, "short")).Should(HaveField("Status.Reason", orgsv1alpha1.TokenExpiredReason))
	})
})

func tokenOf(namespace, name string) func(g Gomega) *orgsv1alpha1.AccessToken {
	return func(g Gomega) *orgsv1alpha1.AccessToken {
		t := &orgsv1alpha1.AccessToken{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, t)).To(Succeed())
		return t
	}
}

// tokenCacheTTL is how long kube-apiserver keeps a token it authenticated
// (its token cache's success TTL): a deleted ServiceAccount's values stop
// working within it.
const tokenCacheTTL = 10 * time.Second
