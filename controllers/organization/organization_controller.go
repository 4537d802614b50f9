// Package organization holds the Organization reconciler, which owns
// every decision that spans members: effective roles, the last-owner rule,
// duplicates, the RBAC it renders and the statuses of Organizations and
// Members.
package organization

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/accesstoken"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/conditions"
	"github.com/roster-dev/roster/internal/conflict"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/parallel"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations,verbs=get;list;watch;update;patch;delete;manage-owners;manage-members
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations/status;members/status;invitations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=organizations/finalizers;members/finalizers,verbs=update
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=members;invitations,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler reconciles an Organization with its Members,
// Invitations, home namespace, project namespaces and RBAC.
type Reconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	Access   *access.Applier
	// ManagerNamespace is never a project namespace.
	ManagerNamespace string
	// Batching collects changes of Members and Invitations into reconciles;
	// the zero value reconciles every change at once.
	Batching Batching

	batcher *batcher
}

// scope is what one reconcile of one organization works on.
type scope struct {
	org        *orgsv1alpha1.Organization
	home       homeNamespace
	mode       accessMode
	members    []orgsv1alpha1.Member
	tokens     []orgsv1alpha1.AccessToken
	pending    int32
	projects   []string
	unattached []string // labelled for the name, not attached to this Organization (policy.NotAttached)
	effective  policy.Effective
	// accessErr is why the RBAC could not be applied; nil once it is.
	// AccessReady tells it; the steps return only their other failures.
	accessErr error
	// before is the Organization's status as the API server has it: a
	// status is written only when it differs.
	before *orgsv1alpha1.OrganizationStatus
	// rbac and changes are what this reconcile wrote, for its summary Event.
	rbac    access.Result
	changes membershipChanges
}

// accessMode is what a reconcile may do to the organization's access, by
// the state of its home namespace.
type accessMode int

const (
	// grantAccess: the home namespace is the organization's; RBAC follows
	// the effective roles.
	grantAccess accessMode = iota
	// withdrawAccess: the home namespace is being deleted; RBAC only loses
	// access (policy.WithdrawOnly, access.Applier.Withdraw).
	withdrawAccess
	// noAccess: another organization holds the home namespace; the
	// organization's RBAC is deleted.
	noAccess
)

// homeNamespace is what became of the organization's home namespace.
type homeNamespace struct {
	name   string
	ok     bool
	reason string
	msg    string
}

// Reconcile brings one organization's world in line with its Members.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	org := &orgsv1alpha1.Organization{}
	if err := r.Client.Get(ctx, req.NamespacedName, org); err != nil {
		if apierrors.IsNotFound(err) {
			r.batcher.forget(req.Name)
			r.Access.Forget(req.Name)
			return ctrl.Result{}, r.syncWaiting(ctx, req.Name, nil)
		}
		return ctrl.Result{}, err
	}
	if !org.DeletionTimestamp.IsZero() {
		return conflict.Requeue(ctx, r.reconcileDelete(ctx, org))
	}
	// A patch, not an update: an update would re-encode the whole spec
	// (168h becomes 168h0m0s), which GitOps tools see as drift.
	patch := client.MergeFromWithOptions(org.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if controllerutil.AddFinalizer(org, orgsv1alpha1.OrganizationFinalizer) {
		// The patch triggers the next reconcile.
		return conflict.Requeue(ctx, r.Client.Patch(ctx, org, patch))
	}
	return conflict.Requeue(ctx, r.reconcileNormal(ctx, org))
}

// reconcileNormal runs the steps of a reconcile. Every exit writes status
// (writeFailure, deferred): a step that fails says so in Ready rather than
// leave the conditions of an earlier reconcile standing. An RBAC failure is
// told by AccessReady (setAccessReady) and returned as well, for the retry.
func (r *Reconciler) reconcileNormal(ctx context.Context, org *orgsv1alpha1.Organization) (err error) {
	s := &scope{org: org, before: org.Status.DeepCopy()}
	defer func() { err = kerrors.NewAggregate([]error{s.accessErr, err, r.writeFailure(ctx, s, err)}) }()

	if err := r.ensureHomeNamespace(ctx, s); err != nil {
		return err
	}
	if err := r.syncWaiting(ctx, org.Name, org); err != nil {
		return err
	}
	s.mode = accessModeOf(s.home)
	if s.mode == noAccess {
		// Another organization holds the home namespace: its Members are
		// not this organization's, and grant nothing.
		return r.reconcileWithoutHome(ctx, s)
	}
	if err := r.loadMembership(ctx, s); err != nil {
		return err
	}
	r.decideRoles(s)
	// The commit point: a decision taken on a stale view of the organization
	// fails here with a conflict and is retried, never applied.
	if err := r.commitOwners(ctx, s); err != nil {
		return err
	}
	s.accessErr = r.applyAccess(ctx, s)
	// Decided before the writes go out: while they run, scope is only read.
	setOrganizationStatus(s)
	errs := r.writeInParallel(ctx, s)
	r.recordSummary(s)
	return kerrors.NewAggregate(errs)
}

// accessModeOf is what the state of the home namespace lets a reconcile do.
func accessModeOf(home homeNamespace) accessMode {
	switch {
	case home.ok:
		return grantAccess
	case home.reason == orgsv1alpha1.HomeNamespaceTerminatingReason:
		// Deleting the home namespace removes the membership wholesale: the
		// last-owner rule lets its Members go so that it can finish, and
		// until it is gone access can be taken away but not added.
		return withdrawAccess
	default:
		return noAccess
	}
}

// writeInParallel writes the Organization's status and the Members' at
// once: the Organization's status does not depend on the Members' writes.
// Neither writes scope; what they did is recorded once both are done.
func (r *Reconciler) writeInParallel(ctx context.Context, s *scope) []error {
	var (
		wg        sync.WaitGroup
		written   *orgsv1alpha1.Organization
		statusErr error
	)
	wg.Go(func() {
		statusErr = parallel.Recover(func() error {
			var err error
			written, err = r.writeStatus(ctx, s)
			return err
		})
	})
	changes, errs := r.syncMembers(ctx, s)
	wg.Wait()
	s.changes = changes
	s.wrote(written)
	return append(errs, statusErr)
}

// wrote records an Organization the API server returned from a status
// write (nil: nothing was written) as what it now has.
func (s *scope) wrote(org *orgsv1alpha1.Organization) {
	if org != nil {
		s.org, s.before = org, org.Status.DeepCopy()
	}
}

// recordSummary records one Event for what the reconcile changed.
func (r *Reconciler) recordSummary(s *scope) {
	if reason, note := s.changes.summary(s.rbac); reason != "" {
		r.Recorder.Eventf(s.org, nil, corev1.EventTypeNormal, reason, "Reconcile", "%s", note)
	}
}

// writeFailure says in Ready that a step failed with err (an RBAC failure
// is no step's: AccessReady tells it). A conflict is no failure: the retry
// reads a newer view and writes the status. Only a success records
// observedGeneration.
func (r *Reconciler) writeFailure(ctx context.Context, s *scope, err error) error {
	if err == nil || conflict.Is(err) {
		return nil
	}
	failed := s.org.DeepCopy()
	failed.Status.ObservedGeneration = s.before.ObservedGeneration
	conditions.Set(failed, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.ReconcileFailedReason,
		fmt.Sprintf("Reconciling organization %s failed, and Roster retries: %s.", s.org.Name, err.Error()))
	if equality.Semantic.DeepEqual(s.before, &failed.Status) {
		return nil
	}
	if err := r.Client.Status().Update(ctx, failed); err != nil {
		return fmt.Errorf("writing the status of %q: %w", s.org.Name, err)
	}
	return nil
}

// decideRoles computes the effective roles from the wishes and the owners
// last committed. While the home namespace is going away, the last-owner
// rule is released and no Member gains access (policy.WithdrawOnly).
func (r *Reconciler) decideRoles(s *scope) {
	if s.mode == withdrawAccess {
		s.effective = policy.WithdrawOnly(policy.EffectiveRoles(s.members, s.org.Status.EffectiveOwners, true), s.members)
		return
	}
	s.effective = policy.EffectiveRoles(s.members, s.org.Status.EffectiveOwners, false)
}

// reconcileWithoutHome withdraws all of the organization's access while
// another organization holds its home namespace, as
// policy.MembershipAuthority already grants nothing then. The owners last
// committed stay, for when the namespace is the organization's again.
func (r *Reconciler) reconcileWithoutHome(ctx context.Context, s *scope) error {
	n, err := r.Access.DeleteAll(ctx, s.org.Name)
	s.rbac = access.Result{Deleted: n}
	if err != nil {
		s.accessErr = fmt.Errorf("deleting RBAC: %w", err)
	}
	setOrganizationStatus(s)
	written, err := r.writeStatus(ctx, s)
	s.wrote(written)
	r.recordSummary(s)
	return err
}

// ensureHomeNamespace creates the home namespace, or adopts one that no other
// organization claims.
func (r *Reconciler) ensureHomeNamespace(ctx context.Context, s *scope) error {
	name := s.org.HomeNamespaceName()
	s.home = homeNamespace{name: name}
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: name}, ns)
	switch {
	case apierrors.IsNotFound(err):
		ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				orgsv1alpha1.HomeOfLabel:    s.org.Name,
				orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue,
			},
			Annotations: map[string]string{orgsv1alpha1.HomeOfUIDAnnotation: string(s.org.UID)},
		}}
		if err := r.Client.Create(ctx, ns); err != nil {
			return fmt.Errorf("creating home namespace %q: %w", name, err)
		}
		r.Recorder.Eventf(s.org, nil, corev1.EventTypeNormal, "HomeNamespaceCreated", "Create", "Created home namespace %s", name)
		s.home.ok, s.home.reason = true, orgsv1alpha1.HomeNamespaceCreatedReason
		s.home.msg = fmt.Sprintf("Namespace %s holds the organization's Members and Invitations.", name)
		return nil
	case err != nil:
		return fmt.Errorf("reading home namespace %q: %w", name, err)
	}
	if owner := ns.Labels[orgsv1alpha1.HomeOfLabel]; owner != "" && owner != s.org.Name {
		s.home.reason = orgsv1alpha1.HomeNamespaceConflictReason
		s.home.msg = fmt.Sprintf("Namespace %s is the home of organization %q; delete this Organization and create it with another spec.homeNamespace.", name, owner)
		return nil
	}
	if !ns.DeletionTimestamp.IsZero() {
		s.home.reason = orgsv1alpha1.HomeNamespaceTerminatingReason
		s.home.msg = fmt.Sprintf("Namespace %s is being deleted; Roster creates it again once it is gone.", name)
		return nil
	}
	uid := string(s.org.UID)
	if ns.Annotations[orgsv1alpha1.HomeOfUIDAnnotation] != uid {
		stale, err := r.homeStale(ctx, s.org, ns)
		if err != nil {
			return err
		}
		if stale {
			s.home.reason = orgsv1alpha1.HomeNamespaceStaleReason
			s.home.msg = fmt.Sprintf("Namespace %s still holds Members or Invitations of an earlier Organization named %s, which was deleted; Roster grants nothing there until they are gone: delete them (kubectl delete members,invitations --all -n %s) or delete the namespace, or create this Organization with another spec.homeNamespace.", name, s.org.Name, name)
			return nil
		}
	}
	s.home.ok = true
	if ns.Labels[orgsv1alpha1.ManagedByLabel] == orgsv1alpha1.ManagedByValue {
		s.home.reason = orgsv1alpha1.HomeNamespaceCreatedReason
	} else {
		s.home.reason = orgsv1alpha1.HomeNamespaceAdoptedReason
	}
	s.home.msg = fmt.Sprintf("Namespace %s holds the organization's Members and Invitations.", name)
	if ns.Labels[orgsv1alpha1.HomeOfLabel] == s.org.Name && ns.Annotations[orgsv1alpha1.HomeOfUIDAnnotation] == uid {
		return nil
	}
	// Label and UID: which Organization of this name the home is.
	patch := client.MergeFrom(ns.DeepCopy())
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[orgsv1alpha1.HomeOfLabel] = s.org.Name
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Annotations[orgsv1alpha1.HomeOfUIDAnnotation] = uid
	if err := r.Client.Patch(ctx, ns, patch); err != nil {
		return fmt.Errorf("labelling home namespace %q: %w", name, err)
	}
	return nil
}

// homeStale reads what ns holds and asks policy.HomeStale whether it is an
// earlier Organization's of the same name.
func (r *Reconciler) homeStale(ctx context.Context, org *orgsv1alpha1.Organization, ns *corev1.Namespace) (bool, error) {
	var members orgsv1alpha1.MemberList
	if err := r.Client.List(ctx, &members, client.InNamespace(ns.Name)); err != nil {
		return false, fmt.Errorf("listing members: %w", err)
	}
	var invitations orgsv1alpha1.InvitationList
	if err := r.Client.List(ctx, &invitations, client.InNamespace(ns.Name)); err != nil {
		return false, fmt.Errorf("listing invitations: %w", err)
	}
	return policy.HomeStale(org, ns.Annotations[orgsv1alpha1.HomeOfUIDAnnotation], members.Items, invitations.Items), nil
}

// loadMembership reads the Members, Invitations and project namespaces.
func (r *Reconciler) loadMembership(ctx context.Context, s *scope) error {
	var members orgsv1alpha1.MemberList
	if err := r.Client.List(ctx, &members, client.InNamespace(s.home.name)); err != nil {
		return fmt.Errorf("listing members: %w", err)
	}
	s.members = members.Items
	var invitations orgsv1alpha1.InvitationList
	if err := r.Client.List(ctx, &invitations, client.InNamespace(s.home.name)); err != nil {
		return fmt.Errorf("listing invitations: %w", err)
	}
	for i := range invitations.Items {
		if invitations.Items[i].IsPending() {
			s.pending++
		}
	}
	var tokens orgsv1alpha1.AccessTokenList
	if err := r.Client.List(ctx, &tokens, client.InNamespace(s.home.name)); err != nil {
		return fmt.Errorf("listing access tokens: %w", err)
	}
	var serviceAccounts corev1.ServiceAccountList
	if err := r.Client.List(ctx, &serviceAccounts, client.InNamespace(s.home.name)); err != nil {
		return fmt.Errorf("listing service accounts: %w", err)
	}
	s.tokens = withOwnServiceAccount(tokens.Items, serviceAccounts.Items)
	var namespaces corev1.NamespaceList
	if err := r.Client.List(ctx, &namespaces, client.MatchingLabels{orgsv1alpha1.OrganizationLabel: s.org.Name}); err != nil {
		return fmt.Errorf("listing project namespaces: %w", err)
	}
	for i := range namespaces.Items {
		ns := &namespaces.Items[i]
		candidate := policy.ProjectNamespace{
			Name:        ns.Name,
			HomeOf:      ns.Labels[orgsv1alpha1.HomeOfLabel],
			AttachedUID: ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation],
			Terminating: !ns.DeletionTimestamp.IsZero(),
		}
		switch policy.ProjectStandingOf(candidate, s.org, s.home.name, r.ManagerNamespace) {
		case policy.Claimable:
			if err := r.claimProject(ctx, ns, s.org); err != nil {
				return err
			}
			s.projects = append(s.projects, ns.Name)
		case policy.Project:
			s.projects = append(s.projects, ns.Name)
		case policy.NotAttached:
			s.unattached = append(s.unattached, ns.Name)
		}
	}
	return nil
}

// claimProject records org's UID on a namespace attached to its name while
// no Organization of that name existed. The write is conditional on the
// namespace read, so a re-attachment meanwhile is never overwritten.
func (r *Reconciler) claimProject(ctx context.Context, ns *corev1.Namespace, org *orgsv1alpha1.Organization) error {
	patch := client.MergeFromWithOptions(ns.DeepCopy(), client.MergeFromWithOptimisticLock{})
	ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] = string(org.UID)
	if err := r.Client.Patch(ctx, ns, patch); err != nil {
		return fmt.Errorf("recording organization %q on project namespace %q: %w", org.Name, ns.Name, err)
	}
	return nil
}

// commitOwners writes the new effective owner set with optimistic
// concurrency on the resourceVersion that was read.
func (r *Reconciler) commitOwners(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(s.org.Status.EffectiveOwners, s.effective.Owners) ||
		(len(s.org.Status.EffectiveOwners) == 0 && len(s.effective.Owners) == 0) {
		return nil
	}
	org := s.org.DeepCopy()
	org.Status.EffectiveOwners = s.effective.Owners
	if err := r.Client.Status().Update(ctx, org); err != nil {
		return fmt.Errorf("committing the effective owners of %q: %w", s.org.Name, err)
	}
	s.wrote(org)
	return nil
}

// applyAccess renders the committed membership as RBAC and applies it:
// withdraw-only while the home namespace is being deleted.
func (r *Reconciler) applyAccess(ctx context.Context, s *scope) error {
	snapshot := access.Snapshot{
		Organization:      s.org,
		HomeNamespace:     s.home.name,
		ProjectNamespaces: s.projects,
	}
	for i := range s.members {
		m := &s.members[i]
		outcome := s.effective.Members[m.Name]
		if outcome.Role == "" {
			continue
		}
		subject := access.Subject{Kind: rbacv1.UserKind, Name: m.Spec.User, Role: outcome.Role}
		if m.Spec.Group != "" {
			subject = access.Subject{Kind: rbacv1.GroupKind, Name: m.Spec.Group, Role: outcome.Role}
		}
		snapshot.Subjects = append(snapshot.Subjects, subject)
	}
	// Owners held without a Member keep their Owner access, in the same
	// owner ClusterRoleBinding: releasing one for a new owner is one write.
	for _, user := range s.effective.HeldOwners {
		snapshot.Subjects = append(snapshot.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: user, Role: orgsv1alpha1.RoleOwner})
	}
	snapshot.Tokens = tokenGrants(s.tokens, s.members, s.effective, policy.TokenMaxTTL(s.org), time.Now())
	apply := r.Access.Apply
	if s.mode == withdrawAccess {
		apply = r.Access.Withdraw
	}
	result, err := apply(ctx, s.org, access.Render(snapshot))
	s.rbac = result
	if err != nil {
		r.Recorder.Eventf(s.org, nil, corev1.EventTypeWarning, orgsv1alpha1.AccessFailedReason, "ApplyAccess", "Applying RBAC failed: %v", err)
		return fmt.Errorf("applying RBAC: %w", err)
	}
	return nil
}

// syncMembers keeps the last-owner finalizer on effective owners only, lets
// released Members go, and writes each Member's status when it changed. The
// Members' writes are independent and go out at once. The Organization's
// status is written at the same time (writeStatus): syncMembers only reads
// scope, and returns what it changed.
func (r *Reconciler) syncMembers(ctx context.Context, s *scope) (membershipChanges, []error) {
	changes := make([]memberChange, len(s.members))
	errs := parallel.Each(len(s.members), parallel.Limit, func(i int) error {
		var err error
		changes[i], err = r.syncMember(ctx, s.members[i].DeepCopy(), s.org.Name, s.effective.Members[s.members[i].Name], s.accessErr == nil, s.mode == withdrawAccess)
		return err
	})
	var total membershipChanges
	for _, c := range changes {
		switch {
		case c.left || (c.from != "" && c.to == ""):
			total.left++
		case c.from == "" && c.to != "":
			total.joined++
		case c.from != c.to:
			total.changed++
		}
	}
	return total, errs
}

// memberChange is what a reconcile did to one Member's effective role, for
// the summary Event.
type memberChange struct {
	from, to orgsv1alpha1.Role
	left     bool
}

// syncMember keeps m's last-owner finalizer and writes its status;
// release lets every Member go (the home namespace is being deleted).
func (r *Reconciler) syncMember(ctx context.Context, m *orgsv1alpha1.Member, org string, outcome policy.Outcome, accessApplied, release bool) (memberChange, error) {
	if err := r.syncFinalizer(ctx, m, outcome.OwnerUser(m) && !release); err != nil {
		return memberChange{}, err
	}
	if outcome.Released {
		return memberChange{left: m.Status.EffectiveRole != ""}, nil
	}
	before := m.DeepCopy()
	setMemberStatus(m, org, outcome, accessApplied)
	if equality.Semantic.DeepEqual(before.Status, m.Status) {
		return memberChange{}, nil
	}
	if outcome.HeldBack && !isHeldBack(before) {
		r.Recorder.Eventf(m, nil, corev1.EventTypeWarning, orgsv1alpha1.LastOwnerReason, "HoldRole",
			"Kept the Owner role of %s: it is the organization's last owner user", m.Subject())
	}
	if err := r.Client.Status().Patch(ctx, m, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return memberChange{}, fmt.Errorf("writing the status of member %s: %w", m.Name, err)
	}
	return memberChange{from: before.Status.EffectiveRole, to: m.Status.EffectiveRole}, nil
}

// syncFinalizer holds a Member that is an effective owner, so that deleting
// the last one waits until another owner exists.
func (r *Reconciler) syncFinalizer(ctx context.Context, m *orgsv1alpha1.Member, hold bool) error {
	if hold == controllerutil.ContainsFinalizer(m, orgsv1alpha1.LastOwnerFinalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(m.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if hold {
		controllerutil.AddFinalizer(m, orgsv1alpha1.LastOwnerFinalizer)
	} else {
		controllerutil.RemoveFinalizer(m, orgsv1alpha1.LastOwnerFinalizer)
	}
	if err := r.Client.Patch(ctx, m, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("updating the finalizer of member %s: %w", m.Name, err)
	}
	return nil
}

// writeStatus writes the Organization's status as decided, when it
// changed, and returns what the API server made of it (nil: no write).
// It writes a copy: scope is read by syncMembers meanwhile.
func (r *Reconciler) writeStatus(ctx context.Context, s *scope) (*orgsv1alpha1.Organization, error) {
	if equality.Semantic.DeepEqual(s.before, &s.org.Status) {
		return nil, nil
	}
	org := s.org.DeepCopy()
	if err := r.Client.Status().Update(ctx, org); err != nil {
		return nil, fmt.Errorf("writing the status of %q: %w", s.org.Name, err)
	}
	return org, nil
}

// reconcileDelete removes what Roster made for the organization: its RBAC,
// the last-owner holds on its Members, and the home namespace if Roster
// created it. Then it lets the Organization go.
func (r *Reconciler) reconcileDelete(ctx context.Context, org *orgsv1alpha1.Organization) error {
	if !controllerutil.ContainsFinalizer(org, orgsv1alpha1.OrganizationFinalizer) {
		return nil
	}
	if _, err := r.Access.DeleteAll(ctx, org.Name); err != nil {
		return fmt.Errorf("deleting the RBAC of %q: %w", org.Name, err)
	}
	home := org.HomeNamespaceName()
	if err := r.releaseMembers(ctx, home); err != nil {
		return err
	}
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: home}, ns)
	switch {
	case err == nil && ns.Labels[orgsv1alpha1.HomeOfLabel] == org.Name && ns.Labels[orgsv1alpha1.ManagedByLabel] == orgsv1alpha1.ManagedByValue:
		if err := r.Client.Delete(ctx, ns); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting home namespace %q: %w", home, err)
		}
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("reading home namespace %q: %w", home, err)
	}
	patch := client.MergeFromWithOptions(org.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(org, orgsv1alpha1.OrganizationFinalizer)
	return client.IgnoreNotFound(r.Client.Patch(ctx, org, patch))
}

// releaseMembers removes the last-owner hold from every Member in namespace.
func (r *Reconciler) releaseMembers(ctx context.Context, namespace string) error {
	var members orgsv1alpha1.MemberList
	if err := r.Client.List(ctx, &members, client.InNamespace(namespace)); err != nil {
		return fmt.Errorf("listing members: %w", err)
	}
	for i := range members.Items {
		if err := r.syncFinalizer(ctx, &members.Items[i], false); err != nil {
			return err
		}
	}
	return nil
}

// SetupWithManager watches Organizations and everything that maps to one:
// Members and Invitations through their namespace, namespaces through their
// labels, and the RBAC Roster made through its owner.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.batcher = newBatcher(r.Batching, clock.RealClock{})
	members := membershipHandler{batcher: r.batcher, orgOf: r.organizationOfNamespace, revokes: memberMayLoseAccess, deleteRevokes: true, urgentCreate: memberIsOwner}
	invitations := membershipHandler{batcher: r.batcher, orgOf: r.organizationOfNamespace}
	// A token's owner waits for it, and a revocation must not wait either.
	tokens := membershipHandler{batcher: r.batcher, orgOf: r.organizationOfNamespace, revokes: always, deleteRevokes: true, urgentCreate: func(client.Object) bool { return true }}
	// RBAC maps through its owner and through its access-for label, so that
	// an object labelled as Roster's that Roster did not render (no owner
	// reference) is pruned at once rather than at the next resync.
	toAccessOrg := handler.EnqueueRequestsFromMapFunc(organizationOfAccess)
	// Roster's own writes (statuses, RBAC) are not changes to react to:
	// reacting to them would reconcile again after every reconcile.
	notOwn := builder.WithPredicates(r.notAsRendered())
	return ctrl.NewControllerManagedBy(mgr).
		For(&orgsv1alpha1.Organization{}, builder.WithPredicates(notStatusOnly())).
		Owns(&rbacv1.ClusterRole{}, notOwn).
		Owns(&rbacv1.ClusterRoleBinding{}, notOwn).
		Owns(&rbacv1.RoleBinding{}, notOwn).
		Watches(&rbacv1.ClusterRole{}, toAccessOrg, notOwn).
		Watches(&rbacv1.ClusterRoleBinding{}, toAccessOrg, notOwn).
		Watches(&rbacv1.RoleBinding{}, toAccessOrg, notOwn).
		Watches(&orgsv1alpha1.Member{}, members, builder.WithPredicates(notStatusOnly())).
		Watches(&orgsv1alpha1.Invitation{}, invitations).
		Watches(&orgsv1alpha1.AccessToken{}, tokens, builder.WithPredicates(predicate.Or(notStatusOnly(), tokenPhaseChanged()))).
		// A token is bound once its own ServiceAccount exists.
		Watches(&corev1.ServiceAccount{}, tokens, builder.WithPredicates(accesstoken.NamedLikeToken())).
		Owns(&rbacv1.Role{}, notOwn).
		Watches(&rbacv1.Role{}, toAccessOrg, notOwn).
		Watches(&corev1.Namespace{}, namespaceHandler{}, builder.WithPredicates(namespacePredicate())).
		Named("organization").
		Complete(r)
}

// organizationOfNamespace maps a Member or Invitation to its organization.
func (r *Reconciler) organizationOfNamespace(ctx context.Context, obj client.Object) []ctrl.Request {
	org, err := index.OrganizationFor(ctx, r.Client, obj.GetNamespace())
	if err != nil {
		log.FromContext(ctx).Error(err, "mapping to an organization", "object", client.ObjectKeyFromObject(obj))
		return nil
	}
	if org == nil {
		return r.awaitedOf(ctx, obj.GetNamespace())
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Name: org.Name}}}
}

// organizationOfAccess maps an RBAC object to the organization its
// access-for label names.
func organizationOfAccess(_ context.Context, obj client.Object) []ctrl.Request {
	org := obj.GetLabels()[access.AccessForLabel]
	if org == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Name: org}}}
}
