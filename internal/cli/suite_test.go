package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
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

// The plugin suite runs kubectl roster's commands in-process, each with a
// kubeconfig file for a real user of a real API server with Roster's
// webhooks and controllers, and checks what they print and what changed.

var (
	env           *testenv.Env
	ctx           = context.Background()
	kubeconfigDir string
	// inviteBase is the accept server's base URL; links holds the links
	// the log notifier delivered, by organization and e-mail, oldest first.
	inviteBase string
	links      = &deliveredLinks{byKey: map[string][]string{}}
)

func TestPlugin(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kubectl roster Suite")
}

// The manager runs the webhooks, the controllers, and the Invitation
// controller and accept server with the log notifier, whose "invitation
// link" lines linkSink captures: what an invitee would get by e-mail.
var _ = BeforeSuite(func() {
	acceptAddr, err := testenv.FreeAddress()
	Expect(err).NotTo(HaveOccurred())
	inviteBase = "http://" + acceptAddr
	env = testenv.Suite(testenv.SuiteOptions{
		Options: testenv.Options{Webhooks: true, Controllers: true, Invitations: &manager.InvitationOptions{
			Notifier: notify.NotifierConfig{Kind: notify.NotifierLog},
			Accept:   acceptserver.ServerOptions{BindAddress: acceptAddr},
		}},
		LogSink: func(sink logr.LogSink) logr.LogSink { return linkSink{LogSink: sink, links: links} },
	})
	kubeconfigDir = GinkgoT().TempDir()
	Eventually(func() error {
		resp, err := http.Get(inviteBase + "/healthz") //nolint:noctx // a test's readiness poll
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}).Should(Succeed())
})

// linkSink is a log sink that passes everything on and keeps the links
// of the log notifier's "invitation link" lines.
type linkSink struct {
	logr.LogSink
	links *deliveredLinks
}

func (s linkSink) Info(level int, msg string, kv ...any) {
	if msg == "invitation link" {
		var org, email, url string
		for i := 0; i+1 < len(kv); i += 2 {
			switch kv[i] {
			case "organization":
				org, _ = kv[i+1].(string)
			case "email":
				email, _ = kv[i+1].(string)
			case "url":
				url, _ = kv[i+1].(string)
			}
		}
		s.links.add(org+"/"+strings.ToLower(email), url)
	}
	s.LogSink.Info(level, msg, kv...)
}

func (s linkSink) WithValues(kv ...any) logr.LogSink {
	return linkSink{LogSink: s.LogSink.WithValues(kv...), links: s.links}
}

func (s linkSink) WithName(name string) logr.LogSink {
	return linkSink{LogSink: s.LogSink.WithName(name), links: s.links}
}

type deliveredLinks struct {
	mu    sync.Mutex
	byKey map[string][]string
}

func (d *deliveredLinks) add(email, url string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byKey[email] = append(d.byKey[email], url)
}

// of returns the links delivered to email for an invitation to org so
// far, oldest first.
func (d *deliveredLinks) of(org, email string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.byKey[org+"/"+strings.ToLower(email)]...)
}

// The people of every test organization, by role.
const (
	admin           = "" // the cluster admin (system:masters)
	owner           = "alice@example.com"
	admin2          = "bob@example.com"
	contributor     = "carol@example.com"
	viewer          = "dave@example.com"
	viewerNoSecrets = "erin@example.com"
	outsider        = "mallory@example.com"
)

var (
	kubeconfigsMu sync.Mutex
	kubeconfigs   = map[string]string{}
)

// kubeconfigFor writes (once) a kubeconfig file for user with namespace
// as its context's namespace, and returns its path. The empty user is the
// cluster admin.
func kubeconfigFor(user, namespace string) string {
	GinkgoHelper()
	kubeconfigsMu.Lock()
	defer kubeconfigsMu.Unlock()
	key := user + "|" + namespace
	if path, ok := kubeconfigs[key]; ok {
		return path
	}
	var kc *clientcmdapi.Config
	if user == admin {
		raw, err := env.Cluster.Kubeconfig()
		Expect(err).NotTo(HaveOccurred())
		kc, err = clientcmd.Load(raw)
		Expect(err).NotTo(HaveOccurred())
	} else {
		cfg, err := env.UserConfig(user)
		Expect(err).NotTo(HaveOccurred())
		kc = kubeconfigOf(cfg)
	}
	if namespace != "" {
		kc.Contexts[kc.CurrentContext].Namespace = namespace
	}
	path := filepath.Join(kubeconfigDir, fmt.Sprintf("kubeconfig-%d", len(kubeconfigs)))
	Expect(clientcmd.WriteToFile(*kc, path)).To(Succeed())
	kubeconfigs[key] = path
	return path
}

func kubeconfigOf(cfg *rest.Config) *clientcmdapi.Config {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, CertificateAuthority: cfg.CAFile}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData,
		ClientCertificate: cfg.CertFile, ClientKey: cfg.KeyFile, Token: cfg.BearerToken,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	return kc
}

// result is what one run of the plugin printed and its exit code.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.out, r.err)
}

// run runs kubectl roster as user with args; stdin is what a person
// would type.
func run(user, stdin string, args ...string) result {
	GinkgoHelper()
	return runIn(user, "", stdin, args...)
}

// runIn runs kubectl roster as user whose kubeconfig context has
// namespace.
func runIn(user, namespace, stdin string, args ...string) result {
	GinkgoHelper()
	r := runWith(kubeconfigFor(user, namespace), stdin, args...)
	GinkgoWriter.Printf("(as %q)\n", user)
	return r
}

// runWith runs kubectl roster with the kubeconfig file at path.
func runWith(path, stdin string, args ...string) result {
	GinkgoHelper()
	var out, errOut bytes.Buffer
	o := &cli.Options{IOStreams: genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}}
	code := o.Run(ctx, append([]string{"--kubeconfig", path}, args...))
	r := result{out: out.String(), err: errOut.String(), code: code}
	GinkgoWriter.Printf("$ kubectl roster %s\n%s\n", strings.Join(args, " "), r)
	return r
}

// testOrg is an organization with one Member per role, made by a cluster
// admin, with its RBAC applied by the controller.
type testOrg struct {
	name, home string
}

// newOrg creates an organization whose only owner is alice, with bob,
// carol, dave and erin as Admin, Contributor, Viewer and ViewerNoSecrets
// (testenv.Team), and waits until its RBAC is applied and in effect for
// each of them.
func newOrg() testOrg {
	GinkgoHelper()
	name := testenv.UniqueName("cli")
	o := env.NewOrg(ctx, &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       orgsv1alpha1.OrganizationSpec{DisplayName: "Org " + name},
	}, testenv.Team...)
	return testOrg{name: o.Name, home: o.Home}
}

func (o testOrg) addMember(name, user string, role orgsv1alpha1.Role) {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, testenv.NewMember(o.home, name, user, role))).To(Succeed())
}

// waitReady waits until the organization is Ready with n Members counted,
// so its RBAC is in place.
func (o testOrg) waitReady(n int) {
	GinkgoHelper()
	env.WaitReady(ctx, o.name, n)
}

// waitRole waits until the API server's authorizer gives user role in
// the organization: Ready says the RBAC is written, and the authorizer
// sees it a moment later.
func (o testOrg) waitRole(user string, role orgsv1alpha1.Role) {
	GinkgoHelper()
	Eventually(func() error { return env.RoleInEffect(ctx, user, o.name, o.home, role) }).Should(Succeed())
}

// addGroupMember makes every member of group a member with role.
func (o testOrg) addGroupMember(name, group string, role orgsv1alpha1.Role) {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name},
		Spec:       orgsv1alpha1.MemberSpec{Group: group, Role: role},
	})).To(Succeed())
}

func (o testOrg) member(name string) (*orgsv1alpha1.Member, error) {
	m := &orgsv1alpha1.Member{}
	err := env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, m)
	return m, err
}

func (o testOrg) invitation(email string) (*orgsv1alpha1.Invitation, error) {
	inv := &orgsv1alpha1.Invitation{}
	err := env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: cli.InvitationName(email, 0)}, inv)
	return inv, err
}

func (o testOrg) invitations() []orgsv1alpha1.Invitation {
	GinkgoHelper()
	var list orgsv1alpha1.InvitationList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(o.home))).To(Succeed())
	return list.Items
}
