// Package metrics defines Roster's Prometheus metrics, served on the
// manager's secured metrics endpoint next to controller-runtime's own
// (reconcile errors and durations, work queues, webhook latencies).
// docs/metrics.md lists them all.
//
// The organization gauges are read at scrape time from the manager's cache
// (Organizations' and Members' status, which the Organization reconciler
// writes), not recorded as the reconciler goes: every replica reports the
// same values whether or not it leads, a deleted organization's series
// disappear with it, and the reconciler stays free of bookkeeping. Webhook
// decisions are counted where they are made.
package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Metric names.
const (
	OrganizationMembersName            = "roster_organization_members"
	OrganizationOwnersName             = "roster_organization_owners"
	OrganizationPendingInvitationsName = "roster_organization_pending_invitations"
	OrganizationHeldBackRolesName      = "roster_organization_held_back_roles"
	OrganizationReadyName              = "roster_organization_ready"
	WebhookDecisionsName               = "roster_webhook_decisions_total"
	CollectErrorsName                  = "roster_metrics_collect_errors_total"
)

var (
	membersDesc = prometheus.NewDesc(OrganizationMembersName,
		"Members of an organization by effective role (status.roleCounts), groups included.",
		[]string{"organization", "role"}, nil)
	ownersDesc = prometheus.NewDesc(OrganizationOwnersName,
		"User Members whose effective role is Owner (status.owners); groups never count. 0 means the organization has no owner.",
		[]string{"organization"}, nil)
	pendingDesc = prometheus.NewDesc(OrganizationPendingInvitationsName,
		"Invitations of an organization not yet accepted, declined, expired or failed (status.pendingInvitations).",
		[]string{"organization"}, nil)
	heldBackDesc = prometheus.NewDesc(OrganizationHeldBackRolesName,
		"Members whose spec.role is held back because applying it would leave the organization without an owner (RoleApplied=False, reason LastOwner).",
		[]string{"organization"}, nil)
	readyDesc = prometheus.NewDesc(OrganizationReadyName,
		"1 when the Organization's Ready condition is True and describes its latest generation, else 0.",
		[]string{"organization"}, nil)

	// webhookDecisions counts the validating webhooks' answers.
	webhookDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: WebhookDecisionsName,
		Help: "Admission decisions of Roster's validating webhooks by kind, result (allowed, denied) and reason (Allowed, Warned, Forbidden, Invalid).",
	}, []string{"kind", "result", "reason"})

	// collectErrors counts scrapes whose organization gauges could not be read.
	collectErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: CollectErrorsName,
		Help: "Scrapes that could not read Organizations or Members from the manager's cache, so reported no organization gauges.",
	})
)

// Webhook decision results and reasons.
const (
	ResultAllowed = "allowed"
	ResultDenied  = "denied"

	ReasonAllowed = "Allowed"
	// ReasonWarned is an allowed request that got admission warnings
	// (for example: the organization has a single owner).
	ReasonWarned = "Warned"
)

// organizations is the registered collector; Watch points it at a cache.
var organizations = &OrganizationCollector{}

func init() {
	ctrlmetrics.Registry.MustRegister(webhookDecisions, collectErrors, organizations)
}

// Watch makes the organization gauges read from reader (the manager's
// cache). The last call wins, so a test process that starts several
// managers reports the latest one's.
func Watch(reader client.Reader) {
	organizations.reader.Store(&reader)
}

// RecordWebhookDecision counts one validating webhook answer. code is the
// policy decision's code: empty for allowed, else Forbidden or Invalid.
func RecordWebhookDecision(kind, code string, warnings int) {
	result, reason := ResultAllowed, ReasonAllowed
	switch {
	case code != "":
		result, reason = ResultDenied, code
	case warnings > 0:
		reason = ReasonWarned
	}
	webhookDecisions.WithLabelValues(kind, result, reason).Inc()
}

// scrapeTimeout bounds one collection's reads from the cache.
const scrapeTimeout = 10 * time.Second

// OrganizationCollector reports the organization gauges from a cache.
type OrganizationCollector struct {
	reader atomic.Pointer[client.Reader]
}

var _ prometheus.Collector = &OrganizationCollector{}

// Describe sends the descriptors of the gauges.
func (c *OrganizationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{membersDesc, ownersDesc, pendingDesc, heldBackDesc, readyDesc} {
		ch <- d
	}
}

// Collect reads Organizations and Members and sends the gauges. When the
// cache cannot answer (the manager is starting) it sends none and counts the
// failure in roster_metrics_collect_errors_total: failing the scrape would
// hide every other metric with it (controller-runtime's endpoint answers 500
// on any collection error).
func (c *OrganizationCollector) Collect(ch chan<- prometheus.Metric) {
	reader := c.reader.Load()
	if reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var orgs orgsv1alpha1.OrganizationList
	if err := (*reader).List(ctx, &orgs); err != nil {
		collectErrors.Inc()
		return
	}
	var members orgsv1alpha1.MemberList
	if err := (*reader).List(ctx, &members); err != nil {
		collectErrors.Inc()
		return
	}
	heldBack := map[string]int{}
	for i := range members.Items {
		m := &members.Items[i]
		if m.Status.Organization == "" {
			continue
		}
		if cond := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition); cond != nil &&
			cond.Status == metav1.ConditionFalse && cond.Reason == orgsv1alpha1.LastOwnerReason {
			heldBack[m.Status.Organization]++
		}
	}
	for i := range orgs.Items {
		collectOrganization(ch, &orgs.Items[i], heldBack[orgs.Items[i].Name])
	}
}

func collectOrganization(ch chan<- prometheus.Metric, org *orgsv1alpha1.Organization, heldBack int) {
	st := &org.Status
	counts := map[orgsv1alpha1.Role]int32{
		orgsv1alpha1.RoleOwner:           st.RoleCounts.Owners,
		orgsv1alpha1.RoleAdmin:           st.RoleCounts.Admins,
		orgsv1alpha1.RoleContributor:     st.RoleCounts.Contributors,
		orgsv1alpha1.RoleViewer:          st.RoleCounts.Viewers,
		orgsv1alpha1.RoleViewerNoSecrets: st.RoleCounts.ViewersNoSecrets,
	}
	for _, role := range orgsv1alpha1.Roles {
		ch <- prometheus.MustNewConstMetric(membersDesc, prometheus.GaugeValue, float64(counts[role]), org.Name, string(role))
	}
	ch <- prometheus.MustNewConstMetric(ownersDesc, prometheus.GaugeValue, float64(st.Owners), org.Name)
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.PendingInvitations), org.Name)
	ch <- prometheus.MustNewConstMetric(heldBackDesc, prometheus.GaugeValue, float64(heldBack), org.Name)
	ready := 0.0
	if c := meta.FindStatusCondition(st.Conditions, orgsv1alpha1.ReadyCondition); c != nil &&
		c.Status == metav1.ConditionTrue && st.ObservedGeneration == org.Generation {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready, org.Name)
}
