package organization

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// namespaceHandler enqueues the organizations a namespace belongs to, before
// and after a change, so that a namespace unlabelled from one organization
// loses its bindings and one labelled for another gains them.
type namespaceHandler struct{}

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func (namespaceHandler) Create(_ context.Context, e event.CreateEvent, q queue) {
	enqueueOrganizationsOf(q, e.Object)
}

func (namespaceHandler) Update(_ context.Context, e event.UpdateEvent, q queue) {
	enqueueOrganizationsOf(q, e.ObjectOld)
	enqueueOrganizationsOf(q, e.ObjectNew)
}

func (namespaceHandler) Delete(_ context.Context, e event.DeleteEvent, q queue) {
	enqueueOrganizationsOf(q, e.Object)
}

func (namespaceHandler) Generic(_ context.Context, e event.GenericEvent, q queue) {
	enqueueOrganizationsOf(q, e.Object)
}

func enqueueOrganizationsOf(q queue, obj client.Object) {
	if obj == nil {
		return
	}
	for _, key := range []string{orgsv1alpha1.HomeOfLabel, orgsv1alpha1.OrganizationLabel} {
		if org := obj.GetLabels()[key]; org != "" {
			q.Add(ctrl.Request{NamespacedName: client.ObjectKey{Name: org}})
		}
	}
}

// namespacePredicate passes only namespaces that carry one of Roster's labels
// (before or after the change) and changes of those labels, of the UIDs
// recorded next to them, or of deletion.
func namespacePredicate() predicate.Predicate {
	labelled := func(obj client.Object) bool {
		l := obj.GetLabels()
		return l[orgsv1alpha1.HomeOfLabel] != "" || l[orgsv1alpha1.OrganizationLabel] != ""
	}
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return labelled(e.Object) },
		DeleteFunc: func(e event.DeleteEvent) bool { return labelled(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			if !labelled(e.ObjectOld) && !labelled(e.ObjectNew) {
				return false
			}
			o, n := e.ObjectOld.(*corev1.Namespace), e.ObjectNew.(*corev1.Namespace)
			return o.Labels[orgsv1alpha1.HomeOfLabel] != n.Labels[orgsv1alpha1.HomeOfLabel] ||
				o.Labels[orgsv1alpha1.OrganizationLabel] != n.Labels[orgsv1alpha1.OrganizationLabel] ||
				o.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] != n.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] ||
				o.Annotations[orgsv1alpha1.HomeOfUIDAnnotation] != n.Annotations[orgsv1alpha1.HomeOfUIDAnnotation] ||
				o.DeletionTimestamp.IsZero() != n.DeletionTimestamp.IsZero() ||
				o.Status.Phase != n.Status.Phase
		},
		GenericFunc: func(e event.GenericEvent) bool { return labelled(e.Object) },
	}
}
