package certs

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

func valid() Options {
	return Options{
		Namespace: "roster-system", SecretName: DefaultSecretName, ServiceName: DefaultServiceName,
		ValidatingWebhookConfiguration: DefaultValidatingWebhookConfiguration,
		MutatingWebhookConfiguration:   DefaultMutatingWebhookConfiguration,
	}
}

func TestValidate(t *testing.T) {
	g := NewWithT(t)
	g.Expect(valid().Validate()).To(Succeed())
	for name, mutate := range map[string]func(*Options){
		"no namespace":      func(o *Options) { o.Namespace = "" },
		"no secret":         func(o *Options) { o.SecretName = "" },
		"no service":        func(o *Options) { o.ServiceName = "" },
		"no configurations": func(o *Options) { o.ValidatingWebhookConfiguration, o.MutatingWebhookConfiguration = "", "" },
	} {
		o := valid()
		mutate(&o)
		g.Expect(o.Validate()).To(HaveOccurred(), name)
		_, err := NewRotation(o)
		g.Expect(err).To(HaveOccurred(), name)
	}
}

func TestDNSNamesAndCertDir(t *testing.T) {
	g := NewWithT(t)
	g.Expect(valid().DNSNames()).To(Equal([]string{
		"roster-webhook-service.roster-system.svc", "roster-webhook-service.roster-system.svc.cluster.local",
	}))
	g.Expect(CertDir("/certs")).To(Equal("/certs"))
	g.Expect(CertDir("")).To(HaveSuffix(filepath.Join("k8s-webhook-server", "serving-certs")), "controller-runtime's default")
	r, err := NewRotation(valid())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.opts.CertDir).To(Equal(CertDir("")))
}

// fakeServer records whether it was started.
type fakeServer struct{ started atomic.Bool }

func (*fakeServer) NeedLeaderElection() bool      { return false }
func (*fakeServer) Register(string, http.Handler) {}
func (*fakeServer) WebhookMux() *http.ServeMux    { return http.NewServeMux() }
func (s *fakeServer) Start(ctx context.Context) error {
	s.started.Store(true)
	<-ctx.Done()
	return nil
}
func (s *fakeServer) StartedChecker() healthz.Checker {
	return func(*http.Request) error {
		if !s.started.Load() {
			return http.ErrServerClosed
		}
		return nil
	}
}

var _ webhook.Server = &fakeServer{}

func TestTheWebhookServerWaitsForTheCertificate(t *testing.T) {
	g := NewWithT(t)
	r, err := NewRotation(valid())
	g.Expect(err).NotTo(HaveOccurred())
	inner := &fakeServer{}
	server := r.Server(inner)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.Start(ctx) }()
	g.Consistently(inner.started.Load).WithTimeout(200*time.Millisecond).Should(BeFalse(), "serves before the certificate is in place")
	g.Expect(server.StartedChecker()(nil)).To(HaveOccurred(), "not ready before the certificate is in place")

	close(r.ready)
	g.Eventually(inner.started.Load).Should(BeTrue())
	g.Expect(server.StartedChecker()(nil)).To(Succeed())
	cancel()
	g.Eventually(done).Should(Receive(BeNil()))
}

func TestTheWebhookServerStopsWithoutACertificate(t *testing.T) {
	g := NewWithT(t)
	r, err := NewRotation(valid())
	g.Expect(err).NotTo(HaveOccurred())
	inner := &fakeServer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Server(inner).Start(ctx) }()
	cancel()
	g.Eventually(done).Should(Receive(BeNil()))
	g.Expect(inner.started.Load()).To(BeFalse())
}
