package webhook

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// A policy refusal is Forbidden with NewForbidden's message and a
// RefusalCause, by which the plugin tells it from RBAC's.
func TestRespondRefusalCause(t *testing.T) {
	g := NewWithT(t)
	_, err := respond("Invitation", "invitations", "judy", policy.Decision{Code: policy.Forbidden, Message: "only owners may"})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue())
	g.Expect(err.Error()).To(Equal(`invitations.orgs.roster.dev "judy" is forbidden: only owners may`))
	var status apierrors.APIStatus
	g.Expect(errors.As(err, &status)).To(BeTrue())
	g.Expect(status.Status().Details.Causes).To(ContainElement(HaveField("Type", BeEquivalentTo(orgsv1alpha1.RefusalCause))))
}
