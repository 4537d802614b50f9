// Package certs provides the admission webhooks' serving certificate when
// Roster manages it itself (--webhook-cert-mode=self-managed), for clusters
// without cert-manager: github.com/open-policy-agent/cert-controller keeps a
// CA and a serving certificate in a Secret of the manager's namespace, renews
// them before they expire, and writes the CA into Roster's webhook
// configurations. The kubelet projects the Secret into the pod, and the
// webhook server starts serving only once the files are there and the CA is
// injected, so a replica is not Ready before it can answer admission.
//
// In external mode (the default) the certificate is someone else's business:
// cert-manager (config/overlays/cert-manager), envtest, or local mode.
package certs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Certificate modes (the manager's --webhook-cert-mode).
const (
	// ModeExternal reads tls.crt and tls.key from the webhook certificate
	// directory, written by cert-manager or anyone else.
	ModeExternal = "external"
	// ModeSelfManaged creates and rotates the certificate in-process.
	ModeSelfManaged = "self-managed"
)

// Defaults are the names config/default gives the objects rotation touches.
const (
	DefaultSecretName                     = "roster-webhook-server-cert" //nolint:gosec // a Secret's name, not a credential
	DefaultServiceName                    = "roster-webhook-service"
	DefaultValidatingWebhookConfiguration = "roster-validating-webhook-configuration"
	DefaultMutatingWebhookConfiguration   = "roster-mutating-webhook-configuration"
)

// FieldOwner is the field manager of the caBundle writes.
const FieldOwner = "roster-cert-rotation"

// Options names what self-managed rotation works on.
type Options struct {
	// Namespace holds the Secret and the webhook Service: the manager's own.
	Namespace string
	// SecretName is the Secret that holds the CA and the serving certificate.
	SecretName string
	// ServiceName is the webhook Service; the certificate is for
	// <service>.<namespace>.svc (and .svc.cluster.local).
	ServiceName string
	// ValidatingWebhookConfiguration and MutatingWebhookConfiguration get
	// the CA in their caBundle.
	ValidatingWebhookConfiguration string
	MutatingWebhookConfiguration   string
	// CertDir is where the kubelet projects the Secret, the webhook
	// server's certificate directory.
	CertDir string
	// ControllerName names the rotation controller (default cert-rotator);
	// controller names are unique per process, so tests that run several
	// managers give each its own.
	ControllerName string
}

// CertDir is the webhook server's certificate directory: dir, or
// controller-runtime's default when dir is empty.
func CertDir(dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
}

// Validate says what is missing.
func (o Options) Validate() error {
	switch {
	case o.Namespace == "":
		return fmt.Errorf("self-managed webhook certificates need the manager's namespace (--manager-namespace or POD_NAMESPACE)")
	case o.SecretName == "", o.ServiceName == "":
		return fmt.Errorf("self-managed webhook certificates need the Secret and Service names")
	case o.ValidatingWebhookConfiguration == "" && o.MutatingWebhookConfiguration == "":
		return fmt.Errorf("self-managed webhook certificates need the webhook configurations' names")
	}
	return nil
}

// DNSNames are the names the serving certificate is for.
func (o Options) DNSNames() []string {
	svc := o.ServiceName + "." + o.Namespace + ".svc"
	return []string{svc, svc + ".cluster.local"}
}

// Rotation is self-managed rotation wired into a manager: build the webhook
// server with Server before the manager, then Add the rotator to it.
type Rotation struct {
	opts  Options
	ready chan struct{}
}

// NewRotation prepares rotation with o.
func NewRotation(o Options) (*Rotation, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.CertDir = CertDir(o.CertDir)
	return &Rotation{opts: o, ready: make(chan struct{})}, nil
}

// Server wraps the webhook server so that it starts serving only once the
// certificate is mounted and its CA injected. Until then its readiness
// check fails, so the replica receives no admission traffic.
func (r *Rotation) Server(s webhook.Server) webhook.Server {
	return &gatedServer{Server: s, ready: r.ready}
}

// Ready is closed once the certificate is in place.
func (r *Rotation) Ready() <-chan struct{} { return r.ready }

// Add registers the rotator with the manager. It runs on every replica, not
// only the leader: each must have its certificate to serve, and concurrent
// writes of the Secret are settled by optimistic concurrency.
func (r *Rotation) Add(mgr ctrl.Manager) error {
	var webhooks []rotator.WebhookInfo
	if r.opts.ValidatingWebhookConfiguration != "" {
		webhooks = append(webhooks, rotator.WebhookInfo{Name: r.opts.ValidatingWebhookConfiguration, Type: rotator.Validating})
	}
	if r.opts.MutatingWebhookConfiguration != "" {
		webhooks = append(webhooks, rotator.WebhookInfo{Name: r.opts.MutatingWebhookConfiguration, Type: rotator.Mutating})
	}
	names := r.opts.DNSNames()
	err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:             types.NamespacedName{Namespace: r.opts.Namespace, Name: r.opts.SecretName},
		CertDir:               r.opts.CertDir,
		CAName:                "roster-webhook-ca",
		CAOrganization:        "roster",
		DNSName:               names[0],
		ExtraDNSNames:         names[1:],
		IsReady:               r.ready,
		Webhooks:              webhooks,
		FieldOwner:            FieldOwner,
		RequireLeaderElection: false,
		EnableReadinessCheck:  true,
		ControllerName:        r.opts.ControllerName,
	})
	if err != nil {
		return fmt.Errorf("adding the webhook certificate rotator: %w", err)
	}
	return nil
}

// gatedServer starts the wrapped webhook server once ready is closed.
type gatedServer struct {
	webhook.Server
	ready <-chan struct{}
}

func (s *gatedServer) Start(ctx context.Context) error {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil
	}
	ctrl.Log.WithName("certs").Info("webhook certificate in place; starting the webhook server")
	return s.Server.Start(ctx)
}
