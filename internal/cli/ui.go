package cli

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/ui"
)

type uiOptions struct {
	port      int
	noBrowser bool
	poll      time.Duration
}

func newUICommand(o *Options) *cobra.Command {
	uo := &uiOptions{}
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Open the Users page in your browser",
		Long: `Serve the product's Users page on 127.0.0.1 and open it in your browser:
members and pending invitations in one table, + Create Users, resend and delete
invitations, Change Role, Remove Access and Leave Organization; and the
Projects view: the organization's projects, their environments and namespaces,
+ Create Project, add and remove environments, delete.

The page acts as you, with your kubeconfig and the same flags as every other
command (--context, --as, ...): the API server, its RBAC and Roster's webhooks
decide, and their refusals are shown as the server words them. It offers only
what you may do (the checks of can-i).

The address it prints holds a secret made for this run: only a browser that opened
it gets a session. The server answers only on 127.0.0.1, refuses other Host names
and cross-origin requests, and stops with Ctrl-C.`,
		Example: `  kubectl roster ui
  kubectl roster ui --org acme --port 8765 --no-browser
  kubectl roster ui --as alice@example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.serveUI(cmd.Context(), uo)
		},
	}
	cmd.Flags().IntVar(&uo.port, "port", 0, "Port on 127.0.0.1 (default: a free one)")
	cmd.Flags().BoolVar(&uo.noBrowser, "no-browser", false, "Print the address without opening a browser")
	cmd.Flags().DurationVar(&uo.poll, "poll", 2*time.Second, "How often the page looks for changes (an accepted invitation appears by itself)")
	return cmd
}

func (o *Options) serveUI(ctx context.Context, uo *uiOptions) error {
	if uo.port < 0 || uo.port > 65535 {
		return usageErrorf("--port takes a port number (0 picks a free one)")
	}
	if _, err := o.client(); err != nil {
		return err
	}
	// Who the user is does not change while the page runs; asking first
	// also fails at once when the cluster cannot be reached.
	id, err := o.whoAmI(ctx)
	if err != nil {
		return err
	}
	backend := newUIBackend(o, id)
	defer backend.watches.stopAll()
	srv, err := ui.New(ui.Options{Backend: backend, Port: uo.port, Org: o.Org, PollInterval: uo.poll, Clock: o.clock()})
	if err != nil {
		return err
	}
	o.say("Users page for " + id.Username + ": " + srv.URL())
	o.note("The address holds a secret for this run: do not share it. Ctrl-C stops the server.")
	if !uo.noBrowser {
		if err := openBrowser(ctx, srv.URL()); err != nil {
			o.note("Could not open a browser (%v): open the address yourself.", err)
		}
	}
	return srv.Serve(ctx)
}

// openBrowser hands url to the desktop's browser.
func openBrowser(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", url) //nolint:gosec // the URL is the server's own address
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url) //nolint:gosec // the URL is the server's own address
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", url) //nolint:gosec // the URL is the server's own address
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// uiBackend is the page's access to the directory: the plugin's own
// client and functions, acting as the user.
type uiBackend struct {
	o  *Options
	id identity
	// mu serializes writes, which print their outcome to the terminal.
	mu sync.Mutex
	// watches follow the directories the page shows.
	watches *directoryWatches
}

var _ ui.Backend = &uiBackend{}

// newUIBackend is the page's backend acting as id through o's client.
func newUIBackend(o *Options, id identity) *uiBackend {
	watched, _ := o.cl.(client.WithWatch)
	return &uiBackend{o: o, id: id, watches: newDirectoryWatches(watched, o.clock().Now)}
}

// forOrg is o acting on organization org (as --org would).
func (b *uiBackend) forOrg(org string) *Options {
	c := *b.o
	c.Org = org
	return &c
}

// uiProblem is err as the page shows it: Roster's own words (serverWords,
// without kubectl's "Error from server" wrapper) and the plugin's hint.
func uiProblem(err error, hint string) error {
	if err == nil {
		return nil
	}
	code := http.StatusBadGateway
	switch ExitCode(err) {
	case ExitRefused:
		code = http.StatusForbidden
	case ExitNotFound:
		code = http.StatusNotFound
	case ExitUsage:
		code = http.StatusBadRequest
	}
	h := hintOf(err)
	if h == "" {
		h = hint
	}
	if h == "" {
		h = connectionHint(err)
	}
	return &ui.Problem{Message: serverWords(err), Hint: h, Code: code}
}

func (b *uiBackend) User(context.Context) (string, error) { return b.id.Username, nil }

func (b *uiBackend) Organizations(ctx context.Context) ([]ui.Organization, string, error) {
	orgs, listed, err := b.o.visibleOrganizations(ctx)
	if err != nil && b.o.Org == "" {
		return nil, "", uiProblem(err, "pass --org NAME")
	}
	var out []ui.Organization
	for _, m := range memberships(ctx, b.o.cl, b.id, orgs) {
		if m.Role != "" || listed {
			out = append(out, ui.Organization{Name: m.Org.Name, DisplayName: m.Org.Spec.DisplayName, Role: m.Role})
		}
	}
	current := b.o.Org
	if current == "" {
		if org, err := b.o.organization(ctx); err == nil {
			current = org.Name
		} else if len(out) > 0 {
			current = out[0].Name
		}
	}
	return out, current, nil
}

func (b *uiBackend) Directory(ctx context.Context, org string) (*ui.Directory, error) {
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return nil, uiProblem(err, "")
	}
	d, err := b.watches.directory(ctx, c, o)
	if err != nil {
		return nil, uiProblem(err, "")
	}
	phases := map[string]string{}
	for _, inv := range d.invitations {
		phases[inv.Name] = string(inv.Status.Phase)
	}
	groups := map[string]bool{}
	for _, m := range d.members {
		groups[m.Name] = m.Spec.Group != ""
	}
	self := ""
	if m := userMember(d.members, b.id.Username); m != nil {
		self = m.Name
	}
	out := &ui.Directory{Organization: o.Name, DisplayName: o.Spec.DisplayName}
	for _, e := range userList(d, c.now()).Items {
		entry := ui.Entry{
			Kind: e.Kind, Name: e.Name, Role: e.Role, EffectiveRole: e.EffectiveRole, Status: e.Status, Message: e.Message,
			InvitedBy: e.InvitedBy, Since: e.Since, ExpiresAt: e.ExpiresAt, Object: e.Object,
		}
		if e.Kind == "Invitation" {
			entry.Phase = phases[e.Object]
		} else {
			entry.Self, entry.Group = e.Object == self, groups[e.Object]
		}
		out.Entries = append(out.Entries, entry)
	}
	return out, nil
}

func (b *uiBackend) Access(ctx context.Context, org string) (ui.Access, error) {
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return ui.Access{}, uiProblem(err, "")
	}
	report, err := c.accessReport(ctx, o, b.id.Username, actions)
	if err != nil {
		return ui.Access{}, uiProblem(err, "")
	}
	allowed := map[string]bool{}
	for _, a := range report.Actions {
		allowed[a.Action] = a.Allowed
	}
	return ui.Access{
		ViewUsers: allowed["view-users"], Invite: allowed["invite"], InviteOwners: allowed["invite-owners"],
		ManageUsers: allowed["manage-users"], ManageOwners: allowed["manage-owners"], Leave: allowed["leave"],
	}, nil
}

func (b *uiBackend) SetRole(ctx context.Context, org, member string, role orgsv1alpha1.Role) error {
	defer b.watches.changed()
	if !role.IsValid() {
		return &ui.Problem{Message: fmt.Sprintf("unknown role %q: use one of %s", role, roleNames()), Code: http.StatusBadRequest}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.forOrg(org)
	err := c.setRole(ctx, member, role)
	return uiProblem(err, manageHint(err, org))
}

func (b *uiBackend) Remove(ctx context.Context, org, member string) error {
	defer b.watches.changed()
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.forOrg(org)
	d, m, err := c.findMember(ctx, member)
	if err != nil {
		return uiProblem(err, "")
	}
	if err := c.deleteMember(ctx, m); err != nil {
		return uiProblem(err, manageHint(err, org))
	}
	c.say(fmt.Sprintf("Removed %s (%s) from %s.", displayName(m), m.Spec.Role, d.org.Name))
	return nil
}

func (b *uiBackend) Leave(ctx context.Context, org string) error {
	defer b.watches.changed()
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return uiProblem(err, "")
	}
	d, err := c.directory(ctx, o)
	if err != nil {
		return uiProblem(err, "")
	}
	m := userMember(d.members, b.id.Username)
	if m == nil {
		return &ui.Problem{Message: fmt.Sprintf("%s has no Member of their own in organization %s", b.id.Username, org), Code: http.StatusNotFound}
	}
	if err := c.deleteMember(ctx, m); err != nil {
		hint := ""
		if apierrors.IsForbidden(err) && !fromWebhook(err) {
			hint = fmt.Sprintf("only Owners and Admins may leave an organization; ask an Owner or Admin of %s to remove you", org)
		}
		return uiProblem(err, hint)
	}
	c.say(fmt.Sprintf("%s left %s.", b.id.Username, org))
	return nil
}

func (b *uiBackend) ValidEmail(email string) error { return validEmail(email) }

func (b *uiBackend) Invite(ctx context.Context, org, email string, role orgsv1alpha1.Role) error {
	defer b.watches.changed()
	if !role.IsValid() {
		return &ui.Problem{Message: fmt.Sprintf("unknown role %q: use one of %s", role, roleNames()), Code: http.StatusBadRequest}
	}
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return uiProblem(err, "")
	}
	res := c.inviteOne(ctx, c.cl, o, existingMembers(ctx, c.cl, o), invitee{Email: email, Role: role}, false)
	if res.Result == ResultFailed {
		return uiProblem(res.err, res.Hint)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Invited %s to %s as %s (invitation/%s).", email, org, role, res.Invitation))
	return nil
}

// homeObject reads obj, named name, from org's home namespace as the
// user; hint goes with a refusal.
func (b *uiBackend) homeObject(ctx context.Context, org, name string, obj client.Object, hint func(error) string) (*Options, error) {
	c := b.forOrg(org)
	o, err := c.organization(ctx)
	if err != nil {
		return nil, uiProblem(err, "")
	}
	if err := c.cl.Get(ctx, client.ObjectKey{Namespace: o.HomeNamespaceName(), Name: name}, obj); err != nil {
		return nil, uiProblem(err, hint(err))
	}
	return c, nil
}

// invitation is the Invitation named name in org's home namespace.
func (b *uiBackend) invitation(ctx context.Context, org, name string) (*Options, *orgsv1alpha1.Invitation, error) {
	inv := &orgsv1alpha1.Invitation{}
	c, err := b.homeObject(ctx, org, name, inv, func(error) string { return "" })
	return c, inv, err
}

func (b *uiBackend) Resend(ctx context.Context, org, name string) error {
	defer b.watches.changed()
	c, inv, err := b.invitation(ctx, org, name)
	if err != nil {
		return err
	}
	at := c.now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, orgsv1alpha1.ResendRequestedAtAnnotation, at)
	if err := c.cl.Patch(ctx, inv, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return uiProblem(err, manageHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Resend requested for %s (%s, invitation/%s).", inv.Spec.Email, inv.Spec.Role, inv.Name))
	return nil
}

func (b *uiBackend) Revoke(ctx context.Context, org, name string) error {
	defer b.watches.changed()
	c, inv, err := b.invitation(ctx, org, name)
	if err != nil {
		return err
	}
	uid := inv.UID
	if err := c.cl.Delete(ctx, inv, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
		return uiProblem(err, manageHint(err, org))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c.say(fmt.Sprintf("Revoked the %s invitation for %s to %s.", inv.Spec.Role, inv.Spec.Email, org))
	return nil
}
