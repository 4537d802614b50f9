package project

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// What a project namespace holds is counted by Kubernetes, not read by
// Roster: the manager holds nothing on workloads, Secrets or ConfigMaps
// (docs/security.md). Each project namespace gets a ResourceQuota that
// only counts (its hard limits are far beyond any use), and the quota
// controller writes the counts into its status. Members cannot change it:
// admin and edit only read ResourceQuotas.
// +kubebuilder:rbac:groups="",resources=resourcequotas,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get,resourceNames=kube-root-ca.crt

// ContentsQuotaName is the ResourceQuota that counts a project namespace's contents.
const ContentsQuotaName = "roster-contents"

// countLimit is the hard limit of every count: a count, not a bound.
var countLimit = resource.MustParse("1000000")

// recountLimit replaces countLimit when Roster is about to delete the
// namespace. Changing the hard limits makes the quota controller count
// everything again; until it has (status.hard equals spec.hard), the counts
// may miss what was made before the quota existed, which the controller's
// first count can overlook (later creates are counted at admission).
var recountLimit = resource.MustParse("1000001")

var (
	workloadCounts = []corev1.ResourceName{"pods", "count/deployments.apps", "count/statefulsets.apps", "count/daemonsets.apps",
		"count/replicasets.apps", "count/jobs.batch", "count/cronjobs.batch"}
	secretCount    corev1.ResourceName = "count/secrets"
	configMapCount corev1.ResourceName = "count/configmaps"
)

// contentsQuota is the counting ResourceQuota of namespace.
func contentsQuota(namespace, org string) *corev1.ResourceQuota {
	hard := corev1.ResourceList{secretCount: countLimit, configMapCount: countLimit}
	for _, r := range workloadCounts {
		hard[r] = countLimit
	}
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ContentsQuotaName, Labels: map[string]string{
			orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue, orgsv1alpha1.OrganizationLabel: org,
		}},
		Spec: corev1.ResourceQuotaSpec{Hard: hard},
	}
}

// ensureContentsQuota creates the counting quota of namespace when absent.
func (r *Reconciler) ensureContentsQuota(ctx context.Context, namespace, org string) error {
	q := &corev1.ResourceQuota{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ContentsQuotaName}, q)
	if apierrors.IsNotFound(err) {
		err = r.Client.Create(ctx, contentsQuota(namespace, org))
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("ensuring ResourceQuota %s in namespace %s: %w", ContentsQuotaName, namespace, err)
	}
	return nil
}

// contents is what namespace holds beyond what Kubernetes creates, from
// its counting quota. known is false while the quota controller has not
// counted yet (or the quota is gone): then Roster cannot tell, and a
// deletion waits for the confirmation as for a namespace that holds something.
// recounting is true while Kubernetes counts again before a deletion.
func (r *Reconciler) contents(ctx context.Context, namespace string) (c policy.NamespaceContents, known, recounting bool, err error) {
	q := &corev1.ResourceQuota{}
	if err := r.apiReader().Get(ctx, client.ObjectKey{Namespace: namespace, Name: ContentsQuotaName}, q); err != nil {
		if apierrors.IsNotFound(err) {
			return c, false, false, nil
		}
		return c, false, false, fmt.Errorf("reading ResourceQuota %s in namespace %s: %w", ContentsQuotaName, namespace, err)
	}
	if limit := q.Spec.Hard[configMapCount]; limit.Cmp(recountLimit) != 0 {
		for name := range q.Spec.Hard {
			q.Spec.Hard[name] = recountLimit
		}
		if err := r.Client.Update(ctx, q); err != nil && !apierrors.IsConflict(err) {
			return c, false, false, fmt.Errorf("asking Kubernetes to count namespace %s again (ResourceQuota %s): %w", namespace, ContentsQuotaName, err)
		}
		return c, false, true, nil
	}
	if !equality.Semantic.DeepEqual(q.Spec.Hard, q.Status.Hard) {
		return c, false, true, nil
	}
	used := q.Status.Used
	count := func(name corev1.ResourceName) int {
		v := used[name]
		return int(v.Value())
	}
	for _, name := range append(append([]corev1.ResourceName{}, workloadCounts...), secretCount, configMapCount) {
		if _, ok := used[name]; !ok {
			return c, false, false, nil
		}
	}
	for _, name := range workloadCounts {
		c.Workloads += count(name)
	}
	c.Secrets = count(secretCount)
	c.ConfigMaps = count(configMapCount)
	// Kubernetes publishes its root CA into every namespace.
	rootCA := &metav1.PartialObjectMetadata{}
	rootCA.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	switch err := r.apiReader().Get(ctx, client.ObjectKey{Namespace: namespace, Name: "kube-root-ca.crt"}, rootCA); {
	case err == nil:
		c.ConfigMaps = max(0, c.ConfigMaps-1)
	case !apierrors.IsNotFound(err):
		return c, false, false, fmt.Errorf("reading ConfigMap kube-root-ca.crt in namespace %s: %w", namespace, err)
	}
	return c, true, false, nil
}
