package invitation_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// An Invitation applied before its Organization (a GitOps folder in one
// go, by a holder of manage-owners: here the cluster admin) is not sent:
// it says which organization it waits for, and, if that one is created
// with another home, that it has another home.
var _ = Describe("Invitations waiting for their Organization", func() {
	It("are not sent, say OrganizationNotFound, then HomeNamespaceMismatch when the Organization has another home", func() {
		name := uniqueName("waitinv")
		f := orgFixture{name: name, home: orgsv1alpha1.DefaultHomeNamespacePrefix + name}
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.home}})).To(Succeed())
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: "gus"},
			Spec:       orgsv1alpha1.InvitationSpec{Email: "gus@example.com", Role: orgsv1alpha1.RoleViewer},
		})).To(Succeed())
		waitInvitation(f, "gus", func(g Gomega, inv *orgsv1alpha1.Invitation) {
			ready := condition(inv, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(orgsv1alpha1.OrganizationNotFoundReason))
			g.Expect(ready.Message).To(ContainSubstring(`Organization "` + name + `" does not exist yet`))
			g.Expect(inv.Status.SentAt).To(BeNil())
		})
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: orgsv1alpha1.OrganizationSpec{HomeNamespace: strings.TrimPrefix(f.home, "org-") + "-home"}})).To(Succeed())
		waitInvitation(f, "gus", func(g Gomega, inv *orgsv1alpha1.Invitation) {
			ready := condition(inv, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Reason).To(Equal(orgsv1alpha1.HomeNamespaceMismatchReason))
			g.Expect(inv.Status.SentAt).To(BeNil())
		})
	})
})
