package invitation

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conditions"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mtime(t time.Time) *metav1.Time { m := metav1.NewTime(t); return &m }

type invOpt func(*orgsv1alpha1.Invitation)

func testInvitation(opts ...invOpt) *orgsv1alpha1.Invitation {
	inv := &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Name: "erin", Namespace: "org-acme", Generation: 1,
			Annotations: map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: "[]"}},
		Spec: orgsv1alpha1.InvitationSpec{Email: "erin@example.com", Role: orgsv1alpha1.RoleViewer},
	}
	for _, o := range opts {
		o(inv)
	}
	return inv
}

func phase(p orgsv1alpha1.InvitationPhase) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Status.Phase = p; i.Status.ObservedGeneration = i.Generation }
}
func expiresAt(t time.Time) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Status.ExpiresAt = mtime(t) }
}
func acceptedAt(t time.Time) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Status.AcceptedAt = mtime(t) }
}
func resendAnnotation(v string) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = v }
}
func lastResend(v string) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Status.LastResendRequest = v }
}
func generation(g int64) invOpt { return func(i *orgsv1alpha1.Invitation) { i.Generation = g } }
func email(e string) invOpt {
	return func(i *orgsv1alpha1.Invitation) { i.Spec.Email = e }
}

func TestNextInvitationStep(t *testing.T) {
	acme := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	erinMember := orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: "erin-m", Namespace: "org-acme"},
		Spec: orgsv1alpha1.MemberSpec{User: "erin@example.com", Role: orgsv1alpha1.RoleContributor}}
	// A case variant is a different identity to RBAC: it is not the invitee.
	lookalike := erinMember
	lookalike.Spec.User = "ERIN@example.com"
	prefixed := erinMember
	prefixed.Spec.User = "oidc:erin@example.com"
	otherPending := *testInvitation(func(i *orgsv1alpha1.Invitation) { i.Name = "erin-2" }, phase(orgsv1alpha1.InvitationSent))
	cases := []struct {
		name        string
		inv         *orgsv1alpha1.Invitation
		org         *orgsv1alpha1.Organization
		members     []orgsv1alpha1.Member
		invitations []orgsv1alpha1.Invitation
		prefix      string
		notBefore   time.Time
		want        stepKind
		after       time.Duration
		message     string
	}{
		{name: "new: send", inv: testInvitation(), org: acme, want: stepSend},
		{name: "no organization", inv: testInvitation(), want: stepNoOrganization},
		{name: "new with a resend annotation: send once", inv: testInvitation(resendAnnotation("x")), org: acme, want: stepSend},
		{name: "pending, retry not due", inv: testInvitation(phase(orgsv1alpha1.InvitationPending)), org: acme, notBefore: t0.Add(3 * time.Second), want: stepWaitRetry, after: 3 * time.Second},
		{name: "pending, retry due", inv: testInvitation(phase(orgsv1alpha1.InvitationPending)), org: acme, notBefore: t0, want: stepSend},
		{name: "pending, resend skips the backoff", inv: testInvitation(phase(orgsv1alpha1.InvitationPending), resendAnnotation("2")), org: acme, notBefore: t0.Add(time.Hour), want: stepSend},
		{name: "sent: wait for expiry", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour))), org: acme, want: stepWaitExpiry, after: time.Hour},
		{name: "sent: expire at expiresAt", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0)), org: acme, want: stepExpire},
		{name: "sent without expiry: expire", inv: testInvitation(phase(orgsv1alpha1.InvitationSent)), org: acme, want: stepExpire},
		{name: "sent: resend", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour)), resendAnnotation("2"), lastResend("1")), org: acme, want: stepSend},
		{name: "sent: same resend value, no resend", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour)), resendAnnotation("1"), lastResend("1")), org: acme, want: stepWaitExpiry, after: time.Hour},
		{name: "sent: spec changed, new link", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour)), generation(2)), org: acme, want: stepSend},
		{name: "sent: invitee became a member", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour))), org: acme, members: []orgsv1alpha1.Member{erinMember}, want: stepAlreadyMember},
		{name: "new: already a member (prefix)", inv: testInvitation(), org: acme, members: []orgsv1alpha1.Member{prefixed}, prefix: "oidc:", want: stepAlreadyMember},
		{name: "prefixed member without the prefix flag is someone else", inv: testInvitation(), org: acme, members: []orgsv1alpha1.Member{prefixed}, want: stepSend},
		{name: "expired: stays", inv: testInvitation(phase(orgsv1alpha1.InvitationExpired)), org: acme, want: stepObserve},
		{name: "expired: resend revives", inv: testInvitation(phase(orgsv1alpha1.InvitationExpired), resendAnnotation("now")), org: acme, want: stepSend},
		{name: "expired: resend refused while another is pending", inv: testInvitation(phase(orgsv1alpha1.InvitationExpired), resendAnnotation("now")), org: acme,
			invitations: []orgsv1alpha1.Invitation{otherPending}, want: stepRefuseResend, message: "already has a pending invitation"},
		{name: "expired: member wins over resend", inv: testInvitation(phase(orgsv1alpha1.InvitationExpired), resendAnnotation("now")), org: acme, members: []orgsv1alpha1.Member{erinMember}, want: stepAlreadyMember},
		{name: "declined: stays", inv: testInvitation(phase(orgsv1alpha1.InvitationDeclined)), org: acme, want: stepObserve},
		{name: "declined: resend refused", inv: testInvitation(phase(orgsv1alpha1.InvitationDeclined), resendAnnotation("now")), org: acme, want: stepRefuseResend, message: "cannot revive"},
		{name: "failed: resend refused", inv: testInvitation(phase(orgsv1alpha1.InvitationFailed), resendAnnotation("now")), org: acme, want: stepRefuseResend, message: "Failed"},
		{name: "accepted through the link: complete", inv: testInvitation(phase(orgsv1alpha1.InvitationAccepted), acceptedAt(t0)), org: acme, want: stepComplete},
		{name: "already member: stays, even with a resend", inv: testInvitation(phase(orgsv1alpha1.InvitationAccepted), resendAnnotation("now")), org: acme, want: stepObserve},
		{name: "a look-alike member is not the invitee", inv: testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0.Add(time.Hour))), org: acme, members: []orgsv1alpha1.Member{lookalike}, want: stepWaitExpiry, after: time.Hour},
		{name: "other e-mail's member does not count", inv: testInvitation(email("frank@example.com")), org: acme, members: []orgsv1alpha1.Member{erinMember}, want: stepSend},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			s := &invitationScope{inv: tc.inv, org: tc.org, members: tc.members, invitations: append(tc.invitations, *tc.inv),
				userPrefix: tc.prefix, now: t0, notBefore: tc.notBefore}
			step := nextInvitationStep(s)
			g.Expect(step.kind).To(Equal(tc.want))
			g.Expect(step.after).To(Equal(tc.after))
			g.Expect(step.message).To(ContainSubstring(tc.message))
			if tc.want == stepAlreadyMember {
				g.Expect(step.member).NotTo(BeNil())
			}
		})
	}
}

func TestIssueToken(t *testing.T) {
	cases := []struct {
		name     string
		inv      *orgsv1alpha1.Invitation
		previous []string
	}{
		{"first link", testInvitation(), nil},
		{"retry after a failure: the undelivered hash is not remembered",
			testInvitation(phase(orgsv1alpha1.InvitationPending), func(i *orgsv1alpha1.Invitation) { i.Status.TokenHash = "undelivered" }), nil},
		{"resend: the delivered hash is remembered",
			testInvitation(phase(orgsv1alpha1.InvitationSent), func(i *orgsv1alpha1.Invitation) { i.Status.TokenHash = "old" }), []string{"old"}},
		{"at most five remembered, newest first",
			testInvitation(phase(orgsv1alpha1.InvitationExpired), func(i *orgsv1alpha1.Invitation) {
				i.Status.TokenHash = "h6"
				i.Status.PreviousTokenHashes = []string{"h5", "h4", "h3", "h2", "h1"}
			}), []string{"h6", "h5", "h4", "h3", "h2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			inv := tc.inv
			inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "r1"
			inv.Status.AcceptedAt = mtime(t0)
			issueToken(inv, "new", t0, time.Hour, "smtp")
			st := inv.Status
			g.Expect(st.TokenHash).To(Equal("new"))
			g.Expect(st.PreviousTokenHashes).To(Equal(tc.previous))
			g.Expect(st.ExpiresAt.Time).To(Equal(t0.Add(time.Hour)))
			g.Expect(st.Phase).To(Equal(orgsv1alpha1.InvitationPending))
			g.Expect(st.AcceptedAt).To(BeNil())
			g.Expect(st.LastResendRequest).To(Equal("r1"))
			g.Expect(st.Notifier).To(Equal("smtp"), "the plugin says where the link went")
			g.Expect(st.InvitedBy).To(Equal("alice@example.com"))
			g.Expect(st.ObservedGeneration).To(Equal(inv.Generation))
			delivered := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.DeliveredCondition)
			g.Expect(delivered.Status).To(Equal(metav1.ConditionUnknown))
			g.Expect(delivered.Reason).To(Equal(orgsv1alpha1.SendingReason))
			ready := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready.Status).To(Equal(metav1.ConditionUnknown))
		})
	}
}

func TestRecordDelivery(t *testing.T) {
	g := NewWithT(t)
	inv := testInvitation()
	issueToken(inv, "h", t0, time.Hour, "smtp")
	recordDelivery(inv, "smtp", t0, errors.New("451 mailbox busy"), 4*time.Second)
	g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationPending))
	g.Expect(inv.Status.SendCount).To(BeZero())
	delivered := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.DeliveredCondition)
	g.Expect(delivered.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(delivered.Reason).To(Equal(orgsv1alpha1.DeliveryFailedReason))
	g.Expect(delivered.Message).To(ContainSubstring("451 mailbox busy"))
	g.Expect(delivered.Message).To(ContainSubstring("retries in 4s"))
	ready := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.DeliveryFailedReason))

	recordDelivery(inv, "smtp", t0.Add(time.Minute), nil, 0)
	g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationSent))
	g.Expect(inv.Status.SendCount).To(BeEquivalentTo(1))
	g.Expect(inv.Status.SentAt.Time).To(Equal(t0.Add(time.Minute)))
	g.Expect(meta.IsStatusConditionTrue(inv.Status.Conditions, orgsv1alpha1.DeliveredCondition)).To(BeTrue())
	ready = meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.ReadyCondition)
	g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), "a sent invitation waiting for its invitee is current, not in progress")
	g.Expect(ready.Reason).To(Equal(orgsv1alpha1.SentReason))
}

func TestSetInvitationReady(t *testing.T) {
	failedDelivery := func(i *orgsv1alpha1.Invitation) {
		setDeliveryFailed(i, "webhook", errors.New("the webhook receiver answered 500"), time.Minute)
	}
	notSent := func(i *orgsv1alpha1.Invitation) {
		setNotSent(i, orgsv1alpha1.OrganizationNotFoundReason, "Not sent: no organization.")
	}
	priorReady := func(reason, msg string) invOpt {
		return func(i *orgsv1alpha1.Invitation) {
			conditions.Set(i, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, reason, msg)
		}
	}
	cases := []struct {
		name    string
		inv     *orgsv1alpha1.Invitation
		note    string
		status  metav1.ConditionStatus
		reason  string
		message string
	}{
		{"new", testInvitation(), "", metav1.ConditionUnknown, orgsv1alpha1.ReconcilingReason, "delivering"},
		{"delivery failing", testInvitation(phase(orgsv1alpha1.InvitationPending), failedDelivery), "", metav1.ConditionFalse, orgsv1alpha1.DeliveryFailedReason, "answered 500"},
		{"no organization", testInvitation(phase(orgsv1alpha1.InvitationPending), notSent), "", metav1.ConditionFalse, orgsv1alpha1.OrganizationNotFoundReason, "no organization"},
		{"sent", testInvitation(phase(orgsv1alpha1.InvitationSent), expiresAt(t0)), "", metav1.ConditionTrue, orgsv1alpha1.SentReason, "until 2026-03-01T12:00:00Z"},
		{"accepted through the link", testInvitation(phase(orgsv1alpha1.InvitationAccepted), acceptedAt(t0)), "", metav1.ConditionTrue, orgsv1alpha1.AcceptedReason, "removes this Invitation"},
		{"already member, with a note", testInvitation(phase(orgsv1alpha1.InvitationAccepted)), "erin is Member x", metav1.ConditionTrue, orgsv1alpha1.AlreadyMemberReason, "erin is Member x"},
		{"already member keeps its note", testInvitation(phase(orgsv1alpha1.InvitationAccepted), priorReady(orgsv1alpha1.AlreadyMemberReason, "kept")), "", metav1.ConditionTrue, orgsv1alpha1.AlreadyMemberReason, "kept"},
		{"declined", testInvitation(phase(orgsv1alpha1.InvitationDeclined)), "", metav1.ConditionFalse, orgsv1alpha1.DeclinedReason, "declined"},
		{"expired", testInvitation(phase(orgsv1alpha1.InvitationExpired), expiresAt(t0)), "", metav1.ConditionFalse, orgsv1alpha1.ExpiredReason, orgsv1alpha1.ResendRequestedAtAnnotation},
		{"failed with the policy's sentence", testInvitation(phase(orgsv1alpha1.InvitationFailed)), "alice may no longer grant", metav1.ConditionFalse, orgsv1alpha1.InviterLostAuthorityReason, "alice may no longer grant"},
		{"failed keeps its sentence", testInvitation(phase(orgsv1alpha1.InvitationFailed), priorReady(orgsv1alpha1.InviterLostAuthorityReason, "kept")), "", metav1.ConditionFalse, orgsv1alpha1.InviterLostAuthorityReason, "kept"},
		{"failed without a sentence", testInvitation(phase(orgsv1alpha1.InvitationFailed)), "", metav1.ConditionFalse, orgsv1alpha1.InviterLostAuthorityReason, "create a new one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			setInvitationReady(tc.inv, tc.note)
			ready := meta.FindStatusCondition(tc.inv.Status.Conditions, orgsv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(tc.status))
			g.Expect(ready.Reason).To(Equal(tc.reason))
			g.Expect(ready.Message).To(ContainSubstring(tc.message))
			g.Expect(ready.ObservedGeneration).To(Equal(tc.inv.Generation))
		})
	}
}

func TestInvitationTTL(t *testing.T) {
	g := NewWithT(t)
	g.Expect(invitationTTL(nil)).To(Equal(168 * time.Hour))
	g.Expect(invitationTTL(&orgsv1alpha1.Organization{})).To(Equal(168 * time.Hour))
	g.Expect(invitationTTL(&orgsv1alpha1.Organization{Spec: orgsv1alpha1.OrganizationSpec{InvitationTTL: &metav1.Duration{Duration: 2 * time.Minute}}})).To(Equal(2 * time.Minute))
}
