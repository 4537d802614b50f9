package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
	"github.com/roster-dev/roster/internal/policy"
)

// +kubebuilder:webhook:path=/validate-orgs-roster-dev-v1alpha1-project,mutating=false,failurePolicy=fail,sideEffects=None,groups=orgs.roster.dev,resources=projects,verbs=create;update;delete,versions=v1alpha1,name=vproject.roster.dev,admissionReviewVersions=v1,timeoutSeconds=10
// +kubebuilder:rbac:groups=orgs.roster.dev,resources=projects,verbs=get;list;watch

// ProjectValidator asks policy.DecideProject about every change of a
// Project: who may (the matrix row "Create - Update - Delete projects"),
// the organization's spec.projects bounds, and the namespaces it would
// need. A token's ServiceAccount acts with the token's effective role
// (policy.TokenActorRole). It has no side effects, so a dry run is
// answered the same.
type ProjectValidator struct {
	facts            *facts
	managerNamespace string
	clock            clock.PassiveClock
}

var _ admission.Validator[*orgsv1alpha1.Project] = &ProjectValidator{}

// ValidateCreate checks a new Project.
func (v *ProjectValidator) ValidateCreate(ctx context.Context, p *orgsv1alpha1.Project) (admission.Warnings, error) {
	return v.decide(ctx, policy.Create, nil, p)
}

// ValidateUpdate checks a change: environments added or removed, metadata.
func (v *ProjectValidator) ValidateUpdate(ctx context.Context, old, p *orgsv1alpha1.Project) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, p)
}

// ValidateDelete checks a deletion.
func (v *ProjectValidator) ValidateDelete(ctx context.Context, p *orgsv1alpha1.Project) (admission.Warnings, error) {
	return v.decide(ctx, policy.Delete, p, nil)
}

func (v *ProjectValidator) decide(ctx context.Context, op policy.Operation, old, p *orgsv1alpha1.Project) (admission.Warnings, error) {
	obj := p
	if obj == nil {
		obj = old
	}
	user, who, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	snapshot, err := v.facts.snapshot(ctx, obj.Namespace)
	if err != nil {
		return nil, err
	}
	authority, err := v.facts.authority(ctx, user, who, snapshot, policy.ProjectVerb(who, snapshot))
	if err != nil {
		return nil, err
	}
	token, err := v.facts.tokenActor(ctx, who, v.clock.Now())
	if err != nil {
		return nil, err
	}
	r := policy.ProjectRequest{Op: op, Who: who, Old: old, New: p, Snapshot: snapshot, Authority: authority, ManagerNamespace: v.managerNamespace, Token: token}
	if p != nil && snapshot.Organization != nil {
		if err := v.namespaceFacts(ctx, &r); err != nil {
			return nil, err
		}
	}
	return respond("Project", "projects", obj.Name, policy.DecideProject(r))
}

// namespaceFacts fills in the organization's Projects, the namespaces
// every Project of the cluster derives, and the existing namespaces among
// those r.New derives.
func (v *ProjectValidator) namespaceFacts(ctx context.Context, r *policy.ProjectRequest) error {
	var all orgsv1alpha1.ProjectList
	if err := v.facts.reader.List(ctx, &all, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing Projects: %w", err)
	}
	orgs := map[string]string{}
	var lookupErr error
	orgOf := func(namespace string) string {
		if name, ok := orgs[namespace]; ok {
			return name
		}
		org, err := index.OrganizationFor(ctx, v.facts.reader, namespace)
		if err != nil {
			lookupErr = err
		}
		orgs[namespace] = ""
		if org != nil {
			orgs[namespace] = org.Name
		}
		return orgs[namespace]
	}
	orgs[r.New.Namespace] = r.Snapshot.Organization.Name
	var others []orgsv1alpha1.Project
	for i := range all.Items {
		p := &all.Items[i]
		if p.Namespace == r.New.Namespace {
			r.Projects = append(r.Projects, *p)
		}
		if p.Namespace != r.New.Namespace || p.Name != r.New.Name {
			others = append(others, *p)
		}
	}
	r.Claimed = policy.ProjectNamespaceClaims(others, orgOf)
	if lookupErr != nil {
		return lookupErr
	}
	r.Namespaces = map[string]policy.NamespaceFacts{}
	for _, n := range policy.ProjectNamespaces(r.Snapshot.Organization.Name, r.New) {
		ns := &corev1.Namespace{}
		if err := v.facts.reader.Get(ctx, client.ObjectKey{Name: n.Name}, ns); err != nil {
			if client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("reading namespace %q: %w", n.Name, err)
			}
			continue
		}
		facts := policy.NamespaceFacts{UID: string(ns.UID), HomeOf: ns.Labels[orgsv1alpha1.HomeOfLabel], Terminating: !ns.DeletionTimestamp.IsZero()}
		if facts.HomeOf == "" {
			facts.HomeOf = orgOf(n.Name)
		}
		r.Namespaces[n.Name] = facts
	}
	if policy.RemovesProjectFinalizer(r.Op, r.Old, r.New) {
		// Live: the controller releases the finalizer right after it
		// deletes the last namespace, before the cache may show that.
		for _, st := range r.Old.Status.Namespaces {
			ns := &corev1.Namespace{}
			if err := v.facts.live.Get(ctx, client.ObjectKey{Name: st.Name}, ns); err != nil {
				if client.IgnoreNotFound(err) != nil {
					return fmt.Errorf("reading namespace %q: %w", st.Name, err)
				}
				delete(r.Namespaces, st.Name)
				continue
			}
			facts := r.Namespaces[st.Name]
			facts.UID, facts.Terminating = string(ns.UID), !ns.DeletionTimestamp.IsZero()
			r.Namespaces[st.Name] = facts
		}
	}
	return lookupErr
}
