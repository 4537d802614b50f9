package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var _ = Describe("The permission matrix, through the API server", func() {
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	It("refuses an admin inviting an owner, and writes nothing", func() {
		inv := newInvitation(o.home, "new-owner", "olivia@example.com", orgsv1alpha1.RoleOwner)
		refusedUnchanged(inv, func() error { return as(admin).Create(ctx, inv.DeepCopy()) },
			`user "bob@example.com" may not`, `organization "`+o.name+`"`, "manage-owners")
	})

	It("lets an admin invite an admin, recording the inviter", func() {
		inv := newInvitation(o.home, "new-admin", "adam@example.com", orgsv1alpha1.RoleAdmin)
		Expect(as(admin).Create(ctx, inv)).To(Succeed())
		stored := &orgsv1alpha1.Invitation{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(inv), stored)).To(Succeed())
		Expect(stored.Annotations).To(HaveKeyWithValue(orgsv1alpha1.InvitedByAnnotation, admin))
	})

	It("refuses an admin demoting an owner", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error { return setRole(as(admin), alice.DeepCopy(), orgsv1alpha1.RoleViewer) },
			"manage-owners")
	})

	It("refuses the last owner demoting themselves, naming the fix", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error { return setRole(as(owner), alice.DeepCopy(), orgsv1alpha1.RoleAdmin) },
			owner, "last owner", o.name, "assign the Owner role to another user first")
	})

	It("lets an owner leave after promoting another", func() {
		Expect(setRole(as(owner), o.member("carol"), orgsv1alpha1.RoleOwner)).To(Succeed())
		Expect(as(owner).Delete(ctx, o.member("alice"))).To(Succeed())
	})

	It("refuses a viewer leaving", func() {
		dave := o.member("dave")
		refusedUnchanged(dave, func() error { return as(viewer).Delete(ctx, dave.DeepCopy()) })
	})

	It("refuses a contributor inviting anyone", func() {
		inv := newInvitation(o.home, "by-contributor", "zed@example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(inv, func() error { return as(contributor).Create(ctx, inv.DeepCopy()) })
	})

	It("refuses a second Member for the same user, whatever the case", func() {
		dup := newMember(o.home, "carol-again", "CAROL@example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(dup, func() error { return env.Admin.Create(ctx, dup.DeepCopy()) }, "carol")
	})

	It("refuses a forged inviter", func() {
		inv := newInvitation(o.home, "forged", "forged@example.com", orgsv1alpha1.RoleViewer)
		inv.Annotations = map[string]string{orgsv1alpha1.InvitedByAnnotation: owner}
		refusedUnchanged(inv, func() error { return as(admin).Create(ctx, inv.DeepCopy()) }, orgsv1alpha1.InvitedByAnnotation)
	})

	It("refuses a server-side dry run of a refused change and writes nothing", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error {
			m := alice.DeepCopy()
			patch := client.MergeFrom(m.DeepCopy())
			m.Spec.Role = orgsv1alpha1.RoleViewer
			return as(admin).Patch(ctx, m, patch, client.DryRunAll)
		}, "manage-owners")
	})
})
