package controllers

import (
	"testing"

	"github.com/roster-dev/roster/internal/access"
)

func TestMembershipSummary(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		changes              membershipChanges
		rbac                 access.Result
		wantReason, wantNote string
	}{{
		name: "nothing changed",
	}, {
		name:       "RBAC only",
		rbac:       access.Result{Created: 1, Unchanged: 4},
		wantReason: AccessAppliedReason,
		wantNote:   "Applied RBAC: 1 created, 0 updated, 0 deleted.",
	}, {
		name:       "one of each",
		changes:    membershipChanges{joined: []string{"alice as Viewer"}, changed: []string{"bob from Viewer to Admin"}, left: []string{"carol"}},
		rbac:       access.Result{Updated: 2, Deleted: 1},
		wantReason: MembershipChangedReason,
		wantNote:   "Members: 1 joined (alice as Viewer); 1 changed role (bob from Viewer to Admin); 1 left (carol). RBAC: 0 created, 2 updated, 1 deleted.",
	}, {
		name:       "a bulk change names three and counts the rest",
		changes:    membershipChanges{joined: []string{"a", "b", "c", "d", "e"}},
		wantReason: MembershipChangedReason,
		wantNote:   "Members: 5 joined (a, b, c and 2 more).",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			reason, note := tc.changes.summary(tc.rbac)
			if reason != tc.wantReason || note != tc.wantNote {
				t.Errorf("summary() = %q, %q\nwant        %q, %q", reason, note, tc.wantReason, tc.wantNote)
			}
		})
	}
}
