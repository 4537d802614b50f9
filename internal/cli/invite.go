package cli

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/policy"
)

// InvitationName is the name kubectl roster gives the Invitation for
// email: the same deterministic mapping Roster uses for the Member an
// accepted invitation creates (invitation.MemberName): lower-case, "@" → "-at-",
// every other character outside a-z0-9 → "-", cut to 48 characters. On a
// clash with an Invitation for a different address, attempt 1 appends "-"
// and 6 hex digits of the address's SHA-256, attempt n > 1 appends "-n"
// after that. Always a DNS label.
func InvitationName(email string, attempt int) string {
	return invitation.MemberName(email, attempt)
}

// emailPattern is the CRD's rule for spec.email.
var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// validEmail refuses what the API server would refuse, and display-name
// forms ("Alice <alice@example.com>"), before anything is sent.
func validEmail(s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case n < 3 || n > 254:
		return errors.New("an e-mail address has 3 to 254 characters")
	case !emailPattern.MatchString(s):
		return errors.New("not an e-mail address such as alice@example.com")
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s || a.Name != "" {
		return errors.New("not a plain e-mail address such as alice@example.com")
	}
	return nil
}

// parseRole reads a role, case-insensitively.
func parseRole(s string) (orgsv1alpha1.Role, error) {
	for _, r := range orgsv1alpha1.Roles {
		if strings.EqualFold(string(r), strings.TrimSpace(s)) {
			return r, nil
		}
	}
	if r, ok := closestRole(s); ok {
		return "", fmt.Errorf("unknown role %q: did you mean %s? Use one of %s", s, r, roleNames())
	}
	return "", fmt.Errorf("unknown role %q: use one of %s", s, roleNames())
}

// closestRole is the role within two typed letters of s (any letter case),
// for a typo such as "Ownr".
func closestRole(s string) (orgsv1alpha1.Role, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, r := range orgsv1alpha1.Roles {
		if editDistance(s, strings.ToLower(string(r))) <= 2 {
			return r, true
		}
	}
	return "", false
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur := make([]int, len(y)+1)
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(y)]
}

func roleNames() string {
	names := make([]string, len(orgsv1alpha1.Roles))
	for i, r := range orgsv1alpha1.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// invitee is one address of an invite command with its role.
type invitee struct {
	Email string
	Role  orgsv1alpha1.Role
}

// parseInvitees reads comma-delimited lists of ADDRESS or ADDRESS=ROLE
// (any number of arguments); addresses without a role get defaultRole.
// Every problem is reported, not just the first.
func parseInvitees(args []string, defaultRole string) ([]invitee, []string) {
	var def orgsv1alpha1.Role
	if defaultRole != "" {
		r, err := parseRole(defaultRole)
		if err != nil {
			return nil, []string{"--role: " + err.Error()}
		}
		def = r
	}
	var out []invitee
	var problems []string
	seen := map[string]bool{}
	for _, arg := range args {
		for _, entry := range strings.Split(arg, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			email, roleText, hasRole := strings.Cut(entry, "=")
			email = strings.TrimSpace(email)
			if err := validEmail(email); err != nil {
				problems = append(problems, fmt.Sprintf("%q: %v", email, err))
				continue
			}
			role := def
			if hasRole {
				r, err := parseRole(roleText)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", email, err))
					continue
				}
				role = r
			}
			if role == "" {
				problems = append(problems, fmt.Sprintf("%s: no role: write %s=ROLE or pass --role", email, email))
				continue
			}
			key := strings.ToLower(email)
			if seen[key] {
				problems = append(problems, fmt.Sprintf("%s: listed more than once", email))
				continue
			}
			seen[key] = true
			out = append(out, invitee{Email: email, Role: role})
		}
	}
	if len(out) == 0 && len(problems) == 0 {
		problems = append(problems, "no e-mail addresses given")
	}
	return out, problems
}

// Results of one address in an invite.
const (
	ResultInvited     = "invited"
	ResultWouldInvite = "would-invite"
	ResultFailed      = "failed"
)

// InviteReport is what `invite -o json|yaml` prints.
type InviteReport struct {
	Kind         string         `json:"kind"`
	Organization string         `json:"organization"`
	DryRun       bool           `json:"dryRun,omitempty"`
	Results      []InviteResult `json:"results"`
	// Succeeded counts the addresses invited (or, in a dry run, that
	// would be), Failed the others.
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Notifier is how Roster delivers the links (the invitations'
	// status.notifier): log, smtp or webhook; empty when Roster had not
	// said within a moment.
	Notifier string `json:"notifier,omitempty"`
}

// InviteResult is one address's outcome.
type InviteResult struct {
	Email      string            `json:"email"`
	Role       orgsv1alpha1.Role `json:"role"`
	Result     string            `json:"result"`
	Invitation string            `json:"invitation,omitempty"`
	InvitedBy  string            `json:"invitedBy,omitempty"`
	// Error is the refusal as the server worded it; ExitCode classifies it.
	Error    string `json:"error,omitempty"`
	Hint     string `json:"hint,omitempty"`
	ExitCode int    `json:"exitCode,omitempty"`
	// err is the refusal itself, for the Users page (serverWords).
	err error
	// Delivery is what --wait saw: sent, not-sent, answered or timeout;
	// DeliveryMessage says why it was not sent, ExpiresAt until when the
	// link works.
	Delivery        string     `json:"delivery,omitempty"`
	DeliveryMessage string     `json:"deliveryMessage,omitempty"`
	ExpiresAt       *time.Time `json:"expiresAt,omitempty"`
}

type inviteOptions struct {
	role   string
	dryRun bool
	wait   time.Duration
}

func newInviteCommand(o *Options) *cobra.Command {
	flags := &inviteOptions{}
	cmd := &cobra.Command{
		Use:   "invite ADDRESS[=ROLE][,ADDRESS[=ROLE]...] ...",
		Short: "Invite people by e-mail, many at once, each with a role",
		Long: `Invite people by e-mail: one Invitation each in the organization's home namespace.
Roster delivers each invitee a link to accept or decline through its notifier:
an e-mail (smtp), a POST to a webhook, or a line in its terminal or log (log, the
default and what local mode uses). The command says which.

Give addresses as a comma-delimited list (or several arguments), each with its own
role (ADDRESS=ROLE) or the role of --role. Every address and role is checked before
anything is sent; a mistake stops the command with nothing created. The server then
decides each address on its own: one refused (an Admin inviting an Owner, someone
already a member or already invited) is reported beside the address, and the
others still go through. With --dry-run the server checks everything (admission
included) and nothing is created or sent.

With --wait, the command then waits until Roster has sent each invitation (or
reports why it could not), showing progress on a terminal.

Exit code: 0 when every address was invited; for a single address, the code of
its failure; for several, 5 when any failed; with --wait, 1 when every address
was invited but some invitation was not sent in time (Roster keeps trying).`,
		Example: `  kubectl roster invite frank@example.com,grace@example.com --role Viewer
  kubectl roster invite frank@example.com=Viewer,grace@example.com=Admin
  kubectl roster invite "$(paste -sd, new-hires.txt)" --role Contributor --dry-run`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give at least one e-mail address")
			}
			return nil
		},
		ValidArgsFunction: completeInvitees,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.invite(cmd.Context(), args, flags)
		},
	}
	cmd.Flags().StringVar(&flags.role, "role", "", "Role for the addresses that do not name one: "+roleNames())
	cmd.Flags().BoolVar(&flags.dryRun, "dry-run", false, "Let the server check every invitation (admission included) without creating or sending any")
	cmd.Flags().DurationVar(&flags.wait, "wait", 0, "Wait up to this long (e.g. 30s) until Roster has sent each invitation; 0 does not wait")
	_ = cmd.RegisterFlagCompletionFunc("role", completeRoles)
	return cmd
}

func (o *Options) invite(ctx context.Context, args []string, flags *inviteOptions) error {
	if flags.wait < 0 || (flags.wait > 0 && flags.dryRun) {
		return usageErrorf("--wait takes a positive duration and does not go with --dry-run")
	}
	invitees, problems := parseInvitees(args, flags.role)
	if len(problems) > 0 {
		for _, p := range problems[:len(problems)-1] {
			o.note("error: %s", p)
		}
		return usageErrorf("%s (nothing was sent)", problems[len(problems)-1])
	}
	org, err := o.organization(ctx)
	if err != nil {
		return err
	}
	cl, _ := o.client()
	members := existingMembers(ctx, cl, org)
	report := InviteReport{Kind: "InviteReport", Organization: org.Name, DryRun: flags.dryRun, Results: []InviteResult{}}
	lines := newInviteLines(o, invitees, flags.dryRun)
	for i, inv := range invitees {
		o.progress("[%d/%d] %s", i+1, len(invitees), inv.Email)
		res := o.inviteOne(ctx, cl, org, members, inv, flags.dryRun)
		o.progressDone()
		lines.print(res)
		report.Results = append(report.Results, res)
		if res.Result == ResultFailed {
			report.Failed++
		} else {
			report.Succeeded++
		}
	}
	if report.Succeeded > 0 && !flags.dryRun {
		report.Notifier = o.notifierOf(ctx, cl, org, report.Results)
	}
	if !o.structured() {
		o.say(report.summary())
	}
	unsent := 0
	if flags.wait > 0 {
		unsent = o.waitInvitations(ctx, cl, org, &report, flags.wait)
	}
	if o.structured() {
		if err := o.printData(report); err != nil {
			return err
		}
	}
	if report.Failed == 0 {
		if unsent > 0 {
			return reported(fmt.Errorf("%d invitations not sent", unsent), ExitError)
		}
		return nil
	}
	code := ExitPartial
	if len(report.Results) == 1 {
		code = report.Results[0].ExitCode
	}
	return reported(fmt.Errorf("%d of %d invitations failed", report.Failed, len(report.Results)), code)
}

// waitInvitations waits for the delivery of the invitations created, and
// returns how many were not sent.
func (o *Options) waitInvitations(ctx context.Context, cl client.Client, org *orgsv1alpha1.Organization, report *InviteReport, wait time.Duration) int {
	var ds []*delivery
	var idx []int
	for i, res := range report.Results {
		if res.Result == ResultInvited {
			ds = append(ds, &delivery{key: client.ObjectKey{Namespace: org.HomeNamespaceName(), Name: res.Invitation}})
			idx = append(idx, i)
		}
	}
	o.waitDelivered(ctx, cl, ds, wait)
	unsent := 0
	for j, d := range ds {
		res := &report.Results[idx[j]]
		res.Delivery, res.DeliveryMessage, res.ExpiresAt = d.Result, d.Message, d.ExpiresAt
		if d.Result == DeliveryFailed || d.Result == DeliveryTimeout {
			unsent++
		}
		o.say(d.line(res.Email))
	}
	return unsent
}

// notifierWait bounds how long invite waits for Roster to say how it
// delivers the links: it writes status.notifier within moments of an
// Invitation's creation, and a slow manager only makes the summary vaguer.
const notifierWait = 2 * time.Second

// notifierOf returns the status.notifier of the first invitation created
// that has one, polling for up to notifierWait; "" when none says.
func (o *Options) notifierOf(ctx context.Context, cl client.Client, org *orgsv1alpha1.Organization, results []InviteResult) string {
	ctx, cancel := context.WithTimeout(ctx, notifierWait)
	defer cancel()
	for {
		for _, res := range results {
			if res.Result != ResultInvited {
				continue
			}
			inv := &orgsv1alpha1.Invitation{}
			if err := cl.Get(ctx, client.ObjectKey{Namespace: org.HomeNamespaceName(), Name: res.Invitation}, inv); err == nil && inv.Status.Notifier != "" {
				return inv.Status.Notifier
			}
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// linkDelivery says what Roster does with link ("the link", "a new
// link"...) through notifier (status.notifier), so that nobody waits for
// an e-mail that is a line in a terminal. done puts the log notifier's
// line in the past: it is printed the moment the link is issued.
func linkDelivery(notifier, link string, done bool) string {
	switch notifier {
	case notify.NotifierLog:
		verb := "logs"
		if done {
			verb = "logged"
		}
		return fmt.Sprintf("Roster %s %s in its terminal (in a cluster, its log)", verb, link)
	case notify.NotifierSMTP:
		return "Roster e-mails " + link
	case notify.NotifierWebhook:
		return fmt.Sprintf("Roster posts %s to its webhook", link)
	}
	return fmt.Sprintf("Roster sends %s through its notifier (--wait waits until it has)", link)
}

// inviteOne creates one Invitation (or dry-runs it), trying the next name
// when an Invitation for another address holds the first.
// existingMembers lists the organization's Members, for inviteOne to
// refuse inviting one; nil when the requester may not list them (the
// server then decides alone).
func existingMembers(ctx context.Context, cl client.Client, org *orgsv1alpha1.Organization) []orgsv1alpha1.Member {
	var members orgsv1alpha1.MemberList
	if err := cl.List(ctx, &members, client.InNamespace(org.HomeNamespaceName())); err != nil {
		return nil
	}
	return members.Items
}

func (o *Options) inviteOne(ctx context.Context, cl client.Client, org *orgsv1alpha1.Organization, members []orgsv1alpha1.Member, in invitee, dryRun bool) InviteResult {
	res := InviteResult{Email: in.Email, Role: in.Role}
	// The server admits an Invitation for a member from an Owner (a GitOps
	// repository re-applying an accepted one), where it sends nothing; a
	// person typing invite meant set-role, and is told so, as an Admin is
	// by the server. (A Member under the manager's --user-prefix is not
	// known here: the server's warning says it then.)
	for i := range members {
		if policy.MemberMatchesEmail(&members[i], in.Email, "") {
			return failed(res, withCode(errors.New(policy.AlreadyMemberMessage(in.Email, org.Name, &members[i])), ExitRefused), "")
		}
	}
	var opts []client.CreateOption
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	for attempt := 0; attempt < 5; attempt++ {
		inv := &orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: org.HomeNamespaceName(), Name: InvitationName(in.Email, attempt)},
			Spec:       orgsv1alpha1.InvitationSpec{Email: in.Email, Role: in.Role},
		}
		err := cl.Create(ctx, inv, opts...)
		if err == nil {
			res.Result, res.Invitation = ResultInvited, inv.Name
			if dryRun {
				res.Result = ResultWouldInvite
			}
			res.InvitedBy = inv.Annotations[orgsv1alpha1.InvitedByAnnotation]
			return res
		}
		if apierrors.IsAlreadyExists(err) {
			existing := &orgsv1alpha1.Invitation{}
			if getErr := cl.Get(ctx, client.ObjectKeyFromObject(inv), existing); getErr == nil && !policy.SameUser(existing.Spec.Email, in.Email) {
				continue // another address maps to this name: try the next one
			} else if getErr == nil && existing.Spec.Role != in.Role {
				// resend would send the old role again.
				err = withHint(err, fmt.Sprintf("the earlier invitation for %s (phase %s) is for the role %s, not %s: `kubectl roster revoke %s`, then invite again with %s",
					in.Email, orNone(string(existing.Status.Phase)), existing.Spec.Role, in.Role, in.Email, in.Role))
			} else if getErr == nil {
				err = withHint(err, fmt.Sprintf("an earlier invitation for %s is still there (phase %s): `kubectl roster resend %s` sends it again, `kubectl roster revoke %s` removes it",
					in.Email, orNone(string(existing.Status.Phase)), in.Email, in.Email))
			}
		}
		return failed(res, err, inviteHint(err, org.Name))
	}
	return failed(res, fmt.Errorf("no free Invitation name for %s", in.Email), "")
}

func failed(res InviteResult, err error, hint string) InviteResult {
	res.Result = ResultFailed
	res.Error = errorMessage(err)
	res.err = err
	res.Hint = hintOf(err)
	if res.Hint == "" {
		res.Hint = hint
	}
	if res.Hint == "" {
		res.Hint = connectionHint(err)
	}
	res.ExitCode = ExitCode(err)
	return res
}

// inviteHint explains an RBAC refusal (the webhook's refusals explain
// themselves).
func inviteHint(err error, org string) string {
	if apierrors.IsForbidden(err) && !fromWebhook(err) {
		return fmt.Sprintf("only Owners and Admins of organization %s may invite; `kubectl roster can-i --org %s` shows what you may do", org, org)
	}
	return ""
}

// fromWebhook reports whether err is a refusal by Roster's admission
// webhooks (which word their own fix) rather than by RBAC: its API status
// has a cause of type RefusalCause.
func fromWebhook(err error) bool {
	_, ok := refusalCause(err)
	return ok
}

// inviteLines prints one aligned line per address as each is done.
type inviteLines struct {
	o              *Options
	emailW, roleW  int
	dryRun, silent bool
}

func newInviteLines(o *Options, invitees []invitee, dryRun bool) *inviteLines {
	l := &inviteLines{o: o, dryRun: dryRun, silent: o.structured()}
	for _, in := range invitees {
		l.emailW = max(l.emailW, utf8.RuneCountInString(in.Email))
		l.roleW = max(l.roleW, len(in.Role))
	}
	return l
}

func (l *inviteLines) print(r InviteResult) {
	if l.silent {
		return
	}
	l.o.sayText(inviteLine(r, l.emailW, l.roleW, l.o.colour))
}

// inviteLine is one address's line: RESULT  ADDRESS  ROLE  DETAIL, and
// a failure's hints on lines of their own.
func inviteLine(r InviteResult, emailW, roleW int, colour bool) *termText {
	word, st := "invited", green
	detail := "invitation/" + r.Invitation
	switch r.Result {
	case ResultWouldInvite:
		word, st = "would send", green
		detail = fmt.Sprintf("invitation/%s from %s", r.Invitation, orNone(r.InvitedBy))
	case ResultFailed:
		word, st = "failed", red
		detail = r.Error
	}
	t := &termText{colour: colour}
	width := func(s string) int { return utf8.RuneCountInString(sanitize(s, false)) }
	pad := func(s string, n int) { t.spaces(max(0, n-width(s)) + 2) }
	t.text(word+strings.Repeat(" ", max(0, 10-width(word))), st).spaces(2)
	t.text(r.Email, plain)
	pad(r.Email, emailW)
	t.text(string(r.Role), plain)
	pad(string(r.Role), roleW)
	t.text(detail, plain)
	if r.Result == ResultFailed && r.Hint != "" {
		for _, hint := range strings.Split(r.Hint, "\n") {
			t.newline().spaces(12).text("hint: "+hint, plain)
		}
	}
	return t
}

func (r InviteReport) summary() string {
	total := len(r.Results)
	if r.DryRun {
		return fmt.Sprintf("Dry run: %d of %d would be invited to %s, %d refused; nothing was created or sent.", r.Succeeded, total, r.Organization, r.Failed)
	}
	if r.Failed == 0 {
		link := "the link"
		if r.Succeeded > 1 {
			link = "each invitee's link"
		}
		return fmt.Sprintf("%d of %d invited to %s; %s.", r.Succeeded, total, r.Organization, linkDelivery(r.Notifier, link, true))
	}
	return fmt.Sprintf("%d of %d invited to %s, %d failed.", r.Succeeded, total, r.Organization, r.Failed)
}
