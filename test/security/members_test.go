package security_test

import (
	. "github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// Contributors and viewers may read the membership and nothing more: plain
// RBAC stops them before any webhook is asked.
var _ = Describe("A contributor or viewer", func() {
	It("invites someone (contributor)", func() {
		inv := testenv.NewInvitation(acme.home, "friend", "friend@example.com", orgsv1alpha1.RoleViewer)
		refusedKeeping([]client.Object{inv}, byRBAC, func() error { return env.As(carol).Create(ctx, inv.DeepCopy()) },
			rbacMessage(carol, "create", "invitations"))
	})

	It("invites someone by server-side apply (viewer)", func() {
		inv := testenv.NewInvitation(acme.home, "friend", "friend@example.com", orgsv1alpha1.RoleViewer)
		refusedKeeping([]client.Object{inv}, byRBAC, func() error {
			return applyAs(env.As(dave), orgsAPIVersion, "Invitation", acme.home, "friend", map[string]any{
				"spec": map[string]any{"email": "friend@example.com", "role": "Viewer"},
			})
		}, rbacMessage(dave, "patch", "invitations"))
	})

	It("adds a Member for a friend (contributor)", func() {
		m := testenv.NewMember(acme.home, "friend", "friend@example.com", orgsv1alpha1.RoleContributor)
		refusedKeeping([]client.Object{m}, byRBAC, func() error { return env.As(carol).Create(ctx, m.DeepCopy()) },
			rbacMessage(carol, "create", "members"))
	})

	It("promotes themselves with a merge patch (viewer)", func() {
		refused(byRBAC, func() error {
			return mergePatch(env.As(dave), member(acme, "dave"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleAdmin })
		}, rbacMessage(dave, "patch", "members"))
	})

	It("promotes themselves with an update (contributor)", func() {
		refused(byRBAC, func() error {
			return update(env.As(carol), member(acme, "carol"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleOwner })
		}, rbacMessage(carol, "update", "members"))
	})

	It("promotes themselves with a server-side apply (viewer without secrets)", func() {
		refused(byRBAC, func() error {
			return applyAs(env.As(erin), orgsAPIVersion, "Member", acme.home, "erin", map[string]any{"spec": map[string]any{"role": "Owner"}})
		}, rbacMessage(erin, "patch", "members"))
	})

	It("removes the admin (contributor)", func() {
		refused(byRBAC, func() error { return env.As(carol).Delete(ctx, member(acme, "bob")) }, rbacMessage(carol, "delete", "members"))
	})

	It("writes their own Member status to show Owner (contributor)", func() {
		refused(byRBAC, func() error {
			m := member(acme, "carol")
			base := m.DeepCopy()
			m.Status.EffectiveRole = orgsv1alpha1.RoleOwner
			return env.As(carol).Status().Patch(ctx, m, client.MergeFrom(base))
		}, rbacMessage(carol, "patch", "members/status"))
	})

	It("adds themselves to the organization's effective owners (viewer)", func() {
		refused(byRBAC, func() error {
			o := organization(acme)
			base := o.DeepCopy()
			o.Status.EffectiveOwners = append(o.Status.EffectiveOwners, dave)
			return env.As(dave).Status().Patch(ctx, o, client.MergeFrom(base))
		}, rbacMessage(dave, "patch", "organizations/status"))
	})

	It("reads the project's Secrets (viewer without secrets)", func() {
		refused(byRBAC, func() error {
			return env.As(erin).List(ctx, &corev1.SecretList{}, client.InNamespace(acme.project))
		}, rbacMessage(erin, "list", "secrets"))
	})
})

// status is written by Roster alone: nobody's RBAC, an Owner's included,
// reaches the status subresources, so nobody can fake an effective role.
var _ = Describe("Writing status to fake an effective role", func() {
	It("the owner adds an outsider to the organization's effective owners", func() {
		refused(byRBAC, func() error {
			o := organization(acme)
			base := o.DeepCopy()
			o.Status.EffectiveOwners = append(o.Status.EffectiveOwners, mallory)
			return env.As(alice).Status().Patch(ctx, o, client.MergeFrom(base))
		}, rbacMessage(alice, "patch", "organizations/status"))
	})

	It("the owner replaces the organization's status (PUT)", func() {
		refused(byRBAC, func() error {
			o := organization(acme)
			o.Status.EffectiveOwners = []string{bob}
			return env.As(alice).Status().Update(ctx, o)
		}, rbacMessage(alice, "update", "organizations/status"))
	})

	It("the admin writes Owner as his own effective role", func() {
		refused(byRBAC, func() error {
			m := member(acme, "bob")
			base := m.DeepCopy()
			m.Status.EffectiveRole = orgsv1alpha1.RoleOwner
			return env.As(bob).Status().Patch(ctx, m, client.MergeFrom(base))
		}, rbacMessage(bob, "patch", "members/status"))
	})

	It("the admin marks a pending invitation accepted", func() {
		refused(byRBAC, func() error {
			inv := invitation(acme, adminInvite)
			base := inv.DeepCopy()
			inv.Status.Phase = orgsv1alpha1.InvitationAccepted
			return env.As(bob).Status().Patch(ctx, inv, client.MergeFrom(base))
		}, rbacMessage(bob, "patch", "invitations/status"))
	})
})

// The invited-by annotations are taken from the request's identity by
// Roster's mutating webhook; any other value is refused.
var _ = Describe("Forging invited-by", func() {
	forged := func(name string, annotations map[string]string) *orgsv1alpha1.Invitation {
		inv := testenv.NewInvitation(acme.home, name, name+"@example.com", orgsv1alpha1.RoleViewer)
		inv.Annotations = annotations
		return inv
	}

	It("creates an invitation that says the owner made it", func() {
		inv := forged("forged-user", map[string]string{orgsv1alpha1.InvitedByAnnotation: alice})
		refusedKeeping([]client.Object{inv}, byInvitationWebhook, func() error { return env.As(bob).Create(ctx, inv.DeepCopy()) },
			`user "bob@example.com" may not set annotation orgs.roster.dev/invited-by`, `it must be "bob@example.com"`)
	})

	It("creates an invitation whose inviter groups claim system:masters", func() {
		inv := forged("forged-groups", map[string]string{orgsv1alpha1.InvitedByGroupsAnnotation: `["system:masters"]`})
		refusedKeeping([]client.Object{inv}, byInvitationWebhook, func() error { return env.As(bob).Create(ctx, inv.DeepCopy()) },
			"may not set annotation orgs.roster.dev/invited-by-groups")
	})

	It("creates one by server-side apply with a forged inviter", func() {
		inv := forged("forged-apply", nil)
		refusedKeeping([]client.Object{inv}, byInvitationWebhook, func() error {
			return applyAs(env.As(bob), orgsAPIVersion, "Invitation", acme.home, "forged-apply", map[string]any{
				"metadata": map[string]any{"annotations": map[string]any{orgsv1alpha1.InvitedByAnnotation: olga}},
				"spec":     map[string]any{"email": "forged-apply@example.com", "role": "Viewer"},
			})
		}, "may not set annotation orgs.roster.dev/invited-by")
	})

	It("rewrites the inviter of an existing invitation with an update", func() {
		refused(byInvitationWebhook, func() error {
			return update(env.As(bob), invitation(acme, adminInvite), func(inv *orgsv1alpha1.Invitation) {
				inv.Annotations[orgsv1alpha1.InvitedByAnnotation] = alice
			})
		}, "may not set annotation orgs.roster.dev/invited-by", `it must be "bob@example.com"`)
	})

	It("rewrites the inviter of an existing invitation with a server-side apply", func() {
		refused(byInvitationWebhook, func() error {
			return applyAs(env.As(bob), orgsAPIVersion, "Invitation", acme.home, adminInvite, map[string]any{
				"metadata": map[string]any{"annotations": map[string]any{orgsv1alpha1.InvitedByAnnotation: alice}},
			})
		}, "may not set annotation orgs.roster.dev/invited-by")
	})

	It("rewrites the inviter groups of an existing invitation with a JSON patch", func() {
		refused(byInvitationWebhook, func() error {
			return jsonPatch(env.As(bob), invitation(acme, adminInvite),
				`[{"op":"replace","path":"/metadata/annotations/orgs.roster.dev~1invited-by-groups","value":"[\"system:masters\"]"}]`)
		}, "may not set annotation orgs.roster.dev/invited-by-groups")
	})
})

// spec.user is the RBAC subject; changing it would hand one person's role
// to another. The CRD schema refuses it, whoever asks.
var _ = Describe("Renaming a Member's user", func() {
	const immutable = "spec.user cannot be changed; delete this Member and create one for the other user"

	It("the admin renames the contributor's Member to himself", func() {
		refused(bySchema, func() error {
			return mergePatch(env.As(bob), member(acme, "carol"), func(m *orgsv1alpha1.Member) { m.Spec.User = mallory })
		}, immutable)
	})

	It("the owner renames a Member by server-side apply", func() {
		refused(bySchema, func() error {
			return applyAs(env.As(alice), orgsAPIVersion, "Member", acme.home, "dave", map[string]any{"spec": map[string]any{"user": mallory}})
		}, immutable)
	})

	It("a cluster admin renames the owner's Member with a JSON patch", func() {
		refused(bySchema, func() error {
			return jsonPatch(env.Admin, member(acme, "alice"), `[{"op":"replace","path":"/spec/user","value":"ALICE@example.com"}]`)
		}, immutable)
	})

	It("the admin turns a user Member into a group Member", func() {
		refused(bySchema, func() error {
			return jsonPatch(env.As(bob), member(acme, "erin"), `[{"op":"remove","path":"/spec/user"},{"op":"add","path":"/spec/group","value":"system:authenticated"}]`)
		}, "spec.user cannot be changed")
	})
})
