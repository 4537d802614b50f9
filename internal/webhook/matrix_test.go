package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

var _ = Describe("The permission matrix, through the API server", func() {
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	It("refuses an admin inviting an owner, and writes nothing", func() {
		inv := testenv.NewInvitation(o.home, "new-owner", "olivia@example.com", orgsv1alpha1.RoleOwner)
		refusedUnchanged(inv, func() error { return env.As(admin).Create(ctx, inv.DeepCopy()) },
			`user "bob@example.com" may not`, `organization "`+o.name+`"`, "manage-owners")
	})

	It("lets an admin invite an admin, recording the inviter", func() {
		inv := testenv.NewInvitation(o.home, "new-admin", "adam@example.com", orgsv1alpha1.RoleAdmin)
		Expect(env.As(admin).Create(ctx, inv)).To(Succeed())
		stored := &orgsv1alpha1.Invitation{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(inv), stored)).To(Succeed())
		Expect(stored.Annotations).To(HaveKeyWithValue(orgsv1alpha1.InvitedByAnnotation, admin))
	})

	It("refuses an admin demoting an owner", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error { return setRole(env.As(admin), alice.DeepCopy(), orgsv1alpha1.RoleViewer) },
			"manage-owners")
	})

	It("refuses the last owner demoting themselves, naming the fix", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error { return setRole(env.As(owner), alice.DeepCopy(), orgsv1alpha1.RoleAdmin) },
			owner, "last owner", o.name, "assign the Owner role to another user first")
	})

	It("lets an owner leave after promoting another", func() {
		Expect(setRole(env.As(owner), o.member("carol"), orgsv1alpha1.RoleOwner)).To(Succeed())
		Expect(env.As(owner).Delete(ctx, o.member("alice"))).To(Succeed())
	})

	It("refuses a viewer leaving", func() {
		dave := o.member("dave")
		refusedUnchanged(dave, func() error { return env.As(viewer).Delete(ctx, dave.DeepCopy()) })
	})

	It("refuses a contributor inviting anyone", func() {
		inv := testenv.NewInvitation(o.home, "by-contributor", "zed@example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(inv, func() error { return env.As(contributor).Create(ctx, inv.DeepCopy()) })
	})

	It("refuses a second Member for the same user, whatever the case", func() {
		dup := testenv.NewMember(o.home, "carol-again", "CAROL@example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(dup, func() error { return env.Admin.Create(ctx, dup.DeepCopy()) }, "carol")
	})

	It("refuses a forged inviter", func() {
		inv := testenv.NewInvitation(o.home, "forged", "forged@example.com", orgsv1alpha1.RoleViewer)
		inv.Annotations = map[string]string{orgsv1alpha1.InvitedByAnnotation: owner}
		refusedUnchanged(inv, func() error { return env.As(admin).Create(ctx, inv.DeepCopy()) }, orgsv1alpha1.InvitedByAnnotation)
	})

	It("refuses a server-side dry run of a refused change and writes nothing", func() {
		alice := o.member("alice")
		refusedUnchanged(alice, func() error {
			m := alice.DeepCopy()
			patch := client.MergeFrom(m.DeepCopy())
			m.Spec.Role = orgsv1alpha1.RoleViewer
			return env.As(admin).Patch(ctx, m, patch, client.DryRunAll)
		}, "manage-owners")
	})
})

var _ = Describe("Every row of the matrix, by role", func() {
	var o testOrg
	BeforeEach(func() {
		o = newOrg()
		bindGitOps()
	})

	It("lets owners and admins invite non-owners, and nobody else", func() {
		for i, who := range []string{owner, admin, gitops} {
			inv := testenv.NewInvitation(o.home, fmt.Sprintf("ok-%d", i), fmt.Sprintf("new%d@example.com", i), orgsv1alpha1.RoleContributor)
			Expect(env.As(who).Create(ctx, inv)).To(Succeed(), who)
		}
		for i, who := range []string{contributor, viewer, viewerNoSecrets, outsider} {
			inv := testenv.NewInvitation(o.home, fmt.Sprintf("no-%d", i), fmt.Sprintf("no%d@example.com", i), orgsv1alpha1.RoleViewer)
			refusedUnchanged(inv, func() error { return env.As(who).Create(ctx, inv.DeepCopy()) })
		}
	})

	It("lets only owners invite owners, and resend or revoke an owner invitation", func() {
		inv := testenv.NewInvitation(o.home, "owner-inv", "otto@example.com", orgsv1alpha1.RoleOwner)
		Expect(env.As(owner).Create(ctx, inv)).To(Succeed())
		stored := &orgsv1alpha1.Invitation{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(inv), stored)).To(Succeed())

		refusedUnchanged(stored, func() error {
			resend := stored.DeepCopy()
			patch := client.MergeFrom(resend.DeepCopy())
			resend.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "2026-01-01T00:00:00Z"
			return env.As(admin).Patch(ctx, resend, patch)
		}, "manage-owners")
		refusedUnchanged(stored, func() error { return env.As(admin).Delete(ctx, stored.DeepCopy()) }, "manage-owners")

		resend := stored.DeepCopy()
		patch := client.MergeFrom(resend.DeepCopy())
		resend.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "2026-01-01T00:00:00Z"
		Expect(env.As(owner).Patch(ctx, resend, patch)).To(Succeed())
		Expect(env.As(owner).Delete(ctx, resend)).To(Succeed())
	})

	It("lets admins change and remove non-owners, but not owners", func() {
		Expect(setRole(env.As(admin), o.member("carol"), orgsv1alpha1.RoleViewer)).To(Succeed())
		Expect(env.As(admin).Delete(ctx, o.member("dave"))).To(Succeed())

		refusedUnchanged(o.member("erin"), func() error { return setRole(env.As(admin), o.member("erin"), orgsv1alpha1.RoleOwner) }, "manage-owners")
		alice := o.member("alice")
		refusedUnchanged(alice, func() error { return env.As(admin).Delete(ctx, alice.DeepCopy()) }, "manage-owners")
	})

	It("lets owners promote, demote and remove owners while another owner remains", func() {
		Expect(setRole(env.As(owner), o.member("bob"), orgsv1alpha1.RoleOwner)).To(Succeed())
		Expect(setRole(env.As(owner), o.member("bob"), orgsv1alpha1.RoleAdmin)).To(Succeed())
		Expect(setRole(env.As(owner), o.member("carol"), orgsv1alpha1.RoleOwner)).To(Succeed())
		Expect(env.As(owner).Delete(ctx, o.member("carol"))).To(Succeed())
	})

	It("refuses contributors and viewers changing roles, removing people or promoting themselves", func() {
		for _, who := range []string{contributor, viewer, viewerNoSecrets, outsider} {
			bob := o.member("bob")
			refusedUnchanged(bob, func() error { return setRole(env.As(who), bob.DeepCopy(), orgsv1alpha1.RoleViewer) })
			refusedUnchanged(bob, func() error { return env.As(who).Delete(ctx, bob.DeepCopy()) })
		}
		carol := o.member("carol")
		refusedUnchanged(carol, func() error { return setRole(env.As(contributor), carol.DeepCopy(), orgsv1alpha1.RoleOwner) })
	})

	It("lets only admins and owners leave", func() {
		for name, who := range map[string]string{"carol": contributor, "dave": viewer, "erin": viewerNoSecrets} {
			m := o.member(name)
			refusedUnchanged(m, func() error { return env.As(who).Delete(ctx, m.DeepCopy()) })
		}
		Expect(env.As(admin).Delete(ctx, o.member("bob"))).To(Succeed())
	})

	It("keeps the last owner, whoever asks, with a message naming the fix", func() {
		alice := o.member("alice")
		for _, who := range []string{owner, gitops} {
			refusedUnchanged(alice, func() error { return env.As(who).Delete(ctx, alice.DeepCopy()) },
				owner, "last owner", o.name, "assign the Owner role to another user first")
		}
		// Cluster admins hold every verb and still cannot.
		refusedUnchanged(alice, func() error { return setRole(env.Admin, alice.DeepCopy(), orgsv1alpha1.RoleViewer) }, "last owner")
	})

	It("lets a GitOps service account bound to roster-gitops manage owners", func() {
		m := testenv.NewMember(o.home, "gitops-owner", "grace@example.com", orgsv1alpha1.RoleOwner)
		Expect(env.As(gitops).Create(ctx, m)).To(Succeed())
		Expect(setRole(env.As(gitops), o.member("alice"), orgsv1alpha1.RoleAdmin)).To(Succeed())
	})

	It("warns when a change leaves a single owner", func() {
		warnings := &warningRecorder{}
		cfg := env.Cluster.Config()
		cfg.WarningHandlerWithContext = warnings
		c, err := client.New(cfg, client.Options{Scheme: env.Admin.Scheme()})
		Expect(err).NotTo(HaveOccurred())
		Expect(setRole(c, o.member("carol"), orgsv1alpha1.RoleViewer)).To(Succeed())
		Expect(warnings.all()).To(ContainElement(ContainSubstring("at least two owners are recommended")))
	})
})

var _ = Describe("Uniqueness, namespaces and organizations", func() {
	var o testOrg
	BeforeEach(func() { o = newOrg() })

	It("refuses an invitation for someone who is already a member, naming their role", func() {
		inv := testenv.NewInvitation(o.home, "again", "carol@example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(inv, func() error { return env.As(owner).Create(ctx, inv.DeepCopy()) }, "already a member", "Contributor")
	})

	It("refuses an invitation for a case variant of a member, naming the member it resembles", func() {
		inv := testenv.NewInvitation(o.home, "again", "Carol@Example.com", orgsv1alpha1.RoleViewer)
		refusedUnchanged(inv, func() error { return env.As(owner).Create(ctx, inv.DeepCopy()) }, "looks the same as carol@example.com", "different identity")
	})

	It("refuses a second pending invitation for the same e-mail", func() {
		Expect(env.As(owner).Create(ctx, testenv.NewInvitation(o.home, "first", "pat@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		inv := testenv.NewInvitation(o.home, "second", "PAT@example.com", orgsv1alpha1.RoleAdmin)
		refusedUnchanged(inv, func() error { return env.As(owner).Create(ctx, inv.DeepCopy()) }, "first")
	})

	It("refuses Members and Invitations outside an organization's home namespace", func() {
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.name + "-stray"}})).To(Succeed())
		m := testenv.NewMember(o.name+"-stray", "stray", "sam@example.com", orgsv1alpha1.RoleOwner)
		refusedUnchanged(m, func() error { return env.Admin.Create(ctx, m.DeepCopy()) }, "not the home namespace of any Organization")
	})

	It("refuses a second organization claiming the same home namespace", func() {
		other := &orgsv1alpha1.Organization{
			ObjectMeta: metav1.ObjectMeta{Name: o.name + "-copy"},
			Spec:       orgsv1alpha1.OrganizationSpec{HomeNamespace: o.home},
		}
		refusedUnchanged(other, func() error { return env.Admin.Create(ctx, other.DeepCopy()) }, o.name)
	})

	It("refuses deleting an organization with members unless confirmed", func() {
		org := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, org)).To(Succeed())
		refusedUnchanged(org, func() error { return env.Admin.Delete(ctx, org.DeepCopy()) }, orgsv1alpha1.ConfirmDeleteAnnotation)

		patch := client.MergeFrom(org.DeepCopy())
		org.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: o.name}
		Expect(env.Admin.Patch(ctx, org, patch)).To(Succeed())
		Expect(env.Admin.Delete(ctx, org)).To(Succeed())
	})

	It("lets only owners update an organization", func() {
		org := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, org)).To(Succeed())
		refusedUnchanged(org, func() error {
			changed := org.DeepCopy()
			patch := client.MergeFrom(org.DeepCopy())
			changed.Spec.DisplayName = "Renamed by an admin"
			return env.As(admin).Patch(ctx, changed, patch)
		})
		changed := org.DeepCopy()
		patch := client.MergeFrom(org.DeepCopy())
		changed.Spec.DisplayName = "Renamed by the owner"
		Expect(env.As(owner).Patch(ctx, changed, patch)).To(Succeed())
	})

	It("restores the inviter when an update drops it, and refuses changing it", func() {
		inv := testenv.NewInvitation(o.home, "keep-inviter", "kim@example.com", orgsv1alpha1.RoleViewer)
		Expect(env.As(admin).Create(ctx, inv)).To(Succeed())
		stored := &orgsv1alpha1.Invitation{}
		Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(inv), stored)).To(Succeed())

		replaced := stored.DeepCopy()
		delete(replaced.Annotations, orgsv1alpha1.InvitedByAnnotation)
		delete(replaced.Annotations, orgsv1alpha1.InvitedByGroupsAnnotation)
		Expect(env.As(admin).Update(ctx, replaced)).To(Succeed())
		Expect(replaced.Annotations).To(HaveKeyWithValue(orgsv1alpha1.InvitedByAnnotation, admin))

		refusedUnchanged(replaced, func() error {
			forged := replaced.DeepCopy()
			forged.Annotations[orgsv1alpha1.InvitedByAnnotation] = owner
			return env.As(admin).Update(ctx, forged)
		}, orgsv1alpha1.InvitedByAnnotation)
	})

	It("lets a dry run of an allowed change through without writing it", func() {
		carol := o.member("carol")
		changed := carol.DeepCopy()
		patch := client.MergeFrom(carol.DeepCopy())
		changed.Spec.Role = orgsv1alpha1.RoleViewer
		Expect(env.As(admin).Patch(ctx, changed, patch, client.DryRunAll)).To(Succeed())
		Expect(o.member("carol").Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
		Expect(o.member("carol").ResourceVersion).To(Equal(carol.ResourceVersion))
	})
})

// warningRecorder collects the API server's warnings.
type warningRecorder struct {
	mu       sync.Mutex
	messages []string
}

func (w *warningRecorder) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, message string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.messages = append(w.messages, message)
}

func (w *warningRecorder) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.messages...)
}

var _ = Describe("Deleting a home namespace", func() {
	It("empties it, owners included, and Roster makes a fresh one", func() {
		o := newOrg()
		ns := &corev1.Namespace{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.home}, ns)).To(Succeed())
		oldUID := ns.UID
		Expect(env.Admin.Delete(ctx, ns)).To(Succeed())
		// kube-controller-manager's namespace controller deletes the Members
		// (holding no custom verb) and the namespace finishes deleting.
		Eventually(func(g Gomega) {
			fresh := &corev1.Namespace{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.home}, fresh)).To(Succeed())
			g.Expect(fresh.UID).NotTo(Equal(oldUID))
			var list orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &list, client.InNamespace(o.home))).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}).WithTimeout(60 * time.Second).Should(Succeed())
	})
})
