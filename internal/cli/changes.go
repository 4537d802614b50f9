package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Change is what resend, revoke, set-role, remove and leave print with
// -o json|yaml.
type Change struct {
	Kind string `json:"kind"`
	// Action is the command: resend, revoke, set-role, remove or leave.
	Action       string `json:"action"`
	Organization string `json:"organization"`
	// Subject is the user or e-mail acted on.
	Subject string `json:"subject"`
	// Object is the Member or Invitation, as kind/name.
	Object string `json:"object"`
	// Result: resend-requested, revoked, changed, unchanged, removed, left.
	Result string            `json:"result"`
	From   orgsv1alpha1.Role `json:"from,omitempty"`
	To     orgsv1alpha1.Role `json:"to,omitempty"`
	// RequestedAt is the resend annotation's new value.
	RequestedAt string `json:"requestedAt,omitempty"`
	// Message is the sentence the table format prints.
	Message string `json:"message"`
	// Delivery, DeliveryMessage and ExpiresAt: what resend --wait saw.
	Delivery        string     `json:"delivery,omitempty"`
	DeliveryMessage string     `json:"deliveryMessage,omitempty"`
	ExpiresAt       *time.Time `json:"expiresAt,omitempty"`
}

// done prints ch: its sentence, or the document.
func (o *Options) done(ch Change) error {
	ch.Kind = "Change"
	if o.structured() {
		return o.printData(ch)
	}
	o.say(ch.Message)
	return nil
}

// manageHint explains an RBAC refusal of a change to the directory.
func manageHint(err error, org string) string {
	if apierrors.IsForbidden(err) && !fromWebhook(err) {
		return fmt.Sprintf("only Owners and Admins of organization %s may change its users; `kubectl roster can-i --org %s` shows what you may do", org, org)
	}
	return ""
}

func newResendCommand(o *Options) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "resend EMAIL",
		Short: "Send an invitation again, with a new link",
		Long: `Ask Roster to send an invitation again: it sets the annotation
orgs.roster.dev/resend-requested-at to the current time, and Roster delivers a new
link with a new expiry, as it delivered the first (e-mail, webhook or its log); the previous link stops working. Resending an expired
invitation renews it. With --wait, waits until Roster has sent it (exit 1 if it
was not sent in time).`,
		Args:              exactArgs("EMAIL"),
		ValidArgsFunction: o.completeInvitationEmails,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if wait < 0 {
				return usageErrorf("--wait takes a positive duration")
			}
			d, inv, err := o.findInvitation(ctx, args[0])
			if err != nil {
				return err
			}
			sent := inv.Status.SendCount
			at := o.now().UTC().Format(time.RFC3339Nano)
			patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, orgsv1alpha1.ResendRequestedAtAnnotation, at)
			if err := o.cl.Patch(ctx, inv, client.RawPatch(types.MergePatchType, patch)); err != nil {
				return withHint(err, manageHint(err, d.org.Name))
			}
			ch := Change{
				Action: "resend", Organization: d.org.Name, Subject: inv.Spec.Email, Object: "invitation/" + inv.Name,
				Result: "resend-requested", RequestedAt: at,
				Message: fmt.Sprintf("Resend requested for %s (%s, invitation/%s): %s; the previous one stops working.",
					inv.Spec.Email, inv.Spec.Role, inv.Name, linkDelivery(inv.Status.Notifier, "a new link", false)),
			}
			if wait == 0 {
				return o.done(ch)
			}
			dl := &delivery{key: client.ObjectKeyFromObject(inv), sendCount: sent, resendAt: at}
			o.waitDelivered(ctx, o.cl, []*delivery{dl}, wait)
			ch.Delivery, ch.DeliveryMessage, ch.ExpiresAt = dl.Result, dl.Message, dl.ExpiresAt
			if err := o.done(ch); err != nil {
				return err
			}
			o.say(dl.line(inv.Spec.Email))
			if dl.Result != DeliverySent {
				return reported(fmt.Errorf("not sent: %s", dl.Message), ExitError)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "Wait up to this long (e.g. 30s) until Roster has sent the new link; 0 does not wait")
	return cmd
}

func newRevokeCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke EMAIL",
		Aliases: []string{"uninvite"},
		Short:   "Withdraw an invitation (delete it)",
		Long: `Withdraw the invitation for EMAIL: its Invitation is deleted and its link stops
working. Finished invitations for the address (expired, declined, failed) are
deleted too.`,
		Args:              exactArgs("EMAIL"),
		ValidArgsFunction: o.completeInvitationEmails,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, _, err := o.findInvitation(ctx, args[0])
			if err != nil {
				return err
			}
			var names []string
			var role orgsv1alpha1.Role
			for _, inv := range invitationsFor(d.invitations, args[0]) {
				uid := inv.UID
				if err := o.cl.Delete(ctx, &inv, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
					return withHint(err, manageHint(err, d.org.Name))
				}
				if role == "" {
					role = inv.Spec.Role
				}
				names = append(names, "invitation/"+inv.Name)
			}
			return o.done(Change{
				Action: "revoke", Organization: d.org.Name, Subject: args[0], Object: strings.Join(names, ","), Result: "revoked",
				Message: fmt.Sprintf("Revoked the %s invitation for %s to %s (%s); its link no longer works.", role, args[0], d.org.Name, strings.Join(names, ", ")),
			})
		},
	}
}

// findInvitation is the organization's directory and the Invitation for
// email (a pending one if there is one).
func (o *Options) findInvitation(ctx context.Context, email string) (*directory, *orgsv1alpha1.Invitation, error) {
	org, err := o.organization(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := o.directory(ctx, org)
	if err != nil {
		return nil, nil, err
	}
	invs := invitationsFor(d.invitations, email)
	if len(invs) == 0 {
		hint := "`kubectl roster users` lists the organization's invitations"
		if m := userMember(d.members, email); m != nil {
			hint = fmt.Sprintf("%s is a member already (%s)", email, m.Spec.Role)
		} else if lookalike := lookalikeHint(email, invitationEmails(d.invitations)...); lookalike != "" {
			hint = lookalike
		}
		return nil, nil, notFoundf(hint, "no invitation for %s in organization %s", email, org.Name)
	}
	return d, &invs[0], nil
}

func newSetRoleCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "set-role USER ROLE",
		Short: "Change a member's role",
		Long: `Change a member's role. USER is the member's user name as the cluster knows it
(usually their e-mail), "group:NAME" for a group, or the Member's object name.
Roles: Owner, Admin, Contributor, Viewer, ViewerNoSecrets (any case).

Owners change anyone's role; Admins change the roles of members who are not
Owners, and may not make anyone an Owner. The last owner cannot be downgraded:
assign the Owner role to another user first.`,
		Example: `  kubectl roster set-role carol@example.com Admin`,
		Args:    exactArgs("USER", "ROLE"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return completeRoles(cmd, args, toComplete)
			}
			return o.completeMembers(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			role, err := parseRole(args[1])
			if err != nil {
				return usageErrorf("%v", err)
			}
			return o.setRole(cmd.Context(), args[0], role)
		},
	}
}

func (o *Options) setRole(ctx context.Context, who string, role orgsv1alpha1.Role) error {
	d, m, err := o.findMember(ctx, who)
	if err != nil {
		return err
	}
	from := m.Spec.Role
	ch := Change{Action: "set-role", Organization: d.org.Name, Subject: displayName(m), Object: "member/" + m.Name, From: from, To: role}
	if from == role {
		ch.Result = "unchanged"
		ch.Message = fmt.Sprintf("%s already has the role %s in %s; nothing changed.", displayName(m), role, d.org.Name)
		return o.done(ch)
	}
	// The webhook decides on the role the Member has when it looks; a
	// conflict means someone else changed it meanwhile: look again.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		base := m.DeepCopy()
		m.Spec.Role = role
		if err := o.cl.Patch(ctx, m, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			if apierrors.IsConflict(err) {
				if getErr := o.cl.Get(ctx, client.ObjectKeyFromObject(m), m); getErr != nil {
					return getErr
				}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return withHint(err, manageHint(err, d.org.Name))
	}
	ch.Result = "changed"
	ch.Message = fmt.Sprintf("Changed the role of %s in %s from %s to %s.", displayName(m), d.org.Name, from, role)
	return o.done(ch)
}

// findMember is the organization's directory and the Member who names.
func (o *Options) findMember(ctx context.Context, who string) (*directory, *orgsv1alpha1.Member, error) {
	org, err := o.organization(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := o.directory(ctx, org)
	if err != nil {
		return nil, nil, err
	}
	m := findMember(d.members, who)
	if m == nil {
		hint := "`kubectl roster users` lists the organization's members"
		if invs := invitationsFor(d.invitations, who); len(invs) > 0 {
			hint = fmt.Sprintf("%s has not accepted their invitation (%s) yet: revoke it and invite them again with the role you want", who, invs[0].Spec.Role)
		} else if lookalike := lookalikeHint(who, memberUsers(d.members)...); lookalike != "" {
			hint = lookalike
		}
		return nil, nil, notFoundf(hint, "%s is not a member of organization %s", who, org.Name)
	}
	return d, m, nil
}

type confirmOptions struct{ yes bool }

func (c *confirmOptions) bind(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&c.yes, "yes", "y", false, "Do not ask for confirmation")
}

// confirm asks question on stderr and reads a y/N answer from stdin;
// anything but y or yes (or no answer at all) is no.
func (o *Options) confirm(yes bool, question string) error {
	if yes {
		return nil
	}
	_, _ = fmt.Fprintf(o.ErrOut, "%s [y/N]: ", question)
	answer := ""
	if o.In != nil {
		line, _ := bufio.NewReader(o.In).ReadString('\n')
		answer = strings.ToLower(strings.TrimSpace(line))
	}
	if f, ok := o.In.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) { //nolint:gosec // file descriptors fit in an int
		// A terminal echoes what the person typed; show a piped answer.
		_, _ = fmt.Fprintln(o.ErrOut, answer)
	}
	if answer == "y" || answer == "yes" {
		return nil
	}
	return &exitError{code: ExitCancelled, err: fmt.Errorf("cancelled; nothing changed"), hint: "pass --yes to skip the question"}
}

func newRemoveCommand(o *Options) *cobra.Command {
	co := &confirmOptions{}
	cmd := &cobra.Command{
		Use:   "remove USER",
		Short: "Remove a member from the organization",
		Long: `Remove a member from the organization: their Member is deleted and Roster takes
their access away. Asks for confirmation (a y/N answer on stdin) unless --yes.

Owners remove anyone; Admins remove members who are not Owners. The last owner
cannot be removed: assign the Owner role to another user first. Owners and
Admins remove themselves with leave; Contributors and Viewers ask an Owner or
Admin to remove them. A refusal is shown before the question is asked.`,
		Args:              exactArgs("USER"),
		ValidArgsFunction: o.completeMembers,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, m, err := o.findMember(ctx, args[0])
			if err != nil {
				return err
			}
			question := fmt.Sprintf("Remove %s (%s) from organization %s?", displayName(m), m.Spec.Role, d.org.Name)
			if err := o.confirmDelete(ctx, co.yes, m, question); err != nil {
				return withHint(err, manageHint(err, d.org.Name))
			}
			if err := o.deleteMember(ctx, m); err != nil {
				return withHint(err, manageHint(err, d.org.Name))
			}
			return o.done(Change{
				Action: "remove", Organization: d.org.Name, Subject: displayName(m), Object: "member/" + m.Name, Result: "removed", From: m.Spec.Role,
				Message: fmt.Sprintf("Removed %s (%s) from %s.", displayName(m), m.Spec.Role, d.org.Name),
			})
		},
	}
	co.bind(cmd)
	return cmd
}

func (o *Options) deleteMember(ctx context.Context, m *orgsv1alpha1.Member, opts ...client.DeleteOption) error {
	uid := m.UID
	return o.cl.Delete(ctx, m, append(opts, client.Preconditions{UID: &uid})...)
}

// confirmDelete asks before deleting m unless yes, after a server-side
// dry run of the delete: RBAC and the webhooks refuse it before the
// question is asked, not after someone answered it.
func (o *Options) confirmDelete(ctx context.Context, yes bool, m *orgsv1alpha1.Member, question string) error {
	if yes {
		return nil
	}
	if err := o.deleteMember(ctx, m, client.DryRunAll); err != nil {
		return err
	}
	return o.confirm(false, question)
}

func newLeaveCommand(o *Options) *cobra.Command {
	co := &confirmOptions{}
	cmd := &cobra.Command{
		Use:   "leave",
		Short: "Leave the organization",
		Long: `Leave the organization: your own Member is deleted (you are who the API server
says you are, see whoami). Asks for confirmation unless --yes.

Only Owners and Admins may leave. The last owner cannot leave: assign the Owner
role to another user first. A refusal is shown before the question is asked.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			org, err := o.organization(ctx)
			if err != nil {
				return err
			}
			id, err := o.whoAmI(ctx)
			if err != nil {
				return err
			}
			d, err := o.directory(ctx, org)
			if err != nil {
				return err
			}
			m := userMember(d.members, id.Username)
			if m == nil {
				if g := callerMember(d.members, id); g != nil {
					return notFoundf(fmt.Sprintf("you belong through %s; an Owner or Admin manages that Member", displayName(g)),
						"%s has no Member of their own in organization %s", id.Username, org.Name)
				}
				return notFoundf("", "%s is not a member of organization %s", id.Username, org.Name)
			}
			refused := func(err error) error {
				if apierrors.IsForbidden(err) && !fromWebhook(err) {
					return withHint(err, fmt.Sprintf("only Owners and Admins may leave an organization; ask an Owner or Admin of %s to remove you", org.Name))
				}
				return err
			}
			question := fmt.Sprintf("Leave organization %s (you are %s as %s)?", org.Name, m.Spec.Role, id.Username)
			if err := o.confirmDelete(ctx, co.yes, m, question); err != nil {
				return refused(err)
			}
			if err := o.deleteMember(ctx, m); err != nil {
				return refused(err)
			}
			return o.done(Change{
				Action: "leave", Organization: org.Name, Subject: id.Username, Object: "member/" + m.Name, Result: "left", From: m.Spec.Role,
				Message: fmt.Sprintf("%s left %s.", id.Username, org.Name),
			})
		},
	}
	co.bind(cmd)
	return cmd
}

// exactArgs wants one argument per name.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usageErrorf("want %s, got %d argument(s)", strings.Join(names, " "), len(args))
		}
		return nil
	}
}
