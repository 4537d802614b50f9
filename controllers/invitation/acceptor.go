package invitation

import (
	"context"
	"errors"
	"fmt"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// Outcome is what a request to the accept page or API came to.
type Outcome string

// Outcomes. Only Accepted, Declined, AlreadyMember and
// InviterLostAuthority change anything.
const (
	// OutcomeValid: the link can be answered (a GET shows the invitation).
	OutcomeValid Outcome = "valid"
	// OutcomeAccepted: the Member was created and the Invitation removed.
	OutcomeAccepted Outcome = "accepted"
	// OutcomeDeclined: the Invitation is Declined.
	OutcomeDeclined Outcome = "declined"
	// OutcomeAlreadyMember: the invitee is a Member already.
	OutcomeAlreadyMember Outcome = "already-member"
	// OutcomeInviterLostAuthority: the inviter may no longer grant the
	// role; the invitee needs a new invitation.
	OutcomeInviterLostAuthority Outcome = "inviter-lost-authority"
	// OutcomeRefused: another invariant refuses the Member.
	OutcomeRefused Outcome = "refused"
	// OutcomeExpired: the link's expiry passed.
	OutcomeExpired Outcome = "expired"
	// OutcomeUsed: the link was used to accept already.
	OutcomeUsed Outcome = "used"
	// OutcomeAlreadyDeclined: the invitation was declined already.
	OutcomeAlreadyDeclined Outcome = "already-declined"
	// OutcomeRevoked: the Invitation was deleted.
	OutcomeRevoked Outcome = "revoked"
	// OutcomeReplaced: a resend replaced the link with a newer one.
	OutcomeReplaced Outcome = "replaced"
	// OutcomeUnknown: the link belongs to no invitation Roster knows.
	OutcomeUnknown Outcome = "unknown"
	// OutcomeRateLimited: too many requests; try again later.
	OutcomeRateLimited Outcome = "rate-limited"
	// OutcomeBadRequest: the request is malformed.
	OutcomeBadRequest Outcome = "bad-request"
	// OutcomeUnavailable: Roster could not answer (API server errors).
	OutcomeUnavailable Outcome = "unavailable"
)

// Decisions an invitee can send.
const (
	DecisionAccept  = "accept"
	DecisionDecline = "decline"
)

// Result describes the invitation a link belongs to and what a request did.
type Result struct {
	Outcome Outcome
	// Message is a sentence for the invitee, when the outcome needs one
	// beyond the page's own text (a refusal's reason).
	Message                 string
	Email                   string
	Organization            string
	OrganizationDisplayName string
	Role                    orgsv1alpha1.Role
	InvitedBy               string
	ExpiresAt               time.Time
	// Member is the Member's name (accepted, already a member) and User
	// its spec.user.
	Member string
	User   string
}

// Acceptor answers acceptance links: it finds the invitation a token
// belongs to, checks it in constant time against the live object, and
// accepts or declines it.
type Acceptor struct {
	// Client writes, and reads through the manager's cache (indexes).
	Client client.Client
	// Live reads from the API server, for the checks that decide.
	Live client.Reader
	// UserPrefix is put before the e-mail in the Member's spec.user.
	UserPrefix string
	Recorder   recorder.EventRecorder
	// Clock is the clock (tests); default the real one.
	Clock clock.PassiveClock

	tombstones *tombstones
}

func (a *Acceptor) now() time.Time {
	if a.Clock != nil {
		return a.Clock.Now()
	}
	return time.Now()
}

func (a *Acceptor) graves() *tombstones {
	if a.tombstones == nil {
		a.tombstones = newTombstones(10000)
	}
	return a.tombstones
}

// InvitationKey names the invitation token belongs to, from the cache
// alone, for per-invitation rate limits: its UID, or the token's hash when
// no invitation has it.
func (a *Acceptor) InvitationKey(ctx context.Context, token string) string {
	if !WellFormed(token) {
		return "malformed"
	}
	hash := HashToken(token)
	var list orgsv1alpha1.InvitationList
	if err := a.Client.List(ctx, &list, client.MatchingFields{index.InvitationByTokenHash: hash}); err == nil && len(list.Items) > 0 {
		return string(list.Items[0].UID)
	}
	return hash
}

// Lookup says what token is a link to, and changes nothing.
func (a *Acceptor) Lookup(ctx context.Context, token string) (Result, error) {
	res, _, err := a.lookup(ctx, token)
	return res, err
}

// lookup finds the invitation token belongs to. The cache finds the
// candidate; the live object decides, its hash compared in constant time.
func (a *Acceptor) lookup(ctx context.Context, token string) (Result, *orgsv1alpha1.Invitation, error) {
	if !WellFormed(token) {
		return Result{Outcome: OutcomeUnknown}, nil, nil
	}
	hash := HashToken(token)
	var list orgsv1alpha1.InvitationList
	if err := a.Client.List(ctx, &list, client.MatchingFields{index.InvitationByTokenHash: hash}); err != nil {
		return Result{Outcome: OutcomeUnavailable}, nil, fmt.Errorf("looking up the invitation of a token: %w", err)
	}
	for i := range list.Items {
		cand := &list.Items[i]
		live := &orgsv1alpha1.Invitation{}
		err := a.Live.Get(ctx, client.ObjectKeyFromObject(cand), live)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return Result{Outcome: OutcomeUnavailable}, nil, fmt.Errorf("reading invitation %s/%s: %w", cand.Namespace, cand.Name, err)
		}
		if res, ok := a.evaluate(ctx, live, hash); ok {
			return res, live, nil
		}
	}
	return a.gone(ctx, hash)
}

// gone explains a token no live invitation holds: used (a Member records
// it), revoked (this replica saw the Invitation deleted) or unknown.
func (a *Acceptor) gone(ctx context.Context, hash string) (Result, *orgsv1alpha1.Invitation, error) {
	var members orgsv1alpha1.MemberList
	if err := a.Client.List(ctx, &members, client.MatchingFields{index.MemberByAcceptedToken: hash}); err != nil {
		return Result{Outcome: OutcomeUnavailable}, nil, fmt.Errorf("looking up the member of a used token: %w", err)
	}
	if len(members.Items) > 0 {
		m := &members.Items[0]
		res := Result{Outcome: OutcomeUsed, Member: m.Name, User: m.Spec.User, Role: m.Spec.Role}
		a.describeOrganization(ctx, m.Namespace, &res)
		return res, nil, nil
	}
	if o, ok := a.graves().get(hash); ok {
		return Result{Outcome: o}, nil, nil
	}
	return Result{Outcome: OutcomeUnknown}, nil, nil
}

// evaluate decides what the live invitation inv makes of a token with
// hash; ok is false when inv does not hold the hash at all.
func (a *Acceptor) evaluate(ctx context.Context, inv *orgsv1alpha1.Invitation, hash string) (Result, bool) {
	res := Result{
		Email: inv.Spec.Email, Role: inv.Spec.Role, InvitedBy: inv.Status.InvitedBy,
		User: a.UserPrefix + inv.Spec.Email,
	}
	if inv.Status.ExpiresAt != nil {
		res.ExpiresAt = inv.Status.ExpiresAt.Time
	}
	a.describeOrganization(ctx, inv.Namespace, &res)
	current := HashMatches(hash, inv.Status.TokenHash)
	replaced := false
	for _, h := range inv.Status.PreviousTokenHashes {
		if HashMatches(hash, h) {
			replaced = true
		}
	}
	switch {
	case !current && !replaced:
		return res, false
	case inv.DeletionTimestamp != nil:
		res.Outcome = OutcomeRevoked
	case replaced:
		res.Outcome = OutcomeReplaced
	default:
		res.Outcome = phaseOutcome(inv, a.now())
		if res.Outcome == OutcomeInviterLostAuthority {
			res.Message = readyMessage(inv)
		}
	}
	return res, true
}

// phaseOutcome is what a current link to inv can do at now.
func phaseOutcome(inv *orgsv1alpha1.Invitation, now time.Time) Outcome {
	switch inv.Status.Phase {
	case orgsv1alpha1.InvitationAccepted:
		if inv.Status.AcceptedAt != nil {
			return OutcomeUsed
		}
		return OutcomeAlreadyMember
	case orgsv1alpha1.InvitationDeclined:
		return OutcomeAlreadyDeclined
	case orgsv1alpha1.InvitationExpired:
		return OutcomeExpired
	case orgsv1alpha1.InvitationFailed:
		return OutcomeInviterLostAuthority
	}
	if inv.Status.ExpiresAt != nil && !now.Before(inv.Status.ExpiresAt.Time) {
		return OutcomeExpired
	}
	return OutcomeValid
}

func readyMessage(inv *orgsv1alpha1.Invitation) string {
	for _, c := range inv.Status.Conditions {
		if c.Type == orgsv1alpha1.ReadyCondition {
			return c.Message
		}
	}
	return ""
}

func (a *Acceptor) describeOrganization(ctx context.Context, namespace string, res *Result) {
	org, err := a.organization(ctx, namespace)
	if err != nil || org == nil {
		return
	}
	res.Organization = org.Name
	res.OrganizationDisplayName = org.DisplayNameOrName()
}

// organization is the Organization whose home is namespace: from the
// cache, else from the API server.
func (a *Acceptor) organization(ctx context.Context, namespace string) (*orgsv1alpha1.Organization, error) {
	return index.OrganizationWithFallback(ctx, a.Client, a.Live, namespace)
}

// Respond carries out decision (accept or decline) for token. Anything but
// a valid link changes nothing.
func (a *Acceptor) Respond(ctx context.Context, token, decision string) (Result, error) {
	if decision != DecisionAccept && decision != DecisionDecline {
		return Result{Outcome: OutcomeBadRequest, Message: `decision must be "accept" or "decline"`}, nil
	}
	// A conflict means the Invitation changed under us (a resend, the
	// reconciler's status, another click): look again and decide afresh.
	for range 5 {
		res, inv, err := a.lookup(ctx, token)
		if err != nil || res.Outcome != OutcomeValid {
			return res, err
		}
		if decision == DecisionDecline {
			res, err = a.decline(ctx, inv, res)
		} else {
			res, err = a.accept(ctx, inv, res)
		}
		if apierrors.IsConflict(err) {
			continue
		}
		return res, err
	}
	return Result{Outcome: OutcomeUnavailable}, errors.New("the invitation kept changing; giving up after 5 attempts")
}

func (a *Acceptor) decline(ctx context.Context, inv *orgsv1alpha1.Invitation, res Result) (Result, error) {
	inv.Status.Phase = orgsv1alpha1.InvitationDeclined
	setInvitationReady(inv, "")
	if err := a.Client.Status().Update(ctx, inv); err != nil {
		return Result{Outcome: OutcomeUnavailable}, err
	}
	a.Recorder.Eventf(inv, nil, corev1.EventTypeNormal, orgsv1alpha1.DeclinedReason, "Decline",
		"%s declined the invitation to join as %s", inv.Spec.Email, inv.Spec.Role)
	log.FromContext(ctx).Info("invitation declined", "invitation", client.ObjectKeyFromObject(inv).String())
	res.Outcome = OutcomeDeclined
	return res, nil
}

func (a *Acceptor) accept(ctx context.Context, inv *orgsv1alpha1.Invitation, res Result) (Result, error) {
	logger := log.FromContext(ctx).WithValues("invitation", client.ObjectKeyFromObject(inv).String())
	org, err := a.organization(ctx, inv.Namespace)
	if err != nil {
		return Result{Outcome: OutcomeUnavailable}, err
	}
	var members orgsv1alpha1.MemberList
	if err := a.Live.List(ctx, &members, client.InNamespace(inv.Namespace)); err != nil {
		return Result{Outcome: OutcomeUnavailable}, fmt.Errorf("listing the members of namespace %s: %w", inv.Namespace, err)
	}
	member := a.memberFor(inv, 0)
	inviter, known := policy.InviterOf(inv)
	var authority policy.Authority
	if known && org != nil {
		if authority, err = a.authority(ctx, inviter, org.Name, policy.AcceptanceVerb(member)); err != nil {
			return Result{Outcome: OutcomeUnavailable}, err
		}
	}
	d := policy.DecideAcceptance(policy.AcceptanceRequest{
		Invitation: inv, Member: member,
		Inviter: inviter, InviterKnown: known, InviterAuthority: authority,
		Snapshot: policy.Snapshot{Organization: org, Members: members.Items, UserPrefix: a.UserPrefix},
	})
	switch d.Outcome {
	case policy.AcceptanceAlreadyMember:
		inv.Status.Phase = orgsv1alpha1.InvitationAccepted
		setInvitationReady(inv, d.Message)
		if err := a.Client.Status().Update(ctx, inv); err != nil {
			return Result{Outcome: OutcomeUnavailable}, err
		}
		a.Recorder.Eventf(inv, nil, corev1.EventTypeNormal, orgsv1alpha1.AlreadyMemberReason, "Accept", "%s", d.Message)
		res.Outcome, res.Member, res.User, res.Role = OutcomeAlreadyMember, d.Member.Name, d.Member.Spec.User, d.Member.Spec.Role
		return res, nil
	case policy.AcceptanceInviterLostAuthority:
		inv.Status.Phase = orgsv1alpha1.InvitationFailed
		setInvitationReady(inv, d.Message)
		if err := a.Client.Status().Update(ctx, inv); err != nil {
			return Result{Outcome: OutcomeUnavailable}, err
		}
		a.Recorder.Eventf(inv, nil, corev1.EventTypeWarning, orgsv1alpha1.InviterLostAuthorityReason, "Accept", "%s", d.Message)
		logger.Info("invitation failed: the inviter lost the authority to grant the role", "inviter", inviter.User)
		res.Outcome, res.Message = OutcomeInviterLostAuthority, d.Message
		return res, nil
	case policy.AcceptanceRefused:
		res.Outcome, res.Message = OutcomeRefused, d.Message
		return res, nil
	}

	// Commit: one request wins (the update carries the resourceVersion
	// read), and from here the token is used.
	now := metav1.NewTime(a.now())
	inv.Status.Phase = orgsv1alpha1.InvitationAccepted
	inv.Status.AcceptedAt = &now
	setInvitationReady(inv, "")
	if err := a.Client.Status().Update(ctx, inv); err != nil {
		if apierrors.IsConflict(err) {
			return res, err
		}
		return Result{Outcome: OutcomeUnavailable}, err
	}
	a.Recorder.Eventf(inv, nil, corev1.EventTypeNormal, orgsv1alpha1.AcceptedReason, "Accept",
		"%s accepted the invitation and joins as %s", inv.Spec.Email, inv.Spec.Role)
	logger.Info("invitation accepted", "role", inv.Spec.Role)
	res.Outcome = OutcomeAccepted
	name, err := a.Complete(ctx, inv)
	if err != nil {
		// Accepted is recorded: the Invitation reconciler finishes the job.
		logger.Error(err, "creating the Member of an accepted invitation; the reconciler will retry")
		return res, nil
	}
	res.Member = name
	return res, nil
}

// memberFor is the Member accepting inv creates, with the attempt-th name.
func (a *Acceptor) memberFor(inv *orgsv1alpha1.Invitation, attempt int) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   inv.Namespace,
			Name:        MemberName(inv.Spec.Email, attempt),
			Labels:      map[string]string{orgsv1alpha1.InvitationLabel: inv.Name},
			Annotations: map[string]string{orgsv1alpha1.AcceptedTokenAnnotation: inv.Status.TokenHash},
		},
		Spec: orgsv1alpha1.MemberSpec{User: a.UserPrefix + inv.Spec.Email, Role: inv.Spec.Role},
	}
}

// The names accepting tries, in order: MemberName's stableNames
// deterministic ones; then AcceptanceName, which both completions of one
// acceptance (the accept request and the reconciler) compute alike, so
// they agree on it as on a stable name, and which nobody can hold before
// the acceptance without guessing its second; then, since an Admin may
// create Members of any name, up to generatedNames that the API server
// generates, which nobody can hold in advance (a clash there is a fluke).
const (
	stableNames    = 3
	generatedNames = 5
)

// candidate is the Member of the attempt-th try, or nil when the
// attempt has no name to try.
func (a *Acceptor) candidate(inv *orgsv1alpha1.Invitation, attempt int) *orgsv1alpha1.Member {
	m := a.memberFor(inv, attempt)
	switch {
	case attempt < stableNames:
	case attempt == stableNames:
		if inv.Status.AcceptedAt == nil {
			return nil
		}
		m.Name = AcceptanceName(inv.Spec.Email, inv.Status.TokenHash, inv.Status.AcceptedAt.Time)
	default:
		m.Name, m.GenerateName = "", MemberName(inv.Spec.Email, 0)+"-"
	}
	return m
}

// Complete finishes an accepted invitation: it creates the Member (unless
// one for the invitee exists) and deletes the Invitation. It is
// idempotent; the reconciler calls it again if the accept request could
// not finish. Whether the invitee has a Member is decided by identity
// (policy.MemberMatchesEmail), never by name.
func (a *Acceptor) Complete(ctx context.Context, inv *orgsv1alpha1.Invitation) (string, error) {
	var members orgsv1alpha1.MemberList
	if err := a.Live.List(ctx, &members, client.InNamespace(inv.Namespace)); err != nil {
		return "", fmt.Errorf("listing the members of namespace %s: %w", inv.Namespace, err)
	}
	name := ""
	for i := range members.Items {
		if policy.MemberMatchesEmail(&members.Items[i], inv.Spec.Email, a.UserPrefix) {
			name = members.Items[i].Name
			break
		}
	}
	created := false
	for attempt := 0; name == "" && attempt <= stableNames+generatedNames; attempt++ {
		m := a.candidate(inv, attempt)
		if m == nil {
			continue
		}
		err := a.Client.Create(ctx, m)
		if apierrors.IsAlreadyExists(err) {
			// Taken: by someone else (try the next name), or by a
			// concurrent completion of this same acceptance (done).
			existing := &orgsv1alpha1.Member{}
			if m.Name != "" {
				if getErr := a.Live.Get(ctx, client.ObjectKeyFromObject(m), existing); getErr == nil &&
					policy.MemberMatchesEmail(existing, inv.Spec.Email, a.UserPrefix) {
					name = existing.Name
				}
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("creating Member %s/%s%s for %s: %w", m.Namespace, m.Name, m.GenerateName, inv.Spec.Email, err)
		}
		name, created = m.Name, true
		a.Recorder.Eventf(m, inv, corev1.EventTypeNormal, "Created", "Accept",
			"Created for %s, who accepted invitation %s with role %s", inv.Spec.Email, inv.Name, inv.Spec.Role)
	}
	if name == "" {
		return "", fmt.Errorf("no free Member name for %s after %d attempts", inv.Spec.Email, stableNames+1+generatedNames)
	}
	if created {
		if err := a.Live.List(ctx, &members, client.InNamespace(inv.Namespace)); err != nil {
			return name, fmt.Errorf("listing the members of namespace %s: %w", inv.Namespace, err)
		}
	}
	name, err := a.settle(ctx, inv, members.Items, name)
	if err != nil {
		return name, err
	}
	uid := inv.UID
	err = a.Client.Delete(ctx, inv, client.Preconditions{UID: &uid})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return name, fmt.Errorf("deleting accepted invitation %s/%s: %w", inv.Namespace, inv.Name, err)
	}
	return name, nil
}

// settle leaves one Member per acceptance. Two completions at once (the
// accept request and the reconciler) that both found every deterministic
// name taken each create a generated one; each then deletes the Members of this
// acceptance that policy.EffectiveRoles counts as duplicates (they grant
// nothing), so whichever lists last leaves only the one that has access.
// It returns the name of the invitee's Member that has access.
func (a *Acceptor) settle(ctx context.Context, inv *orgsv1alpha1.Invitation, members []orgsv1alpha1.Member, name string) (string, error) {
	effective := policy.EffectiveRoles(members, nil, false)
	for i := range members {
		m := &members[i]
		first := effective.Members[m.Name].DuplicateOf
		if first == "" || !a.ofAcceptance(m, inv) {
			continue
		}
		uid := m.UID
		if err := a.Client.Delete(ctx, m, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			return name, fmt.Errorf("deleting Member %s/%s, a second Member for %s: %w", m.Namespace, m.Name, inv.Spec.Email, err)
		}
		log.FromContext(ctx).Info("deleted a second Member made by a concurrent acceptance", "member", m.Name, "kept", first)
	}
	if first := effective.Members[name].DuplicateOf; first != "" {
		name = first
	}
	return name, nil
}

// ofAcceptance reports whether accepting inv made m.
func (a *Acceptor) ofAcceptance(m *orgsv1alpha1.Member, inv *orgsv1alpha1.Invitation) bool {
	return inv.Status.TokenHash != "" &&
		m.Labels[orgsv1alpha1.InvitationLabel] == inv.Name &&
		m.Annotations[orgsv1alpha1.AcceptedTokenAnnotation] == inv.Status.TokenHash &&
		policy.MemberMatchesEmail(m, inv.Spec.Email, a.UserPrefix)
}

// authority asks the API server whether the inviter still holds verb on
// organizations/<org>: one SubjectAccessReview with the recorded username
// and groups.
func (a *Acceptor) authority(ctx context.Context, inviter policy.Requester, org, verb string) (policy.Authority, error) {
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   inviter.User,
		Groups: inviter.Groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: orgsv1alpha1.GroupVersion.Group, Resource: "organizations", Name: org, Verb: verb,
		},
	}}
	if err := a.Client.Create(ctx, review); err != nil {
		return policy.Authority{}, fmt.Errorf("checking whether %q may still %s organizations/%s: %w", inviter.User, verb, org, err)
	}
	return policy.ReviewedAuthority(verb, review.Status.Allowed)
}

// TrackDeletions remembers the token hashes of deleted Invitations, so a
// revoked link is recognised as such.
func (a *Acceptor) TrackDeletions(ctx context.Context, informers cache.Informers) error {
	inf, err := informers.GetInformer(ctx, &orgsv1alpha1.Invitation{})
	if err != nil {
		return fmt.Errorf("watching invitation deletions: %w", err)
	}
	graves := a.graves()
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{DeleteFunc: graves.onDelete})
	if err != nil {
		return fmt.Errorf("watching invitation deletions: %w", err)
	}
	return nil
}
