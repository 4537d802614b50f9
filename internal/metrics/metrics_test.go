package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/metrics"
)

func scheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := orgsv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func org(name string, generation int64, st orgsv1alpha1.OrganizationStatus) *orgsv1alpha1.Organization {
	return &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: generation}, Status: st}
}

func member(ns, name, org string, conditions ...metav1.Condition) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: name + "@example.com", Role: orgsv1alpha1.RoleViewer},
		Status:     orgsv1alpha1.MemberStatus{Organization: org, Conditions: conditions},
	}
}

func ready(status metav1.ConditionStatus) []metav1.Condition {
	return []metav1.Condition{{Type: orgsv1alpha1.ReadyCondition, Status: status, Reason: "Test"}}
}

func TestOrganizationCollector(t *testing.T) {
	g := NewWithT(t)
	held := metav1.Condition{Type: orgsv1alpha1.RoleAppliedCondition, Status: metav1.ConditionFalse, Reason: orgsv1alpha1.LastOwnerReason}
	applied := metav1.Condition{Type: orgsv1alpha1.RoleAppliedCondition, Status: metav1.ConditionTrue, Reason: orgsv1alpha1.RoleAppliedReason}
	dup := metav1.Condition{Type: orgsv1alpha1.RoleAppliedCondition, Status: metav1.ConditionFalse, Reason: orgsv1alpha1.DuplicateReason}
	reader := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(
		org("acme", 2, orgsv1alpha1.OrganizationStatus{
			ObservedGeneration: 2, Owners: 1, PendingInvitations: 3,
			RoleCounts: orgsv1alpha1.RoleCounts{Owners: 1, Admins: 2, Contributors: 0, Viewers: 4, ViewersNoSecrets: 1},
			Conditions: ready(metav1.ConditionTrue),
		}),
		// Ready, but for an older generation: not ready.
		org("stale", 3, orgsv1alpha1.OrganizationStatus{ObservedGeneration: 2, Conditions: ready(metav1.ConditionTrue)}),
		// Never reconciled: zeros, no owner.
		org("fresh", 1, orgsv1alpha1.OrganizationStatus{}),
		member("org-acme", "alice", "acme", held),
		member("org-acme", "bob", "acme", applied),
		member("org-acme", "carol", "acme", dup),
		member("org-stale", "dave", "stale", held),
		// Not yet attributed to an organization: not counted.
		member("org-nowhere", "erin", "", held),
	).WithStatusSubresource(&orgsv1alpha1.Organization{}, &orgsv1alpha1.Member{}).Build()

	expected := `
# HELP roster_organization_held_back_roles Members whose spec.role is held back because applying it would leave the organization without an owner (RoleApplied=False, reason LastOwner).
# TYPE roster_organization_held_back_roles gauge
roster_organization_held_back_roles{organization="acme"} 1
roster_organization_held_back_roles{organization="fresh"} 0
roster_organization_held_back_roles{organization="stale"} 1
# HELP roster_organization_members Members of an organization by effective role (status.roleCounts), groups included.
# TYPE roster_organization_members gauge
roster_organization_members{organization="acme",role="Admin"} 2
roster_organization_members{organization="acme",role="Contributor"} 0
roster_organization_members{organization="acme",role="Owner"} 1
roster_organization_members{organization="acme",role="Viewer"} 4
roster_organization_members{organization="acme",role="ViewerNoSecrets"} 1
roster_organization_members{organization="fresh",role="Admin"} 0
roster_organization_members{organization="fresh",role="Contributor"} 0
roster_organization_members{organization="fresh",role="Owner"} 0
roster_organization_members{organization="fresh",role="Viewer"} 0
roster_organization_members{organization="fresh",role="ViewerNoSecrets"} 0
roster_organization_members{organization="stale",role="Admin"} 0
roster_organization_members{organization="stale",role="Contributor"} 0
roster_organization_members{organization="stale",role="Owner"} 0
roster_organization_members{organization="stale",role="Viewer"} 0
roster_organization_members{organization="stale",role="ViewerNoSecrets"} 0
# HELP roster_organization_owners User Members whose effective role is Owner (status.owners); groups never count. 0 means the organization has no owner.
# TYPE roster_organization_owners gauge
roster_organization_owners{organization="acme"} 1
roster_organization_owners{organization="fresh"} 0
roster_organization_owners{organization="stale"} 0
# HELP roster_organization_pending_invitations Invitations of an organization not yet accepted, declined, expired or failed (status.pendingInvitations).
# TYPE roster_organization_pending_invitations gauge
roster_organization_pending_invitations{organization="acme"} 3
roster_organization_pending_invitations{organization="fresh"} 0
roster_organization_pending_invitations{organization="stale"} 0
# HELP roster_organization_ready 1 when the Organization's Ready condition is True and describes its latest generation, else 0.
# TYPE roster_organization_ready gauge
roster_organization_ready{organization="acme"} 1
roster_organization_ready{organization="fresh"} 0
roster_organization_ready{organization="stale"} 0
`
	c := metrics.NewOrganizationCollector(reader)
	g.Expect(testutil.CollectAndCompare(c, strings.NewReader(expected))).To(Succeed())
	problems, err := testutil.CollectAndLint(c)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(problems).To(BeEmpty())
}

func TestOrganizationCollectorSkipsWhenTheCacheCannotAnswer(t *testing.T) {
	g := NewWithT(t)
	failing := fake.NewClientBuilder().WithScheme(scheme(t)).WithInterceptorFuncs(interceptor.Funcs{
		List: func(_ context.Context, _ client.WithWatch, _ client.ObjectList, _ ...client.ListOption) error {
			return errors.New("cache not started")
		},
	}).Build()
	before := gauge(g, metrics.CollectErrorsName, "")
	reg := prometheus.NewPedanticRegistry()
	g.Expect(reg.Register(metrics.NewOrganizationCollector(failing))).To(Succeed())
	families, err := reg.Gather()
	g.Expect(err).NotTo(HaveOccurred(), "a cache that cannot answer must not fail the whole scrape")
	g.Expect(families).To(BeEmpty())
	g.Expect(gauge(g, metrics.CollectErrorsName, "") - before).To(BeEquivalentTo(1))
}

// gauge returns the value of a metric on controller-runtime's registry whose
// first label has the value label ("" for an unlabelled metric).
func gauge(g Gomega, name, label string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

func TestOrganizationGaugesAreOnControllerRuntimesRegistry(t *testing.T) {
	g := NewWithT(t)
	reader := fake.NewClientBuilder().WithScheme(scheme(t)).WithObjects(
		org("registered", 1, orgsv1alpha1.OrganizationStatus{ObservedGeneration: 1, Owners: 2}),
	).Build()
	metrics.Watch(reader)
	g.Expect(gauge(g, metrics.OrganizationOwnersName, "registered")).To(BeEquivalentTo(2),
		"roster_organization_owners{organization=\"registered\"} is served")
}

func TestRecordWebhookDecision(t *testing.T) {
	g := NewWithT(t)
	counter := func(kind, result, reason string) float64 {
		families, err := ctrlmetrics.Registry.Gather()
		g.Expect(err).NotTo(HaveOccurred())
		for _, f := range families {
			if f.GetName() != metrics.WebhookDecisionsName {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["kind"] == kind && labels["result"] == result && labels["reason"] == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	before := map[string]float64{
		"allowed":   counter("Member", metrics.ResultAllowed, metrics.ReasonAllowed),
		"warned":    counter("Member", metrics.ResultAllowed, metrics.ReasonWarned),
		"forbidden": counter("Member", metrics.ResultDenied, "Forbidden"),
		"invalid":   counter("Invitation", metrics.ResultDenied, "Invalid"),
	}
	metrics.RecordWebhookDecision("Member", "", 0)
	metrics.RecordWebhookDecision("Member", "", 1)
	metrics.RecordWebhookDecision("Member", "Forbidden", 0)
	metrics.RecordWebhookDecision("Member", "Forbidden", 2) // a refusal with warnings is still a refusal
	metrics.RecordWebhookDecision("Invitation", "Invalid", 0)
	g.Expect(counter("Member", metrics.ResultAllowed, metrics.ReasonAllowed) - before["allowed"]).To(BeEquivalentTo(1))
	g.Expect(counter("Member", metrics.ResultAllowed, metrics.ReasonWarned) - before["warned"]).To(BeEquivalentTo(1))
	g.Expect(counter("Member", metrics.ResultDenied, "Forbidden") - before["forbidden"]).To(BeEquivalentTo(2))
	g.Expect(counter("Invitation", metrics.ResultDenied, "Invalid") - before["invalid"]).To(BeEquivalentTo(1))
}
