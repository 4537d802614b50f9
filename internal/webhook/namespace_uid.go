package webhook

import (
	"context"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// The recorder sees only writes that leave the project label set and change
// it or the recorded UID (matchConditions), the same writes the guard sees
// minus detaching; it runs again if a later mutating webhook changes the
// namespace (its answer depends only on the old and new objects, so a
// second run changes nothing it wrote).
// +kubebuilder:webhook:path=/mutate--v1-namespace,mutating=true,failurePolicy=fail,sideEffects=None,groups="",resources=namespaces;namespaces/status;namespaces/finalize,verbs=create;update,versions=v1,name=mnamespace.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10,reinvocationPolicy=IfNeeded,patch=`{"matchConditions":[{"name":"project-attachments","expression":"(has(object.metadata.labels) && 'orgs.roster.dev/organization' in object.metadata.labels ? object.metadata.labels['orgs.roster.dev/organization'] : '') != '' && ((has(object.metadata.labels) && 'orgs.roster.dev/organization' in object.metadata.labels ? object.metadata.labels['orgs.roster.dev/organization'] : '') != (oldObject != null && has(oldObject.metadata.labels) && 'orgs.roster.dev/organization' in oldObject.metadata.labels ? oldObject.metadata.labels['orgs.roster.dev/organization'] : '') || (has(object.metadata.annotations) && 'orgs.roster.dev/organization-uid' in object.metadata.annotations ? object.metadata.annotations['orgs.roster.dev/organization-uid'] : '') != (oldObject != null && has(oldObject.metadata.annotations) && 'orgs.roster.dev/organization-uid' in oldObject.metadata.annotations ? oldObject.metadata.annotations['orgs.roster.dev/organization-uid'] : ''))"}]}`

// AttachmentRecorder records which Organization a namespace is attached
// to: when the orgs.roster.dev/organization label is set or changed, or
// the request removes the recorded UID, it writes the labelled
// Organization's UID into orgs.roster.dev/organization-uid
// (policy.OrganizationUIDFor). So `kubectl label namespace shop
// orgs.roster.dev/organization=acme` attaches shop to this acme, and an
// Organization created later under the same name inherits nothing. A value
// set by hand is left for the NamespaceGuard to check. It decides nothing:
// the guard, which runs after it, does.
type AttachmentRecorder struct {
	facts *facts
}

var _ admission.Defaulter[*corev1.Namespace] = &AttachmentRecorder{}

// Default writes the attached Organization's UID.
func (d *AttachmentRecorder) Default(ctx context.Context, ns *corev1.Namespace) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return fmt.Errorf("reading the admission request: %w", err)
	}
	var old *corev1.Namespace
	if req.Operation == admissionv1.Update {
		old = &corev1.Namespace{}
		if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
			return fmt.Errorf("decoding the stored namespace: %w", err)
		}
	}
	r := attachRequest(old, ns)
	if r.To == "" {
		return nil
	}
	if r.OrganizationUID, err = d.facts.organizationUID(ctx, r.To); err != nil {
		return err
	}
	uid, ok := policy.OrganizationUIDFor(r)
	if !ok {
		return nil
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] = uid
	return nil
}

// organizationUID is the UID of the Organization named name, "" when there
// is none. It asks the API server, not the cache: right after an
// Organization is deleted and created again under its name, the cache may
// still hold the old one, and attaching is rare.
func (f *facts) organizationUID(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	org := &orgsv1alpha1.Organization{}
	err := f.live.Get(ctx, client.ObjectKey{Name: name}, org)
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading organization %q: %w", name, err)
	}
	return string(org.UID), nil
}
