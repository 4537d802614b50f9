// Package apiserver starts a package's plain API server for its tests:
// envtest's etcd and kube-apiserver with Roster's CRDs, nothing else. It
// imports none of Roster's controllers, so the tests inside any package
// (internal/access's among them) may use it without an import cycle.
package apiserver

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/internal/localcluster"
)

// Scheme holds client-go's built-in types and Roster's.
var Scheme = k8sruntime.NewScheme()

func init() {
	if err := clientgoscheme.AddToScheme(Scheme); err != nil {
		panic(err)
	}
	if err := orgsv1alpha1.AddToScheme(Scheme); err != nil {
		panic(err)
	}
}

// Server is a package's plain API server (envtest: etcd and
// kube-apiserver, no kube-controller-manager, no webhooks, no manager)
// with Roster's CRDs installed, started by the first test that asks for
// it (Config) and stopped by Main. A package declares one and runs its
// tests with it:
//
//	var apiServer apiserver.Server
//
//	func TestMain(m *testing.M) { os.Exit(apiServer.Main(m)) }
type Server struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	err  error
	skip string
}

// Config returns the admin config of the API server, starting it on
// first use. It fails t when the binaries are missing and skips it only
// when ROSTER_SKIP_ENVTEST asks to (localcluster.TestAssetsDir).
func (s *Server) Config(t testing.TB) *rest.Config {
	t.Helper()
	s.once.Do(s.start)
	if s.skip != "" {
		t.Skip(s.skip)
	}
	if s.err != nil {
		t.Fatalf("starting the API server: %v", s.err)
	}
	return s.cfg
}

// Client is a direct (uncached) client of the API server as its admin,
// with Scheme.
func (s *Server) Client(t testing.TB) client.WithWatch {
	t.Helper()
	c, err := client.NewWithWatch(s.Config(t), client.Options{Scheme: Scheme})
	if err != nil {
		t.Fatalf("creating a client: %v", err)
	}
	return c
}

// User is a direct client acting as user in groups, authenticated by a
// client certificate, with Scheme.
func (s *Server) User(t testing.TB, user string, groups ...string) client.WithWatch {
	t.Helper()
	s.Config(t)
	u, err := s.env.AddUser(envtest.User{Name: user, Groups: groups}, nil)
	if err != nil {
		t.Fatalf("adding user %q: %v", user, err)
	}
	c, err := client.NewWithWatch(u.Config(), client.Options{Scheme: Scheme})
	if err != nil {
		t.Fatalf("creating a client: %v", err)
	}
	return c
}

func (s *Server) start() {
	dir, err := localcluster.TestAssetsDir()
	if errors.Is(err, localcluster.ErrSkipEnvtest) {
		s.skip = err.Error()
		return
	}
	if err != nil {
		s.err = err
		return
	}
	crds, err := config.CRDs()
	if err != nil {
		s.err = fmt.Errorf("loading CRDs: %w", err)
		return
	}
	s.env = &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDInstallOptions:     envtest.CRDInstallOptions{CRDs: crds},
		ErrorIfCRDPathMissing: true,
	}
	s.cfg, s.err = s.env.Start()
}

// Stop stops the API server if it was started.
func (s *Server) Stop() error {
	if s.env == nil {
		return nil
	}
	return s.env.Stop()
}

// Main runs the package's tests (m.Run), stops the API server and returns
// the exit code, for TestMain to pass to os.Exit.
func (s *Server) Main(m *testing.M) int {
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the API server: %v\n", err)
	}
	return code
}
