// Package config embeds the generated manifests (CRDs, RBAC, the policy on
// the manager's own RBAC writes, webhook configurations), so local mode and the test suites install exactly what
// a real deployment installs, from one binary, wherever it runs.
package config

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

//go:embed crd/bases/*.yaml
var crdFiles embed.FS

//go:embed rbac/*.yaml
var rbacFiles embed.FS

//go:embed webhook/manifests.yaml
var webhookFiles embed.FS

// CRDs returns the CustomResourceDefinitions from config/crd/bases.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	err := eachDocument(crdFiles, "crd/bases", func(name string, doc []byte) error {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(doc, crd); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		crds = append(crds, crd)
		return nil
	})
	return crds, err
}

// ClusterRoles returns the ClusterRoles from config/rbac: the manager's
// generated role and the roles Roster ships (roster-gitops, roster-viewer).
// Namespaced objects and bindings depend on where Roster is deployed and are
// left to kustomize.
func ClusterRoles() ([]*rbacv1.ClusterRole, error) {
	var roles []*rbacv1.ClusterRole
	err := eachDocument(rbacFiles, "rbac", func(name string, doc []byte) error {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if meta.Kind != "ClusterRole" {
			return nil
		}
		role := &rbacv1.ClusterRole{}
		if err := yaml.UnmarshalStrict(doc, role); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		roles = append(roles, role)
		return nil
	})
	return roles, err
}

// ManagerRBACPolicy returns the ValidatingAdmissionPolicy and its binding
// from config/rbac/manager_rbac_policy.yaml, which limit the RBAC the
// manager's service account (system:serviceaccount:roster-system:roster-controller-manager)
// may write to the shapes access.Render makes.
func ManagerRBACPolicy() (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding, error) {
	var (
		policy  *admissionregistrationv1.ValidatingAdmissionPolicy
		binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	)
	err := eachDocument(rbacFiles, "rbac", func(name string, doc []byte) error {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch meta.Kind {
		case "ValidatingAdmissionPolicy":
			policy = &admissionregistrationv1.ValidatingAdmissionPolicy{}
			if err := yaml.UnmarshalStrict(doc, policy); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case "ValidatingAdmissionPolicyBinding":
			binding = &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
			if err := yaml.UnmarshalStrict(doc, binding); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	})
	if err == nil && (policy == nil || binding == nil) {
		err = errors.New("config/rbac has no ValidatingAdmissionPolicy and binding for the manager")
	}
	return policy, binding, err
}

// ClusterObjects returns the cluster-wide RBAC local mode and the test
// suites install: ClusterRoles() and ManagerRBACPolicy().
func ClusterObjects() ([]client.Object, error) {
	roles, err := ClusterRoles()
	if err != nil {
		return nil, err
	}
	policy, binding, err := ManagerRBACPolicy()
	if err != nil {
		return nil, err
	}
	objs := make([]client.Object, 0, len(roles)+2)
	for _, role := range roles {
		objs = append(objs, role)
	}
	return append(objs, policy, binding), nil
}

// Webhooks returns the admission webhook configurations from config/webhook.
func Webhooks() ([]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	var (
		mutating   []*admissionregistrationv1.MutatingWebhookConfiguration
		validating []*admissionregistrationv1.ValidatingWebhookConfiguration
	)
	err := eachDocument(webhookFiles, "webhook", func(name string, doc []byte) error {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			m := &admissionregistrationv1.MutatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, m); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			mutating = append(mutating, m)
		case "ValidatingWebhookConfiguration":
			v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			validating = append(validating, v)
		}
		return nil
	})
	return mutating, validating, err
}

// eachDocument calls fn for every non-empty YAML document of every .yaml
// file directly in dir.
func eachDocument(fsys fs.FS, dir string, fn func(name string, doc []byte) error) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		if entry.IsDir() || path.Ext(entry.Name()) != ".yaml" {
			continue
		}
		name := path.Join(dir, entry.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
				continue
			}
			if err := fn(name, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

func isOnlyComments(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' && !bytes.Equal(line, []byte("---")) {
			return false
		}
	}
	return true
}
