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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The workload of issue 13: with the webhooks off, clients keep moving the
// Owner role around ten organizations (downgrading, deleting, re-creating
// and re-promoting their four owners) while a sampler asks the API
// server's authorizer, every 50 ms, whether one of each organization's
// four users holds manage-owners. The controller alone must keep an owner
// in every sample: ownership moves make-before-break, and a removed last
// owner keeps their access until another owner's is in effect.
var _ = Describe("Owners under churn with the webhooks off", Label("churn"), func() {
	const (
		orgs    = 10
		owners  = 4
		clients = 8
		churn   = 30 * time.Second
		every   = 50 * time.Millisecond
	)

	It("never leaves an organization without an owner holding manage-owners", func() {
		type target struct {
			org, home string
			users     [owners]string
		}
		targets := make([]*target, orgs)
		for i := range targets {
			name := uniqueName("churn")
			t := &target{org: name, home: createOrg(name)}
			for j := range owners {
				t.users[j] = fmt.Sprintf("u%d@%s.example.com", j, name)
				createMember(t.home, fmt.Sprintf("m%d", j), t.users[j], orgsv1alpha1.RoleOwner)
			}
			targets[i] = t
		}
		for _, t := range targets {
			waitOrgReady(t.org, owners, 0)
			roles := map[string]orgsv1alpha1.Role{}
			for _, u := range t.users {
				roles[u] = orgsv1alpha1.RoleOwner
			}
			waitRoles(t.org, t.home, roles)
		}

		// owned asks the authorizer whether one of t's users holds
		// manage-owners, starting with the one that did last time.
		owned := func(t *target, last *int) bool {
			for k := range owners {
				j := (*last + k) % owners
				if can(t.users[j], orgsv1alpha1.VerbManageOwners, orgsv1alpha1.GroupVersion.Group, "organizations", "", t.org) {
					*last = j
					return true
				}
			}
			return false
		}

		// One sampler per organization, every 50 ms.
		var (
			samples, ownerless atomic.Int64
			mu                 sync.Mutex
			longest            time.Duration
			stop               = make(chan struct{})
			samplers           sync.WaitGroup
		)
		window := func(d time.Duration) {
			mu.Lock()
			longest = max(longest, d)
			mu.Unlock()
		}
		for _, t := range targets {
			samplers.Go(func() {
				defer GinkgoRecover()
				var last int
				var since time.Time // when the window without an owner began
				tick := time.NewTicker(every)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						if !since.IsZero() {
							window(time.Since(since))
						}
						return
					case <-tick.C:
					}
					samples.Add(1)
					now := time.Now()
					if owned(t, &last) {
						if !since.IsZero() {
							window(now.Sub(since))
							since = time.Time{}
						}
						continue
					}
					ownerless.Add(1)
					if since.IsZero() {
						since = now
					}
					GinkgoWriter.Printf("%s organization %s: nobody holds manage-owners\n", now.Format("15:04:05.000"), t.org)
				}
			})
		}

		var ops struct {
			sync.Mutex
			n map[string]int
		}
		ops.n = map[string]int{}
		count := func(op string) {
			ops.Lock()
			ops.n[op]++
			ops.Unlock()
		}
		lower := []orgsv1alpha1.Role{orgsv1alpha1.RoleAdmin, orgsv1alpha1.RoleContributor, orgsv1alpha1.RoleViewer}
		deadline := time.Now().Add(churn)
		var workers sync.WaitGroup
		for range clients {
			workers.Go(func() {
				defer GinkgoRecover()
				for time.Now().Before(deadline) {
					t := targets[rand.IntN(orgs)]
					j := rand.IntN(owners)
					key := client.ObjectKey{Namespace: t.home, Name: fmt.Sprintf("m%d", j)}
					m := &orgsv1alpha1.Member{}
					err := env.Admin.Get(ctx, key, m)
					switch {
					case apierrors.IsNotFound(err):
						err = env.Admin.Create(ctx, &orgsv1alpha1.Member{
							ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
							Spec:       orgsv1alpha1.MemberSpec{User: t.users[j], Role: orgsv1alpha1.RoleOwner},
						})
						count("re-create as Owner")
					case err != nil:
					case m.DeletionTimestamp != nil:
						count("wait for a held owner")
					default:
						roll := rand.IntN(10)
						patch := client.MergeFrom(m.DeepCopy())
						switch {
						case roll < 3:
							err = env.Admin.Delete(ctx, m)
							count("delete")
						case m.Spec.Role != orgsv1alpha1.RoleOwner && roll < 7:
							m.Spec.Role = orgsv1alpha1.RoleOwner
							err = env.Admin.Patch(ctx, m, patch)
							count("promote to Owner")
						default:
							m.Spec.Role = lower[rand.IntN(len(lower))]
							err = env.Admin.Patch(ctx, m, patch)
							count("downgrade to " + string(m.Spec.Role))
						}
					}
					// Another client got there first: the next pick reads again.
					Expect(client.IgnoreNotFound(client.IgnoreAlreadyExists(err))).To(Succeed())
					time.Sleep(time.Duration(10+rand.IntN(50)) * time.Millisecond)
				}
			})
		}
		workers.Wait()
		// The churn is over; the last changes settle while the sampler runs on.
		time.Sleep(2 * time.Second)
		close(stop)
		samplers.Wait()

		ops.Lock()
		AddReportEntry("churn", fmt.Sprintf("%d samples, %d without an owner, longest window %s; operations %v",
			samples.Load(), ownerless.Load(), longest, ops.n), ReportEntryVisibilityAlways)
		ops.Unlock()
		Expect(samples.Load()).To(BeNumerically(">", 1000))
		Expect(ownerless.Load()).To(BeZero(), "samples without an owner holding manage-owners (of %d, longest window %s)", samples.Load(), longest)
	})
})
