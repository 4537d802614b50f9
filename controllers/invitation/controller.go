package invitation

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/conflict"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:rbac:groups=orgs.roster.dev,resources=invitations,verbs=get;list;watch;update;patch;delete
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=invitations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=members,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations,verbs=get;list;watch
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// DefaultInvitationTTL is how long a link stays valid when the
// Organization's spec.invitationTTL is not set.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// maxPreviousTokens is how many replaced links the accept page recognises.
const maxPreviousTokens = 5

// Reconciler delivers an Invitation's link, resends it on
// request, expires it, notices when the invitee became a Member some other
// way, and finishes acceptances the accept server started.
type Reconciler struct {
	Client client.Client
	// Live reads from the API server, to settle a write that raced with
	// the invitee's answer.
	Live     client.Reader
	Recorder recorder.EventRecorder
	Notifier notify.Notifier
	// BaseURL is the base of acceptance links (the accept server's).
	BaseURL  string
	Acceptor *Acceptor
	// UserPrefix is put before the e-mail of a Member made from an invitation.
	UserPrefix string
	// RetryBase and RetryMax bound the exponential backoff of failed
	// deliveries (default 5s and 10m).
	RetryBase, RetryMax time.Duration
	// Clock is the clock (tests); default the real one.
	Clock clock.PassiveClock

	once      sync.Once
	backoff   workqueue.TypedRateLimiter[types.NamespacedName]
	mu        sync.Mutex
	notBefore map[types.NamespacedName]time.Time
}

// invitationScope is what one reconcile of one Invitation works on.
type invitationScope struct {
	inv *orgsv1alpha1.Invitation
	// org is nil when no Organization has the namespace as its home.
	org         *orgsv1alpha1.Organization
	members     []orgsv1alpha1.Member
	invitations []orgsv1alpha1.Invitation
	userPrefix  string
	now         time.Time
	// notBefore is when a failed delivery may be retried.
	notBefore time.Time
}

// stepKind is what a reconcile does next.
type stepKind string

const (
	stepObserve        stepKind = "Observe"
	stepNoOrganization stepKind = "NoOrganization"
	stepComplete       stepKind = "Complete"
	stepAlreadyMember  stepKind = "AlreadyMember"
	stepSend           stepKind = "Send"
	stepRefuseResend   stepKind = "RefuseResend"
	stepExpire         stepKind = "Expire"
	stepWaitRetry      stepKind = "WaitRetry"
	stepWaitExpiry     stepKind = "WaitExpiry"
)

type invitationStep struct {
	kind stepKind
	// after is how long to wait (WaitRetry, WaitExpiry).
	after time.Duration
	// member is the Member that already exists (AlreadyMember).
	member *orgsv1alpha1.Member
	// message says why a resend is refused.
	message string
}

// nextInvitationStep decides, purely from the scope, what to do.
func nextInvitationStep(s *invitationScope) invitationStep {
	inv, st := s.inv, &s.inv.Status
	if s.org == nil {
		return invitationStep{kind: stepNoOrganization}
	}
	resend := resendRequested(inv)
	switch st.Phase {
	case orgsv1alpha1.InvitationAccepted:
		if st.AcceptedAt != nil {
			return invitationStep{kind: stepComplete}
		}
		return invitationStep{kind: stepObserve}
	case orgsv1alpha1.InvitationDeclined, orgsv1alpha1.InvitationFailed:
		if resend {
			return invitationStep{kind: stepRefuseResend, message: fmt.Sprintf(
				"The invitation for %s is %s, so a resend cannot revive it: delete it and create a new Invitation.", inv.Spec.Email, st.Phase)}
		}
		return invitationStep{kind: stepObserve}
	}
	for i := range s.members {
		if policy.MemberMatchesEmail(&s.members[i], inv.Spec.Email, s.userPrefix) {
			return invitationStep{kind: stepAlreadyMember, member: &s.members[i]}
		}
	}
	// A changed spec (another e-mail or role) needs a link that says so;
	// the old one stops working.
	renew := resend || (st.ObservedGeneration != 0 && inv.Generation != st.ObservedGeneration)
	switch st.Phase {
	case orgsv1alpha1.InvitationExpired:
		if !renew {
			return invitationStep{kind: stepObserve}
		}
		snapshot := policy.Snapshot{Organization: s.org, Members: s.members, Invitations: s.invitations, UserPrefix: s.userPrefix}
		if d := policy.RevivesInvitation(inv, snapshot); !d.Allowed() {
			return invitationStep{kind: stepRefuseResend, message: d.Message}
		}
		return invitationStep{kind: stepSend}
	case orgsv1alpha1.InvitationSent:
		if renew {
			return invitationStep{kind: stepSend}
		}
		if st.ExpiresAt == nil || !s.now.Before(st.ExpiresAt.Time) {
			return invitationStep{kind: stepExpire}
		}
		return invitationStep{kind: stepWaitExpiry, after: st.ExpiresAt.Sub(s.now)}
	}
	// Pending: never delivered, or the last delivery failed.
	if !renew && s.now.Before(s.notBefore) {
		return invitationStep{kind: stepWaitRetry, after: s.notBefore.Sub(s.now)}
	}
	return invitationStep{kind: stepSend}
}

func resendRequested(inv *orgsv1alpha1.Invitation) bool {
	v, ok := inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]
	return ok && v != inv.Status.LastResendRequest
}

func (r *Reconciler) init() {
	r.once.Do(func() {
		base, maxDelay := r.RetryBase, r.RetryMax
		if base <= 0 {
			base = 5 * time.Second
		}
		if maxDelay <= 0 {
			maxDelay = 10 * time.Minute
		}
		r.backoff = workqueue.NewTypedItemExponentialFailureRateLimiter[types.NamespacedName](base, maxDelay)
		r.notBefore = map[types.NamespacedName]time.Time{}
		if r.Clock == nil {
			r.Clock = clock.RealClock{}
		}
	})
}

// Reconcile moves one Invitation along: deliver, wait, expire, resend,
// resolve, or finish an acceptance.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	inv := &orgsv1alpha1.Invitation{}
	if err := r.Client.Get(ctx, req.NamespacedName, inv); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !inv.DeletionTimestamp.IsZero() {
		// Revoked: the accept server refuses a link to an Invitation being deleted.
		return ctrl.Result{}, nil
	}
	s, err := r.loadScope(ctx, inv)
	if err != nil {
		return ctrl.Result{}, err
	}
	step := nextInvitationStep(s)
	log.FromContext(ctx).V(1).Info("invitation step", "step", step.kind, "phase", inv.Status.Phase)
	var res ctrl.Result
	switch step.kind {
	case stepNoOrganization:
		err = r.noOrganization(ctx, s)
	case stepComplete:
		_, err = r.Acceptor.Complete(ctx, inv)
	case stepAlreadyMember:
		err = r.alreadyMember(ctx, s, step.member)
	case stepSend:
		res, err = r.send(ctx, s)
	case stepRefuseResend:
		err = r.refuseResend(ctx, s, step.message)
	case stepExpire:
		err = r.expire(ctx, s)
	case stepWaitRetry, stepWaitExpiry:
		err = r.observe(ctx, s)
		res = ctrl.Result{RequeueAfter: step.after}
	default:
		err = r.observe(ctx, s)
	}
	return invitationResult(ctx, res, err)
}

func (r *Reconciler) loadScope(ctx context.Context, inv *orgsv1alpha1.Invitation) (*invitationScope, error) {
	s := &invitationScope{inv: inv, userPrefix: r.UserPrefix, now: r.Clock.Now()}
	var err error
	if s.org, err = index.OrganizationFor(ctx, r.Client, inv.Namespace); err != nil {
		return nil, err
	}
	var members orgsv1alpha1.MemberList
	if err := r.Client.List(ctx, &members, client.InNamespace(inv.Namespace)); err != nil {
		return nil, fmt.Errorf("listing the members of namespace %s: %w", inv.Namespace, err)
	}
	s.members = members.Items
	var invitations orgsv1alpha1.InvitationList
	if err := r.Client.List(ctx, &invitations, client.InNamespace(inv.Namespace)); err != nil {
		return nil, fmt.Errorf("listing the invitations of namespace %s: %w", inv.Namespace, err)
	}
	s.invitations = invitations.Items
	r.mu.Lock()
	s.notBefore = r.notBefore[client.ObjectKeyFromObject(inv)]
	r.mu.Unlock()
	return s, nil
}

// invitationResult keeps res unless the view was stale: every status
// write carries the resourceVersion read, so a stale decision fails with a
// conflict and is retried quietly (as the Organization reconciler does).
func invitationResult(ctx context.Context, res ctrl.Result, err error) (ctrl.Result, error) {
	if err != nil {
		return conflict.Requeue(ctx, err)
	}
	return res, nil
}

func (r *Reconciler) forget(key types.NamespacedName) {
	r.backoff.Forget(key)
	r.mu.Lock()
	delete(r.notBefore, key)
	r.mu.Unlock()
}

// updateStatus writes the status if it changed, with the resourceVersion read.
func (r *Reconciler) updateStatus(ctx context.Context, inv *orgsv1alpha1.Invitation, before *orgsv1alpha1.InvitationStatus) error {
	if equality.Semantic.DeepEqual(before, &inv.Status) {
		return nil
	}
	return r.Client.Status().Update(ctx, inv)
}

// observe keeps the status current without acting.
func (r *Reconciler) observe(ctx context.Context, s *invitationScope) error {
	before := s.inv.Status.DeepCopy()
	setInvitationObserved(s.inv)
	setInvitationReady(s.inv, "")
	return r.updateStatus(ctx, s.inv, before)
}

func (r *Reconciler) noOrganization(ctx context.Context, s *invitationScope) error {
	inv := s.inv
	before := inv.Status.DeepCopy()
	if inv.Status.Phase == "" {
		inv.Status.Phase = orgsv1alpha1.InvitationPending
	}
	setInvitationObserved(inv)
	if inv.Status.Phase == orgsv1alpha1.InvitationPending {
		reason, msg, err := r.whyNoOrganization(ctx, inv.Namespace)
		if err != nil {
			return err
		}
		setNotSent(inv, reason, msg)
	}
	setInvitationReady(inv, "")
	return r.updateStatus(ctx, inv, before)
}

// whyNoOrganization says why an Invitation in namespace, which is no
// Organization's home, is not sent: the organization the namespace awaits
// (policy.AwaitedOrganization) does not exist yet, or was created with
// another home namespace, or the namespace awaits none.
func (r *Reconciler) whyNoOrganization(ctx context.Context, namespace string) (reason, msg string, err error) {
	reason = orgsv1alpha1.OrganizationNotFoundReason
	msg = fmt.Sprintf("Not sent: namespace %s is not the home namespace of any Organization. Create the Invitation in its organization's home namespace.", namespace)
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return reason, msg, client.IgnoreNotFound(err)
	}
	awaited := policy.AwaitedOrganization(namespace, ns.Labels[orgsv1alpha1.HomeOfLabel])
	if awaited == "" {
		return reason, msg, nil
	}
	org := &orgsv1alpha1.Organization{}
	switch err := r.Client.Get(ctx, client.ObjectKey{Name: awaited}, org); {
	case apierrors.IsNotFound(err):
		return reason, "Not sent: " + policy.WaitingMessage("Invitations", namespace, awaited), nil
	case err != nil:
		return "", "", fmt.Errorf("reading organization %s: %w", awaited, err)
	}
	return orgsv1alpha1.HomeNamespaceMismatchReason, "Not sent: " + policy.MismatchMessage("Invitations", namespace, awaited, org.HomeNamespaceName()), nil
}

func (r *Reconciler) alreadyMember(ctx context.Context, s *invitationScope, m *orgsv1alpha1.Member) error {
	inv := s.inv
	before := inv.Status.DeepCopy()
	note := fmt.Sprintf("%s is already a member (Member %s, role %s), so the invitation resolved itself; nothing more is sent.", inv.Spec.Email, m.Name, m.Spec.Role)
	inv.Status.Phase = orgsv1alpha1.InvitationAccepted
	inv.Status.AcceptedAt = nil
	setInvitationObserved(inv)
	if inv.Status.SendCount == 0 {
		setNotSent(inv, orgsv1alpha1.AlreadyMemberReason, fmt.Sprintf("Not sent: %s is already a member (Member %s).", inv.Spec.Email, m.Name))
	}
	setInvitationReady(inv, note)
	if err := r.updateStatus(ctx, inv, before); err != nil {
		return err
	}
	r.forget(client.ObjectKeyFromObject(inv))
	r.Recorder.Eventf(inv, m, corev1.EventTypeNormal, orgsv1alpha1.AlreadyMemberReason, "Resolve", "%s", note)
	return nil
}

func (r *Reconciler) refuseResend(ctx context.Context, s *invitationScope, message string) error {
	inv := s.inv
	before := inv.Status.DeepCopy()
	inv.Status.LastResendRequest = inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]
	setInvitationObserved(inv)
	setInvitationReady(inv, "")
	if err := r.updateStatus(ctx, inv, before); err != nil {
		return err
	}
	r.Recorder.Eventf(inv, nil, corev1.EventTypeWarning, orgsv1alpha1.ResendRefusedReason, "Resend", "%s", message)
	return nil
}

func (r *Reconciler) expire(ctx context.Context, s *invitationScope) error {
	inv := s.inv
	before := inv.Status.DeepCopy()
	inv.Status.Phase = orgsv1alpha1.InvitationExpired
	setInvitationObserved(inv)
	setInvitationReady(inv, "")
	if err := r.updateStatus(ctx, inv, before); err != nil {
		return err
	}
	r.Recorder.Eventf(inv, nil, corev1.EventTypeNormal, orgsv1alpha1.ExpiredReason, "Expire",
		"The invitation for %s expired at %s without an answer; set annotation %s to send a new link",
		inv.Spec.Email, timeOrUnknown(inv.Status.ExpiresAt), orgsv1alpha1.ResendRequestedAtAnnotation)
	return nil
}

// invitationTTL is the Organization's link lifetime.
func invitationTTL(org *orgsv1alpha1.Organization) time.Duration {
	if org != nil && org.Spec.InvitationTTL != nil && org.Spec.InvitationTTL.Duration > 0 {
		return org.Spec.InvitationTTL.Duration
	}
	return DefaultInvitationTTL
}

// issueToken records a fresh token's hash and expiry in the status: the
// previous link stops working, and is remembered as replaced if it had
// been delivered.
func issueToken(inv *orgsv1alpha1.Invitation, hash string, now time.Time, ttl time.Duration, notifier string) {
	st := &inv.Status
	if st.TokenHash != "" && st.Phase != orgsv1alpha1.InvitationPending && st.Phase != "" {
		prev := append([]string{st.TokenHash}, st.PreviousTokenHashes...)
		if len(prev) > maxPreviousTokens {
			prev = prev[:maxPreviousTokens]
		}
		st.PreviousTokenHashes = prev
	}
	expires := metav1.NewTime(now.Add(ttl))
	st.TokenHash = hash
	st.ExpiresAt = &expires
	st.Phase = orgsv1alpha1.InvitationPending
	st.AcceptedAt = nil
	st.LastResendRequest = inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation]
	st.Notifier = notifier
	setInvitationObserved(inv)
	setDeliverySending(inv, notifier)
	setInvitationReady(inv, "")
}

// recordDelivery writes the outcome of a delivery into the status.
func recordDelivery(inv *orgsv1alpha1.Invitation, notifier string, now time.Time, sendErr error, retryIn time.Duration) {
	st := &inv.Status
	if sendErr != nil {
		setDeliveryFailed(inv, notifier, sendErr, retryIn)
	} else {
		sent := metav1.NewTime(now)
		st.Phase = orgsv1alpha1.InvitationSent
		st.SentAt = &sent
		st.SendCount++
		setDeliverySucceeded(inv, notifier, now)
	}
	setInvitationReady(inv, "")
}

// send issues a fresh token, stores its hash, delivers the link, and
// records the outcome. The hash is written before the link leaves, so the
// link works as soon as it arrives, and the write carries the
// resourceVersion read, so a stale view never sends twice.
func (r *Reconciler) send(ctx context.Context, s *invitationScope) (ctrl.Result, error) {
	inv := s.inv
	key := client.ObjectKeyFromObject(inv)
	logger := log.FromContext(ctx)
	token, hash, err := NewToken()
	if err != nil {
		return ctrl.Result{}, err
	}
	ttl := invitationTTL(s.org)
	issueToken(inv, hash, s.now, ttl, r.Notifier.Name())
	if err := r.Client.Status().Update(ctx, inv); err != nil {
		return ctrl.Result{}, err
	}
	msg := notify.Message{
		Email: inv.Spec.Email, Link: Link(r.BaseURL, token),
		Organization: s.org.Name, OrganizationDisplayName: s.org.DisplayNameOrName(),
		Role: inv.Spec.Role, InvitedBy: inv.Status.InvitedBy, ExpiresAt: inv.Status.ExpiresAt.Time,
		Invitation: key,
	}
	if msg.InvitedBy == "" {
		msg.InvitedBy = "An administrator of " + msg.OrganizationDisplayName
	}
	sendErr := r.Notifier.Notify(ctx, msg)
	metrics.RecordDelivery(r.Notifier.Name(), sendErr)
	now := r.Clock.Now()
	var retryIn time.Duration
	if sendErr != nil {
		retryIn = r.backoff.When(key)
		r.mu.Lock()
		r.notBefore[key] = now.Add(retryIn)
		r.mu.Unlock()
	} else {
		r.forget(key)
	}
	if err := r.writeDelivery(ctx, inv, hash, now, sendErr, retryIn); err != nil {
		return ctrl.Result{}, err
	}
	if sendErr != nil {
		logger.Info("delivering the invitation link failed; retrying", "notifier", r.Notifier.Name(), "retryIn", retryIn, "error", sendErr.Error())
		r.Recorder.Eventf(inv, nil, corev1.EventTypeWarning, orgsv1alpha1.DeliveryFailedReason, "Deliver",
			"Sending the invitation link to %s through the %s notifier failed: %s; retrying in %s",
			inv.Spec.Email, r.Notifier.Name(), truncate(sendErr.Error(), 512), retryIn.Round(time.Second))
		return ctrl.Result{RequeueAfter: retryIn}, nil
	}
	sentLog := logger
	if r.Notifier.Name() == notify.NotifierLog {
		// The log notifier's own line already is the record of this
		// delivery; a second, longer one would drown it.
		sentLog = logger.V(1)
	}
	sentLog.Info("invitation link sent", "notifier", r.Notifier.Name(), "expiresAt", inv.Status.ExpiresAt.UTC().Format(time.RFC3339))
	r.Recorder.Eventf(inv, nil, corev1.EventTypeNormal, orgsv1alpha1.SentReason, "Deliver",
		"Sent the invitation link to %s through the %s notifier; it expires at %s",
		inv.Spec.Email, r.Notifier.Name(), inv.Status.ExpiresAt.UTC().Format(time.RFC3339))
	return ctrl.Result{RequeueAfter: ttl}, nil
}

// writeDelivery records the delivery. If the Invitation changed since the
// token was issued (the invitee already answered, or it was resent), the
// newer state wins; otherwise the outcome is written onto the fresh object.
func (r *Reconciler) writeDelivery(ctx context.Context, inv *orgsv1alpha1.Invitation, hash string, now time.Time, sendErr error, retryIn time.Duration) error {
	obj := inv
	for range 5 {
		recordDelivery(obj, r.Notifier.Name(), now, sendErr, retryIn)
		err := r.Client.Status().Update(ctx, obj)
		if err == nil || !apierrors.IsConflict(err) {
			return err
		}
		fresh := &orgsv1alpha1.Invitation{}
		if err := r.Live.Get(ctx, client.ObjectKeyFromObject(inv), fresh); err != nil {
			return client.IgnoreNotFound(err)
		}
		if fresh.Status.TokenHash != hash || fresh.Status.Phase != orgsv1alpha1.InvitationPending {
			return nil
		}
		obj = fresh
	}
	return fmt.Errorf("recording the delivery for invitation %s/%s kept conflicting", inv.Namespace, inv.Name)
}

// SetupWithManager watches Invitations, the Members that may make one
// moot, and the Organizations that give them a home and a TTL.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init()
	return ctrl.NewControllerManagedBy(mgr).
		For(&orgsv1alpha1.Invitation{}).
		// An invitation reads the specs of Members and its Organization,
		// never their status or metadata: without the predicate, every
		// Member status patch would list the namespace's Invitations.
		Watches(&orgsv1alpha1.Member{}, handler.EnqueueRequestsFromMapFunc(r.invitationsForMember),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&orgsv1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(r.invitationsOfOrganization),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("invitation").
		Complete(r)
}

// invitationsForMember maps a Member to the invitations for its user.
func (r *Reconciler) invitationsForMember(ctx context.Context, obj client.Object) []ctrl.Request {
	m, ok := obj.(*orgsv1alpha1.Member)
	if !ok {
		return nil
	}
	var list orgsv1alpha1.InvitationList
	if err := r.Client.List(ctx, &list, client.InNamespace(m.Namespace)); err != nil {
		log.FromContext(ctx).Error(err, "mapping a member to its invitations", "member", client.ObjectKeyFromObject(m))
		return nil
	}
	var out []ctrl.Request
	for i := range list.Items {
		if policy.MemberMatchesEmail(m, list.Items[i].Spec.Email, r.UserPrefix) {
			out = append(out, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// invitationsOfOrganization maps an Organization to the invitations in its home.
func (r *Reconciler) invitationsOfOrganization(ctx context.Context, obj client.Object) []ctrl.Request {
	org, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return nil
	}
	// Its home, and org-<name> when that is not its home: the Invitations
	// waiting there learn that it has another one (HomeNamespaceMismatch).
	namespaces := []string{org.HomeNamespaceName()}
	if awaiting := orgsv1alpha1.DefaultHomeNamespacePrefix + org.Name; awaiting != namespaces[0] {
		namespaces = append(namespaces, awaiting)
	}
	var out []ctrl.Request
	for _, ns := range namespaces {
		var list orgsv1alpha1.InvitationList
		if err := r.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			log.FromContext(ctx).Error(err, "mapping an organization to its invitations", "organization", org.Name)
			return nil
		}
		for i := range list.Items {
			out = append(out, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}
