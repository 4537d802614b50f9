package rostertest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/pkg/rostertest"
)

// TestMain finds the control-plane binaries as Roster's other suites do
// ($KUBEBUILDER_ASSETS, else the setup-envtest store; a downstream suite
// sets KUBEBUILDER_ASSETS), or skips everything when ROSTER_SKIP_ENVTEST
// asks to: the examples need a control plane.
func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	if _, err := localcluster.TestAssetsDir(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, localcluster.ErrSkipEnvtest) {
			os.Exit(0)
		}
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// A downstream suite starts envtest as it always does, then Roster
// against it: Roster's webhooks refuse what Roster refuses, and its
// controllers reconcile.
func Example() {
	testEnv := &envtest.Environment{}
	cfg, err := testEnv.Start()
	if err != nil {
		panic(err)
	}
	defer func() { _ = testEnv.Stop() }()
	ctx := context.Background()
	roster, err := rostertest.Start(ctx, cfg, rostertest.Options{})
	if err != nil {
		panic(err)
	}
	defer func() { _ = roster.Stop() }()

	// The organization acme, its home namespace org-acme, the Owner alice
	// and the Admin bob; then wait until acme is Ready.
	mustCreateAcme(ctx, roster)

	// Bob, an Admin, may not make an Owner: Roster's webhook says no.
	bob, err := roster.As("bob@example.com")
	must(err)
	err = bob.Create(ctx, member("mallory", "mallory@example.com", orgsv1alpha1.RoleOwner))
	fmt.Println("an Admin creates an Owner:", apierrors.ReasonForError(err))
	// Bob may make a Viewer.
	err = bob.Create(ctx, member("dave", "dave@example.com", orgsv1alpha1.RoleViewer))
	fmt.Println("an Admin creates a Viewer:", err)
	// Output:
	// an Admin creates an Owner: Forbidden
	// an Admin creates a Viewer: <nil>
}

// With Options.Invitations, Roster sends invitation links to a recorder
// the test reads, and serves the accept API on a free loopback port.
func ExampleRoster_Accept() {
	ctx := context.Background()
	roster, stop := mustStart(rostertest.Options{Invitations: true})
	defer stop()
	mustCreateAcme(ctx, roster)

	bob, err := roster.As("bob@example.com")
	must(err)
	must(bob.Create(ctx, &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "grace"},
		Spec:       orgsv1alpha1.InvitationSpec{Email: "grace@example.com", Role: orgsv1alpha1.RoleContributor},
	}))
	var link string
	must(poll(ctx, func() bool { link = roster.LastInvitationLink("grace@example.com"); return link != "" }))
	res, err := roster.Accept(ctx, link)
	must(err)
	fmt.Println(res.Outcome, res.User, res.Role)

	// A link works once.
	_, err = roster.Accept(ctx, link)
	fmt.Println(errors.Is(err, rostertest.ErrNotAccepted))
	// Output:
	// accepted grace@example.com Contributor
	// true
}

// A plain envtest has no kube-controller-manager, so the built-in edit role
// a Contributor is bound to in project namespaces grants nothing;
// AggregateBuiltinRoles fills it in. GitOpsUsers are bound to
// roster-gitops, which may manage owners.
func ExampleOptions() {
	ctx := context.Background()
	argocd := "system:serviceaccount:argocd:argocd-application-controller"
	roster, stop := mustStart(rostertest.Options{AggregateBuiltinRoles: true, GitOpsUsers: []string{argocd}})
	defer stop()
	mustCreateAcme(ctx, roster)

	gitops, err := roster.As(argocd)
	must(err)
	must(gitops.Create(ctx, member("carol", "carol@example.com", orgsv1alpha1.RoleContributor)))
	must(roster.Client().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: "acme-web", Labels: map[string]string{orgsv1alpha1.OrganizationLabel: "acme"},
	}}))
	must(roster.WaitForOrganizationReady(ctx, "acme"))
	must(poll(ctx, func() bool {
		ok, err := roster.Allowed(ctx, "carol@example.com", authorizationv1.ResourceAttributes{
			Verb: "create", Resource: "configmaps", Namespace: "acme-web",
		})
		must(err)
		return ok
	}))
	fmt.Println("a Contributor creates ConfigMaps in acme-web")
	// Output:
	// a Contributor creates ConfigMaps in acme-web
}

// mustStart starts an envtest control plane and Roster on it with o, as
// Example does.
func mustStart(o rostertest.Options) (*rostertest.Roster, func()) {
	testEnv := &envtest.Environment{}
	cfg, err := testEnv.Start()
	must(err)
	roster, err := rostertest.Start(context.Background(), cfg, o)
	if err != nil {
		_ = testEnv.Stop()
		panic(err)
	}
	return roster, func() {
		must(roster.Stop())
		must(testEnv.Stop())
	}
}

// mustCreateAcme creates the organization acme with the Owner alice and the
// Admin bob, and waits until it is Ready.
func mustCreateAcme(ctx context.Context, roster *rostertest.Roster) {
	c := roster.Client()
	must(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "org-acme"}}))
	must(c.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}))
	must(c.Create(ctx, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner)))
	must(c.Create(ctx, member("bob", "bob@example.com", orgsv1alpha1.RoleAdmin)))
	must(roster.WaitForOrganizationReady(ctx, "acme"))
}

func member(name, user string, role orgsv1alpha1.Role) client.Object {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

// poll waits up to 30 s for done.
func poll(ctx context.Context, done func() bool) error {
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return done(), nil
	})
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
