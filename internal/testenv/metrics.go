package testenv

import (
	. "github.com/onsi/gomega" //nolint:revive,staticcheck // the Gomega DSL, as in every suite
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// MetricValue sums the counter and gauge samples of the metric family name
// in controller-runtime's registry (what the in-process manager serves)
// whose labels include want; found says whether any sample matched. g is
// an Eventually's Gomega, or Default in a spec.
func MetricValue(g Gomega, name string, want map[string]string) (sum float64, found bool) {
	families, err := ctrlmetrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
	samples:
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue samples
				}
			}
			found = true
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum, found
}
