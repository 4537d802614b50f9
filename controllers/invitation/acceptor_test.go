package invitation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	invite "github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/testenv/fakeapi"
)

// The acceptor against a fake API server: what each kind of link comes to,
// and that only valid ones change anything. The envtest suite runs the same
// paths against a real API server, webhooks and RBAC.

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type acceptFixture struct {
	client   client.Client
	acceptor *invite.Acceptor
	events   *events.FakeRecorder
	token    string
}

// newAcceptFixture: organization acme (home org-acme) with owner alice, and
// the invitation erin, Sent by alice, whose current link is f.token.
// inviterAllowed answers the SubjectAccessReview.
func newAcceptFixture(t *testing.T, inviterAllowed bool, mutate func(*orgsv1alpha1.Invitation), objs ...client.Object) *acceptFixture {
	t.Helper()
	scheme := fakeapi.Scheme()
	token, hash, err := invite.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	inv := &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin", UID: "uid-erin",
			Annotations: policy.InviterAnnotations(policy.Requester{User: "alice@example.com", Groups: []string{"devs"}})},
		Spec: orgsv1alpha1.InvitationSpec{Email: "Erin@example.com", Role: orgsv1alpha1.RoleContributor},
		Status: orgsv1alpha1.InvitationStatus{
			Phase: orgsv1alpha1.InvitationSent, TokenHash: hash, InvitedBy: "alice@example.com",
			ExpiresAt: &metav1.Time{Time: now.Add(time.Hour)},
		},
	}
	if mutate != nil {
		mutate(inv)
	}
	objs = append(objs,
		&orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: orgsv1alpha1.OrganizationSpec{DisplayName: "Acme"}},
		&orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "alice"},
			Spec: orgsv1alpha1.MemberSpec{User: "alice@example.com", Role: orgsv1alpha1.RoleOwner}},
		inv,
	)
	var reviews []authorizationv1.SubjectAccessReviewSpec
	c := fakeapi.Builder(scheme, objs...).
		WithStatusSubresource(&orgsv1alpha1.Invitation{}).
		WithInterceptorFuncs(fakeapi.Reviews(func(spec authorizationv1.SubjectAccessReviewSpec) bool {
			reviews = append(reviews, spec)
			return inviterAllowed
		})).
		Build()
	rec := events.NewFakeRecorder(20)
	t.Cleanup(func() {
		// Every SubjectAccessReview is for the recorded inviter and the verb the role needs.
		for _, r := range reviews {
			NewWithT(t).Expect(r.User).To(Equal("alice@example.com"))
			NewWithT(t).Expect(r.Groups).To(Equal([]string{"devs"}))
			NewWithT(t).Expect(r.ResourceAttributes.Resource).To(Equal("organizations"))
			NewWithT(t).Expect(r.ResourceAttributes.Name).To(Equal("acme"))
		}
	})
	return &acceptFixture{
		client: c, events: rec, token: token,
		acceptor: &invite.Acceptor{
			Client: c, Live: c, UserPrefix: "oidc:", Recorder: rec,
			Clock: clocktesting.NewFakePassiveClock(now),
		},
	}
}

func (f *acceptFixture) invitation(t *testing.T) *orgsv1alpha1.Invitation {
	t.Helper()
	inv := &orgsv1alpha1.Invitation{}
	err := f.client.Get(context.Background(), client.ObjectKey{Namespace: "org-acme", Name: "erin"}, inv)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (f *acceptFixture) members(t *testing.T) []orgsv1alpha1.Member {
	t.Helper()
	var list orgsv1alpha1.MemberList
	if err := f.client.List(context.Background(), &list, client.InNamespace("org-acme")); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestAcceptorOutcomes(t *testing.T) {
	otherToken, otherHash, _ := invite.NewToken()
	cases := []struct {
		name     string
		mutate   func(*orgsv1alpha1.Invitation)
		allowed  bool
		decision string
		token    func(f *acceptFixture) string
		want     invite.Outcome
		phase    orgsv1alpha1.InvitationPhase // "" when the Invitation is gone
		members  int
		message  string
	}{
		{name: "look up", allowed: true, want: invite.OutcomeValid, phase: orgsv1alpha1.InvitationSent, members: 1},
		{name: "accept", allowed: true, decision: invite.DecisionAccept, want: invite.OutcomeAccepted, members: 2},
		{name: "accept while still Pending (link arrived before the Sent write)", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Status.Phase = orgsv1alpha1.InvitationPending }, want: invite.OutcomeAccepted, members: 2},
		{name: "decline", allowed: true, decision: invite.DecisionDecline, want: invite.OutcomeDeclined, phase: orgsv1alpha1.InvitationDeclined, members: 1},
		{name: "inviter lost the authority", allowed: false, decision: invite.DecisionAccept, want: invite.OutcomeInviterLostAuthority,
			phase: orgsv1alpha1.InvitationFailed, members: 1, message: "alice@example.com, who invited Erin@example.com, may no longer grant the role Contributor"},
		{name: "no recorded inviter", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Annotations = nil }, want: invite.OutcomeInviterLostAuthority, phase: orgsv1alpha1.InvitationFailed, members: 1, message: "records no inviter"},
		{name: "past expiresAt, phase not yet changed", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Status.ExpiresAt = &metav1.Time{Time: now} }, want: invite.OutcomeExpired, phase: orgsv1alpha1.InvitationSent, members: 1},
		{name: "expired", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Status.Phase = orgsv1alpha1.InvitationExpired }, want: invite.OutcomeExpired, phase: orgsv1alpha1.InvitationExpired, members: 1},
		{name: "declined before", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Status.Phase = orgsv1alpha1.InvitationDeclined }, want: invite.OutcomeAlreadyDeclined, phase: orgsv1alpha1.InvitationDeclined, members: 1},
		{name: "failed before", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) { i.Status.Phase = orgsv1alpha1.InvitationFailed }, want: invite.OutcomeInviterLostAuthority, phase: orgsv1alpha1.InvitationFailed, members: 1},
		{name: "replaced by a resend", allowed: true, decision: invite.DecisionAccept,
			mutate: func(i *orgsv1alpha1.Invitation) {
				i.Status.PreviousTokenHashes = []string{i.Status.TokenHash}
				i.Status.TokenHash = otherHash
			}, want: invite.OutcomeReplaced, phase: orgsv1alpha1.InvitationSent, members: 1},
		{name: "another invitation's token is unknown here", allowed: true, decision: invite.DecisionAccept,
			token: func(*acceptFixture) string { return otherToken }, want: invite.OutcomeUnknown, phase: orgsv1alpha1.InvitationSent, members: 1},
		{name: "malformed token", allowed: true, decision: invite.DecisionAccept,
			token: func(*acceptFixture) string { return "x" }, want: invite.OutcomeUnknown, phase: orgsv1alpha1.InvitationSent, members: 1},
		{name: "bad decision", allowed: true, decision: "maybe", want: invite.OutcomeBadRequest, phase: orgsv1alpha1.InvitationSent, members: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			f := newAcceptFixture(t, tc.allowed, tc.mutate)
			token := f.token
			if tc.token != nil {
				token = tc.token(f)
			}
			var res invite.Result
			var err error
			if tc.decision == "" {
				res, err = f.acceptor.Lookup(context.Background(), token)
			} else {
				res, err = f.acceptor.Respond(context.Background(), token, tc.decision)
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Outcome).To(Equal(tc.want))
			g.Expect(res.Message).To(ContainSubstring(tc.message))
			inv := f.invitation(t)
			if tc.phase == "" {
				g.Expect(inv).To(BeNil(), "the accepted invitation is removed")
			} else {
				g.Expect(inv).NotTo(BeNil())
				g.Expect(inv.Status.Phase).To(Equal(tc.phase))
			}
			g.Expect(f.members(t)).To(HaveLen(tc.members))
			if tc.want == invite.OutcomeValid || tc.want == invite.OutcomeAccepted {
				g.Expect(res.OrganizationDisplayName).To(Equal("Acme"))
				g.Expect(res.Role).To(Equal(orgsv1alpha1.RoleContributor))
				g.Expect(res.InvitedBy).To(Equal("alice@example.com"))
			}
		})
	}
}

func TestAcceptorCreatesTheMember(t *testing.T) {
	g := NewWithT(t)
	f := newAcceptFixture(t, true, nil)
	res, err := f.acceptor.Respond(context.Background(), f.token, invite.DecisionAccept)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Outcome).To(Equal(invite.OutcomeAccepted))
	g.Expect(res.Member).To(Equal("erin-at-example-com"))
	g.Expect(res.User).To(Equal("oidc:Erin@example.com"))
	m := &orgsv1alpha1.Member{}
	g.Expect(f.client.Get(context.Background(), client.ObjectKey{Namespace: "org-acme", Name: "erin-at-example-com"}, m)).To(Succeed())
	g.Expect(m.Spec.User).To(Equal("oidc:Erin@example.com"))
	g.Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
	g.Expect(m.Labels).To(HaveKeyWithValue(orgsv1alpha1.InvitationLabel, "erin"))
	g.Expect(m.Annotations).To(HaveKeyWithValue(orgsv1alpha1.AcceptedTokenAnnotation, invite.HashToken(f.token)))

	// The link is used now: it says so and changes nothing.
	res, err = f.acceptor.Respond(context.Background(), f.token, invite.DecisionAccept)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Outcome).To(Equal(invite.OutcomeUsed))
	g.Expect(res.Member).To(Equal("erin-at-example-com"))
	g.Expect(f.members(t)).To(HaveLen(2))
}

func TestAcceptorMemberNameCollision(t *testing.T) {
	g := NewWithT(t)
	// Someone else holds the first choice of name.
	squatter := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin-at-example-com"},
		Spec: orgsv1alpha1.MemberSpec{User: "erin-at-example-com@corp.example", Role: orgsv1alpha1.RoleViewer}}
	f := newAcceptFixture(t, true, nil, squatter)
	res, err := f.acceptor.Respond(context.Background(), f.token, invite.DecisionAccept)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Member).To(Equal(invite.MemberName("Erin@example.com", 1)))
	g.Expect(f.members(t)).To(HaveLen(3))
}

func TestAcceptorCompleteIsIdempotent(t *testing.T) {
	g := NewWithT(t)
	// Accepted, and a concurrent completion already created the Member.
	done := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin-at-example-com"},
		Spec: orgsv1alpha1.MemberSpec{User: "oidc:Erin@example.com", Role: orgsv1alpha1.RoleContributor}}
	f := newAcceptFixture(t, true, func(i *orgsv1alpha1.Invitation) {
		i.Status.Phase = orgsv1alpha1.InvitationAccepted
		i.Status.AcceptedAt = &metav1.Time{Time: now}
	}, done)
	name, err := f.acceptor.Complete(context.Background(), f.invitation(t))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(name).To(Equal("erin-at-example-com"))
	g.Expect(f.members(t)).To(HaveLen(2), "no second Member")
	g.Expect(f.invitation(t)).To(BeNil())
	// Again, with the Invitation gone: still fine.
	_, err = f.acceptor.Complete(context.Background(), &orgsv1alpha1.Invitation{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin", UID: "uid-erin"},
		Spec: orgsv1alpha1.InvitationSpec{Email: "Erin@example.com", Role: orgsv1alpha1.RoleContributor}})
	g.Expect(err).NotTo(HaveOccurred())
}

func TestAcceptorAlreadyMember(t *testing.T) {
	g := NewWithT(t)
	member := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin"},
		Spec: orgsv1alpha1.MemberSpec{User: "oidc:Erin@example.com", Role: orgsv1alpha1.RoleViewer}}
	f := newAcceptFixture(t, true, nil, member)
	res, err := f.acceptor.Respond(context.Background(), f.token, invite.DecisionAccept)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Outcome).To(Equal(invite.OutcomeAlreadyMember))
	g.Expect(res.Member).To(Equal("erin"))
	g.Expect(res.Role).To(Equal(orgsv1alpha1.RoleViewer))
	inv := f.invitation(t)
	g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationAccepted))
	g.Expect(inv.Status.AcceptedAt).To(BeNil())
	g.Expect(f.members(t)).To(HaveLen(2))
	g.Expect(f.events.Events).To(Receive(ContainSubstring(orgsv1alpha1.AlreadyMemberReason)))
}

// squatters are Members of other users under the first n names
// MemberName gives for email.
func squatters(email string, n int) []client.Object {
	var out []client.Object
	for attempt := range n {
		out = append(out, &orgsv1alpha1.Member{
			ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: invite.MemberName(email, attempt)},
			Spec:       orgsv1alpha1.MemberSpec{User: fmt.Sprintf("squatter-%d@example.com", attempt), Role: orgsv1alpha1.RoleViewer},
		})
	}
	return out
}

// An Admin may create Members of any name, so may hold every stable name
// an acceptance could pick, and even guess the acceptance's own name: the
// acceptance still completes, under the acceptance's name or, when that is
// held too, a name the API server generates.
func TestAcceptorFallsBackWhenNamesAreHeld(t *testing.T) {
	for _, holdAcceptanceName := range []bool{false, true} {
		t.Run(fmt.Sprintf("the acceptance's name held too: %t", holdAcceptanceName), func(t *testing.T) {
			g := NewWithT(t)
			f := newAcceptFixture(t, true, nil, squatters("Erin@example.com", 64)...)
			acceptanceName := invite.AcceptanceName("Erin@example.com", invite.HashToken(f.token), now)
			held := 1 + 64
			if holdAcceptanceName {
				g.Expect(f.client.Create(context.Background(), &orgsv1alpha1.Member{
					ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: acceptanceName},
					Spec:       orgsv1alpha1.MemberSpec{User: "guesser@example.com", Role: orgsv1alpha1.RoleViewer},
				})).To(Succeed())
				held++
			}
			res, err := f.acceptor.Respond(context.Background(), f.token, invite.DecisionAccept)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Outcome).To(Equal(invite.OutcomeAccepted))
			if holdAcceptanceName {
				g.Expect(res.Member).To(HavePrefix(invite.MemberName("Erin@example.com", 0) + "-"))
				g.Expect(res.Member).NotTo(Equal(acceptanceName))
			} else {
				g.Expect(res.Member).To(Equal(acceptanceName))
			}
			g.Expect(validation.IsDNS1123Label(res.Member)).To(BeEmpty())
			m := &orgsv1alpha1.Member{}
			g.Expect(f.client.Get(context.Background(), client.ObjectKey{Namespace: "org-acme", Name: res.Member}, m)).To(Succeed())
			g.Expect(m.Spec.User).To(Equal("oidc:Erin@example.com"))
			g.Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
			g.Expect(m.Annotations).To(HaveKeyWithValue(orgsv1alpha1.AcceptedTokenAnnotation, invite.HashToken(f.token)))
			g.Expect(f.members(t)).To(HaveLen(held+1), "alice, the squatters, erin")
			g.Expect(f.invitation(t)).To(BeNil(), "the accepted invitation is removed")

			// Completing again (the reconciler) finds erin by identity: no second Member.
			_, err = f.acceptor.Complete(context.Background(), &orgsv1alpha1.Invitation{ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin", UID: "uid-erin"},
				Spec: orgsv1alpha1.InvitationSpec{Email: "Erin@example.com", Role: orgsv1alpha1.RoleContributor}})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(f.members(t)).To(HaveLen(held + 1))
		})
	}
}

// hideFirstList is f's client, whose first List of Members leaves out
// hidden: a concurrent completion created it after that List.
func hideFirstList(f *acceptFixture, hidden string) client.Client {
	lists := 0
	return interceptor.NewClient(f.client.(client.WithWatch), interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			err := c.List(ctx, list, opts...)
			if ml, ok := list.(*orgsv1alpha1.MemberList); ok && err == nil {
				lists++
				if lists == 1 {
					kept := ml.Items[:0]
					for _, m := range ml.Items {
						if m.Name != hidden {
							kept = append(kept, m)
						}
					}
					ml.Items = kept
				}
			}
			return err
		},
	})
}

// Two completions of one acceptance at once, with every stable name held,
// agree on the acceptance's name: the second finds the first's Member
// there, and makes none.
func TestAcceptorCompletionsAgreeOnTheAcceptanceName(t *testing.T) {
	g := NewWithT(t)
	_, hash, _ := invite.NewToken()
	name := invite.AcceptanceName("Erin@example.com", hash, now)
	first := &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: name,
			Labels:      map[string]string{orgsv1alpha1.InvitationLabel: "erin"},
			Annotations: map[string]string{orgsv1alpha1.AcceptedTokenAnnotation: hash}},
		Spec: orgsv1alpha1.MemberSpec{User: "oidc:Erin@example.com", Role: orgsv1alpha1.RoleContributor},
	}
	f := newAcceptFixture(t, true, func(i *orgsv1alpha1.Invitation) {
		i.Status.TokenHash = hash
		i.Status.Phase = orgsv1alpha1.InvitationAccepted
		// Stored to the second; the other completion held nanoseconds.
		i.Status.AcceptedAt = &metav1.Time{Time: now.Add(300 * time.Millisecond)}
	}, append(squatters("Erin@example.com", 3), first)...)
	acceptor := *f.acceptor
	acceptor.Live = hideFirstList(f, name)
	got, err := acceptor.Complete(context.Background(), f.invitation(t))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(name))
	g.Expect(f.members(t)).To(HaveLen(1+3+1), "alice, the squatters, erin once")
	g.Expect(f.invitation(t)).To(BeNil())
}

// Two completions of one acceptance at once (the accept request and the
// reconciler), both finding every stable name taken, each create a
// generated name; whichever lists last deletes the Member that policy
// counts as a duplicate, so one Member remains. The race is replayed by
// hiding the other completion's Member from this one's first list.
func TestAcceptorSettlesConcurrentGeneratedNames(t *testing.T) {
	for _, otherFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("the other created first: %t", otherFirst), func(t *testing.T) {
			settleConcurrent(t, otherFirst)
		})
	}
}

func settleConcurrent(t *testing.T, otherFirst bool) {
	g := NewWithT(t)
	_, hash, _ := invite.NewToken()
	created := now.Add(time.Second)
	if otherFirst {
		created = now.Add(-time.Second)
	}
	accepted := func(i *orgsv1alpha1.Invitation) {
		i.Status.TokenHash = hash
		i.Status.Phase = orgsv1alpha1.InvitationAccepted
		i.Status.AcceptedAt = &metav1.Time{Time: now}
	}
	// The other completion's Member.
	other := &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "erin-at-example-com-other",
			CreationTimestamp: metav1.NewTime(created),
			Labels:            map[string]string{orgsv1alpha1.InvitationLabel: "erin"},
			Annotations:       map[string]string{orgsv1alpha1.AcceptedTokenAnnotation: hash}},
		Spec: orgsv1alpha1.MemberSpec{User: "oidc:Erin@example.com", Role: orgsv1alpha1.RoleContributor},
	}
	// Every deterministic name is held, the acceptance's too.
	objs := append(squatters("Erin@example.com", 3), other, &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: invite.AcceptanceName("Erin@example.com", hash, now)},
		Spec:       orgsv1alpha1.MemberSpec{User: "guesser@example.com", Role: orgsv1alpha1.RoleViewer},
	})
	f := newAcceptFixture(t, true, accepted, objs...)
	acceptor := *f.acceptor
	acceptor.Live = hideFirstList(f, other.Name)
	// The fake API server records no creation time; a real one would.
	acceptor.Client = interceptor.NewClient(f.client.(client.WithWatch), interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			obj.SetCreationTimestamp(metav1.NewTime(now))
			return c.Create(ctx, obj, opts...)
		},
	})
	name, err := acceptor.Complete(context.Background(), f.invitation(t))
	g.Expect(err).NotTo(HaveOccurred())
	if otherFirst {
		g.Expect(name).To(Equal(other.Name), "the older Member is the one with access")
	} else {
		g.Expect(name).NotTo(Equal(other.Name), "the older Member is the one with access")
	}
	var mine []string
	for _, m := range f.members(t) {
		if m.Labels[orgsv1alpha1.InvitationLabel] == "erin" {
			mine = append(mine, m.Name)
		}
	}
	g.Expect(mine).To(ConsistOf(name), "one Member for the acceptance")
	g.Expect(f.members(t)).To(HaveLen(1+4+1), "alice, the squatters, erin")
}
