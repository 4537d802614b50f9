package bench

import (
	"context"
	"fmt"
	"log"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// TokensResult is workload 7: what personal access tokens cost a
// membership change. Each change is made twice, in two organizations of the
// same shape: once where nobody has a token (the baseline), once where the
// token holder has Tokens tokens.
type TokensResult struct {
	Tokens int `json:"tokens"`
	// CreateSeconds is from the first AccessToken create to every one Ready.
	CreateSeconds float64 `json:"createSeconds"`
	// Holder: the holder demoted Admin → Contributor (its tokens follow),
	// without tokens and with them. Minimum: the baseline's writes plus one
	// status write per token (its effective role); the ServiceAccounts move
	// in the same RoleBinding writes as their owner.
	HolderBaseline ChangeCost `json:"holderBaseline"`
	HolderTokens   ChangeCost `json:"holderTokens"`
	HolderMinimum  int64      `json:"holderMinimum"`
	HolderRatio    float64    `json:"holderRatio"`
	// Other: another member's role change, in an organization without
	// tokens and in the holder's; tokens should cost it nothing.
	OtherBaseline ChangeCost `json:"otherBaseline"`
	OtherTokens   ChangeCost `json:"otherTokens"`
	OtherRatio    float64    `json:"otherRatio"`
}

// ChangeCost is what one membership change cost the manager.
type ChangeCost struct {
	Writes       int64            `json:"writes"`
	WritesByKind map[string]int64 `json:"writesByKind"`
	Reconciles   int64            `json:"reconciles"`
	// Seconds from the change to its Member (and tokens) reporting it.
	Seconds float64 `json:"seconds"`
}

// Members of each organization the workload changes; Churn must skip them.
const (
	tokenHolder  = 2 // an Admin at every size (RoleOf)
	tokenBystand = 3
)

// TokenWorkloadMembers are the users Tokens changes, for Churn's skip list.
func TokenWorkloadMembers(orgs []string) []string {
	if len(orgs) < 3 {
		return nil
	}
	var users []string
	for _, org := range orgs[1:3] {
		users = append(users, UserName(org, tokenHolder), UserName(org, tokenBystand))
	}
	return users
}

// Tokens gives the holder of orgs[2] n tokens, then makes the same two role
// changes in orgs[1] (no tokens) and orgs[2], and compares their cost.
// changed records the new roles.
func Tokens(ctx context.Context, env *Env, mgr *Manager, tr *Tracker, s Sizes, orgs []string, n int, changed map[string]orgsv1alpha1.Role) (*TokensResult, error) {
	if len(orgs) < 3 || s.Members <= tokenBystand {
		return nil, fmt.Errorf("tokens: needs 3 organizations of at least %d Members", tokenBystand+1)
	}
	plain, withTokens := orgs[1], orgs[2]
	res := &TokensResult{Tokens: n}
	start := time.Now()
	names, err := createTokens(ctx, env, withTokens, n)
	if err != nil {
		return nil, err
	}
	res.CreateSeconds = time.Since(start).Seconds()
	settle(ctx, mgr, 2*time.Second)

	bystander := RoleOf(tokenBystand, s.Members)
	if r, ok := changed[UserName(plain, tokenBystand)]; ok {
		bystander = r
	}
	bystanderTo := orgsv1alpha1.RoleViewer
	if bystander == bystanderTo {
		bystanderTo = orgsv1alpha1.RoleViewerNoSecrets
	}
	steps := []struct {
		org   string
		i     int
		role  orgsv1alpha1.Role
		cost  *ChangeCost
		track []string
	}{
		{plain, tokenHolder, orgsv1alpha1.RoleContributor, &res.HolderBaseline, nil},
		{withTokens, tokenHolder, orgsv1alpha1.RoleContributor, &res.HolderTokens, names},
		{plain, tokenBystand, bystanderTo, &res.OtherBaseline, nil},
		{withTokens, tokenBystand, bystanderTo, &res.OtherTokens, nil},
	}
	for _, st := range steps {
		cost, err := changeCost(ctx, env, mgr, tr, st.org, st.i, st.role, st.track)
		if err != nil {
			return nil, err
		}
		*st.cost = cost
		changed[UserName(st.org, st.i)] = st.role
	}
	res.HolderMinimum = res.HolderBaseline.Writes + int64(n)
	res.HolderRatio = float64(res.HolderTokens.Writes) / float64(res.HolderMinimum)
	res.OtherRatio = float64(res.OtherTokens.Writes) / float64(res.OtherBaseline.Writes)
	log.Printf("tokens: %d created and Ready in %.1fs; holder demoted: %d writes without tokens, %d with (minimum %d, ratio %.2f); another member's change: %d writes without tokens, %d beside them (ratio %.2f)",
		n, res.CreateSeconds, res.HolderBaseline.Writes, res.HolderTokens.Writes, res.HolderMinimum, res.HolderRatio,
		res.OtherBaseline.Writes, res.OtherTokens.Writes, res.OtherRatio)
	return res, revokeTokens(ctx, env, withTokens, names)
}

// createTokens creates n AccessTokens as the holder of org (the webhooks
// record the owner from the requester) and waits until all are Ready.
func createTokens(ctx context.Context, env *Env, org string, n int) ([]string, error) {
	cfg := rest.CopyConfig(env.AdminCfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: UserName(org, tokenHolder)}
	holder, err := client.New(cfg, client.Options{Scheme: env.Admin.Scheme()})
	if err != nil {
		return nil, err
	}
	names := make([]string, n)
	for k := range names {
		names[k] = fmt.Sprintf("bench-%d", k)
		exp := metav1.NewTime(time.Now().Add(24 * time.Hour).Truncate(time.Second))
		t := &orgsv1alpha1.AccessToken{
			ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org), Name: names[k]},
			Spec:       orgsv1alpha1.AccessTokenSpec{Description: "bench", ExpiresAt: &exp},
		}
		if err := holder.Create(ctx, t); err != nil {
			return nil, fmt.Errorf("tokens: creating %s as its owner: %w", names[k], err)
		}
	}
	return names, waitTokens(ctx, env, org, names, func(t *orgsv1alpha1.AccessToken) bool {
		return t.Status.Phase == orgsv1alpha1.AccessTokenReady
	})
}

// changeCost sets member i of org to role and counts the manager's writes
// until the Member, and each of tokens, report it and the manager is quiet.
func changeCost(ctx context.Context, env *Env, mgr *Manager, tr *Tracker, org string, i int, role orgsv1alpha1.Role, tokens []string) (ChangeCost, error) {
	settle(ctx, mgr, 2*time.Second)
	key := types.NamespacedName{Namespace: HomeNamespace(org), Name: MemberName(i)}
	calls0, rec0 := mgr.Calls.Snapshot(), reconciles()
	w := tr.ExpectRole(key, role)
	start := time.Now()
	if err := setRole(ctx, env.Admin, key, role); err != nil {
		tr.Cancel(key)
		return ChangeCost{}, fmt.Errorf("tokens: %s/%s to %s: %w", key.Namespace, key.Name, role, err)
	}
	select {
	case <-w.Done:
	case <-time.After(2 * time.Minute):
		return ChangeCost{}, fmt.Errorf("tokens: %s/%s to %s was not applied", key.Namespace, key.Name, role)
	}
	err := waitTokens(ctx, env, org, tokens, func(t *orgsv1alpha1.AccessToken) bool {
		return t.Status.EffectiveRole == role && t.Status.ObservedGeneration == t.Generation
	})
	if err != nil {
		return ChangeCost{}, err
	}
	seconds := time.Since(start).Seconds()
	settle(ctx, mgr, 2*time.Second)
	calls := mgr.Calls.Snapshot().Sub(calls0)
	return ChangeCost{Writes: calls.Mutating(), WritesByKind: calls.ByKind(false), Reconciles: reconciles() - rec0, Seconds: seconds}, nil
}

// revokeTokens deletes the workload's tokens and waits until they are gone,
// so that the RBAC checks after it see no ServiceAccount subjects.
func revokeTokens(ctx context.Context, env *Env, org string, names []string) error {
	for _, name := range names {
		t := &orgsv1alpha1.AccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: HomeNamespace(org), Name: name}}
		if err := client.IgnoreNotFound(env.Admin.Delete(ctx, t)); err != nil {
			return err
		}
	}
	return poll(ctx, 2*time.Minute, func() (bool, error) {
		var list orgsv1alpha1.AccessTokenList
		if err := env.Admin.List(ctx, &list, client.InNamespace(HomeNamespace(org))); err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
}

func waitTokens(ctx context.Context, env *Env, org string, names []string, ok func(*orgsv1alpha1.AccessToken) bool) error {
	if err := poll(ctx, 2*time.Minute, func() (bool, error) {
		for _, name := range names {
			t := &orgsv1alpha1.AccessToken{}
			if err := env.Admin.Get(ctx, types.NamespacedName{Namespace: HomeNamespace(org), Name: name}, t); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			if !ok(t) {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		return fmt.Errorf("tokens in %s: %w", HomeNamespace(org), err)
	}
	return nil
}
