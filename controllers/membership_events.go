package controllers

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

// listedPerKind is how many subjects a summary names per kind of change;
// the rest are counted. Events are capped at 1 KiB.
const listedPerKind = 3

// membershipChanges is what one reconcile changed in one organization. It
// becomes one Event on the Organization, not one per Member: a bulk change
// of a thousand Members is one Event, and each Member's own status says
// what it got.
type membershipChanges struct {
	joined, changed, left []string
}

// summary returns the Event's reason and note, or "" when nothing changed.
func (c *membershipChanges) summary(rbac access.Result) (reason, note string) {
	var parts []string
	add := func(verb string, who []string) {
		if len(who) == 0 {
			return
		}
		listed := who[:min(len(who), listedPerKind)]
		part := fmt.Sprintf("%d %s (%s", len(who), verb, strings.Join(listed, ", "))
		if more := len(who) - len(listed); more > 0 {
			part += fmt.Sprintf(" and %d more", more)
		}
		parts = append(parts, part+")")
	}
	add("joined", c.joined)
	add("changed role", c.changed)
	add("left", c.left)
	written := rbac.Created+rbac.Updated+rbac.Deleted > 0
	rbacNote := fmt.Sprintf("RBAC: %d created, %d updated, %d deleted", rbac.Created, rbac.Updated, rbac.Deleted)
	switch {
	case len(parts) > 0:
		note = "Members: " + strings.Join(parts, "; ")
		if written {
			note += ". " + rbacNote
		}
		return MembershipChangedReason, note + "."
	case written:
		return AccessAppliedReason, "Applied " + rbacNote + "."
	}
	return "", ""
}
