package security_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	invite "github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/testenv"
)

// Identities are compared exactly, as RBAC compares them: a username that
// merely looks like a Member's (another letter case, a Unicode variant) is
// someone else to the API server, so it is someone else to Roster too, and
// a new identity that looks like an existing one is refused, not merged.
var _ = Describe("Look-alike identities", Ordered, func() {
	const admins = "lookalike-admins"
	lookalike := org{name: "lookalike", home: "org-lookalike", members: []person{
		{"olivia", "olivia@example.com", orgsv1alpha1.RoleOwner},
		{"oskar", "oskar@example.com", orgsv1alpha1.RoleOwner},
		{"ivan", "ivan@example.com", orgsv1alpha1.RoleViewer},
	}}

	BeforeAll(func() {
		createOrg(lookalike)
		// An identity-provider group with the Admin role.
		group := &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: lookalike.home, Name: "admins"},
			Spec:       orgsv1alpha1.MemberSpec{Group: admins, Role: orgsv1alpha1.RoleAdmin},
		}
		Expect(env.Admin.Create(ctx, group)).To(Succeed())
		Eventually(func(g Gomega) {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "anyone@example.com", Groups: []string{"system:authenticated", admins},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Group: orgsv1alpha1.GroupVersion.Group, Resource: "organizations",
					Verb: orgsv1alpha1.VerbManageMembers, Name: lookalike.name},
			}}
			g.Expect(env.Admin.Create(ctx, review)).To(Succeed())
			g.Expect(review.Status.Allowed).To(BeTrue(), "the admins group does not hold manage-members yet")
		}).Should(Succeed())
	})

	// An Admin through a group, authenticated as a variant of an Owner's
	// username, deletes that Owner's Member: not leaving, since the API
	// server says the requester is not that Owner.
	for _, variant := range []struct{ name, user, owner string }{
		{"a case variant", "OLIVIA@EXAMPLE.COM", "olivia"},
		// U+017F LATIN SMALL LETTER LONG S: strings.EqualFold says "s".
		{"a Unicode fold variant", "o\u017fkar@example.com", "oskar"},
	} {
		It("refuses an Admin group acting as "+variant.name+" of an Owner removing that Owner", func() {
			attacker, err := env.User(variant.user, admins)
			Expect(err).NotTo(HaveOccurred())
			target := member(lookalike, variant.owner)
			refusedKeeping([]client.Object{target}, byMemberWebhook, func() error { return attacker.Delete(ctx, target) },
				`user "`+variant.user+`" may not remove user `+target.Spec.User+` (role Owner) in organization "lookalike"`,
				"only owners (holders of manage-owners on organizations/lookalike)")
		})
	}

	It("refuses a Member that folds to an existing one, in both orders of creation", func() {
		// ivan exists: the U+0130 variant comes second.
		refused(byMemberWebhook, func() error {
			return env.Admin.Create(ctx, testenv.NewMember(lookalike.home, "ivan-dotted", "\u0130van@example.com", orgsv1alpha1.RoleOwner))
		}, "may not add user \u0130van@example.com to organization \"lookalike\": it looks the same as user ivan@example.com, Member \"ivan\"",
			"is a different identity to Kubernetes")
		refused(byMemberWebhook, func() error {
			return env.Admin.Create(ctx, testenv.NewMember(lookalike.home, "ivan-upper", "IVAN@example.com", orgsv1alpha1.RoleViewer))
		}, `it looks the same as user ivan@example.com, Member "ivan"`)
		// The variant first (U+212A KELVIN SIGN), then the plain name.
		Expect(env.Admin.Create(ctx, testenv.NewMember(lookalike.home, "kate-kelvin", "\u212aate@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		refused(byMemberWebhook, func() error {
			return env.Admin.Create(ctx, testenv.NewMember(lookalike.home, "kate", "kate@example.com", orgsv1alpha1.RoleOwner))
		}, "may not add user kate@example.com to organization \"lookalike\": it looks the same as user \u212aate@example.com, Member \"kate-kelvin\"")
		// Groups too.
		refused(byMemberWebhook, func() error {
			return env.Admin.Create(ctx, &orgsv1alpha1.Member{
				ObjectMeta: metav1.ObjectMeta{Namespace: lookalike.home, Name: "admins-upper"},
				Spec:       orgsv1alpha1.MemberSpec{Group: "Lookalike-Admins", Role: orgsv1alpha1.RoleOwner},
			})
		}, `it looks the same as group lookalike-admins, Member "admins"`)
	})

	It("refuses an Invitation whose e-mail resembles a Member's or a pending invitation's", func() {
		olivia := env.As("olivia@example.com")
		refused(byInvitationWebhook, func() error {
			return olivia.Create(ctx, testenv.NewInvitation(lookalike.home, "ivan-case", "Ivan@Example.com", orgsv1alpha1.RoleViewer))
		}, `may not add an invitation for Ivan@Example.com to organization "lookalike": it looks the same as ivan@example.com, Member "ivan"`)
		Expect(olivia.Create(ctx, testenv.NewInvitation(lookalike.home, "nina", "nina@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		refused(byInvitationWebhook, func() error {
			return olivia.Create(ctx, testenv.NewInvitation(lookalike.home, "nina-fullwidth", "\uff4eina@example.com", orgsv1alpha1.RoleOwner))
		}, `it looks the same as nina@example.com, Invitation "nina"`)
	})

	It("refuses accepting an invitation for a look-alike of a Member made meanwhile, and merges nothing", func() {
		Expect(env.As("olivia@example.com").Create(ctx, testenv.NewInvitation(lookalike.home, "zoe", "zoe@example.com", orgsv1alpha1.RoleAdmin))).To(Succeed())
		link := linkFor(lookalike.home, "zoe", 1)
		// A Member for ZOE@example.com made while the webhook did not see
		// the namespace: another identity to the API server.
		restore := bypassMemberWebhook(lookalike.home)
		Expect(env.Admin.Create(ctx, testenv.NewMember(lookalike.home, "zoe-upper", "ZOE@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		restore()

		res, code := answer(link, invite.DecisionAccept)
		Expect(res.Outcome).To(Equal(invite.OutcomeRefused), res.Message)
		Expect(code).NotTo(Equal(http.StatusOK))
		Expect(res.Message).To(ContainSubstring(`it looks the same as user ZOE@example.com, Member "zoe-upper"`))
		recordAttempt("acceptor", "accepting an invitation for a look-alike of a Member")
		// Not resolved as "already a member" either: ZOE is not zoe.
		inv := &orgsv1alpha1.Invitation{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: lookalike.home, Name: "zoe"}, inv)).To(Succeed())
		Expect(inv.Status.Phase).NotTo(Equal(orgsv1alpha1.InvitationAccepted))
		upper := &orgsv1alpha1.Member{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: lookalike.home, Name: "zoe-upper"}, upper)).To(Succeed())
		Expect(upper.Spec.Role).To(Equal(orgsv1alpha1.RoleViewer), "the look-alike Member got the invited role")
	})
})

// byMemberWebhookInvalid: the Member webhook refused a field's value.
var byMemberWebhookInvalid = refusal{layer: "webhook vmember.roster.dev", is: apierrors.IsInvalid,
	shows: `admission webhook "vmember.roster.dev" denied the request`}

// A Member naming an identity Kubernetes reserves would bind the role to
// every client (system:authenticated, system:unauthenticated), to the
// cluster's admins or to its components. Refused whoever asks, an Owner of
// the organization or a cluster admin; the renderer binds none of them
// should one get through (internal/access's tests).
var _ = Describe("Kubernetes system identities as Members", func() {
	for _, c := range []struct{ name, user, group, field string }{
		{"every authenticated client", "", "system:authenticated", "spec.group"},
		{"every anonymous client", "", "system:unauthenticated", "spec.group"},
		{"the cluster's admins", "", "system:masters", "spec.group"},
		{"the anonymous user", "system:anonymous", "", "spec.user"},
		{"the cluster admin user", "system:admin", "", "spec.user"},
		{"the controller manager", "system:kube-controller-manager", "", "spec.user"},
	} {
		It("refuses a Member for "+c.name, func() {
			m := testenv.NewMember(acme.home, "system-identity", c.user, orgsv1alpha1.RoleViewer)
			m.Spec.Group = c.group
			for _, requester := range []client.Client{env.As(alice), env.Admin} {
				refused(byMemberWebhookInvalid, func() error { return requester.Create(ctx, m.DeepCopy()) },
					c.field, "Kubernetes reserves for itself (prefix \"system:\")")
			}
		})
	}
})
