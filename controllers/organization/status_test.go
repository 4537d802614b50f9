package organization

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

func condition(conds []metav1.Condition, t string) metav1.Condition {
	c := meta.FindStatusCondition(conds, t)
	if c == nil {
		return metav1.Condition{}
	}
	return *c
}

func TestOrganizationStatus(t *testing.T) {
	home := homeNamespace{name: "org-acme", ok: true, reason: orgsv1alpha1.HomeNamespaceCreatedReason, msg: "ok"}
	outcomes := func(roles ...orgsv1alpha1.Role) map[string]policy.Outcome {
		m := map[string]policy.Outcome{}
		for i, r := range roles {
			m[string(rune('a'+i))] = policy.Outcome{Role: r}
		}
		return m
	}
	tests := []struct {
		name       string
		scope      scope
		ready      metav1.ConditionStatus
		readyWhy   string
		owner      metav1.ConditionStatus
		redundancy string
		access     metav1.ConditionStatus
		accessWhy  string
		members    int32
		// says is part of the Ready message.
		says string
	}{{
		name: "two owners, access applied: Ready",
		scope: scope{home: home, effective: policy.Effective{
			Owners: []string{"a", "b"}, Members: outcomes(orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleViewer),
		}},
		ready: metav1.ConditionTrue, readyWhy: orgsv1alpha1.ReadyReason,
		owner: metav1.ConditionTrue, redundancy: orgsv1alpha1.RedundantOwnersReason, access: metav1.ConditionTrue, members: 3,
	}, {
		name: "one owner: Ready, with the redundancy advice",
		scope: scope{home: home, effective: policy.Effective{
			Owners: []string{"a"}, Members: outcomes(orgsv1alpha1.RoleOwner),
		}},
		ready: metav1.ConditionTrue, readyWhy: orgsv1alpha1.ReadyReason,
		owner: metav1.ConditionTrue, redundancy: orgsv1alpha1.SingleOwnerReason, access: metav1.ConditionTrue, members: 1,
	}, {
		name: "no owner: not Ready, says so",
		scope: scope{home: home, effective: policy.Effective{
			Members: outcomes(orgsv1alpha1.RoleViewer),
		}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.NoOwnerReason,
		owner: metav1.ConditionFalse, redundancy: orgsv1alpha1.NoOwnerReason, access: metav1.ConditionTrue, members: 1,
	}, {
		name: "RBAC failed: not Ready, with the error",
		scope: scope{home: home, accessErr: errors.New("boom"), effective: policy.Effective{
			Owners: []string{"a"}, Members: outcomes(orgsv1alpha1.RoleOwner),
		}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.AccessFailedReason,
		owner: metav1.ConditionTrue, redundancy: orgsv1alpha1.SingleOwnerReason, access: metav1.ConditionFalse, accessWhy: orgsv1alpha1.AccessFailedReason, members: 1,
		says: "Applying RBAC failed: boom",
	}, {
		name:  "home namespace claimed by another organization: access withdrawn",
		scope: scope{mode: noAccess, home: homeNamespace{name: "org-acme", reason: orgsv1alpha1.HomeNamespaceConflictReason, msg: "taken"}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.HomeNamespaceConflictReason,
		owner: metav1.ConditionUnknown, redundancy: orgsv1alpha1.ReconcilingReason, access: metav1.ConditionFalse, accessWhy: orgsv1alpha1.AccessWithdrawnReason,
	}, {
		name:  "home namespace claimed by another organization, deleting the RBAC failed: says the failure",
		scope: scope{mode: noAccess, accessErr: errors.New("boom"), home: homeNamespace{name: "org-acme", reason: orgsv1alpha1.HomeNamespaceConflictReason, msg: "taken"}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.HomeNamespaceConflictReason,
		owner: metav1.ConditionUnknown, redundancy: orgsv1alpha1.ReconcilingReason, access: metav1.ConditionFalse, accessWhy: orgsv1alpha1.AccessFailedReason,
	}, {
		name: "home namespace being deleted: access withdraw-only, owners still counted",
		scope: scope{mode: withdrawAccess,
			home:      homeNamespace{name: "org-acme", reason: orgsv1alpha1.HomeNamespaceTerminatingReason, msg: "going"},
			effective: policy.Effective{Owners: []string{"a"}, Members: outcomes(orgsv1alpha1.RoleOwner, orgsv1alpha1.RoleViewer)}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.HomeNamespaceTerminatingReason,
		owner: metav1.ConditionTrue, redundancy: orgsv1alpha1.SingleOwnerReason, access: metav1.ConditionFalse, accessWhy: orgsv1alpha1.AccessWithdrawOnlyReason,
		members: 2,
	}, {
		name: "owner held without a Member: not Ready, says whose access is kept",
		scope: scope{home: home, effective: policy.Effective{
			Owners: []string{"gone@example.com"}, HeldOwners: []string{"gone@example.com"}, Members: outcomes(orgsv1alpha1.RoleAdmin),
		}},
		ready: metav1.ConditionFalse, readyWhy: orgsv1alpha1.OwnerHeldWithoutMemberReason,
		owner: metav1.ConditionFalse, redundancy: orgsv1alpha1.NoOwnerReason, access: metav1.ConditionTrue, members: 1,
		says: "the owner access of gone@example.com is kept although no Member gives it: assign the Owner role to another user",
	}, {
		name: "duplicates and leaving Members are not counted",
		scope: scope{home: home, effective: policy.Effective{
			Owners: []string{"a", "b"},
			Members: map[string]policy.Outcome{
				"a": {Role: orgsv1alpha1.RoleOwner}, "b": {Role: orgsv1alpha1.RoleOwner},
				"dup": {DuplicateOf: "a"}, "gone": {Released: true},
			},
		}},
		ready: metav1.ConditionTrue, readyWhy: orgsv1alpha1.ReadyReason,
		owner: metav1.ConditionTrue, redundancy: orgsv1alpha1.RedundantOwnersReason, access: metav1.ConditionTrue, members: 2,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			s := tt.scope
			s.org = &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", Generation: 4}}
			setOrganizationStatus(&s)
			st := s.org.Status
			g.Expect(st.ObservedGeneration).To(BeEquivalentTo(4))
			g.Expect(st.HomeNamespace).To(Equal("org-acme"))
			ready := condition(st.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Status).To(Equal(tt.ready))
			g.Expect(ready.Reason).To(Equal(tt.readyWhy))
			g.Expect(ready.Message).NotTo(BeEmpty())
			g.Expect(ready.ObservedGeneration).To(BeEquivalentTo(4))
			g.Expect(condition(st.Conditions, orgsv1alpha1.OwnerPresentCondition).Status).To(Equal(tt.owner))
			g.Expect(condition(st.Conditions, orgsv1alpha1.OwnerRedundancyCondition).Reason).To(Equal(tt.redundancy))
			g.Expect(condition(st.Conditions, orgsv1alpha1.AccessReadyCondition).Status).To(Equal(tt.access))
			if tt.accessWhy != "" {
				g.Expect(condition(st.Conditions, orgsv1alpha1.AccessReadyCondition).Reason).To(Equal(tt.accessWhy))
			}
			g.Expect(ready.Message).To(ContainSubstring(tt.says))
			g.Expect(st.Members).To(Equal(tt.members))
			g.Expect(st.Owners).To(BeEquivalentTo(len(tt.scope.effective.Owners)-len(tt.scope.effective.HeldOwners)), "owner Members")
		})
	}
}

func TestOrganizationStatusCounts(t *testing.T) {
	g := NewWithT(t)
	s := scope{
		org:      &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}},
		home:     homeNamespace{name: "org-acme", ok: true, reason: orgsv1alpha1.HomeNamespaceCreatedReason},
		pending:  3,
		projects: []string{"a", "b"},
		effective: policy.Effective{Owners: []string{"o"}, Members: map[string]policy.Outcome{
			"o": {Role: orgsv1alpha1.RoleOwner}, "a": {Role: orgsv1alpha1.RoleAdmin}, "c": {Role: orgsv1alpha1.RoleContributor},
			"v": {Role: orgsv1alpha1.RoleViewer}, "n1": {Role: orgsv1alpha1.RoleViewerNoSecrets}, "n2": {Role: orgsv1alpha1.RoleViewerNoSecrets},
		}},
	}
	setOrganizationStatus(&s)
	g.Expect(s.org.Status.RoleCounts).To(Equal(orgsv1alpha1.RoleCounts{Owners: 1, Admins: 1, Contributors: 1, Viewers: 1, ViewersNoSecrets: 2}))
	g.Expect(s.org.Status.PendingInvitations).To(BeEquivalentTo(3))
	g.Expect(s.org.Status.Projects).To(BeEquivalentTo(2))
}

func TestOrganizationStatusIsStable(t *testing.T) {
	// Computing the same status twice changes nothing, so the reconciler's
	// "write only when changed" makes no write.
	g := NewWithT(t)
	s := scope{
		org:       &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}},
		home:      homeNamespace{name: "org-acme", ok: true, reason: orgsv1alpha1.HomeNamespaceCreatedReason},
		effective: policy.Effective{Owners: []string{"o"}, Members: map[string]policy.Outcome{"o": {Role: orgsv1alpha1.RoleOwner}}},
	}
	setOrganizationStatus(&s)
	first := s.org.Status.DeepCopy()
	time.Sleep(1100 * time.Millisecond) // a new lastTransitionTime would differ
	setOrganizationStatus(&s)
	g.Expect(s.org.Status).To(Equal(*first))
}

func TestMemberStatus(t *testing.T) {
	member := func() *orgsv1alpha1.Member {
		return &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Name: "alice", Generation: 2},
			Spec:       orgsv1alpha1.MemberSpec{User: "alice@example.com", Role: orgsv1alpha1.RoleAdmin},
		}
	}
	tests := []struct {
		name        string
		outcome     policy.Outcome
		access      bool
		effective   orgsv1alpha1.Role
		applied     metav1.ConditionStatus
		appliedWhy  string
		ready       metav1.ConditionStatus
		messageSays string
	}{{
		name: "applied", outcome: policy.Outcome{Role: orgsv1alpha1.RoleAdmin}, access: true,
		effective: orgsv1alpha1.RoleAdmin, applied: metav1.ConditionTrue, appliedWhy: orgsv1alpha1.RoleAppliedReason, ready: metav1.ConditionTrue,
		messageSays: "has role Admin",
	}, {
		name: "held back as the last owner", outcome: policy.Outcome{Role: orgsv1alpha1.RoleOwner, HeldBack: true}, access: true,
		effective: orgsv1alpha1.RoleOwner, applied: metav1.ConditionFalse, appliedWhy: orgsv1alpha1.LastOwnerReason, ready: metav1.ConditionFalse,
		messageSays: "assign the Owner role to another user first",
	}, {
		name: "a duplicate", outcome: policy.Outcome{DuplicateOf: "alice-1"}, access: true,
		effective: "", applied: metav1.ConditionFalse, appliedWhy: orgsv1alpha1.DuplicateReason, ready: metav1.ConditionFalse,
		messageSays: "Member alice-1",
	}, {
		name: "a promotion frozen while the home namespace is deleted", outcome: policy.Outcome{Role: orgsv1alpha1.RoleViewer, Frozen: true}, access: true,
		effective: orgsv1alpha1.RoleViewer, applied: metav1.ConditionFalse, appliedWhy: orgsv1alpha1.HomeNamespaceTerminatingReason, ready: metav1.ConditionFalse,
		messageSays: "alice@example.com keeps role Viewer instead of role Admin",
	}, {
		name: "RBAC not applied", outcome: policy.Outcome{Role: orgsv1alpha1.RoleAdmin}, access: false,
		effective: orgsv1alpha1.RoleAdmin, applied: metav1.ConditionTrue, appliedWhy: orgsv1alpha1.RoleAppliedReason, ready: metav1.ConditionFalse,
		messageSays: "AccessReady",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			m := member()
			setMemberStatus(m, "acme", tt.outcome, tt.access)
			g.Expect(m.Status.ObservedGeneration).To(BeEquivalentTo(2))
			g.Expect(m.Status.Organization).To(Equal("acme"))
			g.Expect(m.Status.EffectiveRole).To(Equal(tt.effective))
			applied := condition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
			g.Expect(applied.Status).To(Equal(tt.applied))
			g.Expect(applied.Reason).To(Equal(tt.appliedWhy))
			ready := condition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Status).To(Equal(tt.ready))
			g.Expect(ready.Message + applied.Message).To(ContainSubstring(tt.messageSays))
		})
	}
}

func TestWaitingMemberStatus(t *testing.T) {
	g := NewWithT(t)
	m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "alice", Namespace: "org-acme", Generation: 2},
		Spec: orgsv1alpha1.MemberSpec{User: "alice@example.com", Role: orgsv1alpha1.RoleOwner}}

	setWaitingStatus(m, "acme", "")
	ready := condition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.OrganizationNotFoundReason))
	g.Expect(ready.Message).To(ContainSubstring(`Organization "acme" does not exist yet`))
	g.Expect(m.Status.EffectiveRole).To(BeEmpty(), "a waiting Member grants nothing")
	g.Expect(m.Status.Organization).To(BeEmpty(), "it never was an organization's (policy.HomeStale)")
	g.Expect(m.Status.ObservedGeneration).To(Equal(int64(2)))

	setWaitingStatus(m, "acme", "acme-home")
	ready = condition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.HomeNamespaceMismatchReason))
	g.Expect(ready.Message).To(ContainSubstring("home namespace acme-home, not org-acme"))
	g.Expect(condition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition).Reason).To(Equal(orgsv1alpha1.HomeNamespaceMismatchReason))
}
