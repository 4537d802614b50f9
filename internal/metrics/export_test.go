package metrics

import "sigs.k8s.io/controller-runtime/pkg/client"

// NewOrganizationCollector returns a collector that reads from reader, for
// the tests (the manager has one, fed by Watch).
func NewOrganizationCollector(reader client.Reader) *OrganizationCollector {
	c := &OrganizationCollector{}
	c.reader.Store(&reader)
	return c
}
