package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Shell completion asks the cluster, as the caller, with a short timeout;
// when it cannot answer it offers nothing rather than file names.

const completionTimeout = 5 * time.Second

func completionContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// completion is a candidate and its description, each sanitized as one
// line: the shell reads a candidate per line, a tab before its description.
func completion(value, description string) cobra.Completion {
	return cobra.CompletionWithDesc(sanitize(value, false), sanitize(description, false))
}

func (o *Options) completeOrgs(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	orgs, _, err := o.visibleOrganizations(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, org := range orgs {
		out = append(out, completion(org.Name, org.Spec.DisplayName))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (o *Options) completeHomeNamespaces(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	orgs, _, err := o.visibleOrganizations(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, org := range orgs {
		out = append(out, completion(org.HomeNamespaceName(), "home of "+org.Name))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completionDirectory is the directory of the organization the command
// would act on, or nil.
func (o *Options) completionDirectory(cmd *cobra.Command) *directory {
	ctx, cancel := completionContext(cmd)
	defer cancel()
	org, err := o.organization(ctx)
	if err != nil {
		return nil
	}
	d, err := o.directory(ctx, org)
	if err != nil {
		return nil
	}
	return d
}

// completeInvitationEmails offers the e-mails of the organization's
// invitations, pending ones first.
func (o *Options) completeInvitationEmails(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	d := o.completionDirectory(cmd)
	if d == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, inv := range d.invitations {
		if key := strings.ToLower(inv.Spec.Email); !seen[key] {
			seen[key] = true
			out = append(out, completion(inv.Spec.Email, string(inv.Spec.Role)+" "+invitationEntry(&inv, o.now()).Status))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeMembers offers the organization's members.
func (o *Options) completeMembers(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	d := o.completionDirectory(cmd)
	if d == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for i := range d.members {
		out = append(out, completion(displayName(&d.members[i]), string(d.members[i].Spec.Role)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func completeRoles(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	out := make([]cobra.Completion, len(orgsv1alpha1.Roles))
	for i, r := range orgsv1alpha1.Roles {
		out[i] = string(r)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeInvitees completes the role after "ADDRESS=" in an invite list.
func completeInvitees(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	i := strings.LastIndex(toComplete, "=")
	if i < 0 || strings.LastIndex(toComplete, ",") > i {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	var out []cobra.Completion
	for _, r := range orgsv1alpha1.Roles {
		out = append(out, toComplete[:i+1]+string(r))
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeProjectNamespaces offers switch's PROJECT/ENVIRONMENT targets,
// the namespace as description.
func (o *Options) completeProjectNamespaces(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	rs, err := o.reachableProjects(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, p := range projectList(rs).Items {
		target := p.Project
		if p.Environment != "" {
			target += "/" + p.Environment
		}
		out = append(out, completion(target, p.Namespace+" ("+p.Organization+", "+p.Phase+")"))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeProjects offers the names of the organization's projects for
// the first argument.
func (o *Options) completeProjects(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := completionContext(cmd)
	defer cancel()
	org, err := o.organization(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var list orgsv1alpha1.ProjectList
	if err := o.cl.List(ctx, &list, client.InNamespace(org.HomeNamespaceName())); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, p := range list.Items {
		out = append(out, completion(p.Name, p.Spec.DisplayName))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
