package organization

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// awaitedOf maps a Member in a namespace that is no Organization's home to
// the organization that namespace awaits (policy.AwaitedOrganization), so
// that its reconcile says why the Member waits.
func (r *Reconciler) awaitedOf(ctx context.Context, namespace string) []ctrl.Request {
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return nil
	}
	awaited := policy.AwaitedOrganization(ns.Name, ns.Labels[orgsv1alpha1.HomeOfLabel])
	if awaited == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Name: awaited}}}
}

// syncWaiting writes the status of the Members that wait for organization
// name in a namespace that is not its home: org is nil while it does not
// exist (OrganizationNotFound), else it was created with another home
// namespace (HomeNamespaceMismatch). They grant nothing either way: the
// renderer reads only the home namespace.
func (r *Reconciler) syncWaiting(ctx context.Context, name string, org *orgsv1alpha1.Organization) error {
	namespaces, err := r.awaitingNamespaces(ctx, name)
	if err != nil {
		return err
	}
	home := ""
	if org != nil {
		home = org.HomeNamespaceName()
	}
	var errs []error
	for _, ns := range namespaces {
		if ns == home {
			continue
		}
		if claim, err := index.OrganizationFor(ctx, r.Client, ns); err != nil || claim != nil {
			errs = append(errs, err) // another organization's home: its reconcile speaks for it
			continue
		}
		var members orgsv1alpha1.MemberList
		if err := r.Client.List(ctx, &members, client.InNamespace(ns)); err != nil {
			errs = append(errs, fmt.Errorf("listing the members of namespace %s: %w", ns, err))
			continue
		}
		for i := range members.Items {
			m := &members.Items[i]
			before := m.DeepCopy()
			setWaitingStatus(m, name, home)
			if equality.Semantic.DeepEqual(before.Status, m.Status) {
				continue
			}
			if err := r.Client.Status().Patch(ctx, m, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("writing the status of member %s/%s: %w", ns, m.Name, err))
			}
		}
	}
	return kerrors.NewAggregate(errs)
}

// awaitingNamespaces are the namespaces that await organization name:
// org-<name> and those labelled orgs.roster.dev/home-of: <name>.
func (r *Reconciler) awaitingNamespaces(ctx context.Context, name string) ([]string, error) {
	var labelled corev1.NamespaceList
	if err := r.Client.List(ctx, &labelled, client.MatchingLabels{orgsv1alpha1.HomeOfLabel: name}); err != nil {
		return nil, fmt.Errorf("listing the namespaces labelled for organization %s: %w", name, err)
	}
	var out []string
	for i := range labelled.Items {
		out = append(out, labelled.Items[i].Name)
	}
	byName := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: orgsv1alpha1.DefaultHomeNamespacePrefix + name}, byName)
	switch {
	case apierrors.IsNotFound(err):
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("reading namespace %s: %w", byName.Name, err)
	}
	if policy.AwaitedOrganization(byName.Name, byName.Labels[orgsv1alpha1.HomeOfLabel]) == name && byName.Labels[orgsv1alpha1.HomeOfLabel] != name {
		out = append(out, byName.Name)
	}
	return out, nil
}
