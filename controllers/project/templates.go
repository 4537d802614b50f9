package project

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The Organization's spec.projects.resourceQuota and limitRange are
// templates: Roster keeps a ResourceQuota QuotaName and a LimitRange
// LimitsName with those specs in every project namespace, written with
// server-side apply only when what exists differs, and deleted when the
// field is removed. Members cannot loosen them: admin and edit (and so
// every role Roster binds in a project) only read ResourceQuotas and
// LimitRanges.
// +kubebuilder:rbac:groups="",resources=limitranges,verbs=get;list;watch;create;update;patch;delete

// Names of the template objects in every project namespace.
const (
	// QuotaName is the ResourceQuota made from spec.projects.resourceQuota.
	QuotaName = "roster-quota"
	// LimitsName is the LimitRange made from spec.projects.limitRange.
	LimitsName = "roster-limits"
)

// templateFieldOwner is the server-side apply field manager of the templates.
const templateFieldOwner = "roster-project"

// templateQuota is the ResourceQuota spec.projects.resourceQuota asks for
// in namespace, or nil when the field is unset.
func templateQuota(namespace string, org *orgsv1alpha1.Organization) *corev1.ResourceQuota {
	if org.Spec.Projects == nil || org.Spec.Projects.ResourceQuota == nil {
		return nil
	}
	return &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: templateMeta(namespace, QuotaName, org.Name),
		Spec:       *org.Spec.Projects.ResourceQuota.DeepCopy(),
	}
}

// templateLimits is the LimitRange spec.projects.limitRange asks for in
// namespace, or nil when the field is unset. Its limits carry the defaults
// the API server would fill in (defaultLimitRangeItem), so that what is
// stored equals what is wanted and an unchanged template costs no write.
func templateLimits(namespace string, org *orgsv1alpha1.Organization) *corev1.LimitRange {
	if org.Spec.Projects == nil || org.Spec.Projects.LimitRange == nil {
		return nil
	}
	spec := *org.Spec.Projects.LimitRange.DeepCopy()
	for i := range spec.Limits {
		defaultLimitRangeItem(&spec.Limits[i])
	}
	return &corev1.LimitRange{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "LimitRange"},
		ObjectMeta: templateMeta(namespace, LimitsName, org.Name),
		Spec:       spec,
	}
}

func templateMeta(namespace, name, org string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{
		orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue, orgsv1alpha1.OrganizationLabel: org,
	}}
}

// defaultLimitRangeItem is what the API server does to a Container limit
// (SetDefaults_LimitRangeItem in k8s.io/kubernetes pkg/apis/core/v1): an
// unset default limit is the max, an unset default request the default
// limit, else the min.
func defaultLimitRangeItem(l *corev1.LimitRangeItem) {
	if l.Type != corev1.LimitTypeContainer {
		return
	}
	if l.Default == nil {
		l.Default = corev1.ResourceList{}
	}
	if l.DefaultRequest == nil {
		l.DefaultRequest = corev1.ResourceList{}
	}
	for k, v := range l.Max {
		if _, ok := l.Default[k]; !ok {
			l.Default[k] = v.DeepCopy()
		}
	}
	for k, v := range l.Default {
		if _, ok := l.DefaultRequest[k]; !ok {
			l.DefaultRequest[k] = v.DeepCopy()
		}
	}
	for k, v := range l.Min {
		if _, ok := l.DefaultRequest[k]; !ok {
			l.DefaultRequest[k] = v.DeepCopy()
		}
	}
}

// inSync reports whether have, as stored, is want: the same spec (the
// API server's defaults included) and want's labels.
func inSync(have, want client.Object, haveSpec, wantSpec any) bool {
	for k, v := range want.GetLabels() {
		if have.GetLabels()[k] != v {
			return false
		}
	}
	return equality.Semantic.DeepEqual(haveSpec, wantSpec)
}

// ensureTemplates keeps namespace's roster-quota and roster-limits equal
// to org's templates: applied when missing or changed, deleted when the
// template is unset, left alone (no write) otherwise.
func (r *Reconciler) ensureTemplates(ctx context.Context, namespace string, org *orgsv1alpha1.Organization) error {
	quota := &corev1.ResourceQuota{}
	exists, err := r.getTemplate(ctx, namespace, QuotaName, quota)
	if err != nil {
		return err
	}
	if want := templateQuota(namespace, org); want != nil {
		err = r.applyTemplate(ctx, want, exists && inSync(quota, want, quota.Spec, want.Spec))
	} else if exists {
		err = r.deleteTemplate(ctx, quota)
	}
	if err != nil {
		return err
	}
	limits := &corev1.LimitRange{}
	if exists, err = r.getTemplate(ctx, namespace, LimitsName, limits); err != nil {
		return err
	}
	if want := templateLimits(namespace, org); want != nil {
		return r.applyTemplate(ctx, want, exists && inSync(limits, want, limits.Spec, want.Spec))
	} else if exists {
		return r.deleteTemplate(ctx, limits)
	}
	return nil
}

// getTemplate reads name into obj from the cache, which holds only
// Roster's labelled objects: one without Roster's label is not there, and
// is applied over (taken back) rather than deleted.
func (r *Reconciler) getTemplate(ctx context.Context, namespace, name string, obj client.Object) (bool, error) {
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s %s in namespace %s: %w", kindOf(obj), name, namespace, err)
	}
	return true, nil
}

// applyTemplate server-side applies want, forced, unless synced.
func (r *Reconciler) applyTemplate(ctx context.Context, want client.Object, synced bool) error {
	if synced {
		return nil
	}
	kind, key := kindOf(want), client.ObjectKeyFromObject(want)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(want)
	if err != nil {
		return fmt.Errorf("converting %s %s: %w", kind, key, err)
	}
	obj := &unstructured.Unstructured{Object: u}
	unstructured.RemoveNestedField(obj.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(obj.Object, "status")
	if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(templateFieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s from its Organization's spec.projects: %w", kind, key, err)
	}
	log.FromContext(ctx).Info("applied a project template", "kind", kind, "object", key)
	return nil
}

// deleteTemplate deletes have (exactly that object: a UID precondition)
// once its Organization's template is removed.
func (r *Reconciler) deleteTemplate(ctx context.Context, have client.Object) error {
	kind, key, uid := kindOf(have), client.ObjectKeyFromObject(have), have.GetUID()
	if err := r.Client.Delete(ctx, have, client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting %s %s (its Organization's spec.projects template was removed): %w", kind, key, err)
	}
	log.FromContext(ctx).Info("deleted a project template", "kind", kind, "object", key)
	return nil
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *corev1.ResourceQuota:
		return "ResourceQuota"
	case *corev1.LimitRange:
		return "LimitRange"
	}
	return fmt.Sprintf("%T", obj)
}
