package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	authorizationv1 "k8s.io/api/authorization/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// AccessReport is what `can-i -o json|yaml` prints.
type AccessReport struct {
	Kind         string         `json:"kind"`
	Organization string         `json:"organization"`
	User         string         `json:"user"`
	Actions      []ActionAccess `json:"actions"`
}

// ActionAccess is one action of the product's matrix and the checks
// behind it; it is allowed when every check is.
type ActionAccess struct {
	Action      string        `json:"action"`
	Description string        `json:"description"`
	Allowed     bool          `json:"allowed"`
	Checks      []AccessCheck `json:"checks"`
}

// AccessCheck is one SelfSubjectAccessReview.
type AccessCheck struct {
	Verb      string `json:"verb"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Allowed   bool   `json:"allowed"`
	Reason    string `json:"reason,omitempty"`
}

func (c AccessCheck) String() string {
	s := c.Verb + " " + c.Resource
	if c.Name != "" {
		s += "/" + c.Name
	}
	return s
}

// action is one row of the product's organization permissions, with the
// RBAC checks that grant it (Roster's webhooks ask the same custom verbs).
type action struct {
	key, description string
	checks           func(org, home string) []AccessCheck
}

func orgVerb(verb, org string) AccessCheck {
	return AccessCheck{Verb: verb, Resource: "organizations", Name: org}
}

func homeVerb(verb, resource, home string) AccessCheck {
	return AccessCheck{Verb: verb, Resource: resource, Namespace: home}
}

var actions = []action{
	{"view-users", "View the list of users (members and invitations)", func(_, home string) []AccessCheck {
		return []AccessCheck{homeVerb("list", "members", home), homeVerb("list", "invitations", home)}
	}},
	{"invite", "Invite users; resend or revoke their invitations (not Owners)", func(org, home string) []AccessCheck {
		return []AccessCheck{orgVerb(orgsv1alpha1.VerbManageMembers, org), homeVerb("create", "invitations", home),
			homeVerb("update", "invitations", home), homeVerb("delete", "invitations", home)}
	}},
	{"invite-owners", "Invite Owners; resend or revoke Owner invitations", func(org, home string) []AccessCheck {
		return []AccessCheck{orgVerb(orgsv1alpha1.VerbManageOwners, org), homeVerb("create", "invitations", home),
			homeVerb("update", "invitations", home), homeVerb("delete", "invitations", home)}
	}},
	{"manage-users", "Change roles of and remove users who are not Owners", func(org, home string) []AccessCheck {
		return []AccessCheck{orgVerb(orgsv1alpha1.VerbManageMembers, org), homeVerb("update", "members", home), homeVerb("delete", "members", home)}
	}},
	{"manage-owners", "Change an Owner's role, promote to Owner, remove an Owner", func(org, home string) []AccessCheck {
		return []AccessCheck{orgVerb(orgsv1alpha1.VerbManageOwners, org), homeVerb("update", "members", home), homeVerb("delete", "members", home)}
	}},
	{"leave", "Leave the organization (Owners and Admins)", func(_, home string) []AccessCheck {
		return []AccessCheck{homeVerb("delete", "members", home)}
	}},
	{"manage-organization", "Update or delete the organization itself", func(org, _ string) []AccessCheck {
		return []AccessCheck{orgVerb(orgsv1alpha1.VerbManageOwners, org), orgVerb("update", org), orgVerb("delete", org)}
	}},
}

func actionKeys() []string {
	keys := make([]string, len(actions))
	for i, a := range actions {
		keys[i] = a.key
	}
	return keys
}

func newCanICommand(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "can-i [ACTION]",
		Short: "Show what you (or --as) may do in an organization",
		Long: `Show what you may do in an organization, action by action, as the API server
answers it: SelfSubjectAccessReviews for writes to Members and Invitations in
its home namespace and for the custom verbs on organizations/<org> (the action
manage-users checks the verb manage-members, manage-owners the verb
manage-owners). With --as USER (and --as-group), the answers are for USER,
as with kubectl auth can-i; impersonating needs the impersonate permission.

With ACTION (` + strings.Join(actionKeys(), ", ") + `) it prints yes or no
and exits 0 for yes, 3 for no. Roster's rules beyond RBAC still apply: nobody
removes, downgrades or lets leave the last owner.`,
		Example: `  kubectl roster can-i
  kubectl roster can-i --as bob@example.com -o wide
  kubectl roster can-i invite-owners && kubectl roster invite ana@example.com=Owner`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) > 1:
				return usageErrorf("at most one ACTION")
			case len(args) == 1 && findAction(args[0]) == nil:
				return usageErrorf("unknown action %q: use one of %s", args[0], strings.Join(actionKeys(), ", "))
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return actionKeys(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			id, err := o.whoAmI(ctx)
			if err != nil {
				return err
			}
			selected := actions
			if len(args) == 1 {
				selected = []action{*findAction(args[0])}
			}
			report, err := o.accessReport(ctx, org, id.Username, selected)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return o.print(report)
			}
			allowed := report.Actions[0].Allowed
			if o.structured() {
				if err := o.printData(report); err != nil {
					return err
				}
			} else {
				o.say(yesNo(allowed))
			}
			if !allowed {
				return reported(fmt.Errorf("not allowed: %s", args[0]), ExitRefused)
			}
			return nil
		},
	}
	return cmd
}

func findAction(key string) *action {
	for i := range actions {
		if actions[i].key == key {
			return &actions[i]
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// accessReport asks the API server about every check of the selected
// actions, each distinct check once, a few at a time.
func (o *Options) accessReport(ctx context.Context, org *orgsv1alpha1.Organization, user string, selected []action) (AccessReport, error) {
	home := org.HomeNamespaceName()
	answers := map[AccessCheck]AccessCheck{}
	for _, a := range selected {
		for _, chk := range a.checks(org.Name, home) {
			answers[chk] = chk
		}
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	// Range over a copy of the keys: the goroutines write answers while
	// this loop is still starting them.
	keys := make([]AccessCheck, 0, len(answers))
	for key := range answers {
		keys = append(keys, key)
	}
	sem := make(chan struct{}, 8)
	for _, key := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func(key AccessCheck) {
			defer wg.Done()
			defer func() { <-sem }()
			review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Group: orgsv1alpha1.GroupVersion.Group, Resource: key.Resource,
					Namespace: key.Namespace, Name: key.Name, Verb: key.Verb,
				},
			}}
			err := o.cl.Create(ctx, review)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			answer := key
			answer.Allowed = review.Status.Allowed
			answer.Reason = review.Status.Reason
			answers[key] = answer
		}(key)
	}
	wg.Wait()
	if firstErr != nil {
		return AccessReport{}, withHint(firstErr, "the API server would not answer a SelfSubjectAccessReview")
	}
	report := AccessReport{Kind: "AccessReport", Organization: org.Name, User: user}
	for _, a := range selected {
		row := ActionAccess{Action: a.key, Description: a.description, Allowed: true}
		for _, chk := range a.checks(org.Name, home) {
			ans := answers[chk]
			row.Checks = append(row.Checks, ans)
			row.Allowed = row.Allowed && ans.Allowed
		}
		report.Actions = append(report.Actions, row)
	}
	return report, nil
}

func (r AccessReport) table(wide bool, _ time.Time) *table {
	t := &table{headers: []string{"ACTION", "ALLOWED", "DESCRIPTION"}, shrinkable: map[int]bool{2: true}}
	if wide {
		t.headers = append(t.headers, "CHECKS")
	}
	for _, a := range r.Actions {
		st := red
		if a.Allowed {
			st = green
		}
		row := []cell{c(a.Action), {text: yesNo(a.Allowed), style: st}, c(a.Description)}
		if wide {
			var checks []string
			for _, chk := range a.Checks {
				checks = append(checks, chk.String()+"="+yesNo(chk.Allowed))
			}
			row = append(row, c(strings.Join(checks, ", ")))
		}
		t.add(row...)
	}
	return t
}
