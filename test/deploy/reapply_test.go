package deploy_test

import (
	"context"
	"time"

	fluxpolling "github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
	"github.com/roster-dev/roster/pkg/rostertest"
	"github.com/roster-dev/roster/test/argocd"
)

// A repository that keeps an Invitation after it was accepted: the
// acceptance deletes the Invitation, the next sync creates it again. It
// must be admitted (the sync does not fail), answered at once
// (Accepted, AlreadyMember) without a second link, and stay in sync.
const reapplyManifests = `
apiVersion: v1
kind: Namespace
metadata:
  name: org-reapply
---
apiVersion: orgs.roster.dev/v1alpha1
kind: Organization
metadata:
  name: reapply
spec:
  displayName: Re-apply
---
apiVersion: orgs.roster.dev/v1alpha1
kind: Member
metadata:
  name: alice
  namespace: org-reapply
spec:
  user: alice@example.com
  role: Owner
---
apiVersion: orgs.roster.dev/v1alpha1
kind: Member
metadata:
  name: bob
  namespace: org-reapply
spec:
  user: bob@example.com
  role: Owner
---
apiVersion: orgs.roster.dev/v1alpha1
kind: Invitation
metadata:
  name: frank
  namespace: org-reapply
spec:
  email: frank@example.com
  role: Contributor
`

var _ = Describe("GitOps: an accepted Invitation still in Git, re-applied as Flux applies it", Ordered, func() {
	var (
		roster        *rostertest.Roster
		rm            *ssa.ResourceManager
		organizations []*unstructured.Unstructured
		directory     []*unstructured.Unstructured
		invitation    *unstructured.Unstructured
		ctx           = context.Background()
	)
	const frank = "frank@example.com"

	BeforeAll(func() {
		testEnv := &envtest.Environment{BinaryAssetsDirectory: testenv.RequireAssets()}
		cfg, err := testEnv.Start()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(testEnv.Stop)
		roster, err = rostertest.Start(ctx, cfg, rostertest.Options{Invitations: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(roster.Stop)
		bindGitOps(ctx, roster.Client())

		gitops, err := roster.As(gitopsUser, "system:serviceaccounts", "system:serviceaccounts:flux-system")
		Expect(err).NotTo(HaveOccurred())
		rm = ssa.NewResourceManager(gitops, fluxpolling.NewStatusPoller(gitops, gitops.RESTMapper(), fluxpolling.Options{}),
			ssa.Owner{Field: gitopsManager, Group: "kustomize.toolkit.fluxcd.io"})

		objs, err := decode([]byte(reapplyManifests))
		Expect(err).NotTo(HaveOccurred())
		for _, o := range objs {
			switch o.GetKind() {
			case "Organization", "Namespace":
				organizations = append(organizations, o)
			case "Invitation":
				invitation = o
				directory = append(directory, o)
			default:
				directory = append(directory, o)
			}
		}
	})

	// apply applies the Organization and its namespace, then the
	// directory, as the two Flux Kustomizations of docs/gitops.md would,
	// and returns each object's action.
	apply := func() map[string]ssa.Action {
		GinkgoHelper()
		actions := map[string]ssa.Action{}
		for _, stage := range [][]*unstructured.Unstructured{organizations, directory} {
			objs := make([]*unstructured.Unstructured, len(stage))
			for i, o := range stage {
				objs[i] = o.DeepCopy()
			}
			cs, err := rm.ApplyAllStaged(ctx, objs, ssa.DefaultApplyOptions())
			Expect(err).NotTo(HaveOccurred(), "the sync failed")
			for _, e := range cs.Entries {
				actions[e.Subject] = e.Action
			}
		}
		return actions
	}
	sentToFrank := func() int {
		n := 0
		for _, inv := range roster.Invitations() {
			if inv.Email == frank {
				n++
			}
		}
		return n
	}
	liveInvitation := func(g Gomega) *orgsv1alpha1.Invitation {
		inv := &orgsv1alpha1.Invitation{}
		g.Expect(roster.Client().Get(ctx, client.ObjectKeyFromObject(invitation), inv)).To(Succeed())
		return inv
	}

	It("syncs, sends frank one link, and frank's acceptance makes the Member and removes the Invitation", func() {
		for subject, action := range apply() {
			Expect(action).To(Equal(ssa.CreatedAction), subject)
		}
		Expect(roster.WaitForOrganizationReady(ctx, "reapply")).To(Succeed())
		var link string
		Eventually(func() string { link = roster.LastInvitationLink(frank); return link }).ShouldNot(BeEmpty())
		res, err := roster.Accept(ctx, link)
		Expect(err).NotTo(HaveOccurred(), res.Message)
		Expect(res.User).To(Equal(frank))
		Eventually(func() bool {
			err := roster.Client().Get(ctx, client.ObjectKeyFromObject(invitation), &orgsv1alpha1.Invitation{})
			return err != nil && client.IgnoreNotFound(err) == nil
		}).Should(BeTrue(), "the accepted Invitation is removed")
	})

	It("re-applies without an error: the Invitation is created again and answered AlreadyMember, Ready, Healthy, sending nothing", func() {
		actions := apply()
		Expect(actions).To(HaveKeyWithValue(ContainSubstring("Invitation/org-reapply/frank"), ssa.CreatedAction))
		Eventually(func(g Gomega) {
			inv := liveInvitation(g)
			g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationAccepted))
			g.Expect(inv.Status.ObservedGeneration).To(Equal(inv.Generation))
			ready := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(BeEquivalentTo("True"))
			g.Expect(ready.Reason).To(Equal(orgsv1alpha1.AlreadyMemberReason))
			g.Expect(inv.Status.SendCount).To(BeZero())
			g.Expect(inv.Status.TokenHash).To(BeEmpty())
		}).Should(Succeed())

		live := get(Default, roster.Client(), invitation)
		res, err := status.Compute(live)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Status).To(Equal(status.CurrentStatus), res.Message)
		root, err := repoRoot()
		Expect(err).NotTo(HaveOccurred())
		health, err := argocd.Health(root, live)
		Expect(err).NotTo(HaveOccurred())
		Expect(health.Status).To(Equal(argocd.Healthy), health.Message)
	})

	It("stays in sync: the next apply changes nothing, and no second link is sent", func() {
		Expect(drift(rm, invitation)).To(BeEmpty())
		for subject, action := range apply() {
			Expect(action).To(Equal(ssa.UnchangedAction), subject)
		}
		Consistently(func(g Gomega) {
			g.Expect(sentToFrank()).To(Equal(1))
			g.Expect(liveInvitation(g).Status.Phase).To(Equal(orgsv1alpha1.InvitationAccepted))
		}).WithTimeout(3 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	})
})
