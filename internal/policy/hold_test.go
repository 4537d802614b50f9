package policy

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The controller holds the last owner's removal with the last-owner
// finalizer; removing that finalizer by hand would complete the removal.
func TestDecideMemberReleasingTheLastOwnerHold(t *testing.T) {
	held := deleting(alice)
	held.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer, "example.com/other"}
	released := held.DeepCopy()
	released.Finalizers = []string{"example.com/other"}
	dave := userMember("dave", "dave@example.com", owner)
	heldDave := deleting(dave)
	heldDave.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	heldAdmin := deleting(bob)
	heldAdmin.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	releasedAdmin := heldAdmin.DeepCopy()
	releasedAdmin.Finalizers = nil
	notDeleting := alice.DeepCopy()
	notDeleting.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	orgDeleting := acme()
	orgDeleting.DeletionTimestamp = &metav1.Time{}

	const refusal = `user "alice@example.com" is the last owner of organization "acme" and its removal is held until another owner exists: the orgs.roster.dev/last-owner finalizer may not be removed by hand; assign the Owner role to another user first`
	cases := []struct {
		name      string
		old, new  *orgsv1alpha1.Member
		requester Requester
		authority Authority
		snapshot  Snapshot
		want      string // "" means allowed
	}{
		{"an admin releases the held last owner", &held, released, bobAsker, membersVerb, snapshot([]orgsv1alpha1.Member{held, bob}), refusal},
		{"the held owner releases herself", &held, released, aliceAsker, bothVerbs, snapshot([]orgsv1alpha1.Member{held, bob}), refusal},
		{"a cluster admin releases the held last owner", &held, released, clusterAdmin, bothVerbs, snapshot([]orgsv1alpha1.Member{held}), refusal},
		{"another owner exists", &held, released, bobAsker, membersVerb, snapshot([]orgsv1alpha1.Member{held, dave}), ""},
		{"only another deleting owner exists", &held, released, clusterAdmin, bothVerbs, snapshot([]orgsv1alpha1.Member{held, deleting(dave)}), refusal},
		{"another owner is held too", &held, released, clusterAdmin, bothVerbs, snapshot([]orgsv1alpha1.Member{held, heldDave}), ""},
		{"the home namespace is being deleted", &held, released, clusterAdmin, bothVerbs,
			Snapshot{Organization: acme(), Members: []orgsv1alpha1.Member{held}, HomeTerminating: true}, ""},
		{"the organization is being deleted", &held, released, clusterAdmin, bothVerbs,
			Snapshot{Organization: orgDeleting, Members: []orgsv1alpha1.Member{held}}, ""},
		{"an owner not being deleted", notDeleting, alice.DeepCopy(), bobAsker, membersVerb, snapshot([]orgsv1alpha1.Member{*notDeleting}), ""},
		{"a deleting admin", &heldAdmin, releasedAdmin, bobAsker, membersVerb, snapshot([]orgsv1alpha1.Member{alice, heldAdmin}), ""},
		{"other finalizers only", &held, held.DeepCopy(), bobAsker, membersVerb, snapshot([]orgsv1alpha1.Member{held}), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: Update, Old: c.old, New: c.new, Requester: c.requester, Authority: c.authority, Snapshot: c.snapshot})
			if c.want == "" {
				g.Expect(d.Allowed()).To(BeTrue(), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(Equal(c.want))
		})
	}
}
