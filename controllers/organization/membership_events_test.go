package organization

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
		changes:    membershipChanges{joined: 1, changed: 1, left: 1},
		rbac:       access.Result{Updated: 2, Deleted: 1},
		wantReason: MembershipChangedReason,
		wantNote:   "Members: 1 joined, 1 changed role, 1 left. RBAC: 0 created, 2 updated, 1 deleted.",
	}, {
		name:       "a bulk change is one Event, with counts and no names",
		changes:    membershipChanges{joined: 500},
		wantReason: MembershipChangedReason,
		wantNote:   "Members: 500 joined.",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			reason, note := tc.changes.summary(tc.rbac)
			if reason != tc.wantReason || note != tc.wantNote {
				t.Errorf("summary() = %q, %q\nwant        %q, %q", reason, note, tc.wantReason, tc.wantNote)
			}
		})
	}
}
