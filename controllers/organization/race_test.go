package organization_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// With the webhooks off nothing stops the requests below: the controller
// alone must keep every organization with an owner user who really holds
// manage-owners, at every moment.
var _ = Describe("The last-owner invariant under racing requests", func() {
	const (
		orgs   = 8
		owners = 3
	)

	It("never leaves an organization without an effective owner", func() {
		type target struct{ org, home string }
		targets := make([]target, orgs)
		for i := range targets {
			name := uniqueName("race")
			targets[i] = target{org: name, home: createOrg(name)}
			for j := range owners {
				createMember(targets[i].home, fmt.Sprintf("owner%d", j), fmt.Sprintf("owner%d@%s.example.com", j, name), orgsv1alpha1.RoleOwner)
			}
			createMember(targets[i].home, "viewer", "viewer@"+name+".example.com", orgsv1alpha1.RoleViewer)
		}
		for _, t := range targets {
			waitOrgReady(t.org, owners+1, 0)
			// Every owner carries the hold, and holds manage-owners as the
			// sampler below asks, before the attack starts.
			Eventually(func(g Gomega) {
				for j := range owners {
					g.Expect(memberOf(t.home, fmt.Sprintf("owner%d", j))(g).Finalizers).To(ContainElement(orgsv1alpha1.LastOwnerFinalizer))
				}
			}).Should(Succeed())
			roles := map[string]orgsv1alpha1.Role{"viewer@" + t.org + ".example.com": orgsv1alpha1.RoleViewer}
			for j := range owners {
				roles[fmt.Sprintf("owner%d@%s.example.com", j, t.org)] = orgsv1alpha1.RoleOwner
			}
			waitRoles(t.org, t.home, roles)
		}

		// holdsOwner: some owner user of the organization holds manage-owners.
		holdsOwner := func(t target) bool {
			for j := range owners {
				if can(fmt.Sprintf("owner%d@%s.example.com", j, t.org), orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", t.org) {
					return true
				}
			}
			return false
		}

		stop := make(chan struct{})
		var samples, violations atomic.Int32
		var sampler sync.WaitGroup
		sampler.Add(1)
		go func() {
			defer GinkgoRecover()
			defer sampler.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, t := range targets {
					if !holdsOwner(t) {
						violations.Add(1)
						GinkgoWriter.Printf("organization %s had no owner holding manage-owners\n", t.org)
					}
				}
				samples.Add(1)
			}
		}()

		// Every owner of every organization is downgraded or deleted, all at once.
		var attackers sync.WaitGroup
		for _, t := range targets {
			for j := range owners {
				attackers.Add(1)
				go func() {
					defer GinkgoRecover()
					defer attackers.Done()
					time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
					m := &orgsv1alpha1.Member{}
					Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: t.home, Name: fmt.Sprintf("owner%d", j)}, m)).To(Succeed())
					if rand.IntN(2) == 0 {
						Expect(client.IgnoreNotFound(env.Admin.Delete(ctx, m))).To(Succeed())
						return
					}
					patch := client.MergeFrom(m.DeepCopy())
					m.Spec.Role = orgsv1alpha1.RoleViewer
					Expect(env.Admin.Patch(ctx, m, patch)).To(Succeed())
				}()
			}
		}
		attackers.Wait()

		// Converged: exactly one held-back owner per organization, saying why.
		for _, t := range targets {
			Eventually(func(g Gomega) {
				var list orgsv1alpha1.MemberList
				g.Expect(env.Admin.List(ctx, &list, client.InNamespace(t.home))).To(Succeed())
				held := 0
				for i := range list.Items {
					m := &list.Items[i]
					if m.Status.EffectiveRole != orgsv1alpha1.RoleOwner {
						continue
					}
					held++
					c := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
					g.Expect(c).NotTo(BeNil())
					g.Expect(c.Reason).To(Equal(orgsv1alpha1.LastOwnerReason))
					g.Expect(c.Message).To(ContainSubstring("assign the Owner role to another user first"))
				}
				g.Expect(held).To(Equal(1), "held-back owners in %s", t.org)
				g.Expect(getOrg(g, t.org).Status.EffectiveOwners).To(HaveLen(1))
			}).Should(Succeed())
		}
		close(stop)
		sampler.Wait()
		Expect(samples.Load()).To(BeNumerically(">", 0))
		Expect(violations.Load()).To(BeZero(), "samples without an owner holding manage-owners (of %d)", samples.Load())
		for _, t := range targets {
			Expect(holdsOwner(t)).To(BeTrue())
		}

		// Once another owner exists, the hold is released.
		t := targets[0]
		createMember(t.home, "successor", "successor@"+t.org+".example.com", orgsv1alpha1.RoleOwner)
		Eventually(func(g Gomega) {
			g.Expect(getOrg(g, t.org).Status.EffectiveOwners).To(Equal([]string{"successor@" + t.org + ".example.com"}))
			var list orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &list, client.InNamespace(t.home))).To(Succeed())
			for i := range list.Items {
				m := &list.Items[i]
				g.Expect(m.DeletionTimestamp).To(BeNil(), "%s is still held", m.Name)
				if m.Name != "successor" {
					g.Expect(m.Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleViewer))
				}
			}
		}).Should(Succeed())
	})
})

var _ = Describe("Deleting an organization", func() {
	It("removes every RBAC object Roster made and the home namespace it created", func() {
		org := uniqueName("gone")
		home := createOrg(org)
		createProject(org+"-app", org)
		createMember(home, "o", "o@"+org+".example.com", orgsv1alpha1.RoleOwner)
		createMember(home, "v", "v@"+org+".example.com", orgsv1alpha1.RoleViewer)
		waitOrgReady(org, 2, 1)
		Expect(countAccessObjects(org)).To(BeNumerically(">", 0))

		o := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: org}, o)).To(Succeed())
		Expect(env.Admin.Delete(ctx, o)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Name: org}, &orgsv1alpha1.Organization{}))
		}).Should(BeTrue())
		// The finalizer deleted them; nothing here relies on garbage collection.
		Expect(countAccessObjects(org)).To(BeZero())
		// The authorizer follows the deletions through its own watch.
		Eventually(func() bool { return can("o@"+org+".example.com", "get", "", "configmaps", org+"-app", "") }).Should(BeFalse())
		// The held owner was released, and the home namespace Roster created is going.
		Eventually(func() bool {
			ns := &corev1Namespace{}
			err := env.Admin.Get(ctx, client.ObjectKey{Name: home}, ns)
			return apierrors.IsNotFound(err) || (err == nil && !ns.DeletionTimestamp.IsZero())
		}).Should(BeTrue())
	})
})
