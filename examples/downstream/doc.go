// Package downstream is an example of a project outside Roster whose
// envtest suite runs Roster's real webhooks and controllers with
// github.com/roster-dev/roster/pkg/rostertest (see docs/envtest.md). It
// holds only its tests.
package downstream
