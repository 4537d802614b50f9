package invitation_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/notify/notifytest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/notify"
	"github.com/roster-dev/roster/internal/testenv"
)

// The invitations suite runs the whole flow for real: the local control
// plane with Roster's webhooks and Organization controller (testenv), the
// Invitation controller and accept server as the manager's own identity,
// delivering through a real SMTP server in this process (STARTTLS, AUTH
// with credentials from the notifier Secret, read through the Role in
// config/rbac), and invitees who accept over HTTP and in Chromium.

const (
	smtpUser     = "roster-mailer"
	smtpPassword = "correct horse battery staple"
)

var (
	env     *testenv.Env
	ctx     = context.Background()
	smtpSrv *notifytest.SMTP
	// logs holds everything the manager logged, to prove no token leaks.
	logs = &testenv.SyncBuffer{}
)

func TestInvitations(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Invitations Suite")
}

var _ = BeforeSuite(func() {
	var err error
	smtpSrv, err = notifytest.StartSMTP(smtpUser, smtpPassword)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(smtpSrv.Close) // after the manager stops (cleanups run last in, first out)

	// One manager, as cmd/manager builds it, as the manager's own
	// identity: the webhooks, the Organization controller, and the
	// Invitation controller and accept server with the SMTP notifier.
	env = testenv.Suite(testenv.SuiteOptions{
		Options: testenv.Options{Webhooks: true, Controllers: true, Invitations: &manager.InvitationOptions{
			Notifier: notify.NotifierConfig{
				Kind: notify.NotifierSMTP, SecretNamespace: testenv.ManagerNamespace, SecretName: "roster-notifier",
				SMTP: notify.SMTPConfig{
					Host: smtpSrv.Host, Port: smtpSrv.Port, From: "Roster <roster@example.com>", TLS: notify.SMTPStartTLS,
					TLSConfig: &tls.Config{RootCAs: smtpSrv.CertPool, MinVersion: tls.VersionTLS12}, Timeout: 10 * time.Second,
				},
			},
			Accept: acceptserver.ServerOptions{
				BindAddress: "127.0.0.1:0",
				// Every request of the suite comes from 127.0.0.1.
				ClientLimit:     acceptserver.Limit{Every: time.Millisecond, Burst: 10000},
				InvitationLimit: acceptserver.DefaultInvitationLimit,
			},
			RetryBase: 300 * time.Millisecond,
			RetryMax:  2 * time.Second,
		}},
		Log: logs,
	})
	// The notifier reads its Secret when it sends, not at start.
	installNotifierSecret()

	startExpiryClock()
})

// installNotifierSecret creates the manager's namespace, the SMTP
// credentials Secret, and the Role and RoleBinding of
// config/rbac/notifier_secret_role.yaml as kustomize would render them
// (namespace roster-system, names prefixed roster-).
func installNotifierSecret() {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testenv.ManagerNamespace}}
	if err := env.Admin.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(env.Admin.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: testenv.ManagerNamespace, Name: "roster-notifier"},
		Data:       map[string][]byte{notify.SecretUsernameKey: []byte(smtpUser), notify.SecretPasswordKey: []byte(smtpPassword)},
	})).To(Succeed())
	data, err := os.ReadFile("../../config/rbac/notifier_secret_role.yaml")
	Expect(err).NotTo(HaveOccurred())
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		Expect(err).NotTo(HaveOccurred())
		var meta struct{ Kind string }
		Expect(yaml.Unmarshal(doc, &meta)).To(Succeed())
		switch meta.Kind {
		case "Role":
			role := &rbacv1.Role{}
			Expect(yaml.UnmarshalStrict(doc, role)).To(Succeed())
			role.Namespace, role.Name = testenv.ManagerNamespace, "roster-"+role.Name
			Expect(env.Admin.Create(ctx, role)).To(Succeed())
		case "RoleBinding":
			rb := &rbacv1.RoleBinding{}
			Expect(yaml.UnmarshalStrict(doc, rb)).To(Succeed())
			rb.Namespace, rb.Name, rb.RoleRef.Name = testenv.ManagerNamespace, "roster-"+rb.Name, "roster-"+rb.RoleRef.Name
			for i := range rb.Subjects {
				rb.Subjects[i].Namespace = testenv.ManagerNamespace
				rb.Subjects[i].Name = strings.TrimPrefix(testenv.ManagerUser, "system:serviceaccount:"+testenv.ManagerNamespace+":")
			}
			Expect(env.Admin.Create(ctx, rb)).To(Succeed())
		}
	}
}
