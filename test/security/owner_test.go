package security_test

import (
	. "github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// Only an Owner may make, invite, demote or remove an Owner. bob is acme's
// Admin: he holds manage-members and full RBAC on Members and Invitations
// in acme's home namespace, and tries every path the API offers.
var _ = Describe("An admin making, inviting or demoting an Owner", func() {
	const ownersOnly = "only owners (holders of manage-owners on organizations/acme)"

	It("creates an Owner Member", func() {
		m := testenv.NewMember(acme.home, "otto", "otto@example.com", orgsv1alpha1.RoleOwner)
		refusedKeeping([]client.Object{m}, byMemberWebhook, func() error { return env.As(bob).Create(ctx, m.DeepCopy()) },
			`user "bob@example.com" may not grant the Owner role to user otto@example.com in organization "acme"`, ownersOnly)
	})

	It("creates an Owner Member for a group", func() {
		m := &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.home, Name: "admins-group"},
			Spec:       orgsv1alpha1.MemberSpec{Group: "acme-admins", Role: orgsv1alpha1.RoleOwner},
		}
		refusedKeeping([]client.Object{m}, byMemberWebhook, func() error { return env.As(bob).Create(ctx, m.DeepCopy()) },
			"may not grant the Owner role to group acme-admins", ownersOnly)
	})

	It("creates an Owner Member by server-side apply", func() {
		m := testenv.NewMember(acme.home, "otto", "otto@example.com", orgsv1alpha1.RoleOwner)
		refusedKeeping([]client.Object{m}, byMemberWebhook, func() error {
			return applyAs(env.As(bob), orgsAPIVersion, "Member", acme.home, "otto", map[string]any{
				"spec": map[string]any{"user": "otto@example.com", "role": "Owner"},
			})
		}, "may not grant the Owner role to user otto@example.com", ownersOnly)
	})

	It("invites an Owner", func() {
		inv := testenv.NewInvitation(acme.home, "otto", "otto2@example.com", orgsv1alpha1.RoleOwner)
		refusedKeeping([]client.Object{inv}, byInvitationWebhook, func() error { return env.As(bob).Create(ctx, inv.DeepCopy()) },
			`user "bob@example.com" may not invite otto2@example.com with role Owner in organization "acme"`, ownersOnly)
	})

	It("promotes himself with an update (PUT)", func() {
		refused(byMemberWebhook, func() error {
			return update(env.As(bob), member(acme, "bob"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleOwner })
		}, "may not grant the Owner role to user bob@example.com", ownersOnly)
	})

	It("promotes a contributor with a JSON merge patch", func() {
		refused(byMemberWebhook, func() error {
			return mergePatch(env.As(bob), member(acme, "carol"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleOwner })
		}, "may not grant the Owner role to user carol@example.com", ownersOnly)
	})

	It("promotes a contributor with a JSON patch", func() {
		refused(byMemberWebhook, func() error {
			return jsonPatch(env.As(bob), member(acme, "carol"), `[{"op":"replace","path":"/spec/role","value":"Owner"}]`)
		}, "may not grant the Owner role to user carol@example.com", ownersOnly)
	})

	It("promotes himself with a server-side apply that forces ownership of spec.role", func() {
		refused(byMemberWebhook, func() error {
			return applyAs(env.As(bob), orgsAPIVersion, "Member", acme.home, "bob", map[string]any{"spec": map[string]any{"role": "Owner"}})
		}, "may not grant the Owner role to user bob@example.com", ownersOnly)
	})

	It("demotes the owner with a JSON merge patch", func() {
		refused(byMemberWebhook, func() error {
			return mergePatch(env.As(bob), member(acme, "alice"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleViewer })
		}, "may not change the role of user alice@example.com from Owner to Viewer", ownersOnly)
	})

	It("demotes the owner with a JSON patch", func() {
		refused(byMemberWebhook, func() error {
			return jsonPatch(env.As(bob), member(acme, "alice"), `[{"op":"test","path":"/spec/role","value":"Owner"},{"op":"replace","path":"/spec/role","value":"Admin"}]`)
		}, "may not change the role of user alice@example.com from Owner to Admin", ownersOnly)
	})

	It("demotes the owner with a server-side apply", func() {
		refused(byMemberWebhook, func() error {
			return applyAs(env.As(bob), orgsAPIVersion, "Member", acme.home, "alice", map[string]any{"spec": map[string]any{"role": "Contributor"}})
		}, "may not change the role of user alice@example.com from Owner to Contributor", ownersOnly)
	})

	It("removes the owner", func() {
		refused(byMemberWebhook, func() error { return env.As(bob).Delete(ctx, member(acme, "alice")) },
			"may not remove user alice@example.com (role Owner)", ownersOnly)
	})

	It("removes everyone at once with a delete-collection", func() {
		refused(byRBAC, func() error {
			return env.As(bob).DeleteAllOf(ctx, &orgsv1alpha1.Member{}, client.InNamespace(acme.home))
		}, rbacMessage(bob, "deletecollection", "members"))
	})

	It("raises a pending Admin invitation to Owner", func() {
		refused(byInvitationWebhook, func() error {
			return mergePatch(env.As(bob), invitation(acme, adminInvite), func(inv *orgsv1alpha1.Invitation) { inv.Spec.Role = orgsv1alpha1.RoleOwner })
		}, "may not change the invitation for adam@example.com from Admin to Owner", ownersOnly)
	})

	It("redirects the pending Owner invitation to his own address", func() {
		refused(byInvitationWebhook, func() error {
			return mergePatch(env.As(bob), invitation(acme, ownerInvite), func(inv *orgsv1alpha1.Invitation) { inv.Spec.Email = "bob+owner@example.com" })
		}, `user "bob@example.com" may not change the Owner invitation for bob+owner@example.com`, ownersOnly)
	})

	It("resends the pending Owner invitation", func() {
		refused(byInvitationWebhook, func() error {
			return mergePatch(env.As(bob), invitation(acme, ownerInvite), func(inv *orgsv1alpha1.Invitation) {
				inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "2026-01-01T00:00:00Z"
			})
		}, "may not resend the Owner invitation for otto@example.com", ownersOnly)
	})

	It("revokes the pending Owner invitation", func() {
		refused(byInvitationWebhook, func() error { return env.As(bob).Delete(ctx, invitation(acme, ownerInvite)) },
			"may not revoke the Owner invitation for otto@example.com", ownersOnly)
	})

	It("creates an Owner Member in another organization's home namespace", func() {
		m := testenv.NewMember(globex.home, "bob", bob, orgsv1alpha1.RoleOwner)
		refusedKeeping([]client.Object{m}, byRBAC, func() error { return env.As(bob).Create(ctx, m.DeepCopy()) },
			rbacMessage(bob, "create", "members"), `in the namespace "org-globex"`)
	})

	It("creates an Owner Member in a namespace of his own that is no organization's home", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bob-sandbox"}}
		createIgnoringExisting(ns)
		grantInNamespace(bob, ns.Name, "bob-members", rbacRule(orgsv1alpha1.GroupVersion.Group, "members", "create", "get"))
		m := testenv.NewMember(ns.Name, "bob", bob, orgsv1alpha1.RoleOwner)
		refusedKeeping([]client.Object{m}, byMemberWebhook, func() error { return env.As(bob).Create(ctx, m.DeepCopy()) },
			`namespace "bob-sandbox" is not the home namespace of any Organization`)
	})

	It("deletes acme's home namespace to wipe the membership", func() {
		refused(byRBAC, func() error {
			return env.As(bob).Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: acme.home}})
		}, rbacMessage(bob, "delete", "namespaces"))
	})

	It("impersonates the owner", func() {
		refused(byRBAC, func() error {
			return mergePatch(impersonating(bob, alice), member(acme, "bob"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleOwner })
		}, `User "bob@example.com" cannot impersonate`)
	})
})
