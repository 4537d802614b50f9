package downstream_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

const (
	org  = "acme"
	home = "org-acme"
)

func member(name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

func as(user string) client.Client {
	GinkgoHelper()
	c, err := roster.As(user)
	Expect(err).NotTo(HaveOccurred())
	return c
}

func allowed(user, verb, resource, namespace, name string) bool {
	GinkgoHelper()
	ok, err := roster.Allowed(ctx, user, authorizationv1.ResourceAttributes{
		Group: orgsv1alpha1.GroupVersion.Group, Verb: verb, Resource: resource, Namespace: namespace, Name: name,
	})
	Expect(err).NotTo(HaveOccurred())
	return ok
}

var _ = Describe("Roster's rules in a downstream suite", Ordered, func() {
	BeforeAll(func() {
		c := roster.Client()
		Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: home}})).To(Succeed())
		Expect(c.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: org}})).To(Succeed())
		Expect(c.Create(ctx, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner))).To(Succeed())
		Expect(c.Create(ctx, member("bob", "bob@example.com", orgsv1alpha1.RoleAdmin))).To(Succeed())
		Expect(roster.WaitForOrganizationReady(ctx, org)).To(Succeed())
	})

	It("refuses an Owner created by an Admin, at the real webhook", func() {
		err := as("bob@example.com").Create(ctx, member("mallory", "mallory@example.com", orgsv1alpha1.RoleOwner))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring(`admission webhook "vmember.roster.dev" denied the request`))
		Expect(err.Error()).To(ContainSubstring("only owners"))
		Expect(apierrors.IsNotFound(roster.Client().Get(ctx, client.ObjectKey{Namespace: home, Name: "mallory"}, &orgsv1alpha1.Member{}))).To(BeTrue())
	})

	It("does not let the last owner leave", func() {
		err := as("alice@example.com").Delete(ctx, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("last owner"))
		Expect(roster.Client().Get(ctx, client.ObjectKey{Namespace: home, Name: "alice"}, &orgsv1alpha1.Member{})).To(Succeed())
	})

	It("makes a Member's role RBAC", func() {
		Expect(as("bob@example.com").Create(ctx, member("carol", "carol@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		Expect(roster.WaitForOrganizationReady(ctx, org)).To(Succeed())
		// An Admin manages members, not owners; a Viewer reads.
		Expect(allowed("bob@example.com", orgsv1alpha1.VerbManageMembers, "organizations", "", org)).To(BeTrue())
		Expect(allowed("bob@example.com", orgsv1alpha1.VerbManageOwners, "organizations", "", org)).To(BeFalse())
		Expect(allowed("alice@example.com", orgsv1alpha1.VerbManageOwners, "organizations", "", org)).To(BeTrue())
		Expect(allowed("carol@example.com", "list", "members", home, "")).To(BeTrue())
		Expect(allowed("carol@example.com", orgsv1alpha1.VerbManageMembers, "organizations", "", org)).To(BeFalse())
		Expect(allowed("zoe@example.com", "list", "members", home, "")).To(BeFalse())

		// Promoted, carol's RBAC follows.
		promoted := &orgsv1alpha1.Member{}
		Expect(roster.Client().Get(ctx, client.ObjectKey{Namespace: home, Name: "carol"}, promoted)).To(Succeed())
		promoted.Spec.Role = orgsv1alpha1.RoleAdmin
		Expect(as("bob@example.com").Update(ctx, promoted)).To(Succeed())
		Eventually(func() bool {
			return allowed("carol@example.com", orgsv1alpha1.VerbManageMembers, "organizations", "", org)
		}).Should(BeTrue())
	})

	It("sends an invitation link, and accepting it makes the Member", func() {
		Expect(as("bob@example.com").Create(ctx, &orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: "grace"},
			Spec:       orgsv1alpha1.InvitationSpec{Email: "grace@example.com", Role: orgsv1alpha1.RoleContributor},
		})).To(Succeed())
		var link string
		Eventually(func() string {
			link = roster.LastInvitationLink("grace@example.com")
			return link
		}).ShouldNot(BeEmpty())

		res, err := roster.Accept(ctx, link)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Outcome).To(Equal("accepted"))
		Eventually(func(g Gomega) {
			var members orgsv1alpha1.MemberList
			g.Expect(roster.Client().List(ctx, &members, client.InNamespace(home))).To(Succeed())
			var grace []orgsv1alpha1.Member
			for _, m := range members.Items {
				if m.Spec.User == "grace@example.com" {
					grace = append(grace, m)
				}
			}
			g.Expect(grace).To(HaveLen(1))
			g.Expect(grace[0].Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
		}).Should(Succeed())
		Expect(roster.WaitForOrganizationReady(ctx, org)).To(Succeed())
		Expect(allowed("grace@example.com", "list", "members", home, "")).To(BeTrue())
	})
})
