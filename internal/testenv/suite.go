package testenv

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2" //nolint:revive,staticcheck // the Ginkgo DSL, as in every suite
	. "github.com/onsi/gomega"    //nolint:revive,staticcheck // the Gomega DSL, as in every suite
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// SuiteOptions says what a Ginkgo suite runs against (Options: webhooks,
// controllers, invitations) and how it logs and waits.
type SuiteOptions struct {
	Options
	// NoControlPlane starts nothing: Suite only sets up logging and the
	// Eventually defaults, for a suite whose specs start their own control
	// planes (RequireAssets finds the binaries). Suite returns nil.
	NoControlPlane bool
	// Log also receives everything logged (a SyncBuffer that a spec
	// searches later, for the log notifier's links or to prove that no
	// token leaks). GinkgoWriter always does.
	Log io.Writer
	// LogSink, when set, wraps the log sink (to capture structured log
	// lines as they are written).
	LogSink func(logr.LogSink) logr.LogSink
	// EventuallyTimeout and EventuallyPolling are gomega's defaults for
	// Eventually; zero is 30s and 50ms.
	EventuallyTimeout, EventuallyPolling time.Duration
}

// Suite is a Ginkgo suite's BeforeSuite: it sets the controller-runtime
// logger (development zap into GinkgoWriter and Log) and the Eventually
// defaults, starts the Env (Start), skipping the suite when ErrNoAssets
// says to (ROSTER_SKIP_ENVTEST=1, what `make test-unit` sets), and has
// Ginkgo stop it after the suite's AfterSuite, if it has one
// (DeferCleanup), so that AfterSuite still reaches it. A suite's set-up
// is (as HNC's `var _ = BeforeSuite(HNCBeforeSuite)`)
//
//	var _ = BeforeSuite(func() {
//		env = testenv.Suite(testenv.SuiteOptions{Options: testenv.Options{Webhooks: true, Controllers: true}})
//	})
//
// followed by whatever else that suite needs (its world, its files).
// Call it only from BeforeSuite.
func Suite(o SuiteOptions) *Env {
	GinkgoHelper()
	setUpSuite(o)
	if o.NoControlPlane {
		return nil
	}
	env, err := Start(context.Background(), o.Options)
	if errors.Is(err, ErrNoAssets) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })
	return env
}

func setUpSuite(o SuiteOptions) {
	var w io.Writer = GinkgoWriter
	if o.Log != nil {
		w = io.MultiWriter(GinkgoWriter, o.Log)
	}
	sink := zap.New(zap.WriteTo(w), zap.UseDevMode(true)).GetSink()
	if o.LogSink != nil {
		sink = o.LogSink(sink)
	}
	ctrl.SetLogger(logr.New(sink))
	timeout, polling := o.EventuallyTimeout, o.EventuallyPolling
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	if polling == 0 {
		polling = 50 * time.Millisecond
	}
	SetDefaultEventuallyTimeout(timeout)
	SetDefaultEventuallyPollingInterval(polling)
}

// RequireAssets returns the control-plane binaries' directory for a spec
// that starts its own control plane (localcluster.TestAssetsDir): it
// fails the spec when they are missing and skips it only when
// ROSTER_SKIP_ENVTEST asks to.
func RequireAssets() string {
	GinkgoHelper()
	dir, err := AssetsDir()
	if errors.Is(err, ErrNoAssets) {
		Skip(err.Error())
	}
	Expect(err).NotTo(HaveOccurred())
	return dir
}
