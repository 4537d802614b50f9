package webhook

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/roster-dev/roster/internal/policy"
)

// homeKind is what differs between the kinds that live in an
// organization's home namespace (Members, Invitations): their names, the
// RBAC verbs an operation needs or its decision may use (given the
// snapshot) and the policy function that decides it. Its
// implementations are empty structs, so that a validator's zero value (with
// facts set) is ready to use.
type homeKind[T client.Object] interface {
	names() (kind, resource string)
	verbs(op policy.Operation, old, obj T) func(policy.Snapshot) []string
	decide(op policy.Operation, old, obj T, who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision
}

// homeValidator is the admission.Validator of a kind K in an
// organization's home namespace: each operation is decided by K's policy
// function over the organization's facts.
type homeValidator[T client.Object, K homeKind[T]] struct{ facts *facts }

// ValidateCreate checks a new object.
func (v *homeValidator[T, K]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	var zero T
	return v.decide(ctx, policy.Create, zero, obj, obj)
}

// ValidateUpdate checks a change, such as an Invitation's resend.
func (v *homeValidator[T, K]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	return v.decide(ctx, policy.Update, old, obj, obj)
}

// ValidateDelete checks a removal: a member leaving, an Invitation revoked.
func (v *homeValidator[T, K]) ValidateDelete(ctx context.Context, obj T) (admission.Warnings, error) {
	var zero T
	return v.decide(ctx, policy.Delete, obj, zero, obj)
}

// decide decides op from old to obj; subject is the one of them that
// exists, whose namespace is the home.
func (v *homeValidator[T, K]) decide(ctx context.Context, op policy.Operation, old, obj, subject T) (admission.Warnings, error) {
	var k K
	kind, resource := k.names()
	return v.facts.decideInHome(ctx, subject, kind, resource, k.verbs(op, old, obj),
		func(who policy.Requester, authority policy.Authority, snapshot policy.Snapshot) policy.Decision {
			return k.decide(op, old, obj, who, authority, snapshot)
		})
}
