// Package project holds the Project reconciler: one namespace per
// environment of a Project, attached to its organization so that every
// member gets their role's access there (the Organization reconciler
// renders it, as for a namespace attached by hand), and deleted again,
// guarded, when the environment or the Project goes.
package project

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:rbac:groups=orgs.roster.dev,resources=projects,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=projects/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=projects/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete

// heldRetry is how soon a Project whose namespace deletion waits for a
// confirmation, or whose namespace name is taken, is looked at again: what
// a namespace holds, and a foreign namespace, are not watched.
const heldRetry = 10 * time.Second

// recountRetry is how soon a Project waiting for a recount is looked at again.
const recountRetry = 2 * time.Second

// Reconciler makes and deletes a Project's namespaces.
type Reconciler struct {
	Client client.Client
	// APIReader lists a namespace's contents (metadata only, uncached)
	// and reads a namespace the cache has not seen. nil means Client.
	APIReader client.Reader
}

// Reconcile brings one Project's namespaces and status in line.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &orgsv1alpha1.Project{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if p.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(p, orgsv1alpha1.ProjectFinalizer) {
		// No namespace is made before the finalizer that deletes it is stored.
		patch := client.MergeFromWithOptions(p.DeepCopy(), client.MergeFromWithOptimisticLock{})
		controllerutil.AddFinalizer(p, orgsv1alpha1.ProjectFinalizer)
		return ctrl.Result{}, client.IgnoreNotFound(r.Client.Patch(ctx, p, patch))
	}
	before := p.DeepCopy()
	var o outcome
	var err error
	if p.DeletionTimestamp.IsZero() {
		o, err = r.reconcileNormal(ctx, p)
	} else {
		o, err = r.reconcileDelete(ctx, p)
	}
	if err == nil {
		p.Status.ObservedGeneration = p.Generation
	}
	setReady(p, o)
	if !equality.Semantic.DeepEqual(before.Status, p.Status) {
		if perr := r.writeStatus(ctx, before, p); perr != nil {
			return ctrl.Result{}, perr
		}
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if o.deleting && len(o.held) == 0 && len(o.counting) == 0 {
		patch := client.MergeFrom(p.DeepCopy())
		if controllerutil.RemoveFinalizer(p, orgsv1alpha1.ProjectFinalizer) {
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Patch(ctx, p, patch))
		}
	}
	if len(o.held) > 0 || len(o.conflicts) > 0 {
		return ctrl.Result{RequeueAfter: heldRetry}, nil
	}
	if len(o.counting) > 0 {
		// The quota's status update brings the Project back; this is the
		// fallback.
		return ctrl.Result{RequeueAfter: recountRetry}, nil
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler) writeStatus(ctx context.Context, before, p *orgsv1alpha1.Project) error {
	if err := r.Client.Status().Patch(ctx, p, client.MergeFrom(before)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("writing the status of project %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

func (r *Reconciler) reconcileNormal(ctx context.Context, p *orgsv1alpha1.Project) (outcome, error) {
	var o outcome
	org, err := index.OrganizationFor(ctx, r.Client, p.Namespace)
	if err != nil {
		return o, err
	}
	if org == nil || !org.DeletionTimestamp.IsZero() {
		o.missing = org == nil
		return o, nil
	}
	if o.overLimit, err = r.overLimit(ctx, p, org); err != nil || o.overLimit != "" {
		return o, err
	}
	want := policy.ProjectNamespaces(org.Name, p)
	wanted := map[string]bool{}
	for _, n := range want {
		wanted[n.Name] = true
	}
	// Namespaces no longer wanted (a removed environment): deleted, guarded.
	for _, st := range slices.Clone(p.Status.Namespaces) {
		if !wanted[st.Name] {
			if err := r.retire(ctx, p, st, &o); err != nil {
				return o, err
			}
		}
	}
	for _, n := range want {
		if err := r.ensure(ctx, p, org, n, &o); err != nil {
			return o, err
		}
	}
	sort.Slice(p.Status.Namespaces, func(i, j int) bool { return p.Status.Namespaces[i].Name < p.Status.Namespaces[j].Name })
	return o, nil
}

// overLimit is the second line behind admission: two Projects created at
// once may both have passed it. The oldest MaxProjects Projects of the
// organization get namespaces; a younger one that has none yet waits.
func (r *Reconciler) overLimit(ctx context.Context, p *orgsv1alpha1.Project, org *orgsv1alpha1.Organization) (string, error) {
	if len(p.Status.Namespaces) > 0 {
		return "", nil
	}
	var projects orgsv1alpha1.ProjectList
	if err := r.Client.List(ctx, &projects, client.InNamespace(p.Namespace)); err != nil {
		return "", fmt.Errorf("listing the projects of organization %s: %w", org.Name, err)
	}
	items := projects.Items
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i].CreationTimestamp, items[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return items[i].Name < items[j].Name
	})
	maxProjects := policy.MaxProjects(org)
	for i := range items {
		if items[i].Name == p.Name && i >= maxProjects {
			return fmt.Sprintf("Organization %s allows %d Projects (spec.projects.maxProjects) and this one is past them; delete a Project or ask an Owner to raise spec.projects.maxProjects.",
				org.Name, maxProjects), nil
		}
	}
	return "", nil
}

func statusOf(p *orgsv1alpha1.Project, name string) *orgsv1alpha1.ProjectNamespaceStatus {
	for i := range p.Status.Namespaces {
		if p.Status.Namespaces[i].Name == name {
			return &p.Status.Namespaces[i]
		}
	}
	return nil
}

func dropStatus(p *orgsv1alpha1.Project, name string) {
	p.Status.Namespaces = slices.DeleteFunc(p.Status.Namespaces, func(s orgsv1alpha1.ProjectNamespaceStatus) bool { return s.Name == name })
}

// ensure makes namespace n of p, or keeps the one Roster made (its UID in
// status) labelled as the organization's project. A namespace of that name
// that Roster did not make for p is a conflict: never adopted.
func (r *Reconciler) ensure(ctx context.Context, p *orgsv1alpha1.Project, org *orgsv1alpha1.Organization, n policy.ProjectNamespaceName, o *outcome) error {
	st := statusOf(p, n.Name)
	if st == nil {
		p.Status.Namespaces = append(p.Status.Namespaces, orgsv1alpha1.ProjectNamespaceStatus{Name: n.Name, Environment: n.Environment, Phase: orgsv1alpha1.ProjectNamespacePending})
		st = &p.Status.Namespaces[len(p.Status.Namespaces)-1]
	}
	labels, annotations := policy.ProjectNamespaceMetadata(org, p, n.Environment)
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: n.Name}, ns)
	if apierrors.IsNotFound(err) {
		return r.create(ctx, p, n, labels, annotations, o)
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", n.Name, err)
	}
	if st.UID == "" || ns.UID != st.UID {
		st.UID, st.Phase = "", orgsv1alpha1.ProjectNamespaceConflict
		o.conflicts = append(o.conflicts, n.Name)
		return nil
	}
	st.Phase = string(ns.Status.Phase)
	if !ns.DeletionTimestamp.IsZero() {
		return nil
	}
	if err := r.ensureContentsQuota(ctx, n.Name, org.Name); err != nil {
		return err
	}
	if err := r.ensureTemplates(ctx, n.Name, org); err != nil {
		return err
	}
	// Restore what was changed: the organization's labels and annotations
	// and Roster's own (the webhook refuses detaching; this holds when it was away).
	patch := client.MergeFrom(ns.DeepCopy())
	changed := false
	for _, m := range []struct{ want, have map[string]string }{{labels, ns.Labels}, {annotations, ns.Annotations}} {
		for k, v := range m.want {
			if m.have[k] != v {
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	maps.Copy(ns.Labels, labels)
	maps.Copy(ns.Annotations, annotations)
	if err := r.Client.Patch(ctx, ns, patch); err != nil {
		return fmt.Errorf("restoring the labels of namespace %s: %w", n.Name, err)
	}
	return nil
}

// create makes namespace n and records its UID in status at once: the UID
// is what makes it the Project's.
func (r *Reconciler) create(ctx context.Context, p *orgsv1alpha1.Project, n policy.ProjectNamespaceName, labels, annotations map[string]string, o *outcome) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels, Annotations: annotations}}
	before := p.DeepCopy()
	st := statusOf(p, n.Name)
	err := r.Client.Create(ctx, ns)
	if apierrors.IsAlreadyExists(err) {
		// Not in the cache: someone else's, or the cache is behind.
		existing := &corev1.Namespace{}
		if err := r.apiReader().Get(ctx, client.ObjectKey{Name: n.Name}, existing); err != nil {
			return fmt.Errorf("reading namespace %s: %w", n.Name, err)
		}
		if st.UID == "" || existing.UID != st.UID {
			st.UID, st.Phase = "", orgsv1alpha1.ProjectNamespaceConflict
			o.conflicts = append(o.conflicts, n.Name)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating namespace %s: %w", n.Name, err)
	}
	log.FromContext(ctx).Info("created a project namespace", "namespace", n.Name)
	st.UID, st.Phase = ns.UID, string(corev1.NamespaceActive)
	return r.writeStatus(ctx, before, p)
}

// retire deletes a namespace Roster made for p that p no longer wants,
// unless it holds something and p's confirmation does not name it. It is
// dropped from status once gone, or at once when it was never p's.
func (r *Reconciler) retire(ctx context.Context, p *orgsv1alpha1.Project, st orgsv1alpha1.ProjectNamespaceStatus, o *outcome) error {
	if st.UID == "" {
		dropStatus(p, st.Name)
		return nil
	}
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: st.Name}, ns)
	if apierrors.IsNotFound(err) || (err == nil && ns.UID != st.UID) {
		dropStatus(p, st.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %s: %w", st.Name, err)
	}
	if !ns.DeletionTimestamp.IsZero() {
		statusOf(p, st.Name).Phase = string(corev1.NamespaceTerminating)
		return nil
	}
	c, known, recounting, err := r.contents(ctx, st.Name)
	if err != nil {
		return err
	}
	if recounting {
		o.counting = append(o.counting, st.Name)
		return nil
	}
	if msg := policy.DeletionNeedsConfirmation(p, st.Name, c, known); msg != "" {
		o.held = append(o.held, msg)
		return nil
	}
	uid := ns.UID
	if err := r.Client.Delete(ctx, ns, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting namespace %s: %w", st.Name, err)
	}
	log.FromContext(ctx).Info("deleted a project namespace", "namespace", st.Name)
	statusOf(p, st.Name).Phase = string(corev1.NamespaceTerminating)
	return nil
}

// reconcileDelete deletes every namespace Roster made for p, guarded as
// retire is; the finalizer goes once each is deleted or being deleted.
func (r *Reconciler) reconcileDelete(ctx context.Context, p *orgsv1alpha1.Project) (outcome, error) {
	o := outcome{deleting: true}
	for _, st := range slices.Clone(p.Status.Namespaces) {
		if err := r.retire(ctx, p, st, &o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (r *Reconciler) apiReader() client.Reader {
	if r.APIReader == nil {
		return r.Client
	}
	return r.APIReader
}

// SetupWithManager watches Projects, the namespaces Roster made for them
// (by their orgs.roster.dev/project label), the template ResourceQuotas and
// LimitRanges in them, and Organizations (bounds, labels, annotations and
// templates: a spec change reaches every Project of the organization).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&orgsv1alpha1.Project{}).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.projectOfNamespace)).
		// The templates (roster-quota, roster-limits): a manual edit or
		// deletion is undone. The cache holds only Roster's labelled ones.
		Watches(&corev1.ResourceQuota{}, handler.EnqueueRequestsFromMapFunc(r.projectOfTemplate)).
		Watches(&corev1.LimitRange{}, handler.EnqueueRequestsFromMapFunc(r.projectOfTemplate)).
		Watches(&orgsv1alpha1.Organization{}, handler.EnqueueRequestsFromMapFunc(r.projectsOfOrganization),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Named("project").
		Complete(r)
}

// projectOfNamespace maps a namespace to the Project its labels name, in
// the home namespace of the organization its labels name. A forged label
// only makes that Project look again: it decides by the UID in its status.
func (r *Reconciler) projectOfNamespace(ctx context.Context, obj client.Object) []ctrl.Request {
	project, orgName := obj.GetLabels()[orgsv1alpha1.ProjectLabel], obj.GetLabels()[orgsv1alpha1.OrganizationLabel]
	if project == "" || orgName == "" {
		return nil
	}
	org := &orgsv1alpha1.Organization{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: orgName}, org); err != nil {
		return nil
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Namespace: org.HomeNamespaceName(), Name: project}}}
}

// projectOfTemplate maps a ResourceQuota or LimitRange to the Project of
// its namespace (projectOfNamespace).
func (r *Reconciler) projectOfTemplate(ctx context.Context, obj client.Object) []ctrl.Request {
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: obj.GetNamespace()}, ns); err != nil {
		return nil
	}
	return r.projectOfNamespace(ctx, ns)
}

func (r *Reconciler) projectsOfOrganization(ctx context.Context, obj client.Object) []ctrl.Request {
	org, ok := obj.(*orgsv1alpha1.Organization)
	if !ok {
		return nil
	}
	var projects orgsv1alpha1.ProjectList
	if err := r.Client.List(ctx, &projects, client.InNamespace(org.HomeNamespaceName())); err != nil {
		log.FromContext(ctx).Error(err, "listing the projects of an organization", "organization", org.Name)
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(projects.Items))
	for i := range projects.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&projects.Items[i])})
	}
	return reqs
}
