package webhook

import (
	"context"
	"fmt"
	"slices"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// The guard sees only namespaces whose project label, recorded
// Organization UID or Project label (orgs.roster.dev/project) is added,
// changed or removed (matchConditions), so other
// namespace writes never wait on Roster.
// It also sees the status and finalize subresources: an update through
// either takes a whole Namespace and keeps the labels it carries.
// +kubebuilder:webhook:path=/validate--v1-namespace,mutating=false,failurePolicy=fail,sideEffects=None,groups="",resources=namespaces;namespaces/status;namespaces/finalize,verbs=create;update,versions=v1,name=vnamespace.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10,patch=`{"matchConditions":[{"name":"project-attachment-changes","expression":"(has(object.metadata.labels) && 'orgs.roster.dev/organization' in object.metadata.labels ? object.metadata.labels['orgs.roster.dev/organization'] : '') != (oldObject != null && has(oldObject.metadata.labels) && 'orgs.roster.dev/organization' in oldObject.metadata.labels ? oldObject.metadata.labels['orgs.roster.dev/organization'] : '') || (has(object.metadata.annotations) && 'orgs.roster.dev/organization-uid' in object.metadata.annotations ? object.metadata.annotations['orgs.roster.dev/organization-uid'] : '') != (oldObject != null && has(oldObject.metadata.annotations) && 'orgs.roster.dev/organization-uid' in oldObject.metadata.annotations ? oldObject.metadata.annotations['orgs.roster.dev/organization-uid'] : '')|| (has(object.metadata.labels) && 'orgs.roster.dev/project' in object.metadata.labels ? object.metadata.labels['orgs.roster.dev/project'] : '') != (oldObject != null && has(oldObject.metadata.labels) && 'orgs.roster.dev/project' in oldObject.metadata.labels ? oldObject.metadata.labels['orgs.roster.dev/project'] : '')"}]}`

// NamespaceGuard refuses attaching a namespace to an organization (the
// orgs.roster.dev/organization label, with the Organization's UID in
// orgs.roster.dev/organization-uid) by someone who could not create the
// RoleBindings that attaching makes Roster create, and any recorded UID
// that is not the labelled Organization's.
type NamespaceGuard struct {
	facts            *facts
	managerNamespace string
}

var _ admission.Validator[*corev1.Namespace] = &NamespaceGuard{}

// ValidateCreate checks a namespace created with the project label.
func (v *NamespaceGuard) ValidateCreate(ctx context.Context, ns *corev1.Namespace) (admission.Warnings, error) {
	return v.decide(ctx, nil, ns)
}

// ValidateUpdate checks a change of the project label.
func (v *NamespaceGuard) ValidateUpdate(ctx context.Context, old, ns *corev1.Namespace) (admission.Warnings, error) {
	return v.decide(ctx, old, ns)
}

// ValidateDelete allows deletion: it only takes access away.
func (v *NamespaceGuard) ValidateDelete(context.Context, *corev1.Namespace) (admission.Warnings, error) {
	return nil, nil
}

func (v *NamespaceGuard) decide(ctx context.Context, old, ns *corev1.Namespace) (admission.Warnings, error) {
	user, who, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	var oldLabels map[string]string
	if old != nil {
		oldLabels = old.Labels
	}
	if d := policy.DecideProjectNamespaceLabels(ns.Name, oldLabels, ns.Labels); !d.Allowed() {
		return respondFor(corev1.GroupName, "Namespace", "namespaces", ns.Name, d)
	}
	r := attachRequest(old, ns)
	r.Requester, r.ManagerNamespace, r.ClusterRoles = who, v.managerNamespace, projectClusterRoles()
	if policy.AttachNeedsGrant(r) {
		if r.HomeOf, err = v.homeOf(ctx, ns); err != nil {
			return nil, err
		}
		if r.CanGrant, err = v.canGrant(ctx, user, ns.Name, r.ClusterRoles); err != nil {
			return nil, err
		}
		if r.OrganizationUID, err = v.facts.organizationUID(ctx, r.To); err != nil {
			return nil, err
		}
	}
	return respondFor(corev1.GroupName, "Namespace", "namespaces", ns.Name, policy.DecideProjectAttach(r))
}

// attachRequest is the change of the project label and recorded UID from
// old (nil on create) to ns.
func attachRequest(old, ns *corev1.Namespace) policy.ProjectAttachRequest {
	r := policy.ProjectAttachRequest{
		Namespace: ns.Name,
		To:        ns.Labels[orgsv1alpha1.OrganizationLabel],
		ToUID:     ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation],
	}
	if old != nil {
		r.From = old.Labels[orgsv1alpha1.OrganizationLabel]
		r.FromUID = old.Annotations[orgsv1alpha1.OrganizationUIDAnnotation]
	}
	return r
}

// homeOf names the organization whose home ns is, by label or by claim.
func (v *NamespaceGuard) homeOf(ctx context.Context, ns *corev1.Namespace) (string, error) {
	if org := ns.Labels[orgsv1alpha1.HomeOfLabel]; org != "" {
		return org, nil
	}
	org, err := index.OrganizationFor(ctx, v.facts.reader, ns.Name)
	if err != nil || org == nil {
		return "", err
	}
	return org.Name, nil
}

// canGrant asks whether user may create RoleBindings in namespace and bind
// each of roles there: what creating the project bindings by hand takes.
func (v *NamespaceGuard) canGrant(ctx context.Context, user authenticationv1.UserInfo, namespace string, roles []string) (bool, error) {
	checks := []resourceCheck{{group: rbacv1.GroupName, resource: "rolebindings", verb: "create", namespace: namespace}}
	for _, role := range roles {
		checks = append(checks, resourceCheck{group: rbacv1.GroupName, resource: "clusterroles", verb: "bind", name: role, namespace: namespace})
	}
	for _, c := range checks {
		allowed, err := v.facts.allowed(ctx, user, c)
		if err != nil || !allowed {
			return false, err
		}
	}
	return true, nil
}

func projectClusterRoles() []string {
	var roles []string
	for _, name := range access.ProjectClusterRoles {
		if !slices.Contains(roles, name) {
			roles = append(roles, name)
		}
	}
	slices.Sort(roles)
	return roles
}

// resourceCheck is one question for a SubjectAccessReview.
type resourceCheck struct {
	group, resource, verb, name, namespace string
}

func (c resourceCheck) String() string {
	return fmt.Sprintf("%s %s.%s/%s in %q", c.verb, c.resource, c.group, c.name, c.namespace)
}
