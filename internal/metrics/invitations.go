package metrics

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Invitation metrics, in controller-runtime's registry (served on the manager's
// metrics endpoint).
var (
	deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_invitation_deliveries_total",
		Help: "Invitation links handed to the notifier, by notifier (log, smtp, webhook) and result (success, failure).",
	}, []string{"notifier", "result"})
	acceptRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_invitation_accept_requests_total",
		Help: "Requests to the accept page and API, by outcome (valid, accepted, declined, expired, used, revoked, unknown, rate-limited, ...).",
	}, []string{"outcome"})
	phasesDesc = prometheus.NewDesc("roster_invitations",
		"Invitations by phase (Pending, Sent, Accepted, Declined, Expired, Failed), counted from the manager's cache at scrape time.",
		[]string{"phase"}, nil)

	phases         = &phaseCollector{}
	registerPhases sync.Once
)

func init() {
	ctrlmetrics.Registry.MustRegister(deliveries, acceptRequests)
}

// RecordAcceptRequest counts one request to the accept page or API by its
// outcome.
func RecordAcceptRequest(outcome string) {
	acceptRequests.WithLabelValues(outcome).Inc()
}

// RecordDelivery counts one delivery attempt.
func RecordDelivery(notifier string, err error) {
	result := "success"
	if err != nil {
		result = "failure"
	}
	deliveries.WithLabelValues(notifier, result).Inc()
}

// RegisterPhaseMetrics makes roster_invitations count the Invitations that
// reader (the manager's cache) holds, at every scrape.
func RegisterPhaseMetrics(reader client.Reader) {
	phases.reader.Store(&reader)
	registerPhases.Do(func() { ctrlmetrics.Registry.MustRegister(phases) })
}

type phaseCollector struct {
	reader atomic.Pointer[client.Reader]
}

func (c *phaseCollector) Describe(ch chan<- *prometheus.Desc) { ch <- phasesDesc }

func (c *phaseCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.reader.Load()
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list orgsv1alpha1.InvitationList
	if err := (*r).List(ctx, &list); err != nil {
		// An invalid metric would fail the whole scrape and hide every
		// other metric: skip this one and say why in the log.
		ctrllog.Log.WithName("metrics").Error(err, "reading invitations for roster_invitations")
		return
	}
	counts := map[orgsv1alpha1.InvitationPhase]int{}
	for i := range list.Items {
		p := list.Items[i].Status.Phase
		if p == "" {
			p = orgsv1alpha1.InvitationPending
		}
		counts[p]++
	}
	for _, p := range []orgsv1alpha1.InvitationPhase{
		orgsv1alpha1.InvitationPending, orgsv1alpha1.InvitationSent, orgsv1alpha1.InvitationAccepted,
		orgsv1alpha1.InvitationDeclined, orgsv1alpha1.InvitationExpired, orgsv1alpha1.InvitationFailed,
	} {
		ch <- prometheus.MustNewConstMetric(phasesDesc, prometheus.GaugeValue, float64(counts[p]), string(p))
	}
}
