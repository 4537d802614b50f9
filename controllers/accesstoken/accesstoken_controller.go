// Package accesstoken holds the AccessToken reconciler: each token's
// ServiceAccount while the token is live, and its status.
package accesstoken

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/conditions"
	"github.com/roster-dev/roster/internal/conflict"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:rbac:groups=orgs.roster.dev,resources=accesstokens,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=accesstokens/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=accesstokens/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;delete

// Reconciler gives each AccessToken its ServiceAccount while the
// token is live, and deletes it, which ends every value issued for it, when
// the token is revoked, expires or its owner loses the right to it. The
// Organization reconciler binds the ServiceAccount (access.Snapshot.Tokens);
// both decide with policy.TokenAccess.
type Reconciler struct {
	Client client.Client
	// APIReader reads what the cache may not hold: a ServiceAccount of the
	// token's name that is not Roster's (the cache holds only Roster's).
	// nil means Client.
	APIReader client.Reader
	// Clock is the time expiry is judged by; nil means the real clock.
	Clock clock.PassiveClock
}

// tokenReadyRetry is how soon a token whose bindings are not applied yet is looked at again.
const tokenReadyRetry = 250 * time.Millisecond

// tokenConflictRetry is how soon a token whose ServiceAccount name is taken
// is looked at again: the ServiceAccount in the way is not Roster's, so its
// deletion is no event Roster watches.
const tokenConflictRetry = 10 * time.Second

// Reconcile brings one AccessToken's ServiceAccount and status in line.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &orgsv1alpha1.AccessToken{}
	if err := r.Client.Get(ctx, req.NamespacedName, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !t.DeletionTimestamp.IsZero() {
		if err := r.deleteServiceAccount(ctx, t); err != nil {
			return ctrl.Result{}, err
		}
		patch := client.MergeFrom(t.DeepCopy())
		if controllerutil.RemoveFinalizer(t, orgsv1alpha1.TokenFinalizer) {
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Patch(ctx, t, patch))
		}
		return ctrl.Result{}, nil
	}
	before := t.DeepCopy()
	result, err := r.reconcileNormal(ctx, t)
	if !equality.Semantic.DeepEqual(before.Status, t.Status) {
		if perr := r.Client.Status().Patch(ctx, t, client.MergeFrom(before)); perr != nil && !apierrors.IsNotFound(perr) {
			return ctrl.Result{}, fmt.Errorf("writing the status of access token %s: %w", req.NamespacedName, perr)
		}
	}
	return result, err
}

func (r *Reconciler) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

func (r *Reconciler) reconcileNormal(ctx context.Context, t *orgsv1alpha1.AccessToken) (ctrl.Result, error) {
	org, err := index.OrganizationFor(ctx, r.Client, t.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	var ownerRole orgsv1alpha1.Role
	if org != nil {
		var members orgsv1alpha1.MemberList
		if err := r.Client.List(ctx, &members, client.InNamespace(t.Namespace)); err != nil {
			return ctrl.Result{}, fmt.Errorf("listing members: %w", err)
		}
		ownerRole = policy.UserRole(t.Spec.Owner, members.Items, policy.EffectiveRoles(members.Items, org.Status.EffectiveOwners, false))
	}
	now := r.now()
	maxTTL := policy.TokenMaxTTL(org)
	standing := policy.TokenAccess(t, ownerRole, maxTTL, now)
	t.Status.ObservedGeneration = t.Generation
	t.Status.ServiceAccountName = t.ServiceAccountName()
	if standing.Reason != "" {
		if err := r.deleteServiceAccount(ctx, t); err != nil {
			return ctrl.Result{}, err
		}
		setTokenRevoked(t, standing)
		// No ServiceAccount left to clean up: deleting the token waits for nobody.
		return conflict.Requeue(ctx, r.setFinalizer(ctx, t, false))
	}
	if org == nil {
		setTokenPending(t, standing.Role, fmt.Sprintf("No Organization has namespace %s as its home.", t.Namespace))
		return ctrl.Result{}, nil
	}
	if !controllerutil.ContainsFinalizer(t, orgsv1alpha1.TokenFinalizer) {
		// The ServiceAccount is made only once the finalizer that deletes it is stored.
		setTokenPending(t, standing.Role, "Roster is making the token's ServiceAccount.")
		return conflict.Requeue(ctx, r.setFinalizer(ctx, t, true))
	}
	until := policy.TokenExpiry(t, maxTTL).Sub(now)
	own, err := r.ensureServiceAccount(ctx, t, org.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !own {
		setTokenConflict(t, standing.Role)
		return ctrl.Result{RequeueAfter: min(tokenConflictRetry, until)}, nil
	}
	bound, err := r.bound(ctx, t)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !bound {
		setTokenPending(t, standing.Role, "Roster is binding the token's ServiceAccount.")
		return ctrl.Result{RequeueAfter: min(tokenReadyRetry, until)}, nil
	}
	setTokenReady(t, standing.Role)
	// Wake at expiry, to revoke.
	return ctrl.Result{RequeueAfter: until}, nil
}

// setFinalizer adds or removes the token's finalizer, which exists only so
// that its ServiceAccount is deleted before the token goes: added just
// before the ServiceAccount is made, removed once a revoked token's
// ServiceAccount is gone. The patch carries the resourceVersion read, and
// the API server adds no finalizer to an object being deleted, so an add
// never races a deletion. t itself is left as read (its status is written
// afterwards).
func (r *Reconciler) setFinalizer(ctx context.Context, t *orgsv1alpha1.AccessToken, want bool) error {
	c := t.DeepCopy()
	patch := client.MergeFromWithOptions(t.DeepCopy(), client.MergeFromWithOptimisticLock{})
	changed := false
	if want {
		changed = controllerutil.AddFinalizer(c, orgsv1alpha1.TokenFinalizer)
	} else {
		changed = controllerutil.RemoveFinalizer(c, orgsv1alpha1.TokenFinalizer)
	}
	if !changed {
		return nil
	}
	if err := r.Client.Patch(ctx, c, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("updating the finalizer of access token %s: %w", t.Name, err)
	}
	return nil
}

// bound reports whether the Organization reconciler has bound the token:
// its owner may request values for the ServiceAccount (the RoleBinding
// access.Render makes for it), rendered in the same Apply as its access.
func (r *Reconciler) bound(ctx context.Context, t *orgsv1alpha1.AccessToken) (bool, error) {
	rb := &rbacv1.RoleBinding{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.ServiceAccountName()}, rb)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the RoleBinding of access token %s: %w", t.Name, err)
	}
	for _, s := range rb.Subjects {
		if s.Kind == rbacv1.UserKind && s.Name == t.Spec.Owner {
			return true, nil
		}
	}
	return false, nil
}

// ensureServiceAccount creates the token's ServiceAccount, controlled by
// the token. It reports false when a ServiceAccount of that name exists
// that is not the token's (policy.TokenServiceAccountOwned): Roster never
// adopts one, since whoever made it may hold its Secrets or run pods as it.
func (r *Reconciler) ensureServiceAccount(ctx context.Context, t *orgsv1alpha1.AccessToken, org string) (bool, error) {
	key := client.ObjectKey{Namespace: t.Namespace, Name: t.ServiceAccountName()}
	sa := &corev1.ServiceAccount{}
	err := r.Client.Get(ctx, key, sa)
	if err == nil {
		return policy.TokenServiceAccountOwned(t, sa), nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading the ServiceAccount of access token %s: %w", t.Name, err)
	}
	sa = &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: t.Namespace,
		Name:      t.ServiceAccountName(),
		Labels: map[string]string{
			orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue,
			access.AccessForLabel:       org,
		},
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "AccessToken", Name: t.Name, UID: t.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}},
	}, AutomountServiceAccountToken: ptr.To(false)}
	err = r.Client.Create(ctx, sa)
	if apierrors.IsAlreadyExists(err) {
		// Not in the cache: someone else's, or ours and the cache is behind.
		existing := &corev1.ServiceAccount{}
		if err := r.apiReader().Get(ctx, key, existing); err != nil {
			return false, fmt.Errorf("reading the ServiceAccount of access token %s: %w", t.Name, err)
		}
		return policy.TokenServiceAccountOwned(t, existing), nil
	}
	if err != nil {
		return false, fmt.Errorf("creating the ServiceAccount of access token %s: %w", t.Name, err)
	}
	log.FromContext(ctx).Info("created the ServiceAccount of an access token", "serviceAccount", sa.Name)
	return true, nil
}

func (r *Reconciler) apiReader() client.Reader {
	if r.APIReader == nil {
		return r.Client
	}
	return r.APIReader
}

// deleteServiceAccount deletes the token's ServiceAccount, if it is the
// token's (its controller): every value issued for it stops authenticating.
func (r *Reconciler) deleteServiceAccount(ctx context.Context, t *orgsv1alpha1.AccessToken) error {
	sa := &corev1.ServiceAccount{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.ServiceAccountName()}, sa)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the ServiceAccount of access token %s: %w", t.Name, err)
	}
	if !policy.TokenServiceAccountOwned(t, sa) {
		return nil
	}
	uid := sa.UID
	if err := r.Client.Delete(ctx, sa, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting the ServiceAccount of access token %s: %w", t.Name, err)
	}
	log.FromContext(ctx).Info("deleted the ServiceAccount of an access token", "serviceAccount", sa.Name)
	return nil
}

// SetupWithManager watches AccessTokens, their ServiceAccounts, their
// Organizations, and the Members and RoleBindings of their home namespaces.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&orgsv1alpha1.AccessToken{}).
		Owns(&corev1.ServiceAccount{}).
		Watches(&orgsv1alpha1.Member{}, handler.EnqueueRequestsFromMapFunc(r.tokensOfNamespace)).
		// A lowered spec.tokenPolicy.maxTTL moves every token's expiry (policy.TokenExpiry).
		Watches(&orgsv1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(r.tokensOfOrganization),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(r.tokensOfNamespace),
			builder.WithPredicates(NamedLikeToken())).
		Named("accesstoken").
		Complete(r)
}

// tokensOfNamespace maps a Member or binding to every token in its namespace.
func (r *Reconciler) tokensOfNamespace(ctx context.Context, obj client.Object) []ctrl.Request {
	return r.tokensIn(ctx, obj.GetNamespace())
}

// tokensOfOrganization maps an Organization to every token in its home namespace.
func (r *Reconciler) tokensOfOrganization(ctx context.Context, obj client.Object) []ctrl.Request {
	org, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return nil
	}
	return r.tokensIn(ctx, org.HomeNamespaceName())
}

func (r *Reconciler) tokensIn(ctx context.Context, namespace string) []ctrl.Request {
	var tokens orgsv1alpha1.AccessTokenList
	if err := r.Client.List(ctx, &tokens, client.InNamespace(namespace)); err != nil {
		log.FromContext(ctx).Error(err, "listing access tokens", "namespace", namespace)
		return nil
	}
	out := make([]ctrl.Request, 0, len(tokens.Items))
	for i := range tokens.Items {
		out = append(out, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&tokens.Items[i])})
	}
	return out
}

// setTokenRevoked, setTokenPending and setTokenReady are the token's status setters.
func setTokenRevoked(t *orgsv1alpha1.AccessToken, s policy.TokenStanding) {
	t.Status.Phase, t.Status.Reason, t.Status.Message, t.Status.EffectiveRole = orgsv1alpha1.AccessTokenRevoked, s.Reason, s.Message, ""
	if s.Reason == orgsv1alpha1.TokenRevokedByReason {
		t.Status.RevokedBy = t.Annotations[orgsv1alpha1.TokenRevokedByAnnotation]
	}
	conditions.Set(t, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, s.Reason, s.Message)
}

func setTokenPending(t *orgsv1alpha1.AccessToken, role orgsv1alpha1.Role, msg string) {
	t.Status.Phase, t.Status.Reason, t.Status.Message, t.Status.EffectiveRole = orgsv1alpha1.AccessTokenPending, orgsv1alpha1.TokenPendingReason, msg, role
	conditions.Set(t, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.TokenPendingReason, msg)
}

// setTokenConflict: the token's ServiceAccount name is taken by one that
// is not the token's; it stays Pending, bound to nothing.
func setTokenConflict(t *orgsv1alpha1.AccessToken, role orgsv1alpha1.Role) {
	msg := fmt.Sprintf("ServiceAccount %s/%s exists but Roster did not make it for this AccessToken (its controller is not AccessToken %s, UID %s), and Roster does not adopt it: whoever made it may hold its Secrets or run pods as it. Delete ServiceAccount %s in namespace %s, or revoke this token and create one of another name.",
		t.Namespace, t.ServiceAccountName(), t.Name, t.UID, t.ServiceAccountName(), t.Namespace)
	t.Status.Phase, t.Status.Reason, t.Status.Message, t.Status.EffectiveRole = orgsv1alpha1.AccessTokenPending, orgsv1alpha1.TokenServiceAccountConflictReason, msg, role
	conditions.Set(t, orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.TokenServiceAccountConflictReason, msg)
}

func setTokenReady(t *orgsv1alpha1.AccessToken, role orgsv1alpha1.Role) {
	msg := fmt.Sprintf("The owner may request values for ServiceAccount %s (kubectl create token %s -n %s); they act as %s.", t.ServiceAccountName(), t.ServiceAccountName(), t.Namespace, role)
	t.Status.Phase, t.Status.Reason, t.Status.Message, t.Status.EffectiveRole = orgsv1alpha1.AccessTokenReady, "", msg, role
	conditions.Set(t, orgsv1alpha1.ReadyCondition, metav1.ConditionTrue, orgsv1alpha1.ReadyReason, msg)
}

// NamedLikeToken passes objects named like a token's: the ServiceAccounts and the
// RoleBindings access.Render makes for tokens.
func NamedLikeToken() predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		return strings.HasPrefix(o.GetName(), orgsv1alpha1.TokenServiceAccountPrefix)
	})
}
