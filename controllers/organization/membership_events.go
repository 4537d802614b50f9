package organization

import (
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/access"
)

// Event reasons of the Organization reconciler's summary Event.
const (
	// MembershipChangedReason: members joined, changed role or left, and
	// the RBAC that followed.
	MembershipChangedReason = "MembershipChanged"
	// AccessAppliedReason: RBAC changed with no change of membership (a
	// project namespace came or went, or drift was repaired).
	AccessAppliedReason = "AccessApplied"
)

// membershipChanges is what one reconcile changed in one organization. It
// becomes one Event on the Organization, not one per Member: a bulk change
// of a thousand Members is one Event, and each Member's own status says
// what it got. Counts only, no names: an Organization is cluster-scoped,
// so its Events live in namespace default, where people who may not list
// an organization's Members can often read Events.
type membershipChanges struct {
	joined, changed, left int
}

// summary returns the Event's reason and note, or "" when nothing changed.
func (c membershipChanges) summary(rbac access.Result) (reason, note string) {
	var parts []string
	for _, p := range []struct {
		n    int
		verb string
	}{{c.joined, "joined"}, {c.changed, "changed role"}, {c.left, "left"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.verb))
		}
	}
	written := rbac.Created+rbac.Updated+rbac.Deleted > 0
	rbacNote := fmt.Sprintf("RBAC: %d created, %d updated, %d deleted", rbac.Created, rbac.Updated, rbac.Deleted)
	switch {
	case len(parts) > 0:
		note = "Members: " + strings.Join(parts, ", ")
		if written {
			note += ". " + rbacNote
		}
		return MembershipChangedReason, note + "."
	case written:
		return AccessAppliedReason, "Applied " + rbacNote + "."
	}
	return "", ""
}
