package organization

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/policy"
)

// The Organization reconciler binds the organization's AccessTokens (the
// controllers/accesstoken reconciler makes their ServiceAccounts): what
// follows is what it reads of them.

// withOwnServiceAccount is the tokens whose ServiceAccount exists and is
// theirs (policy.TokenServiceAccountOwned): only those are bound, so a
// ServiceAccount someone prepared under a token's name is never given the
// owner's access, nor its owner leave to request values for it.
func withOwnServiceAccount(tokens []orgsv1alpha1.AccessToken, serviceAccounts []corev1.ServiceAccount) []orgsv1alpha1.AccessToken {
	byName := make(map[string]*corev1.ServiceAccount, len(serviceAccounts))
	for i := range serviceAccounts {
		byName[serviceAccounts[i].Name] = &serviceAccounts[i]
	}
	out := make([]orgsv1alpha1.AccessToken, 0, len(tokens))
	for i := range tokens {
		if sa := byName[tokens[i].ServiceAccountName()]; sa != nil && policy.TokenServiceAccountOwned(&tokens[i], sa) {
			out = append(out, tokens[i])
		}
	}
	return out
}

// tokenGrants is what the organization's live tokens get: each the role
// policy.TokenAccess gives it now, from its owner's effective role.
func tokenGrants(tokens []orgsv1alpha1.AccessToken, members []orgsv1alpha1.Member, effective policy.Effective, maxTTL time.Duration, now time.Time) []access.Token {
	var out []access.Token
	for i := range tokens {
		t := &tokens[i]
		if !t.DeletionTimestamp.IsZero() {
			continue
		}
		standing := policy.TokenAccess(t, policy.UserRole(t.Spec.Owner, members, effective), maxTTL, now)
		if standing.Role != "" {
			out = append(out, access.Token{Name: t.Name, Owner: t.Spec.Owner, Role: standing.Role})
		}
	}
	return out
}

// always is a revokes function for objects any update of which may take access away.
func always(_, _ client.Object) bool { return true }

// tokenPhaseChanged passes the status updates of a token that change what
// it is granted: at expiry only its phase says it is revoked. Its effective
// role follows its owner's, which the organization already rendered: a
// reconcile for it would write nothing (docs/benchmarks.md, tokens).
func tokenPhaseChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, okOld := e.ObjectOld.(*orgsv1alpha1.AccessToken)
			n, okNew := e.ObjectNew.(*orgsv1alpha1.AccessToken)
			return !okOld || !okNew || o.Status.Phase != n.Status.Phase
		},
	}
}
