package ui_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/localcluster"
	"github.com/roster-dev/roster/pkg/rostertest"
)

// The browser suite runs `kubectl roster ui` in-process against a control
// plane with Roster (webhooks, controllers, invitations), as Owner, Admin,
// Viewer and a non-member (--as), and clicks through the page in headless
// Chromium, checking both the page and the API afterwards.

var (
	ctx        = context.Background()
	testEnv    *envtest.Environment
	roster     *rostertest.Roster
	admin      client.Client
	kubeconfig string
	browser    context.Context
	stopChrome func()
	orgSeq     atomic.Int32
)

func TestUI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Users page Suite")
}

// chromiumPath finds Debian's chromium (or another build of it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			Fail("chromium is not installed; CI must run the browser tests (.ci/run installs it)")
		}
		Skip("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it) to run the browser tests")
	}
	_, err := localcluster.TestAssetsDir()
	if errors.Is(err, localcluster.ErrSkipEnvtest) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	testEnv = &envtest.Environment{}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	roster, err = rostertest.Start(ctx, cfg, rostertest.Options{Invitations: true, AggregateBuiltinRoles: true})
	Expect(err).NotTo(HaveOccurred())
	admin = roster.Client()
	// A cluster admin's kubeconfig: each page runs with --as, as a person
	// would run `kubectl roster ui --as alice@example.com` in local mode.
	user, err := testEnv.AddUser(envtest.User{Name: "ui-admin", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	raw, err := user.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	kubeconfig = filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(os.WriteFile(kubeconfig, raw, 0o600)).To(Succeed())

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1360, 860),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(GinkgoT().TempDir()),
	)
	b, cancelBrowser := chromedp.NewContext(allocCtx)
	Expect(chromedp.Do(b)).To(Succeed()) // starts the browser
	browser = b
	stopChrome = func() { cancelBrowser(); cancelAlloc() }
})

var _ = AfterSuite(func() {
	if stopChrome != nil {
		stopChrome()
	}
	if roster != nil {
		Expect(roster.Stop()).To(Succeed())
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// People of every test organization.
const (
	owner    = "alice@example.com"
	admin2   = "bob@example.com"
	contrib  = "carol@example.com"
	viewer   = "dave@example.com"
	outsider = "mallory@example.com"
)

// newOrg makes an organization whose only owner is alice, with bob, carol
// and dave as Admin, Contributor and Viewer, and waits until it is Ready.
func newOrg() string {
	GinkgoHelper()
	name := fmt.Sprintf("ui%d", orgSeq.Add(1))
	Expect(admin.Create(ctx, &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       orgsv1alpha1.OrganizationSpec{DisplayName: "Acme " + strings.ToUpper(name)},
	})).To(Succeed())
	Eventually(func(g Gomega) {
		o := &orgsv1alpha1.Organization{}
		g.Expect(admin.Get(ctx, client.ObjectKey{Name: name}, o)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(o.Status.Conditions, orgsv1alpha1.HomeNamespaceReadyCondition)).To(BeTrue())
	}).Should(Succeed())
	for _, m := range []struct {
		name, user string
		role       orgsv1alpha1.Role
	}{{"alice", owner, orgsv1alpha1.RoleOwner}, {"bob", admin2, orgsv1alpha1.RoleAdmin}, {"carol", contrib, orgsv1alpha1.RoleContributor}, {"dave", viewer, orgsv1alpha1.RoleViewer}} {
		addMember(name, m.name, m.user, m.role)
	}
	Expect(roster.WaitForOrganizationReady(ctx, name)).To(Succeed())
	return name
}

func home(org string) string { return orgsv1alpha1.DefaultHomeNamespacePrefix + org }

func addMember(org, name, user string, role orgsv1alpha1.Role) {
	GinkgoHelper()
	Expect(admin.Create(ctx, &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: home(org), Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	})).To(Succeed())
}

func member(org, name string) (*orgsv1alpha1.Member, error) {
	m := &orgsv1alpha1.Member{}
	return m, admin.Get(ctx, client.ObjectKey{Namespace: home(org), Name: name}, m)
}

func invitations(org string) []orgsv1alpha1.Invitation {
	GinkgoHelper()
	var list orgsv1alpha1.InvitationList
	Expect(admin.List(ctx, &list, client.InNamespace(home(org)))).To(Succeed())
	return list.Items
}

// syncBuffer is the plugin's stdout, read while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var urlPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+/session\?secret=[A-Za-z0-9_-]+(&org=[a-z0-9-]+)?`)

// page is `kubectl roster ui` running as a user, and a browser tab on it.
type page struct {
	tab  context.Context
	out  *syncBuffer
	base string
}

// openUI runs `kubectl roster ui --as user --org org` and opens its
// address in a new tab; both stop when the spec ends.
func openUI(user, org string) *page {
	GinkgoHelper()
	out := &syncBuffer{}
	o := &cli.Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: GinkgoWriter}}
	runCtx, cancel := context.WithCancel(ctx)
	code := make(chan int, 1)
	args := []string{"--kubeconfig", kubeconfig, "--as", user, "ui", "--no-browser", "--poll", "300ms"}
	if org != "" {
		args = append(args, "--org", org)
	}
	go func() { code <- o.Run(runCtx, args) }()
	var url string
	Eventually(func() string { url = urlPattern.FindString(out.String()); return url }).ShouldNot(BeEmpty(), "kubectl roster ui printed no address")
	DeferCleanup(func() {
		cancel()
		Eventually(code).Should(Receive(Equal(0)))
		GinkgoWriter.Printf("kubectl roster ui printed:\n%s\n", out.String())
	})
	tab, cancelTab := chromedp.NewContext(browser)
	DeferCleanup(cancelTab)
	tab, cancelTimeout := context.WithTimeout(tab, 2*time.Minute)
	DeferCleanup(cancelTimeout)
	p := &page{tab: tab, out: out, base: strings.SplitN(url, "/session", 2)[0]}
	Expect(chromedp.Do(tab, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))).To(Succeed())
	return p
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	Expect(chromedp.Do(p.tab, actions...)).To(Succeed())
}

func (p *page) text(sel string) string {
	GinkgoHelper()
	s, err := chromedp.Run(p.tab, chromedp.Text(chromedp.CSS(sel)))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// eval runs a script in the page and returns its JSON-decoded value.
func eval[T any](p *page, js string) T {
	GinkgoHelper()
	v, err := chromedp.Run(p.tab, chromedp.Evaluate[T](js))
	Expect(err).NotTo(HaveOccurred(), js)
	return v
}

// rows are the names in the Users table, in order.
func (p *page) rows() []string {
	return eval[[]string](p, `[...document.querySelectorAll('#rows tr[data-name]')].map(r => r.dataset.name)`)
}

// row is the selector of the row of name.
func row(name string) string { return fmt.Sprintf(`#rows tr[data-name=%q]`, name) }

// actions are the labels of the menu items of name's row.
func (p *page) actions(name string) []string {
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(b => b.textContent)`, row(name)+` [role=menuitem]`))
}

// screenshot writes the page to docs/images/name.png.
func (p *page) screenshot(name string) {
	GinkgoHelper()
	png, err := chromedp.Run(p.tab, chromedp.FullScreenshot(92))
	Expect(err).NotTo(HaveOccurred())
	dir := filepath.Join("..", "..", "docs", "images")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)).To(Succeed())
}
