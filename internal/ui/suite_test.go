package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/testenv"
)

// The browser suite runs `kubectl roster ui` in-process against a control
// plane with Roster (webhooks, controllers, invitations and the accept
// server), each time with one user's own kubeconfig (Owner, Admin,
// Viewer...), and clicks through the page in headless Chromium, checking
// both the page and the API afterwards.

var (
	ctx        = context.Background()
	env        *testenv.Env
	browser    context.Context
	stopChrome func()
	// delivered records the invitation links the manager sent, as an
	// invitee's mailbox would.
	delivered = &mailbox{}
	// kubeconfigs are the users' own kubeconfig files (client
	// certificates the API server authenticates), by user.
	kubeconfigs   = map[string]string{}
	kubeconfigsMu sync.Mutex
	kubeconfigDir string
)

func TestUI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Users page Suite")
}

var _ = BeforeSuite(func() {
	path := testenv.RequireChromium()
	acceptAddr, err := testenv.FreeAddress()
	Expect(err).NotTo(HaveOccurred())
	env = testenv.Suite(testenv.SuiteOptions{
		Options: testenv.Options{Webhooks: true, Controllers: true, Invitations: &manager.InvitationOptions{
			Deliver: delivered,
			Accept:  acceptserver.ServerOptions{BindAddress: acceptAddr},
		}},
		EventuallyPolling: 100 * time.Millisecond,
	})
	kubeconfigDir = GinkgoT().TempDir()

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
})

// mailbox is the notifier the manager delivers invitation links with.
type mailbox struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (*mailbox) Name() string { return "ui-test" }

func (m *mailbox) Notify(_ context.Context, msg notify.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

// link is the last link delivered to email, or "".
func (m *mailbox) link(email string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if strings.EqualFold(m.sent[i].Email, email) {
			return m.sent[i].Link
		}
	}
	return ""
}

// The people of every test organization: testenv.Team (alice the only
// Owner, bob Admin, carol Contributor, dave Viewer, erin ViewerNoSecrets).
const (
	owner    = testenv.Alice
	admin2   = testenv.Bob
	contrib  = testenv.Carol
	viewer   = testenv.Dave
	outsider = testenv.Mallory
)

// newOrg makes an organization with testenv.Team as its Members and waits
// until each has their role.
func newOrg() testenv.Org {
	GinkgoHelper()
	name := testenv.UniqueName("ui")
	return env.NewOrg(ctx, &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       orgsv1alpha1.OrganizationSpec{DisplayName: "Acme " + strings.ToUpper(name)},
	}, testenv.Team...)
}

func member(org testenv.Org, name string) (*orgsv1alpha1.Member, error) {
	m := &orgsv1alpha1.Member{}
	return m, env.Admin.Get(ctx, client.ObjectKey{Namespace: org.Home, Name: name}, m)
}

// invitation is org's Invitation for email, whatever it is named.
func invitation(org testenv.Org, email string) (*orgsv1alpha1.Invitation, error) {
	for _, inv := range invitations(org) {
		if strings.EqualFold(inv.Spec.Email, email) {
			return &inv, nil
		}
	}
	return nil, fmt.Errorf("no invitation for %s in %s", email, org.Home)
}

func invitations(org testenv.Org) []orgsv1alpha1.Invitation {
	GinkgoHelper()
	var list orgsv1alpha1.InvitationList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(org.Home))).To(Succeed())
	return list.Items
}

// kubeconfigFor writes a kubeconfig of user's own (a client certificate)
// and returns its path.
func kubeconfigFor(user string) string {
	GinkgoHelper()
	kubeconfigsMu.Lock()
	defer kubeconfigsMu.Unlock()
	if path, ok := kubeconfigs[user]; ok {
		return path
	}
	cfg, err := env.UserConfig(user)
	Expect(err).NotTo(HaveOccurred())
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, CertificateAuthority: cfg.CAFile}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		ClientCertificate: cfg.CertFile, ClientKey: cfg.KeyFile, Token: cfg.BearerToken,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	path := filepath.Join(kubeconfigDir, fmt.Sprintf("kubeconfig-%d", len(kubeconfigs)))
	Expect(clientcmd.WriteToFile(*kc, path)).To(Succeed())
	kubeconfigs[user] = path
	return path
}

var urlPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+/session\?secret=[A-Za-z0-9_-]+(&org=[a-z0-9-]+)?`)

// page is `kubectl roster ui` running as a user, and a browser tab on it.
type page struct {
	tab  context.Context
	out  *testenv.SyncBuffer
	base string
}

// openUI runs `kubectl roster ui --org org` with user's kubeconfig and opens its
// address in a new tab; both stop when the spec ends.
func openUI(user, org string) *page {
	GinkgoHelper()
	out := &testenv.SyncBuffer{}
	o := &cli.Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: GinkgoWriter}}
	runCtx, cancel := context.WithCancel(ctx)
	code := make(chan int, 1)
	args := []string{"--kubeconfig", kubeconfigFor(user), "ui", "--no-browser", "--poll", "300ms"}
	if org != "" {
		args = append(args, "--org", org)
	}
	go func() { code <- o.Run(runCtx, args) }()
	var url string
	Eventually(func(g Gomega) {
		g.Expect(code).NotTo(Receive(), "kubectl roster ui stopped")
		url = urlPattern.FindString(out.String())
		g.Expect(url).NotTo(BeEmpty(), "kubectl roster ui printed no address")
	}).Should(Succeed())
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

// text is the text of the element sel selects, once it is there. The
// page redraws its table on every poll: a node found just before a redraw
// is gone when its text is read, so that read is tried again.
func (p *page) text(sel string) string {
	GinkgoHelper()
	var s string
	var err error
	for range 5 {
		s, err = chromedp.Run(p.tab, chromedp.Text(chromedp.CSS(sel)))
		if err == nil || !strings.Contains(err.Error(), "No node with given id") {
			break
		}
	}
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

// screenshot writes the page to docs/images/name.png (quality 100 is PNG).
func (p *page) screenshot(name string) {
	GinkgoHelper()
	png, err := chromedp.Run(p.tab, chromedp.FullScreenshot(100))
	Expect(err).NotTo(HaveOccurred())
	dir := filepath.Join("..", "..", "docs", "images")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)).To(Succeed())
}

// choose picks an action from name's row menu (data-action key), opening
// the menu first as a person would.
func (p *page) choose(name, key string) {
	GinkgoHelper()
	p.pick(row(name), key)
}

// pick opens the menu of the row sel selects and clicks its item key. A
// poll may redraw the row between finding its menu button and clicking it
// (once the menu is open the page does not redraw), so that is tried again.
func (p *page) pick(sel, key string) {
	GinkgoHelper()
	var err error
	for range 5 {
		err = chromedp.Do(p.tab, chromedp.Click(chromedp.CSS(sel+` .menu-btn`)),
			chromedp.WaitVisible(chromedp.CSS(sel+` [data-action="`+key+`"]`)),
			chromedp.Click(chromedp.CSS(sel+` [data-action="`+key+`"]`)))
		if err == nil || !strings.Contains(err.Error(), "given id") {
			break
		}
	}
	Expect(err).NotTo(HaveOccurred())
}

// selectOption sets a <select> and fires its change event, as picking an
// option does.
func (p *page) selectOption(sel, value string) {
	GinkgoHelper()
	eval[bool](p, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`, sel, value, value))
}

// options are the values a <select> offers.
func (p *page) options(sel string) []string {
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(o => !o.disabled).map(o => o.value)`, sel+" option"))
}

// visible says whether the element is shown.
func (p *page) visible(sel string) bool {
	return eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.hidden && e.getClientRects().length > 0; })()`, sel))
}
