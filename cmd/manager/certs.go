package main

import (
	"flag"
	"fmt"

	"github.com/roster-dev/roster/internal/certs"
)

// certFlags choose who provides the webhook serving certificate.
type certFlags struct {
	mode                string
	secret              string
	service             string
	validatingWebhook   string
	mutatingWebhookName string
}

func (c *certFlags) bind(fs *flag.FlagSet) {
	c.mode = certs.ModeExternal
	fs.Func("webhook-cert-mode", `Who provides the webhook serving certificate: "external" (default: tls.crt and tls.key in --webhook-cert-dir, e.g. from cert-manager) or "self-managed" (Roster creates and rotates it in --webhook-cert-secret and injects its CA into the webhook configurations).`,
		func(v string) error {
			if v != certs.ModeExternal && v != certs.ModeSelfManaged {
				return fmt.Errorf("must be %q or %q", certs.ModeExternal, certs.ModeSelfManaged)
			}
			c.mode = v
			return nil
		})
	fs.StringVar(&c.secret, "webhook-cert-secret", certs.DefaultSecretName, "Self-managed certificates: the Secret, in the manager's namespace, that holds them (mounted at --webhook-cert-dir).")
	fs.StringVar(&c.service, "webhook-service", certs.DefaultServiceName, "Self-managed certificates: the webhook Service, in the manager's namespace, the certificate is for.")
	fs.StringVar(&c.validatingWebhook, "validating-webhook-configuration", certs.DefaultValidatingWebhookConfiguration, "Self-managed certificates: the ValidatingWebhookConfiguration that gets the CA.")
	fs.StringVar(&c.mutatingWebhookName, "mutating-webhook-configuration", certs.DefaultMutatingWebhookConfiguration, "Self-managed certificates: the MutatingWebhookConfiguration that gets the CA.")
}

// rotation is the manager's certificate rotation, or nil when the
// certificate is external. Local mode always brings its own certificate.
func (c *certFlags) rotation(namespace, certDir string, local bool) *certs.Options {
	if c.mode != certs.ModeSelfManaged || local {
		return nil
	}
	return &certs.Options{
		Namespace:                      namespace,
		SecretName:                     c.secret,
		ServiceName:                    c.service,
		ValidatingWebhookConfiguration: c.validatingWebhook,
		MutatingWebhookConfiguration:   c.mutatingWebhookName,
		CertDir:                        certDir,
	}
}
