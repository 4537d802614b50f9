package security_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/testenv"
)

var byTokenWebhook = byWebhook("vaccesstoken.roster.dev")

// byTokenRequestWebhook: the TokenRequest webhook refused a field's value.
var byTokenRequestWebhook = refusal{layer: "webhook mtokenrequest.roster.dev", is: apierrors.IsInvalid,
	shows: `admission webhook "mtokenrequest.roster.dev" denied the request`}

// byTokenWebhookInvalid: the token webhook refused a field's value.
var byTokenWebhookInvalid = refusal{layer: "webhook vaccesstoken.roster.dev", is: apierrors.IsInvalid,
	shows: `admission webhook "vaccesstoken.roster.dev" denied the request`}

// Personal access tokens (matrix row "Create personal API access tokens"):
// a token is always its creator's, never more than its creator, and only
// its owner, an Owner, or an Admin (for a non-Owner's token) ends it.
var _ = Describe("Personal access tokens", Ordered, func() {
	newToken := func(name, owner string, role orgsv1alpha1.Role) *orgsv1alpha1.AccessToken {
		return &orgsv1alpha1.AccessToken{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.home, Name: name},
			Spec:       orgsv1alpha1.AccessTokenSpec{Owner: owner, Role: role, Description: "attack spec"},
		}
	}
	token := func(name string) *orgsv1alpha1.AccessToken {
		GinkgoHelper()
		t := &orgsv1alpha1.AccessToken{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.home, Name: name}, t)).To(Succeed())
		return t
	}
	revoke := func(c client.Client, name string) func() error {
		return func() error {
			return mergePatch(c, token(name), func(t *orgsv1alpha1.AccessToken) { t.Spec.Revoked = true })
		}
	}

	BeforeAll(func() {
		for _, t := range []struct{ name, user string }{{"alice-ci", alice}, {"bob-ci", bob}, {"carol-ci", carol}} {
			Expect(env.As(t.user).Create(ctx, newToken(t.name, "", ""))).To(Succeed())
		}
		for _, name := range []string{"alice-ci", "bob-ci", "carol-ci"} {
			Eventually(func() orgsv1alpha1.AccessTokenPhase { return token(name).Status.Phase }).Should(Equal(orgsv1alpha1.AccessTokenReady))
		}
	})

	// The world the other specs compare against has no tokens.
	AfterAll(func() {
		for _, name := range []string{"alice-ci", "bob-ci", "carol-ci"} {
			Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, token(name)))).To(Succeed())
			Eventually(func() bool {
				return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.home, Name: name}, &orgsv1alpha1.AccessToken{}))
			}).Should(BeTrue())
		}
		waitConverged(acme)
	})

	It("records the requester as the owner, their role, and an expiry within the organization's maximum", func() {
		t := token("alice-ci")
		Expect(t.Spec.Owner).To(Equal(alice))
		Expect(t.Spec.Role).To(Equal(orgsv1alpha1.RoleOwner))
		Expect(t.Spec.ExpiresAt).NotTo(BeNil())
		Expect(t.Spec.ExpiresAt.Time).To(BeTemporally("~", time.Now().Add(policy.DefaultTokenMaxTTL), time.Minute))
		Expect(token("carol-ci").Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleContributor))
	})

	It("refuses a token for someone else (a forged owner)", func() {
		refused(byTokenWebhook, func() error { return env.As(carol).Create(ctx, newToken("forged", alice, "")) },
			`user "carol@example.com" may not create an AccessToken owned by "alice@example.com" in organization "acme"`, "remove spec.owner")
	})

	It("refuses changing the recorded owner", func() {
		refusedKeeping([]client.Object{token("carol-ci")}, bySchema, func() error {
			return mergePatch(env.As(carol), token("carol-ci"), func(t *orgsv1alpha1.AccessToken) { t.Spec.Owner = alice })
		}, "spec.owner cannot be changed")
	})

	// A name too long for roster-token-<name> would make the ServiceAccount
	// (and the Role and RoleBinding of that name) impossible to create.
	It("refuses a token name too long for its ServiceAccount", func() {
		refused(bySchema, func() error {
			return env.As(carol).Create(ctx, newToken(strings.Repeat("n", orgsv1alpha1.MaxAccessTokenNameLength+1), "", ""))
		}, "metadata.name of an AccessToken may be at most 240 characters")
	})

	It("refuses a Viewer's and a ViewerNoSecrets' token, naming the matrix row", func() {
		for _, user := range []string{dave, erin} {
			refused(byTokenWebhook, func() error { return env.As(user).Create(ctx, newToken("viewer", "", "")) },
				`the permission matrix's row "Create personal API access tokens" allows Owners, Admins and Contributors only`)
		}
	})

	It("refuses a case or Unicode variant of a member's username", func() {
		for _, variant := range []string{"CAROL@example.com", "c\u0430rol@example.com"} {
			// Someone else to the API server: no RBAC in the home namespace,
			// whether naming carol as the owner or not (policy's table tests
			// cover the webhook's own exact comparison).
			refused(byRBAC, func() error { return env.As(variant).Create(ctx, newToken("variant", carol, "")) })
			refused(byRBAC, func() error { return env.As(variant).Create(ctx, newToken("variant", "", "")) })
		}
	})

	It("refuses a role above the owner's, and an expiry past the maximum", func() {
		refused(byTokenWebhookInvalid, func() error { return env.As(carol).Create(ctx, newToken("more", "", orgsv1alpha1.RoleAdmin)) },
			"spec.role", `not "Admin"`)
		late := newToken("late", "", "")
		late.Spec.ExpiresAt = &metav1.Time{Time: time.Now().Add(policy.DefaultTokenMaxTTL + time.Hour)}
		refused(byTokenWebhookInvalid, func() error { return env.As(carol).Create(ctx, late) }, "spec.expiresAt", "spec.tokenPolicy.maxTTL")
	})

	It("refuses an Admin revoking or deleting an Owner's token", func() {
		refusedKeeping([]client.Object{token("alice-ci")}, byTokenWebhook, revoke(env.As(bob), "alice-ci"), "it is an Owner's token")
		refusedKeeping([]client.Object{token("alice-ci")}, byTokenWebhook, func() error { return env.As(bob).Delete(ctx, token("alice-ci")) }, "it is an Owner's token")
	})

	It("refuses a Contributor revoking someone else's token", func() {
		refusedKeeping([]client.Object{token("bob-ci")}, byTokenWebhook, revoke(env.As(carol), "bob-ci"), "Owners and Admins")
	})

	// Any change of someone else's token takes the authority a revocation
	// does: a label, an annotation, a finalizer that would hold its deletion.
	It("refuses an Admin changing an Owner's token, and a Contributor someone else's", func() {
		refusedKeeping([]client.Object{token("alice-ci")}, byTokenWebhook, func() error {
			return mergePatch(env.As(bob), token("alice-ci"), func(t *orgsv1alpha1.AccessToken) { t.Labels = map[string]string{"team": "bob"} })
		}, `user "bob@example.com" may not change AccessToken "alice-ci" of "alice@example.com"`, "it is an Owner's token")
		refusedKeeping([]client.Object{token("bob-ci")}, byTokenWebhook, func() error {
			return mergePatch(env.As(carol), token("bob-ci"), func(t *orgsv1alpha1.AccessToken) {
				t.Annotations = map[string]string{"example.com/owner": carol}
			})
		}, `user "carol@example.com" may not change AccessToken "bob-ci"`)
	})

	It("refuses an owner reference or a foreign finalizer, even on one's own token", func() {
		refusedKeeping([]client.Object{token("carol-ci")}, byTokenWebhookInvalid, func() error {
			return mergePatch(env.As(carol), token("carol-ci"), func(t *orgsv1alpha1.AccessToken) {
				t.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: acme.project, UID: "0ff1ce00-0000-0000-0000-000000000000"}}
			})
		}, "metadata.ownerReferences", "the garbage collector would delete the token")
		refusedKeeping([]client.Object{token("carol-ci")}, byTokenWebhookInvalid, func() error {
			return mergePatch(env.As(carol), token("carol-ci"), func(t *orgsv1alpha1.AccessToken) {
				t.Finalizers = append(t.Finalizers, "example.com/hold")
			})
		}, "metadata.finalizers", `may not add finalizer "example.com/hold"`)
		refused(byTokenWebhookInvalid, func() error {
			t := newToken("owned", "", "")
			t.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Namespace", Name: acme.project, UID: "0ff1ce00-0000-0000-0000-000000000000"}}
			return env.As(carol).Create(ctx, t)
		}, "metadata.ownerReferences")
	})

	It("refuses another organization's Admin", func() {
		refusedKeeping([]client.Object{token("bob-ci")}, byRBAC, revoke(env.As(pete), "bob-ci"))
	})

	It("refuses a forged revoker", func() {
		refusedKeeping([]client.Object{token("carol-ci")}, byTokenWebhook, func() error {
			return mergePatch(env.As(carol), token("carol-ci"), func(t *orgsv1alpha1.AccessToken) {
				t.Spec.Revoked = true
				t.Annotations = map[string]string{orgsv1alpha1.TokenRevokedByAnnotation: alice}
			})
		}, "records who revoked the token")
	})

	It("refuses anyone but the owner a value of the token's ServiceAccount", func() {
		for _, user := range []string{bob, carol, alice} {
			refused(byRBAC, func() error {
				_, err := env.RequestToken(ctx, user, acme.home, orgsv1alpha1.TokenServiceAccountPrefix+"bob-ci")
				if user == bob {
					_, err = env.RequestToken(ctx, user, acme.home, orgsv1alpha1.TokenServiceAccountPrefix+"alice-ci")
				}
				return err
			})
		}
	})

	It("refuses a token making another token (tokens are personal: it would outlive its owner)", func() {
		for _, name := range []string{"bob-ci", "carol-ci"} {
			c := withToken(acme, map[string]string{"bob-ci": bob, "carol-ci": carol}[name], name)
			refused(byTokenWebhook, func() error { return c.Create(ctx, newToken("chained", "", "")) },
				`user "system:serviceaccount:org-acme:roster-token-`+name+`" is a ServiceAccount and may not own an AccessToken in organization "acme": tokens are personal`)
		}
	})

	It("refuses a Member for a token's ServiceAccount, whoever asks: the token itself, an Admin or a cluster admin", func() {
		sa := "system:serviceaccount:" + acme.home + ":" + orgsv1alpha1.TokenServiceAccountPrefix + "bob-ci"
		for _, c := range []client.Client{withToken(acme, bob, "bob-ci"), env.As(bob), env.Admin} {
			refused(byMemberWebhookInvalid, func() error {
				return c.Create(ctx, testenv.NewMember(acme.home, "bob-ci-sa", sa, orgsv1alpha1.RoleViewer))
			},
				"spec.user", `is the ServiceAccount of AccessToken "bob-ci" in namespace "org-acme", and tokens are personal`)
		}
	})

	It("refuses its owner a value for another audience or bound to an object, and caps one that outlives the token", func() {
		cfg, err := env.UserConfig(carol)
		Expect(err).NotTo(HaveOccurred())
		cs, err := kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		create := func(spec authenticationv1.TokenRequestSpec) (*authenticationv1.TokenRequest, error) {
			return cs.CoreV1().ServiceAccounts(acme.home).CreateToken(ctx, orgsv1alpha1.TokenServiceAccountPrefix+"carol-ci",
				&authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
		}
		refused(byTokenRequestWebhook, func() error {
			_, err := create(authenticationv1.TokenRequestSpec{Audiences: []string{"https://vault.example.com"}})
			return err
		}, "spec.audiences", "for this cluster's API server only")
		refused(byTokenRequestWebhook, func() error {
			_, err := create(authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: "x"}})
			return err
		}, "spec.boundObjectRef")
		tr, err := create(authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(2 * policy.DefaultTokenMaxTTL / time.Second))})
		Expect(err).NotTo(HaveOccurred())
		Expect(tr.Status.ExpirationTimestamp.Time).NotTo(BeTemporally(">", token("carol-ci").Spec.ExpiresAt.Time), "capped to the token's expiry")
	})

	It("refuses a ServiceAccount prepared under a token's name: never adopted, bound or valued", func() {
		// Made by someone who may create ServiceAccounts in the home
		// namespace, labelled as Roster's, before the token exists.
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: acme.home, Name: orgsv1alpha1.TokenServiceAccountPrefix + "prepared",
			Labels: map[string]string{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue}}}
		Expect(env.Admin.Create(ctx, sa)).To(Succeed())
		DeferCleanup(func() {
			Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, &orgsv1alpha1.AccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: acme.home, Name: "prepared"}}))).To(Succeed())
			Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, sa))).To(Succeed())
			Eventually(func() bool {
				return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.home, Name: "prepared"}, &orgsv1alpha1.AccessToken{}))
			}).Should(BeTrue())
		})
		Expect(env.As(carol).Create(ctx, newToken("prepared", "", ""))).To(Succeed())
		Eventually(func(g Gomega) {
			t := token("prepared")
			g.Expect(t.Status.Phase).To(Equal(orgsv1alpha1.AccessTokenPending))
			g.Expect(t.Status.Reason).To(Equal(orgsv1alpha1.TokenServiceAccountConflictReason))
			g.Expect(t.Status.Message).To(ContainSubstring("ServiceAccount org-acme/roster-token-prepared exists but Roster did not make it"))
		}).Should(Succeed())
		refused(byRBAC, func() error {
			_, err := env.RequestToken(ctx, carol, acme.home, sa.Name)
			return err
		})
		for _, ns := range []string{acme.home, acme.project} {
			var rbs rbacv1.RoleBindingList
			Expect(env.Admin.List(ctx, &rbs, client.InNamespace(ns))).To(Succeed())
			for _, rb := range rbs.Items {
				Expect(rb.Subjects).NotTo(ContainElement(HaveField("Name", sa.Name)), "RoleBinding %s/%s binds the prepared ServiceAccount", ns, rb.Name)
			}
		}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(sa), sa)).To(Succeed())
		Expect(sa.OwnerReferences).To(BeEmpty(), "not adopted")
	})

	It("lets an Owner revoke an Admin's token, and records who did", func() {
		Expect(revoke(env.As(alice), "bob-ci")()).To(Succeed())
		Eventually(func(g Gomega) {
			t := token("bob-ci")
			g.Expect(t.Status.Phase).To(Equal(orgsv1alpha1.AccessTokenRevoked))
			g.Expect(t.Status.Reason).To(Equal(orgsv1alpha1.TokenRevokedByReason))
			g.Expect(t.Status.RevokedBy).To(Equal(alice))
		}).Should(Succeed())
	})

	It("lets a Contributor revoke her own token, whose finalizer then goes", func() {
		Expect(token("carol-ci").Finalizers).To(ConsistOf(orgsv1alpha1.TokenFinalizer), "a live token's ServiceAccount is cleaned up on deletion")
		Expect(revoke(env.As(carol), "carol-ci")()).To(Succeed())
		Eventually(func() string { return token("carol-ci").Status.Reason }).Should(Equal(orgsv1alpha1.TokenRevokedByReason))
		Eventually(func() []string { return token("carol-ci").Finalizers }).Should(BeEmpty(), "nothing is left to clean up")
	})
})
