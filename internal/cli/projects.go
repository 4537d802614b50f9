package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/policy"
)

// Projects (docs/projects.md): `projects` lists the namespaces of the
// projects the caller can reach, `switch` points the kubeconfig context
// at one, and `project create|delete|env add|env remove` are thin over
// the Project API, so RBAC and Roster's webhook decide.

// ProjectList is what `projects -o json|yaml` prints: one item per
// project namespace (a project without environments has one, with
// environment "").
type ProjectList struct {
	Kind  string        `json:"kind"`
	Items []ProjectInfo `json:"items"`
}

// ProjectInfo is one namespace of one Project and the caller's access there.
type ProjectInfo struct {
	Organization string `json:"organization"`
	Project      string `json:"project"`
	DisplayName  string `json:"displayName,omitempty"`
	Environment  string `json:"environment,omitempty"`
	Namespace    string `json:"namespace"`
	// Phase is the namespace's phase as the Project's status says
	// (Pending, Active, Terminating, Conflict).
	Phase string `json:"phase"`
	// Ready and Reason are the Project's Ready condition.
	Ready  string `json:"ready"`
	Reason string `json:"reason,omitempty"`
	// Role is the caller's role in the organization ("" when none), and
	// Access the ClusterRole that role is bound to in the namespace.
	Role   orgsv1alpha1.Role `json:"role,omitempty"`
	Access string            `json:"access,omitempty"`
}

// reachable is one organization whose Projects the caller may list.
type reachable struct {
	membership
	projects []orgsv1alpha1.Project
}

// reachableProjects lists the Projects of --org, else of every
// organization the caller can see: the API server decides, by answering
// the list in each home namespace (Forbidden there means not reachable).
func (o *Options) reachableProjects(ctx context.Context) ([]reachable, error) {
	cl, err := o.client()
	if err != nil {
		return nil, err
	}
	var orgs []orgsv1alpha1.Organization
	if o.Org != "" {
		org, err := o.organization(ctx)
		if err != nil {
			return nil, err
		}
		orgs = []orgsv1alpha1.Organization{*org}
	} else if orgs, _, err = o.visibleOrganizations(ctx); err != nil {
		return nil, withHint(err, "pass --org NAME")
	}
	id, err := o.whoAmI(ctx)
	if err != nil {
		return nil, err
	}
	var out []reachable
	for _, m := range memberships(ctx, cl, id, orgs) {
		var list orgsv1alpha1.ProjectList
		if err := cl.List(ctx, &list, client.InNamespace(m.Org.HomeNamespaceName())); err != nil {
			if apierrors.IsForbidden(err) && o.Org == "" {
				continue
			}
			return nil, withHint(err, fmt.Sprintf("only members of organization %s may list its projects", m.Org.Name))
		}
		out = append(out, reachable{membership: m, projects: list.Items})
	}
	return out, nil
}

// projectList flattens the reachable Projects into one row per namespace:
// the ones status lists, and those the spec asks for that status does not
// list yet (Pending).
func projectList(rs []reachable) ProjectList {
	out := ProjectList{Kind: "ProjectList", Items: []ProjectInfo{}}
	for _, r := range rs {
		role := r.EffectiveRole
		if role == "" {
			role = r.Role
		}
		for i := range r.projects {
			p := &r.projects[i]
			ready, reason := "Unknown", ""
			if cond := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition); cond != nil {
				ready, reason = string(cond.Status), cond.Reason
			}
			row := func(ns, env, phase string) ProjectInfo {
				return ProjectInfo{Organization: r.Org.Name, Project: p.Name, DisplayName: p.Spec.DisplayName, Environment: env,
					Namespace: ns, Phase: phase, Ready: ready, Reason: reason, Role: r.Role, Access: access.ProjectClusterRoles[role]}
			}
			seen := map[string]bool{}
			for _, want := range policy.ProjectNamespaces(r.Org.Name, p) {
				phase := orgsv1alpha1.ProjectNamespacePending
				if st := projectNamespaceStatus(p, want.Name); st != nil && st.Phase != "" {
					phase = st.Phase
				}
				seen[want.Name] = true
				out.Items = append(out.Items, row(want.Name, want.Environment, phase))
			}
			for _, st := range p.Status.Namespaces {
				if !seen[st.Name] {
					out.Items = append(out.Items, row(st.Name, st.Environment, orNone(st.Phase)))
				}
			}
		}
	}
	sort.SliceStable(out.Items, func(i, j int) bool {
		a, b := out.Items[i], out.Items[j]
		if a.Organization != b.Organization {
			return a.Organization < b.Organization
		}
		return a.Project < b.Project
	})
	return out
}

func projectNamespaceStatus(p *orgsv1alpha1.Project, name string) *orgsv1alpha1.ProjectNamespaceStatus {
	for i := range p.Status.Namespaces {
		if p.Status.Namespaces[i].Name == name {
			return &p.Status.Namespaces[i]
		}
	}
	return nil
}

func (l ProjectList) table(wide bool, _ time.Time) *table {
	t := &table{headers: []string{"ORGANIZATION", "PROJECT", "ENVIRONMENT", "NAMESPACE", "PHASE", "YOUR ACCESS"}}
	if wide {
		t.headers = append(t.headers, "ROLE", "READY", "DISPLAY NAME")
		t.shrinkable = map[int]bool{8: true}
	}
	for _, p := range l.Items {
		row := []cell{c(p.Organization), c(p.Project), c(orNone(p.Environment)), c(p.Namespace), phaseCell(p.Phase), c(orNone(p.Access))}
		if wide {
			ready := p.Ready
			if p.Reason != "" && p.Ready != string(metav1.ConditionTrue) {
				ready += " (" + p.Reason + ")"
			}
			row = append(row, c(orNone(string(p.Role))), c(ready), c(orNone(p.DisplayName)))
		}
		t.add(row...)
	}
	return t
}

func phaseCell(phase string) cell {
	switch phase {
	case orgsv1alpha1.ProjectNamespaceActive:
		return cell{text: phase, style: green}
	case orgsv1alpha1.ProjectNamespaceConflict:
		return cell{text: phase, style: red}
	}
	return cell{text: phase, style: yellow}
}

func newProjectsCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "projects",
		Short: "List the projects and environments you can reach, and your access in each",
		Long: `List the namespaces of the projects you can reach: those of every organization you
belong to (or of --org), one row per environment, with the namespace's phase and
the ClusterRole your role gives you there (Owner and Admin: admin, Contributor: edit,
Viewer: roster-viewer, ViewerNoSecrets: view). The API server decides what you can
reach: the plugin lists Projects in each organization's home namespace.`,
		Example: `  kubectl roster projects
  kubectl roster projects --org acme -o wide`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := o.reachableProjects(cmd.Context())
			if err != nil {
				return err
			}
			l := projectList(rs)
			if len(l.Items) == 0 {
				o.note("No projects; a Contributor or above creates one with `kubectl roster project create NAME --env dev,prod`.")
			}
			return o.print(l)
		},
	}
}

// resolveSwitch finds the namespace arg names among rows: PROJECT/ENV,
// PROJECT (a project without environments), ORG/PROJECT/ENV, or
// ORG/PROJECT; org is --org ("" for any).
func resolveSwitch(arg, org string, rows []ProjectInfo) (ProjectInfo, error) {
	parts := strings.Split(arg, "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return ProjectInfo{}, usageErrorf("%q: write PROJECT/ENVIRONMENT, PROJECT (a project without environments) or ORGANIZATION/PROJECT/ENVIRONMENT", arg)
	}
	if len(parts) == 3 {
		if org != "" && org != parts[0] {
			return ProjectInfo{}, usageErrorf("%q names organization %s but --org is %s; drop one", arg, parts[0], org)
		}
		org = parts[0]
	}
	var matches []ProjectInfo
	for _, r := range rows {
		if org != "" && r.Organization != org {
			continue
		}
		var ok bool
		switch len(parts) {
		case 1:
			ok = r.Project == parts[0] && r.Environment == ""
		case 2:
			ok = r.Project == parts[0] && r.Environment == parts[1] ||
				org == "" && r.Organization == parts[0] && r.Project == parts[1] && r.Environment == ""
		case 3:
			ok = r.Project == parts[1] && r.Environment == parts[2]
		}
		if ok {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return ProjectInfo{}, switchNotFound(arg, org, parts, rows)
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = fmt.Sprintf("%s/%s", m.Organization, strings.TrimSuffix(m.Project+"/"+m.Environment, "/"))
	}
	return ProjectInfo{}, usageErrorf("%q is ambiguous: %s; write ORGANIZATION/PROJECT/ENVIRONMENT or pass --org", arg, strings.Join(names, ", "))
}

// switchNotFound says why arg names no namespace: the project has other
// environments, or no reachable project has that name.
func switchNotFound(arg, org string, parts []string, rows []ProjectInfo) error {
	project, env := parts[0], ""
	switch len(parts) {
	case 2:
		env = parts[1]
	case 3:
		project, env = parts[1], parts[2]
	}
	var envs []string
	projectOrg := ""
	for _, r := range rows {
		if r.Project == project && (org == "" || r.Organization == org) {
			projectOrg = r.Organization
			if r.Environment != "" {
				envs = append(envs, r.Environment)
			}
		}
	}
	if projectOrg != "" {
		if len(envs) == 0 {
			return notFoundf(fmt.Sprintf("write `kubectl roster switch %s`", project),
				"project %s of organization %s has no environments, so no environment %q", project, projectOrg, env)
		}
		hint := fmt.Sprintf("write one of: %s", strings.Join(prefixed(project+"/", envs), ", "))
		if env != "" {
			hint += fmt.Sprintf("; add one with `kubectl roster project env add %s %s --org %s`", project, env, projectOrg)
		}
		what := "environment " + fmt.Sprintf("%q", env)
		if env == "" {
			what = "namespace without an environment"
		}
		return notFoundf(hint, "project %s of organization %s has no %s (its environments: %s)", project, projectOrg, what, strings.Join(envs, ", "))
	}
	hint := "`kubectl roster projects` lists the projects you can reach"
	if lower := strings.ToLower(arg); lower != arg {
		hint = fmt.Sprintf("did you mean %s? Project and environment names are lower case; ", lower) + hint
	}
	where := "any organization you can reach"
	if org != "" {
		where = "organization " + org
	}
	return notFoundf(hint, "no project %s in %s", project, where)
}

// plural is "namespace a" or "namespaces a, b".
func plural(word string, items []string) string {
	if len(items) == 1 {
		return word + " " + items[0]
	}
	return word + "s " + strings.Join(items, ", ")
}

// areOrIs is the verb after plural's words.
func areOrIs(items []string) string {
	if len(items) == 1 {
		return " is"
	}
	return " are"
}

func prefixed(prefix string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}

// setContextNamespace sets the namespace of the kubeconfig context
// contextName (the current context when "") to namespace, as kubens does:
// through clientcmd.ModifyConfig, which writes the change to the file
// that defines the context (--kubeconfig, or the KUBECONFIG list) and
// leaves everything else as it was. It returns the context's name.
func setContextNamespace(cc clientcmd.ClientConfig, contextName, namespace string) (string, error) {
	raw, err := cc.RawConfig()
	if err != nil {
		return "", err
	}
	name := contextName
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return "", usageErrorf("the kubeconfig has no current context, so there is no context to switch; pass --context NAME or run `kubectl config use-context NAME`")
	}
	kctx, ok := raw.Contexts[name]
	if !ok {
		return "", usageErrorf("context %q is not in the kubeconfig; `kubectl config get-contexts` lists them", name)
	}
	kctx.Namespace = namespace
	if err := clientcmd.ModifyConfig(cc.ConfigAccess(), raw, true); err != nil {
		return "", fmt.Errorf("writing namespace %q into context %q of the kubeconfig: %w", namespace, name, err)
	}
	return name, nil
}

func newSwitchCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "switch PROJECT/ENVIRONMENT",
		Short: "Point kubectl at a project's namespace (the current context's namespace, as kubens does)",
		Long: `Set the namespace of the current kubeconfig context (or of --context) to the
namespace of a project's environment, as kubens does: every later kubectl command
acts there. Write PROJECT/ENVIRONMENT, PROJECT for a project without environments,
or ORGANIZATION/PROJECT/ENVIRONMENT (or --org) when a name is in several
organizations. The namespace must be Active: Roster creates it a moment after the
Project. Only the context's namespace changes in the kubeconfig file.`,
		Example: `  kubectl roster switch web/dev
  kubectl roster switch acme/web/prod
  kubectl roster switch tools --context kind-dev`,
		Args:              exactArgs("PROJECT/ENVIRONMENT"),
		ValidArgsFunction: o.completeProjectNamespaces,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := o.reachableProjects(cmd.Context())
			if err != nil {
				return err
			}
			target, err := resolveSwitch(args[0], o.Org, projectList(rs).Items)
			if err != nil {
				return err
			}
			what := "project " + target.Project
			if target.Environment != "" {
				what += ", environment " + target.Environment
			}
			if target.Phase != orgsv1alpha1.ProjectNamespaceActive {
				return &exitError{code: ExitError,
					err:  fmt.Errorf("namespace %q (%s) of organization %s is %s, not Active yet; nothing changed", target.Namespace, what, target.Organization, target.Phase),
					hint: "`kubectl roster projects` shows when it is Active; `kubectl get project " + target.Project + " -n <home namespace> -o yaml` says why not"}
			}
			name, err := setContextNamespace(o.ConfigFlags.ToRawKubeConfigLoader(), stringValue(o.ConfigFlags.Context), target.Namespace)
			if err != nil {
				return err
			}
			o.say(fmt.Sprintf("Switched to namespace %q (%s) in context %q.", target.Namespace, what, name))
			return nil
		},
	}
}

func stringValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func newProjectCommand(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "project",
		Aliases: []string{"proj"},
		Short:   "Create and delete projects, add and remove their environments",
		Long: `Create and delete an organization's projects and add or remove their environments
(docs/projects.md): Owners, Admins and Contributors may; Roster's webhook refuses
Viewers, naming the permission matrix's row. Roster creates one namespace per
environment, <organization>-<project>-<environment>, where every member gets their
role's access.`,
	}
	env := &cobra.Command{Use: "env", Short: "Add or remove a project's environments"}
	env.AddCommand(newProjectEnvCommand(o, true), newProjectEnvCommand(o, false))
	cmd.AddCommand(newProjectCreateCommand(o), newProjectDeleteCommand(o), env)
	return cmd
}

// projectHint explains an RBAC refusal of a Project request (the
// webhook's refusals explain themselves) and an existing name.
func projectHint(err error, org string) string {
	switch {
	case apierrors.IsForbidden(err) && !fromWebhook(err):
		return fmt.Sprintf("only members of organization %s may ask for projects (Owners, Admins and Contributors may create and change them); `kubectl roster orgs` lists your organizations", org)
	case apierrors.IsAlreadyExists(err):
		return fmt.Sprintf("`kubectl roster projects --org %s` lists its projects", org)
	}
	return ""
}

// parseEnvironments reads --env and ENV... arguments: comma-separated,
// each once.
func parseEnvironments(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if slices.Contains(out, e) {
				return nil, usageErrorf("environment %s is listed more than once", e)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func namespaceNames(ns []policy.ProjectNamespaceName) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

func newProjectCreateCommand(o *Options) *cobra.Command {
	var (
		envs        []string
		displayName string
		wait        time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a project, with one namespace per environment",
		Long: `Create the Project NAME in the organization's home namespace. Roster creates one
namespace per --env (<organization>-<project>-<environment>), or one namespace
<organization>-<project> without --env. With --wait (default 1m when given alone),
waits until every namespace is Active.`,
		Example: `  kubectl roster project create web --env dev,prod --display-name "Web shop"
  kubectl roster project create tools --wait`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			environments, err := parseEnvironments(envs)
			if err != nil {
				return err
			}
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			p := &orgsv1alpha1.Project{
				ObjectMeta: metav1.ObjectMeta{Namespace: org.HomeNamespaceName(), Name: args[0]},
				Spec:       orgsv1alpha1.ProjectSpec{DisplayName: displayName, Environments: environments},
			}
			if err := o.cl.Create(ctx, p); err != nil {
				return withHint(err, projectHint(err, org.Name))
			}
			names := namespaceNames(policy.ProjectNamespaces(org.Name, p))
			ch := Change{Action: "project create", Organization: org.Name, Subject: p.Name, Object: "project/" + p.Name, Result: "created",
				Message: fmt.Sprintf("Created project %s in organization %s; Roster creates its %s.", p.Name, org.Name, plural("namespace", names))}
			if wait <= 0 {
				return o.done(ch)
			}
			if p, err = o.waitProjectReady(ctx, client.ObjectKeyFromObject(p), wait); err != nil {
				return err
			}
			ch.Result = "ready"
			ch.Message = fmt.Sprintf("Created project %s in organization %s; its %s Active.", p.Name, org.Name, plural("namespace", names)+areOrIs(names))
			return o.done(ch)
		},
	}
	cmd.Flags().StringSliceVar(&envs, "env", nil, "Environments, comma-separated (e.g. dev,prod); none: one namespace for the project")
	cmd.Flags().StringVar(&displayName, "display-name", "", "The project's name as people read it")
	cmd.Flags().DurationVar(&wait, "wait", 0, "Wait up to this long until every namespace is Active (--wait alone: 1m)")
	cmd.Flags().Lookup("wait").NoOptDefVal = "1m"
	return cmd
}

// pollProject reads the Project every 250ms until check says it is done
// (or returns an error), up to wait; then it returns
// context.DeadlineExceeded with the last Project read. A Project that is
// gone is passed to check as nil.
func (o *Options) pollProject(ctx context.Context, key client.ObjectKey, wait time.Duration, check func(*orgsv1alpha1.Project) (bool, error)) (*orgsv1alpha1.Project, error) {
	var last *orgsv1alpha1.Project
	err := kwait.PollUntilContextTimeout(ctx, 250*time.Millisecond, wait, true, func(ctx context.Context) (bool, error) {
		p := &orgsv1alpha1.Project{}
		switch err := o.cl.Get(ctx, key, p); {
		case apierrors.IsNotFound(err):
			p = nil
		case err != nil:
			return false, err
		}
		last = p
		return check(p)
	})
	if err != nil && kwait.Interrupted(err) {
		err = context.DeadlineExceeded
	}
	return last, err
}

// waitProjectReady polls the Project until it is Ready; a reason the
// controller does not get past by itself ends the wait.
func (o *Options) waitProjectReady(ctx context.Context, key client.ObjectKey, wait time.Duration) (*orgsv1alpha1.Project, error) {
	p, err := o.pollProject(ctx, key, wait, func(p *orgsv1alpha1.Project) (bool, error) {
		if p == nil {
			return false, notFoundf("", "project %s was deleted while waiting for it", key.Name)
		}
		cond := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition)
		if cond == nil || cond.ObservedGeneration != p.Generation {
			return false, nil
		}
		switch cond.Reason {
		case orgsv1alpha1.NamespaceConflictReason, orgsv1alpha1.ProjectLimitExceededReason, orgsv1alpha1.OrganizationMissingReason:
			return false, fmt.Errorf("project %s is not ready (%s): %s", p.Name, cond.Reason, cond.Message)
		}
		return cond.Status == metav1.ConditionTrue, nil
	})
	if errors.Is(err, context.DeadlineExceeded) && p != nil {
		msg := "Roster has not reported on it"
		if cond := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition); cond != nil {
			msg = cond.Reason + ": " + cond.Message
		}
		return nil, fmt.Errorf("project %s is not ready after %s (%s)", p.Name, wait, msg)
	}
	return p, err
}

// getProject is the Project NAME of the organization the command acts on.
func (o *Options) getProject(ctx context.Context, name string) (*orgsv1alpha1.Organization, *orgsv1alpha1.Project, error) {
	org, err := o.organization(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := &orgsv1alpha1.Project{}
	if err := o.cl.Get(ctx, client.ObjectKey{Namespace: org.HomeNamespaceName(), Name: name}, p); err != nil {
		if apierrors.IsNotFound(err) {
			hint := fmt.Sprintf("`kubectl roster projects --org %s` lists its projects", org.Name)
			if lower := strings.ToLower(name); lower != name {
				hint = fmt.Sprintf("did you mean %s? Project names are lower case; ", lower) + hint
			}
			return nil, nil, notFoundf(hint, "no project %s in organization %s", name, org.Name)
		}
		return nil, nil, withHint(err, projectHint(err, org.Name))
	}
	return org, p, nil
}

// confirmed is the Project's confirm-delete annotation with names added,
// each once, in order.
func confirmed(p *orgsv1alpha1.Project, names []string) string {
	var list []string
	for _, n := range strings.Split(p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation], ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	return strings.Join(list, ",")
}

// projectNamespaceSet is every namespace of p, asked for or recorded.
func projectNamespaceSet(org string, p *orgsv1alpha1.Project) []string {
	names := namespaceNames(policy.ProjectNamespaces(org, p))
	for _, st := range p.Status.Namespaces {
		if !slices.Contains(names, st.Name) {
			names = append(names, st.Name)
		}
	}
	return names
}

// checkConfirmList refuses names that are not namespaces of p.
func checkConfirmList(org string, p *orgsv1alpha1.Project, names []string) error {
	all := projectNamespaceSet(org, p)
	for _, n := range names {
		if !slices.Contains(all, n) {
			return usageErrorf("--confirm-delete-namespaces: %s is not a namespace of project %s (its namespaces: %s)", n, p.Name, strings.Join(all, ", "))
		}
	}
	return nil
}

// annotateConfirmed adds names to p's confirm-delete annotation, retrying
// on conflict with the Project as the API server has it.
func (o *Options) annotateConfirmed(ctx context.Context, p *orgsv1alpha1.Project, names []string) error {
	if len(names) == 0 {
		return nil
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		base := p.DeepCopy()
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation] = confirmed(p, names)
		err := o.cl.Patch(ctx, p, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) {
			if getErr := o.cl.Get(ctx, client.ObjectKeyFromObject(p), p); getErr != nil {
				return getErr
			}
		}
		return err
	})
}

// heldNamespaces are the namespaces Roster is to delete (all of a deleted
// Project's; else those no environment asks for) that are not
// terminating or confirmed already, when Ready says a deletion waits for
// confirmation.
func heldNamespaces(org string, p *orgsv1alpha1.Project) (names []string, message string) {
	cond := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition)
	if cond == nil || cond.Reason != orgsv1alpha1.DeletionNeedsConfirmationReason {
		return nil, ""
	}
	wanted := namespaceNames(policy.ProjectNamespaces(org, p))
	confirmed := policy.ConfirmedNamespaces(p)
	for _, st := range p.Status.Namespaces {
		if st.Phase == string(corev1.NamespaceTerminating) || confirmed[st.Name] || (p.DeletionTimestamp == nil && slices.Contains(wanted, st.Name)) {
			continue
		}
		if strings.Contains(cond.Message, st.Name) {
			names = append(names, st.Name)
		}
	}
	return names, cond.Message
}

// errHeld ends a wait that saw Roster hold a namespace for confirmation.
var errHeld = errors.New("held for confirmation")

// waitDeletion polls p until done says its namespaces are going (or it is
// gone), or Roster holds one for confirmation: then it returns errHeld
// and the held namespaces with Roster's message.
func (o *Options) waitDeletion(ctx context.Context, org string, p *orgsv1alpha1.Project, wait time.Duration, done func(*orgsv1alpha1.Project) bool) ([]string, string, error) {
	var held []string
	var msg string
	_, err := o.pollProject(ctx, client.ObjectKeyFromObject(p), wait, func(cur *orgsv1alpha1.Project) (bool, error) {
		if cur == nil || done(cur) {
			return true, nil
		}
		if held, msg = heldNamespaces(org, cur); len(held) > 0 {
			return false, errHeld
		}
		return false, nil
	})
	return held, msg, err
}

// heldError says which namespaces Roster keeps and how to confirm.
func heldError(what, message, command string) error {
	return &exitError{code: ExitRefused, err: fmt.Errorf("%s: %s", what, message), hint: "to delete them with their contents: " + command}
}

func newProjectDeleteCommand(o *Options) *cobra.Command {
	var (
		confirm []string
		yes     bool
		wait    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a project and its namespaces",
		Long: `Delete the Project NAME: Roster deletes its namespaces. Asks for confirmation
(a y/N answer on stdin) unless --yes or --confirm-delete-namespaces.

A namespace that holds workloads, Secrets or ConfigMaps is kept, with the
Project, until it is confirmed: --confirm-delete-namespaces NS,... names the
ones to delete with their contents (the Project's annotation
orgs.roster.dev/confirm-delete-namespaces), --yes confirms every namespace of the
project. Without them, a namespace Roster keeps is reported (exit 3) with the
command that confirms it.`,
		Example: `  kubectl roster project delete web
  kubectl roster project delete web --confirm-delete-namespaces acme-web-prod
  kubectl roster project delete web --yes`,
		Args:              exactArgs("NAME"),
		ValidArgsFunction: o.completeProjects,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.deleteProject(cmd.Context(), args[0], confirm, yes, wait)
		},
	}
	cmd.Flags().StringSliceVar(&confirm, "confirm-delete-namespaces", nil, "Namespaces of the project to delete with their contents, comma-separated")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Do not ask; delete every namespace of the project with its contents")
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "How long to wait for Roster to delete the namespaces or say what it keeps")
	cmd.MarkFlagsMutuallyExclusive("confirm-delete-namespaces", "yes")
	return cmd
}

// deleteProject is `project delete NAME`: confirm lists the namespaces to
// delete with their contents, yes confirms them all without asking.
func (o *Options) deleteProject(ctx context.Context, name string, confirm []string, yes bool, wait time.Duration) error {
	names, err := parseEnvironments(confirm)
	if err != nil {
		return err
	}
	org, p, err := o.getProject(ctx, name)
	if err != nil {
		return err
	}
	all := projectNamespaceSet(org.Name, p)
	if yes {
		names = all
	} else if err := checkConfirmList(org.Name, p, names); err != nil {
		return err
	}
	if !yes && len(names) == 0 {
		uid := p.UID
		if err := o.cl.Delete(ctx, p, client.DryRunAll, client.Preconditions{UID: &uid}); err != nil {
			return withHint(err, projectHint(err, org.Name))
		}
		question := fmt.Sprintf("Delete project %s of organization %s and its %s (one holding workloads, Secrets or ConfigMaps is kept until confirmed)?",
			p.Name, org.Name, plural("namespace", all))
		if err := o.confirm(false, question); err != nil {
			return err
		}
	}
	if err := o.annotateConfirmed(ctx, p, names); err != nil {
		return withHint(err, projectHint(err, org.Name))
	}
	uid := p.UID
	if err := o.cl.Delete(ctx, p, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
		return withHint(err, projectHint(err, org.Name))
	}
	ch := Change{Action: "project delete", Organization: org.Name, Subject: p.Name, Object: "project/" + p.Name, Result: "deleted",
		Message: fmt.Sprintf("Deleted project %s of organization %s; Roster deletes its %s.", p.Name, org.Name, plural("namespace", all))}
	held, msg, err := o.waitDeletion(ctx, org.Name, p, wait, func(*orgsv1alpha1.Project) bool { return false })
	switch {
	case errors.Is(err, errHeld):
		ch.Result = "held"
		ch.Message = fmt.Sprintf("Project %s of organization %s is being deleted; Roster keeps %s until confirmed.", p.Name, org.Name, strings.Join(held, ", "))
		if err := o.done(ch); err != nil {
			return err
		}
		return heldError(fmt.Sprintf("project %s is not deleted yet", p.Name), msg,
			fmt.Sprintf("kubectl roster project delete %s --org %s --confirm-delete-namespaces %s", p.Name, org.Name, strings.Join(held, ",")))
	case errors.Is(err, context.DeadlineExceeded):
		ch.Result = "deleting"
		ch.Message = fmt.Sprintf("Deleting project %s of organization %s: Roster is still deleting its %s.", p.Name, org.Name, plural("namespace", all))
	case err != nil:
		return err
	}
	return o.done(ch)
}

func newProjectEnvCommand(o *Options, add bool) *cobra.Command {
	var (
		yes  bool
		wait time.Duration
	)
	use, short := "add NAME ENV...", "Add environments to a project: Roster creates their namespaces"
	if !add {
		use, short = "remove NAME ENV...", "Remove environments from a project: Roster deletes their namespaces"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("want NAME ENV..., got %d argument(s)", len(args))
			}
			return nil
		},
		ValidArgsFunction: o.completeProjects,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			envs, err := parseEnvironments(args[1:])
			if err != nil {
				return err
			}
			org, p, err := o.getProject(ctx, args[0])
			if err != nil {
				return err
			}
			if add {
				return o.addEnvironments(ctx, org, p, envs, wait)
			}
			return o.removeEnvironments(ctx, org, p, envs, yes, wait)
		},
	}
	if add {
		cmd.Long = `Add environments to the Project NAME: Roster creates a namespace for each,
<organization>-<project>-<environment>. The change is an update with the
resourceVersion read (retried on conflict), so a concurrent change is never lost.`
		cmd.Flags().DurationVar(&wait, "wait", 0, "Wait up to this long until every namespace is Active (--wait alone: 1m)")
		cmd.Flags().Lookup("wait").NoOptDefVal = "1m"
	} else {
		cmd.Long = `Remove environments from the Project NAME: Roster deletes their namespaces. A
namespace that holds workloads, Secrets or ConfigMaps is kept until confirmed:
--yes confirms the removed environments' namespaces (deleting their contents);
without it, a namespace Roster keeps is reported (exit 3) with the command that
confirms it. The last environment cannot be removed (that would turn the project
into one namespace <organization>-<project>): delete the project instead.`
		cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Delete the removed environments' namespaces with their contents")
		cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "How long to wait for Roster to delete the namespaces or say what it keeps")
	}
	return cmd
}

// updateEnvironments sets p's environments to change(current), with the
// resourceVersion read, and on a conflict reads again and recomputes.
func (o *Options) updateEnvironments(ctx context.Context, p *orgsv1alpha1.Project, change func(*orgsv1alpha1.Project) error) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := change(p); err != nil {
			return err
		}
		err := o.cl.Update(ctx, p)
		if apierrors.IsConflict(err) {
			if getErr := o.cl.Get(ctx, client.ObjectKeyFromObject(p), p); getErr != nil {
				return getErr
			}
		}
		return err
	})
}

func (o *Options) addEnvironments(ctx context.Context, org *orgsv1alpha1.Organization, p *orgsv1alpha1.Project, envs []string, wait time.Duration) error {
	var added []string
	err := o.updateEnvironments(ctx, p, func(p *orgsv1alpha1.Project) error {
		added = nil
		for _, e := range envs {
			if !slices.Contains(p.Spec.Environments, e) {
				added = append(added, e)
			}
		}
		if len(added) == 0 {
			return errUnchanged
		}
		if len(p.Spec.Environments) == 0 {
			return usageErrorf("project %s of organization %s has no environments (its one namespace is %s); environments cannot be added to it: create another project with --env",
				p.Name, org.Name, policy.ProjectNamespaceFor(org.Name, p.Name, ""))
		}
		p.Spec.Environments = append(p.Spec.Environments, added...)
		return nil
	})
	ch := Change{Action: "project env add", Organization: org.Name, Subject: p.Name, Object: "project/" + p.Name}
	if errors.Is(err, errUnchanged) {
		ch.Result, ch.Message = "unchanged", fmt.Sprintf("Project %s of organization %s has %s already; nothing changed.", p.Name, org.Name, plural("environment", envs))
		return o.done(ch)
	}
	if err != nil {
		return withHint(err, projectHint(err, org.Name))
	}
	names := make([]string, len(added))
	for i, e := range added {
		names[i] = policy.ProjectNamespaceFor(org.Name, p.Name, e)
	}
	ch.Result = "changed"
	ch.Message = fmt.Sprintf("Added %s to project %s of organization %s; Roster creates %s.", plural("environment", added), p.Name, org.Name, plural("namespace", names))
	if wait > 0 {
		if _, err := o.waitProjectReady(ctx, client.ObjectKeyFromObject(p), wait); err != nil {
			return err
		}
		ch.Message = fmt.Sprintf("Added %s to project %s of organization %s; %s Active.", plural("environment", added), p.Name, org.Name, plural("namespace", names)+areOrIs(names))
	}
	return o.done(ch)
}

// errUnchanged: the request asks for what the Project has already.
var errUnchanged = errors.New("unchanged")

func (o *Options) removeEnvironments(ctx context.Context, org *orgsv1alpha1.Organization, p *orgsv1alpha1.Project, envs []string, yes bool, wait time.Duration) error {
	var removed, gone []string
	err := o.updateEnvironments(ctx, p, func(p *orgsv1alpha1.Project) error {
		removed, gone = nil, nil
		keep := []string{}
		for _, e := range p.Spec.Environments {
			if !slices.Contains(envs, e) {
				keep = append(keep, e)
			}
		}
		for _, e := range envs {
			ns := policy.ProjectNamespaceFor(org.Name, p.Name, e)
			switch {
			case slices.Contains(p.Spec.Environments, e):
				removed = append(removed, e)
			case projectNamespaceStatus(p, ns) != nil:
				// Removed before, its namespace still there (held): --yes
				// confirms it.
				gone = append(gone, e)
			default:
				return notFoundf(fmt.Sprintf("its environments: %s", strings.Join(p.Spec.Environments, ", ")),
					"project %s of organization %s has no environment %q", p.Name, org.Name, e)
			}
		}
		if len(removed) > 0 && len(keep) == 0 {
			return usageErrorf("removing every environment of project %s would replace its namespaces with one namespace %s; delete the project instead (`kubectl roster project delete %s`), or add another environment first",
				p.Name, policy.ProjectNamespaceFor(org.Name, p.Name, ""), p.Name)
		}
		if yes {
			var names []string
			for _, e := range append(slices.Clone(removed), gone...) {
				names = append(names, policy.ProjectNamespaceFor(org.Name, p.Name, e))
			}
			if p.Annotations == nil {
				p.Annotations = map[string]string{}
			}
			p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation] = confirmed(p, names)
		} else if len(removed) == 0 {
			return errUnchanged
		}
		p.Spec.Environments = keep
		return nil
	})
	ch := Change{Action: "project env remove", Organization: org.Name, Subject: p.Name, Object: "project/" + p.Name}
	all := append(slices.Clone(removed), gone...)
	names := make([]string, len(all))
	for i, e := range all {
		names[i] = policy.ProjectNamespaceFor(org.Name, p.Name, e)
	}
	// errUnchanged: removed before, its namespace held; said below.
	if err != nil && !errors.Is(err, errUnchanged) {
		return withHint(err, projectHint(err, org.Name))
	}
	ch.Result = "changed"
	ch.Message = fmt.Sprintf("Removed %s from project %s of organization %s; Roster deletes %s.", plural("environment", all), p.Name, org.Name, plural("namespace", names))
	done := func(cur *orgsv1alpha1.Project) bool {
		for _, n := range names {
			if st := projectNamespaceStatus(cur, n); st != nil && st.Phase != string(corev1.NamespaceTerminating) {
				return false
			}
		}
		return true
	}
	held, msg, err := o.waitDeletion(ctx, org.Name, p, wait, done)
	switch {
	case errors.Is(err, errHeld):
		ch.Result = "held"
		ch.Message = fmt.Sprintf("Removed %s from project %s of organization %s; Roster keeps %s until confirmed.", plural("environment", all), p.Name, org.Name, strings.Join(held, ", "))
		if err := o.done(ch); err != nil {
			return err
		}
		return heldError(fmt.Sprintf("project %s keeps namespaces of removed environments", p.Name), msg,
			fmt.Sprintf("kubectl roster project env remove %s %s --org %s --yes", p.Name, strings.Join(all, " "), org.Name))
	case errors.Is(err, context.DeadlineExceeded):
		ch.Message = fmt.Sprintf("Removed %s from project %s of organization %s; Roster is still deleting %s.", plural("environment", all), p.Name, org.Name, plural("namespace", names))
	case err != nil:
		return err
	}
	return o.done(ch)
}
