package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// TokenValue is what `token create -o json|yaml` prints, once.
type TokenValue struct {
	Kind           string    `json:"kind"`
	Name           string    `json:"name"`
	Organization   string    `json:"organization"`
	Namespace      string    `json:"namespace"`
	ServiceAccount string    `json:"serviceAccount"`
	Role           string    `json:"role"`
	ExpiresAt      time.Time `json:"expiresAt"`
	Token          string    `json:"token"`
}

// TokenList is what `token list -o json|yaml` prints.
type TokenList struct {
	Kind  string      `json:"kind"`
	Items []TokenInfo `json:"items"`
}

// TokenInfo is one AccessToken, without any value.
type TokenInfo struct {
	Name        string    `json:"name"`
	Owner       string    `json:"owner"`
	Role        string    `json:"role"`
	ExpiresAt   time.Time `json:"expiresAt"`
	Phase       string    `json:"phase"`
	Reason      string    `json:"reason,omitempty"`
	Description string    `json:"description,omitempty"`
}

func newTokenCommand(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke your personal API access tokens",
		Long: `Personal API access tokens act for you, with your role in the organization or a
lower one, until they expire, are revoked, or you are removed or demoted below
Contributor (docs/tokens.md). Roster never stores a token's value: create
prints it once.`,
	}
	cmd.AddCommand(newTokenCreateCommand(o), newTokenListCommand(o), newTokenRevokeCommand(o))
	return cmd
}

func newTokenCreateCommand(o *Options) *cobra.Command {
	var (
		expires, description, role string
		wait                       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its value once",
		Long: `Create the AccessToken NAME for yourself, wait until Roster has made its
ServiceAccount and access, request a value from the TokenRequest API as you,
and print it once (only the value, so that TOKEN=$(kubectl roster token create ci)
works). Without --expires the organization's maximum lifetime applies
(spec.tokenPolicy.maxTTL, default 90 days).`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var lifetime time.Duration
			if expires != "" {
				d, err := parseLifetime(expires)
				if err != nil {
					return err
				}
				lifetime = d
			}
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			t := &orgsv1alpha1.AccessToken{
				ObjectMeta: metav1.ObjectMeta{Namespace: org.HomeNamespaceName(), Name: args[0]},
				Spec:       orgsv1alpha1.AccessTokenSpec{Description: description, Role: orgsv1alpha1.Role(role)},
			}
			if lifetime > 0 {
				t.Spec.ExpiresAt = &metav1.Time{Time: o.now().Add(lifetime).Truncate(time.Second)}
			}
			if err := o.cl.Create(ctx, t); err != nil {
				return err
			}
			if t, err = o.waitTokenReady(ctx, client.ObjectKeyFromObject(t), wait); err != nil {
				return err
			}
			value, err := o.requestToken(ctx, t)
			if err != nil {
				return err
			}
			out := TokenValue{Kind: "AccessTokenValue", Name: t.Name, Organization: org.Name, Namespace: t.Namespace,
				ServiceAccount: t.Status.ServiceAccountName, Role: string(t.Status.EffectiveRole), ExpiresAt: t.Spec.ExpiresAt.UTC(), Token: value}
			if o.structured() {
				return o.printData(out)
			}
			o.note("Token %s acts as %s in %s until %s; it is shown once, store it now.", t.Name, out.Role, org.Name, out.ExpiresAt.Format(time.RFC3339))
			_, err = fmt.Fprintln(safe(o.Out), value)
			return err
		},
	}
	cmd.Flags().StringVar(&expires, "expires", "", "Lifetime, e.g. 30d, 12h (default: the organization's maximum)")
	cmd.Flags().StringVar(&role, "role", "", "A role lower than yours (default: your role)")
	cmd.Flags().StringVar(&description, "description", "", "What the token is for")
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "How long to wait for the token to be ready")
	return cmd
}

// minTokenLifetime is the shortest --expires: the TokenRequest API issues
// no value for less (policy.MinTokenValueSeconds).
const minTokenLifetime = policy.MinTokenValueSeconds * time.Second

// parseLifetime reads a duration that may count days ("30d"), at least
// minTokenLifetime.
func parseLifetime(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, usageErrorf("--expires %q: write a number of days (30d) or a duration (12h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, usageErrorf("--expires %q: write a number of days (30d) or a duration (12h)", s)
	}
	if d < minTokenLifetime {
		return 0, usageErrorf("--expires %q: a token lives at least %s, since the TokenRequest API issues no shorter value; ask for %s or more", s, minTokenLifetime, minTokenLifetime)
	}
	return d, nil
}

// waitTokenReady polls the AccessToken until it is Ready.
func (o *Options) waitTokenReady(ctx context.Context, key client.ObjectKey, wait time.Duration) (*orgsv1alpha1.AccessToken, error) {
	deadline := time.Now().Add(wait)
	for {
		t := &orgsv1alpha1.AccessToken{}
		if err := o.cl.Get(ctx, key, t); err != nil {
			return nil, err
		}
		switch t.Status.Phase {
		case orgsv1alpha1.AccessTokenReady:
			return t, nil
		case orgsv1alpha1.AccessTokenRevoked:
			return nil, fmt.Errorf("access token %s was revoked (%s): %s", t.Name, t.Status.Reason, t.Status.Message)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("access token %s is not ready after %s: %s", t.Name, wait, t.Status.Message)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// requestToken asks the TokenRequest API, as the caller, for a value that
// expires with the AccessToken.
func (o *Options) requestToken(ctx context.Context, t *orgsv1alpha1.AccessToken) (string, error) {
	cfg, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		return "", withCode(err, ExitError)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	seconds := int64(time.Until(t.Spec.ExpiresAt.Time).Seconds())
	tr, err := cs.CoreV1().ServiceAccounts(t.Namespace).CreateToken(ctx, t.Status.ServiceAccountName, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

func newTokenListCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the organization's tokens (never their values)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			var tokens orgsv1alpha1.AccessTokenList
			if err := o.cl.List(ctx, &tokens, client.InNamespace(org.HomeNamespaceName())); err != nil {
				return err
			}
			out := TokenList{Kind: "AccessTokenList", Items: []TokenInfo{}}
			for _, t := range tokens.Items {
				info := TokenInfo{Name: t.Name, Owner: t.Spec.Owner, Role: string(t.Status.EffectiveRole), Phase: string(t.Status.Phase),
					Reason: t.Status.Reason, Description: t.Spec.Description}
				if t.Spec.ExpiresAt != nil {
					info.ExpiresAt = t.Spec.ExpiresAt.UTC()
				}
				out.Items = append(out.Items, info)
			}
			sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].Name < out.Items[j].Name })
			return o.print(out)
		},
	}
}

func (l TokenList) table(wide bool, _ time.Time) *table {
	t := &table{headers: []string{"NAME", "OWNER", "ROLE", "EXPIRES", "PHASE"}}
	if wide {
		t.headers = append(t.headers, "REASON", "DESCRIPTION")
	}
	for _, tok := range l.Items {
		row := []cell{c(tok.Name), c(tok.Owner), c(orNone(tok.Role)), c(tok.ExpiresAt.Format(time.RFC3339)), c(orNone(tok.Phase))}
		if wide {
			row = append(row, c(orNone(tok.Reason)), c(orNone(tok.Description)))
		}
		t.add(row...)
	}
	return t
}

func newTokenRevokeCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: every value issued for it stops working",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			t := &orgsv1alpha1.AccessToken{}
			if err := o.cl.Get(ctx, client.ObjectKey{Namespace: org.HomeNamespaceName(), Name: args[0]}, t); err != nil {
				if apierrors.IsNotFound(err) {
					return notFoundf("`kubectl roster token list` lists the organization's tokens", "no access token %s in organization %s", args[0], org.Name)
				}
				return err
			}
			patch := client.MergeFrom(t.DeepCopy())
			t.Spec.Revoked = true
			if err := o.cl.Patch(ctx, t, patch); err != nil {
				return err
			}
			return o.done(Change{
				Action: "token revoke", Organization: org.Name, Subject: t.Spec.Owner, Object: "accesstoken/" + t.Name, Result: "revoked",
				Message: fmt.Sprintf("Revoked token %s of %s in %s; its values stop working within seconds.", t.Name, t.Spec.Owner, org.Name),
			})
		},
	}
}
