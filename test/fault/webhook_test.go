package fault_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// Roster's webhooks have failurePolicy Fail: while they cannot be reached,
// every write they guard is refused with a message naming the webhook, and
// nothing is half-written; writes they do not guard go on. When they are
// back, the same writes go through and Roster converges.
var _ = Describe("The admission webhook unreachable", func() {
	It("refuses guarded writes clearly, writes nothing, and lets everything through once it is back", func() {
		w := newWorld("hook", 1, 2)
		org := w.orgs["hook-0"]
		startManager("hook", managerKubeconfig)
		w.waitForHomes()
		for range 30 {
			w.step()
		}
		// A contributor whose role the outage will try to change.
		const victim = "target"
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: org.home, Name: victim},
			Spec:       orgsv1alpha1.MemberSpec{User: "target@hook-0.example.com", Role: orgsv1alpha1.RoleContributor},
		})).To(Succeed())
		org.members[victim] = orgsv1alpha1.MemberSpec{User: "target@hook-0.example.com", Role: orgsv1alpha1.RoleContributor}
		w.expectConverged()
		project := sortedKeys(org.projects)[0]
		before := snapshot(org)

		// The writes a person or a GitOps tool would make, each guarded by
		// one of Roster's webhooks.
		newMember := func() error {
			return env.Admin.Create(ctx, &orgsv1alpha1.Member{
				ObjectMeta: metav1.ObjectMeta{Namespace: org.home, Name: "late"},
				Spec:       orgsv1alpha1.MemberSpec{User: "late@hook-0.example.com", Role: orgsv1alpha1.RoleAdmin},
			})
		}
		changeRole := func() error {
			m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: org.home, Name: victim}}
			return env.Admin.Patch(ctx, m, client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"role":"Viewer"}}`)))
		}
		invite := func() error {
			return env.Admin.Create(ctx, &orgsv1alpha1.Invitation{
				ObjectMeta: metav1.ObjectMeta{Namespace: org.home, Name: "late"},
				Spec:       orgsv1alpha1.InvitationSpec{Email: "late-invite@hook-0.example.com", Role: orgsv1alpha1.RoleViewer},
			})
		}
		attach := func() error {
			value := `"hook-0"`
			if org.projects[project] {
				value = "null"
			}
			n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: project}}
			return env.Admin.Patch(ctx, n, client.RawPatch("application/merge-patch+json",
				fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, orgsv1alpha1.OrganizationLabel, value)))
		}
		// Attaching meets the mutating webhook that records the
		// Organization's UID first; detaching only the guard.
		attachHook := "mnamespace.roster.dev"
		if org.projects[project] {
			attachHook = "vnamespace.roster.dev"
		}
		deleteOrganization := func() error {
			return env.Admin.Delete(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: org.name}})
		}
		guarded := []struct {
			name, webhook string
			write         func() error
		}{
			{"create a Member", "vmember.roster.dev", newMember},
			{"change a role", "vmember.roster.dev", changeRole},
			{"create an Invitation", "minvitation.roster.dev", invite},
			{"attach or detach a project", attachHook, attach},
			{"delete the Organization", "vorganization.roster.dev", deleteOrganization},
		}

		hooks.cut()
		DeferCleanup(hooks.resume)
		messages := map[string]string{}
		for _, g := range guarded {
			err := g.write()
			Expect(err).To(HaveOccurred(), "%s went through without its webhook", g.name)
			Expect(apierrors.IsInternalError(err)).To(BeTrue(), "%s: %v", g.name, err)
			// The transport error is "connection refused", or "broken
			// pipe" on a kept-alive connection the cut closed.
			Expect(err.Error()).To(ContainSubstring(fmt.Sprintf("failed calling webhook %q: failed to call webhook", g.webhook)), g.name)
			messages[g.name] = err.Error()
		}
		AddReportEntry("refusals while the webhook was unreachable", messages)
		// matchConditions keep the namespace guard out of other namespace
		// writes: they do not wait for Roster.
		other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: project}}
		Expect(env.Admin.Patch(ctx, other, client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"labels":{"team":"web"}}}`)))).To(Succeed())
		before["Namespace "+project] = stateOf(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: project}})

		// A webhook that hangs fails after its timeoutSeconds (10s).
		hooks.hang()
		began := time.Now()
		err := newMember()
		hung := time.Since(began)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`failed calling webhook "vmember.roster.dev"`))
		Expect(hung).To(BeNumerically(">=", 9*time.Second))
		AddReportEntry("refusal while the webhook hung", err.Error())

		// Nothing was half-written, and Roster changed nothing meanwhile.
		Consistently(func() map[string]string { return snapshot(org) }).WithTimeout(2 * time.Second).Should(Equal(before))

		hooks.resume()
		for _, g := range guarded[:4] {
			Eventually(g.write).Should(Succeed(), g.name)
		}
		org.members["late"] = orgsv1alpha1.MemberSpec{User: "late@hook-0.example.com", Role: orgsv1alpha1.RoleAdmin}
		org.members[victim] = orgsv1alpha1.MemberSpec{User: "target@hook-0.example.com", Role: orgsv1alpha1.RoleViewer}
		org.invitations["late"] = orgsv1alpha1.InvitationSpec{Email: "late-invite@hook-0.example.com", Role: orgsv1alpha1.RoleViewer}
		org.projects[project] = !org.projects[project]
		took := w.expectConverged()
		AddReportEntry("a hanging webhook failed the request after", hung.Round(time.Millisecond).String())
		AddReportEntry("converged after the webhook came back in", took.Round(time.Millisecond).String())
	})
})

// snapshot is the resourceVersion of everything a guarded write or Roster
// could change for org.
func snapshot(o *orgState) map[string]string {
	GinkgoHelper()
	out := testenv.Versions{}
	organization := &orgsv1alpha1.Organization{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, organization)).To(Succeed())
	out.Add("Organization", organization)
	env.AddList(ctx, out, "Member", &orgsv1alpha1.MemberList{}, client.InNamespace(o.home))
	env.AddList(ctx, out, "Invitation", &orgsv1alpha1.InvitationList{}, client.InNamespace(o.home))
	env.AddList(ctx, out, "RoleBinding", &rbacv1.RoleBindingList{}, client.MatchingLabels{"orgs.roster.dev/access-for": o.name})
	for ns := range o.projects {
		out["Namespace "+ns] = stateOf(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	return out
}

func stateOf(obj client.Object) string {
	GinkgoHelper()
	Expect(env.Admin.Get(ctx, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return obj.GetResourceVersion()
}
