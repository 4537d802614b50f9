package cli

import (
	"sort"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Statuses in the users table.
const (
	StatusMember    = "member"
	StatusHeldBack  = "held back"
	StatusDuplicate = "duplicate"
	StatusRemoving  = "removing"
	StatusPending   = "pending"
	StatusExpired   = "expired"
	StatusDeclined  = "declined"
	StatusFailed    = "failed"
	StatusAccepted  = "accepted"
	StatusRevoking  = "revoking"
)

// UserList is what `users -o json|yaml` prints: Members and Invitations in
// one list, as the product's Users page shows them.
type UserList struct {
	Kind         string      `json:"kind"`
	Organization string      `json:"organization"`
	Items        []UserEntry `json:"items"`
}

// UserEntry is one Member or Invitation.
type UserEntry struct {
	// Kind is Member or Invitation.
	Kind string `json:"kind"`
	// Name is the member's user ("group:<name>" for a group) or the
	// invitee's e-mail.
	Name string            `json:"name"`
	Role orgsv1alpha1.Role `json:"role"`
	// EffectiveRole is the role Roster applied (Members).
	EffectiveRole orgsv1alpha1.Role `json:"effectiveRole,omitempty"`
	// Status: member, held back, duplicate, removing (Members); pending,
	// expired, declined, failed, accepted, revoking (Invitations).
	Status string `json:"status"`
	// Message explains a status other than member or pending.
	Message   string     `json:"message,omitempty"`
	InvitedBy string     `json:"invitedBy,omitempty"`
	Since     time.Time  `json:"since"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Object is the Kubernetes object's name in the home namespace.
	Object string `json:"object"`
}

func newUsersCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:     "users",
		Aliases: []string{"user", "ls"},
		Short:   "List an organization's members and pending invitations",
		Long: `List an organization's members and invitations in one table, like the product's
Users page: name or e-mail, role, status, who invited them, and since when.

Status is "member"; "held back" for a member whose role change or removal
Roster holds because they are the last owner (the role column says what is still
applied); "duplicate" for a second Member of the same user; "pending" for an
invitation waiting for its answer; "expired", "declined" or "failed" for one
that can no longer be accepted (resend or revoke it).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			d, err := o.directory(ctx, org)
			if err != nil {
				return err
			}
			return o.print(userList(d, o.now()))
		},
	}
}

func userList(d *directory, now time.Time) UserList {
	out := UserList{Kind: "UserList", Organization: d.org.Name, Items: []UserEntry{}}
	members := make([]UserEntry, 0, len(d.members))
	for i := range d.members {
		members = append(members, memberEntry(&d.members[i]))
	}
	sort.SliceStable(members, func(i, j int) bool {
		a, b := members[i], members[j]
		if a.Role.Rank() != b.Role.Rank() {
			return a.Role.Rank() > b.Role.Rank()
		}
		return a.Name < b.Name
	})
	invitations := make([]UserEntry, 0, len(d.invitations))
	for i := range d.invitations {
		invitations = append(invitations, invitationEntry(&d.invitations[i], now))
	}
	sort.SliceStable(invitations, func(i, j int) bool { return invitations[i].Name < invitations[j].Name })
	out.Items = append(append(out.Items, members...), invitations...)
	return out
}

func memberEntry(m *orgsv1alpha1.Member) UserEntry {
	e := UserEntry{
		Kind: "Member", Name: displayName(m), Role: m.Spec.Role, EffectiveRole: m.Status.EffectiveRole,
		Status: StatusMember, Since: m.CreationTimestamp.UTC(), Object: m.Name,
	}
	ready := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.ReadyCondition)
	applied := meta.FindStatusCondition(m.Status.Conditions, orgsv1alpha1.RoleAppliedCondition)
	switch {
	case applied != nil && applied.Status == metav1.ConditionFalse && applied.Reason == orgsv1alpha1.LastOwnerReason:
		e.Status, e.Message = StatusHeldBack, applied.Message
	case ready != nil && ready.Status == metav1.ConditionFalse && ready.Reason == orgsv1alpha1.DuplicateReason:
		e.Status, e.Message = StatusDuplicate, ready.Message
	case m.DeletionTimestamp != nil:
		e.Status = StatusRemoving
	}
	return e
}

func invitationEntry(inv *orgsv1alpha1.Invitation, now time.Time) UserEntry {
	e := UserEntry{
		Kind: "Invitation", Name: inv.Spec.Email, Role: inv.Spec.Role, Status: StatusPending,
		InvitedBy: inv.Status.InvitedBy, Since: inv.CreationTimestamp.UTC(), Object: inv.Name,
	}
	if e.InvitedBy == "" {
		e.InvitedBy = inv.Annotations[orgsv1alpha1.InvitedByAnnotation]
	}
	if inv.Status.SentAt != nil {
		e.Since = inv.Status.SentAt.UTC()
	}
	if inv.Status.ExpiresAt != nil {
		t := inv.Status.ExpiresAt.UTC()
		e.ExpiresAt = &t
	}
	if ready := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.ReadyCondition); ready != nil && ready.Status == metav1.ConditionFalse {
		e.Message = ready.Message
	}
	switch {
	case inv.DeletionTimestamp != nil:
		e.Status = StatusRevoking
	case inv.Status.Phase == orgsv1alpha1.InvitationExpired:
		e.Status = StatusExpired
	case inv.Status.Phase == orgsv1alpha1.InvitationDeclined:
		e.Status = StatusDeclined
	case inv.Status.Phase == orgsv1alpha1.InvitationFailed:
		e.Status = StatusFailed
	case inv.Status.Phase == orgsv1alpha1.InvitationAccepted:
		e.Status = StatusAccepted
	case e.ExpiresAt != nil && !now.Before(*e.ExpiresAt):
		e.Status = StatusExpired
	}
	return e
}

func statusStyle(status string) style {
	switch status {
	case StatusMember, StatusAccepted:
		return green
	case StatusPending:
		return yellow
	case StatusHeldBack, StatusDuplicate:
		return magenta
	case StatusRemoving, StatusRevoking:
		return dim
	}
	return red
}

func (l UserList) table(wide bool, now time.Time) *table {
	t := &table{headers: []string{"NAME OR E-MAIL", "ROLE", "STATUS", "INVITED BY", "SINCE"}, shrinkable: map[int]bool{0: true, 3: true}}
	if wide {
		t.headers = append(t.headers, "KIND", "OBJECT", "EFFECTIVE", "EXPIRES")
		t.shrinkable[6] = true
	}
	for _, e := range l.Items {
		row := []cell{c(e.Name), roleCell(e.Role, e.EffectiveRole), {text: e.Status, style: statusStyle(e.Status)},
			c(orNone(e.InvitedBy)), c(age(e.Since, now))}
		if wide {
			expires := none
			if e.ExpiresAt != nil {
				expires = e.ExpiresAt.Format(time.RFC3339)
			}
			row = append(row, c(e.Kind), c(e.Object), c(orNone(string(e.EffectiveRole))), c(expires))
		}
		t.add(row...)
	}
	return t
}
