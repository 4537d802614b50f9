package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// OrganizationList is what `orgs -o json|yaml` prints.
type OrganizationList struct {
	Kind  string             `json:"kind"`
	Items []OrganizationInfo `json:"items"`
}

// OrganizationInfo is one organization and the caller's role in it.
type OrganizationInfo struct {
	Name          string `json:"name"`
	DisplayName   string `json:"displayName,omitempty"`
	HomeNamespace string `json:"homeNamespace"`
	// Role is the caller's role, empty when they are not a member.
	Role          orgsv1alpha1.Role `json:"role,omitempty"`
	EffectiveRole orgsv1alpha1.Role `json:"effectiveRole,omitempty"`
	// Via is "user" or "group <name>".
	Via                string `json:"via,omitempty"`
	Members            int32  `json:"members"`
	Owners             int32  `json:"owners"`
	PendingInvitations int32  `json:"pendingInvitations"`
	Ready              string `json:"ready"`
}

func newOrgsCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:     "orgs",
		Aliases: []string{"organizations", "org"},
		Short:   "List the organizations you can see, with your role in each",
		Long: `List the organizations you can see, with your role in each.

A member sees the organizations they belong to and no other: the plugin asks the
API server which ones they may read (a SelfSubjectRulesReview). Whoever may list
Organizations (a cluster admin) sees them all, with ROLE "-" where they are no
member.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cl, err := o.client()
			if err != nil {
				return err
			}
			orgs, listed, err := o.visibleOrganizations(ctx)
			if err != nil {
				return err
			}
			if len(orgs) == 0 && !listed {
				o.note("You belong to no organization.")
			}
			id, err := o.whoAmI(ctx)
			if err != nil {
				return err
			}
			return o.print(organizationList(memberships(ctx, cl, id, orgs)))
		},
	}
}

func organizationList(ms []membership) OrganizationList {
	out := OrganizationList{Kind: "OrganizationList", Items: []OrganizationInfo{}}
	for _, m := range ms {
		ready := "Unknown"
		if c := meta.FindStatusCondition(m.Org.Status.Conditions, orgsv1alpha1.ReadyCondition); c != nil {
			ready = string(c.Status)
		}
		out.Items = append(out.Items, OrganizationInfo{
			Name: m.Org.Name, DisplayName: m.Org.Spec.DisplayName, HomeNamespace: m.Org.HomeNamespaceName(),
			Role: m.Role, EffectiveRole: m.EffectiveRole, Via: m.Via,
			Members: m.Org.Status.Members, Owners: m.Org.Status.Owners, PendingInvitations: m.Org.Status.PendingInvitations,
			Ready: ready,
		})
	}
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].Name < out.Items[j].Name })
	return out
}

func (l OrganizationList) table(wide bool, _ time.Time) *table {
	t := &table{headers: []string{"NAME", "DISPLAY NAME", "ROLE", "MEMBERS", "PENDING", "HOME NAMESPACE"}, shrinkable: map[int]bool{1: true}}
	if wide {
		t.headers = append(t.headers, "OWNERS", "VIA", "READY")
	}
	for _, org := range l.Items {
		role := roleCell(org.Role, org.EffectiveRole)
		row := []cell{c(org.Name), c(orNone(org.DisplayName)), role,
			c(fmt.Sprint(org.Members)), c(fmt.Sprint(org.PendingInvitations)), c(org.HomeNamespace)}
		if wide {
			row = append(row, c(fmt.Sprint(org.Owners)), c(orNone(org.Via)), c(org.Ready))
		}
		t.add(row...)
	}
	return t
}

// roleCell shows a role, and the effective role when Roster holds it back.
func roleCell(role, effective orgsv1alpha1.Role) cell {
	switch {
	case role == "":
		return cell{text: none, style: dim}
	case effective != "" && effective != role:
		return cell{text: fmt.Sprintf("%s (still %s)", role, effective), style: magenta}
	}
	return c(string(role))
}

// WhoAmI is what `whoami -o json|yaml` prints.
type WhoAmI struct {
	Kind          string             `json:"kind"`
	User          identity           `json:"user"`
	Organizations []OrganizationInfo `json:"organizations"`
	// Warning says why organizations could not be listed.
	Warning string `json:"warning,omitempty"`
}

func newWhoAmICommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the API server says you are, and your role in each organization",
		Long: `Show who the API server says you are (a SelfSubjectReview: the username Roster's
Members must name, your groups and extra attributes), and your role in each
organization you belong to. With --as, it shows the impersonated user.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			id, err := o.whoAmI(ctx)
			if err != nil {
				return err
			}
			out := WhoAmI{Kind: "WhoAmI", User: id, Organizations: []OrganizationInfo{}}
			if orgs, _, err := o.visibleOrganizations(ctx); err != nil {
				out.Warning = "could not find your organizations: " + errorMessage(err)
				o.note("Warning: %s", out.Warning)
			} else {
				for _, info := range organizationList(memberships(ctx, o.cl, id, orgs)).Items {
					if info.Role != "" {
						out.Organizations = append(out.Organizations, info)
					}
				}
			}
			return o.print(out)
		},
	}
}

func (w WhoAmI) table(_ bool, _ time.Time) *table {
	t := &table{headers: []string{"ATTRIBUTE", "VALUE"}}
	t.add(c("Username"), c(w.User.Username))
	if w.User.UID != "" {
		t.add(c("UID"), c(w.User.UID))
	}
	t.add(c("Groups"), c("["+strings.Join(w.User.Groups, " ")+"]"))
	keys := make([]string, 0, len(w.User.Extra))
	for k := range w.User.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.add(c("Extra: "+k), c("["+strings.Join(w.User.Extra[k], " ")+"]"))
	}
	if len(w.Organizations) == 0 {
		t.add(c("Organizations"), c(none))
	}
	for _, org := range w.Organizations {
		role := roleCell(org.Role, org.EffectiveRole)
		role.text = fmt.Sprintf("%s: %s", org.Name, role.text)
		if org.Via != "user" {
			role.text += " (via " + org.Via + ")"
		}
		t.add(c("Organization"), role)
	}
	return t
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
	}
	return nil
}
