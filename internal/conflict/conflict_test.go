package conflict

import (
	"errors"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
)

// A reconcile whose only failures are conflicts (a stale view) requeues
// quietly; anything else is an error, even next to a conflict.
func TestIs(t *testing.T) {
	conflict := fmt.Errorf("writing the status of %q: %w", "acme", apierrors.NewConflict(schema.GroupResource{Resource: "organizations"}, "acme", errors.New("the object has been modified")))
	other := errors.New("applying RBAC: boom")
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"a conflict", conflict, true},
		{"an aggregate of conflicts", kerrors.NewAggregate([]error{nil, conflict, conflict}), true},
		{"a nested aggregate of conflicts", kerrors.NewAggregate([]error{kerrors.NewAggregate([]error{conflict}), conflict}), true},
		{"a conflict next to another error", kerrors.NewAggregate([]error{conflict, other}), false},
		{"another error", other, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(Is(c.err)).To(Equal(c.want))
		})
	}
}
