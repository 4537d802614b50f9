package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/ui"
)

// The Users page's Projects view: the plugin's client acting as the user,
// so the Project webhook and RBAC decide each write.

var _ ui.ProjectsBackend = &uiBackend{}

func (b *uiBackend) Projects(ctx context.Context, org string) (*ui.Projects, error) {
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return nil, uiProblem(err, "")
	}
	var list orgsv1alpha1.ProjectList
	if err := c.cl.List(ctx, &list, client.InNamespace(o.HomeNamespaceName())); err != nil {
		return nil, uiProblem(err, projectHint(err, org))
	}
	out := &ui.Projects{
		Organization: o.Name, MaxProjects: policy.MaxProjects(o), MaxEnvironments: policy.MaxEnvironmentsPerProject(o),
		Items: make([]ui.Project, 0, len(list.Items)),
	}
	if ms := memberships(ctx, c.cl, b.id, []orgsv1alpha1.Organization{*o}); len(ms) == 1 {
		out.Role = ms[0].Role
		applied := ms[0].EffectiveRole
		if applied == "" {
			applied = ms[0].Role
		}
		out.ClusterRole = access.ProjectClusterRoles[applied]
	}
	for i := range list.Items {
		out.Items = append(out.Items, projectRow(o.Name, &list.Items[i]))
	}
	slices.SortFunc(out.Items, func(a, b ui.Project) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// projectRow is p as the Projects view shows it. A namespace in status
// that p no longer asks for is retiring; one that is still Active while
// Ready says DeletionNeedsConfirmation, and that the annotation does not
// name yet, is held for the confirmation.
func projectRow(org string, p *orgsv1alpha1.Project) ui.Project {
	row := ui.Project{
		Name: p.Name, DisplayName: p.Spec.DisplayName, Environments: slices.Clone(p.Spec.Environments),
		Deleting: !p.DeletionTimestamp.IsZero(), Since: p.CreationTimestamp.Time, Namespaces: []ui.ProjectNamespace{},
	}
	if row.Environments == nil {
		row.Environments = []string{}
	}
	if c := meta.FindStatusCondition(p.Status.Conditions, orgsv1alpha1.ReadyCondition); c != nil {
		row.Ready, row.Reason, row.Message = c.Status == metav1.ConditionTrue, c.Reason, c.Message
	}
	wanted := map[string]bool{}
	if !row.Deleting {
		for _, n := range policy.ProjectNamespaces(org, p) {
			wanted[n.Name] = true
		}
	}
	confirmed := policy.ConfirmedNamespaces(p)
	seen := map[string]bool{}
	for _, st := range p.Status.Namespaces {
		ns := ui.ProjectNamespace{Name: st.Name, Environment: st.Environment, Phase: st.Phase, Retiring: !wanted[st.Name]}
		ns.Held = ns.Retiring && st.Phase == orgsv1alpha1.ProjectNamespaceActive && !confirmed[st.Name] &&
			row.Reason == orgsv1alpha1.DeletionNeedsConfirmationReason
		seen[st.Name] = true
		row.Namespaces = append(row.Namespaces, ns)
	}
	// Asked for, not made yet.
	for _, n := range policy.ProjectNamespaces(org, p) {
		if !seen[n.Name] && wanted[n.Name] {
			row.Namespaces = append(row.Namespaces, ui.ProjectNamespace{Name: n.Name, Environment: n.Environment, Phase: orgsv1alpha1.ProjectNamespacePending})
		}
	}
	// In the order of the environments; retiring ones last.
	rank := func(n ui.ProjectNamespace) int {
		if i := slices.Index(row.Environments, n.Environment); i >= 0 && !n.Retiring {
			return i
		}
		return len(row.Environments)
	}
	slices.SortStableFunc(row.Namespaces, func(a, b ui.ProjectNamespace) int { return rank(a) - rank(b) })
	return row
}

// project is the Project named name of org, read as the user.
func (b *uiBackend) project(ctx context.Context, org, name string) (*Options, *orgsv1alpha1.Project, error) {
	p := &orgsv1alpha1.Project{}
	c, err := b.homeObject(ctx, org, name, p, func(err error) string { return projectHint(err, org) })
	return c, p, err
}

func (b *uiBackend) CreateProject(ctx context.Context, org string, np ui.NewProject) error {
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return uiProblem(err, "")
	}
	p := &orgsv1alpha1.Project{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.HomeNamespaceName(), Name: np.Name},
		Spec:       orgsv1alpha1.ProjectSpec{DisplayName: np.DisplayName, Environments: np.Environments},
	}
	if err := c.cl.Create(ctx, p); err != nil {
		return uiProblem(err, projectHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Created project %s in %s (environments: %s).", np.Name, org, environmentsText(np.Environments)))
	return nil
}

func environmentsText(envs []string) string {
	if len(envs) == 0 {
		return "none, one namespace"
	}
	return strings.Join(envs, ", ")
}

// setEnvironments writes p's environments with p's resourceVersion, so a
// change made meanwhile by someone else is not overwritten.
func (b *uiBackend) setEnvironments(ctx context.Context, c *Options, p *orgsv1alpha1.Project, envs []string, org, said string) error {
	base := p.DeepCopy()
	p.Spec.Environments = envs
	if err := c.cl.Patch(ctx, p, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return uiProblem(err, projectHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(said)
	return nil
}

func (b *uiBackend) AddEnvironment(ctx context.Context, org, project, env string) error {
	c, p, err := b.project(ctx, org, project)
	if err != nil {
		return err
	}
	if slices.Contains(p.Spec.Environments, env) {
		return &ui.Problem{Message: fmt.Sprintf("Project %s already has environment %q (spec.environments); choose another name", project, env), Code: http.StatusConflict}
	}
	return b.setEnvironments(ctx, c, p, append(slices.Clone(p.Spec.Environments), env), org,
		fmt.Sprintf("Added environment %s to project %s in %s.", env, project, org))
}

func (b *uiBackend) RemoveEnvironment(ctx context.Context, org, project, env string) error {
	c, p, err := b.project(ctx, org, project)
	if err != nil {
		return err
	}
	if !slices.Contains(p.Spec.Environments, env) {
		return &ui.Problem{Message: fmt.Sprintf("Project %s has no environment %q (spec.environments: %s)", project, env, environmentsText(p.Spec.Environments)), Code: http.StatusNotFound}
	}
	envs := slices.DeleteFunc(slices.Clone(p.Spec.Environments), func(e string) bool { return e == env })
	return b.setEnvironments(ctx, c, p, envs, org, fmt.Sprintf("Removed environment %s from project %s in %s.", env, project, org))
}

func (b *uiBackend) DeleteProject(ctx context.Context, org, project string) error {
	c, p, err := b.project(ctx, org, project)
	if err != nil {
		return err
	}
	uid := p.UID
	if err := c.cl.Delete(ctx, p, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
		return uiProblem(err, projectHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Deleting project %s of %s.", project, org))
	return nil
}

func (b *uiBackend) ConfirmDeleteNamespaces(ctx context.Context, org, project string, namespaces []string) error {
	c, p, err := b.project(ctx, org, project)
	if err != nil {
		return err
	}
	confirmed := policy.ConfirmedNamespaces(p)
	list := strings.TrimSpace(p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation])
	for _, ns := range namespaces {
		if ns = strings.TrimSpace(ns); ns != "" && !confirmed[ns] {
			confirmed[ns] = true
			list = strings.TrimPrefix(list+","+ns, ",")
		}
	}
	base := p.DeepCopy()
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[orgsv1alpha1.ConfirmDeleteNamespacesAnnotation] = list
	if err := c.cl.Patch(ctx, p, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return uiProblem(err, projectHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Confirmed the deletion of %s (project %s of %s, %s=%s).", strings.Join(namespaces, ", "), project, org,
		orgsv1alpha1.ConfirmDeleteNamespacesAnnotation, list))
	return nil
}
