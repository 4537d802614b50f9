package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/index"
)

// CompletionShimName is the executable name kubectl runs for the plugin's
// shell completion (kubectl 1.26+): kubectl_complete-roster. The plugin
// binary behaves as that shim when invoked under that name.
const CompletionShimName = "kubectl_complete-roster"

// scheme holds what the plugin reads and writes.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		orgsv1alpha1.AddToScheme, authenticationv1.AddToScheme, authorizationv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// Options is the state one invocation shares between commands.
type Options struct {
	genericiooptions.IOStreams
	ConfigFlags *genericclioptions.ConfigFlags

	// Output is -o: table, wide, json or yaml.
	Output string
	// Org is --org.
	Org string

	// Clock tells the time (the real one when nil); tests fix it.
	Clock clock.PassiveClock
	// HTTPClient talks to the invitation server (accept, decline).
	HTTPClient *http.Client

	colour, errTTY bool
	width          int
	cl             client.Client
}

func (o *Options) now() time.Time { return o.clock().Now() }

// clock is Options.Clock, or the real clock when it is unset.
func (o *Options) clock() clock.PassiveClock {
	if o.Clock != nil {
		return o.Clock
	}
	return clock.RealClock{}
}

// Main runs `kubectl roster` with args (without the program name) and
// returns the exit code. Errors are printed to streams.ErrOut.
func Main(ctx context.Context, args []string, streams genericiooptions.IOStreams) int {
	o := &Options{IOStreams: streams}
	return o.Run(ctx, args)
}

// Run runs the plugin with o's streams and settings.
func (o *Options) Run(ctx context.Context, args []string) int {
	// Everything printed goes through the sanitizer (sanitize.go).
	out, errOut := safe(o.Out), safe(o.ErrOut)
	o.Out, o.ErrOut = out, errOut
	defer func() { _, _ = out.Flush(), errOut.Flush() }()
	root := NewCommand(o)
	root.SetArgs(args)
	root.SetIn(o.In)
	root.SetOut(o.Out)
	root.SetErr(o.ErrOut)
	ran := false
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		ran = true
		return o.complete()
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if !ran {
		// cobra's own errors: unknown command or flag, wrong arguments.
		err = withCode(err, ExitUsage)
	}
	o.report(err, cmd.CommandPath())
	return ExitCode(err)
}

// report prints err (unless the command did) and its hint to stderr;
// command is the command that failed, whose --help a usage error points to.
func (o *Options) report(err error, command string) {
	if isReported(err) {
		return
	}
	t := &termText{colour: colourAllowed(o.errTTY)}
	t.text(errorMessage(err), red).newline()
	// A server that never answered makes any hint about its answer wrong
	// ("you may not list organizations"): the connection's hint wins.
	hint := connectionHint(err)
	if hint == "" {
		hint = hintOf(err)
	}
	if hint == "" && ExitCode(err) == ExitUsage {
		hint = fmt.Sprintf("run `%s --help` for usage", command)
	}
	for _, line := range strings.Split(hint, "\n") {
		if line != "" {
			t.text("hint: "+line, dim).newline()
		}
	}
	o.noteText(t)
}

// NewCommand builds the command tree around o.
func NewCommand(o *Options) *cobra.Command {
	if o.ConfigFlags == nil {
		o.ConfigFlags = genericclioptions.NewConfigFlags(true)
	}
	root := &cobra.Command{
		Use:   "kubectl-roster",
		Short: "Roster's user directory from the terminal",
		Long: `kubectl roster manages an organization's users the way the product's Users page does:
members and pending invitations in one table, invitations for many people at once
with a role each, resend and revoke, role changes, removal, leaving, and accepting
an invitation link. It acts as you (or --as) through the API server, so Roster's
rules decide and their refusals are shown as the server words them.

Commands that act on one organization take --org; without it they use the
organization whose home namespace is the current namespace (-n or the context's),
else the only organization you belong to.`,
		Example: `  kubectl roster users
  kubectl roster invite frank@example.com=Viewer,grace@example.com=Admin
  kubectl roster invite a@example.com,b@example.com --role Contributor --dry-run
  kubectl roster set-role carol@example.com Admin
  kubectl roster accept 'https://roster.example.com/invitations/accept?token=...'`,
		Annotations:       map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl roster"},
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	o.ConfigFlags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVarP(&o.Output, "output", "o", outputTable, "Output format: "+strings.Join(outputFormats, ", "))
	root.PersistentFlags().StringVar(&o.Org, "org", "", "The organization (default: the one whose home namespace is the current namespace, else the only one you belong to)")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion(outputFormats...))
	_ = root.RegisterFlagCompletionFunc("org", o.completeOrgs)
	_ = root.RegisterFlagCompletionFunc("namespace", o.completeHomeNamespaces)

	root.AddGroup(&cobra.Group{ID: "directory", Title: "The user directory:"},
		&cobra.Group{ID: "invitee", Title: "Invitations you received:"},
		&cobra.Group{ID: "self", Title: "You:"},
		&cobra.Group{ID: "projects", Title: "Projects:"})
	for _, cmd := range []*cobra.Command{newOrgsCommand(o), newUsersCommand(o), newInviteCommand(o), newResendCommand(o),
		newRevokeCommand(o), newSetRoleCommand(o), newRemoveCommand(o), newUICommand(o)} {
		cmd.GroupID = "directory"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{newAnswerCommand(o, answerAccept), newAnswerCommand(o, answerDecline)} {
		cmd.GroupID = "invitee"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{newWhoAmICommand(o), newCanICommand(o), newLeaveCommand(o), newTokenCommand(o)} {
		cmd.GroupID = "self"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{newProjectsCommand(o), newSwitchCommand(o), newProjectCommand(o)} {
		cmd.GroupID = "projects"
		root.AddCommand(cmd)
	}
	addExitCodes(root)
	root.AddCommand(newVersionCommand(o))
	return root
}

// addExitCodes ends the help of every command that does not list its own
// exit codes with the ones it may return (errors.go), so a script's author
// finds them where they look.
func addExitCodes(root *cobra.Command) {
	for _, cmd := range root.Commands() {
		if strings.Contains(cmd.Long, "Exit code") {
			continue
		}
		codes := `Exit codes:
  0  done
  1  error: the cluster unreachable, credentials refused, a server error
  2  usage error; nothing was sent
  3  refused by RBAC or Roster's rules
  4  not found (or not yours to see)`
		if cmd.Flags().Lookup("yes") != nil {
			codes += "\n  6  the confirmation was not answered yes; nothing changed"
		}
		cmd.Long += "\n\n" + codes
	}
}

// complete validates the global flags and looks at the terminal.
func (o *Options) complete() error {
	if !slices.Contains(outputFormats, o.Output) {
		return usageErrorf("unknown output format %q: use one of %s", o.Output, strings.Join(outputFormats, ", "))
	}
	tty, width := terminal(o.Out)
	o.colour, o.width = colourAllowed(tty), width
	o.errTTY, _ = terminal(o.ErrOut)
	return nil
}

// client is a client acting as the caller, built from the kubeconfig
// flags. API warnings (a single owner left) go to stderr as kubectl shows
// them.
func (o *Options) client() (client.Client, error) {
	if o.cl != nil {
		return o.cl, nil
	}
	cfg, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		return nil, withCode(err, ExitError)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = &warningPrinter{o: o, seen: map[string]bool{}}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	// With watch: the web page follows the directories it shows.
	cl, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	o.cl = cl
	return cl, nil
}

// warningPrinter prints the API server's warnings (a webhook's advice,
// which may quote object fields) once each, as kubectl does, sanitized.
type warningPrinter struct {
	o    *Options
	mu   sync.Mutex
	seen map[string]bool
}

func (p *warningPrinter) HandleWarningHeader(code int, _ string, message string) {
	if code != 299 || message == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[message] {
		return
	}
	p.seen[message] = true
	p.o.noteText((&termText{colour: colourAllowed(p.o.errTTY)}).text("Warning:", warning).spaces(1).text(message, plain).newline())
}

// identity is who the API server says the caller is.
type identity struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// whoAmI asks the API server who the caller is (SelfSubjectReview), so
// --as and every authenticator are answered as the server sees them.
func (o *Options) whoAmI(ctx context.Context) (identity, error) {
	cl, err := o.client()
	if err != nil {
		return identity{}, err
	}
	review := &authenticationv1.SelfSubjectReview{}
	if err := cl.Create(ctx, review); err != nil {
		return identity{}, withHint(err, "the API server could not say who you are (SelfSubjectReview, authentication.k8s.io/v1)")
	}
	u := review.Status.UserInfo
	id := identity{Username: u.Username, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		id.Extra = map[string][]string{}
		for k, v := range u.Extra {
			id.Extra[k] = v
		}
	}
	return id, nil
}

// organization is the Organization the command acts on: --org; else the
// one whose home namespace is the current namespace (-n, or the
// context's); else the only one the caller belongs to; else, for a caller
// who belongs to none (a cluster admin), the only one there is.
func (o *Options) organization(ctx context.Context) (*orgsv1alpha1.Organization, error) {
	cl, err := o.client()
	if err != nil {
		return nil, err
	}
	if o.Org != "" {
		org := &orgsv1alpha1.Organization{}
		err := cl.Get(ctx, client.ObjectKey{Name: o.Org}, org)
		if apierrors.IsForbidden(err) {
			// Members may get only their own organizations: whether another
			// exists is not theirs to know, so the refusal stands.
			return nil, withHint(err, "you may read only the organizations you belong to; `kubectl roster orgs` lists them")
		}
		if err != nil {
			return nil, withHint(err, "`kubectl roster orgs` lists the organizations you can see")
		}
		return org, nil
	}
	ns, explicit, err := o.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	orgs, _, err := o.visibleOrganizations(ctx)
	if err != nil {
		if org := o.guessFromNamespace(ctx, ns); org != nil {
			return org, nil
		}
		return nil, withHint(err, "pass --org NAME (or -n with the organization's home namespace)")
	}
	if org := index.OldestClaim(orgs, ns); org != nil {
		return org, nil
	}
	if explicit {
		return nil, usageErrorf("namespace %q is not the home namespace of any organization you can see", ns)
	}
	id, err := o.whoAmI(ctx)
	if err != nil {
		return nil, err
	}
	ms := memberships(ctx, cl, id, orgs)
	var mine []string
	var only *orgsv1alpha1.Organization
	for i := range ms {
		if ms[i].Role != "" {
			mine = append(mine, ms[i].Org.Name)
			only = &ms[i].Org
		}
	}
	switch {
	case len(mine) == 1:
		return only, nil
	case len(mine) > 1:
		return nil, usageErrorf("you belong to %d organizations (%s); pass --org NAME", len(mine), strings.Join(mine, ", "))
	case len(orgs) == 1:
		return &orgs[0], nil
	case len(orgs) == 0:
		return nil, notFoundf("an Organization is created with kubectl apply (see config/samples/); an Owner or Admin of one adds you with `kubectl roster invite`", "there is no organization you can see")
	}
	names := make([]string, 0, len(orgs))
	for _, org := range orgs {
		names = append(names, org.Name)
	}
	return nil, usageErrorf("%s belongs to no organization and there are %d (%s); pass --org NAME", id.Username, len(names), strings.Join(names, ", "))
}

// guessFromNamespace is for callers whose organizations cannot be found: a
// namespace named like a default home namespace names its organization.
func (o *Options) guessFromNamespace(ctx context.Context, ns string) *orgsv1alpha1.Organization {
	name, ok := strings.CutPrefix(ns, orgsv1alpha1.DefaultHomeNamespacePrefix)
	if !ok || name == "" {
		return nil
	}
	org := &orgsv1alpha1.Organization{}
	if err := o.cl.Get(ctx, client.ObjectKey{Name: name}, org); err != nil || org.HomeNamespaceName() != ns {
		return nil
	}
	return org
}

// directory is an organization's Members and Invitations.
type directory struct {
	org         *orgsv1alpha1.Organization
	members     []orgsv1alpha1.Member
	invitations []orgsv1alpha1.Invitation
}

// directory reads the organization's Members and Invitations.
func (o *Options) directory(ctx context.Context, org *orgsv1alpha1.Organization) (*directory, error) {
	cl, err := o.client()
	if err != nil {
		return nil, err
	}
	d := &directory{org: org}
	ns := org.HomeNamespaceName()
	var members orgsv1alpha1.MemberList
	if err := cl.List(ctx, &members, client.InNamespace(ns)); err != nil {
		return nil, withHint(err, fmt.Sprintf("only members of organization %s may see its users", org.Name))
	}
	var invitations orgsv1alpha1.InvitationList
	if err := cl.List(ctx, &invitations, client.InNamespace(ns)); err != nil {
		return nil, withHint(err, fmt.Sprintf("only members of organization %s may see its users", org.Name))
	}
	d.members, d.invitations = members.Items, invitations.Items
	return d, nil
}

// fixedCompletion completes with a fixed list.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
