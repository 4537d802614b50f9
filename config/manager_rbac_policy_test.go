package config_test

import (
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/testenv"
)

// policyEval runs the manager RBAC policy's CEL (variables, then
// validations) on a write of the manager's, as the API server would, with
// no API server: the subject rules are checked against what access.Render
// makes and against what it never makes. test/security runs the same
// policy in a real API server.
type policyEval struct {
	t      *testing.T
	policy *admissionregistrationv1.ValidatingAdmissionPolicy
	env    *cel.Env
}

func newPolicyEval(t *testing.T) policyEval {
	t.Helper()
	policy, _, err := config.ManagerRBACPolicy()
	if err != nil {
		t.Fatal(err)
	}
	env, err := cel.NewEnv(ext.Strings(),
		cel.Variable("request", cel.DynType), cel.Variable("object", cel.DynType), cel.Variable("oldObject", cel.DynType),
		cel.Variable("namespaceObject", cel.DynType), cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		t.Fatal(err)
	}
	return policyEval{t: t, policy: policy, env: env}
}

func (p policyEval) eval(expr string, vars map[string]any) (ref any, err error) {
	ast, iss := p.env.Compile(expr)
	if iss.Err() != nil {
		p.t.Fatalf("%s: %v", expr, iss.Err())
	}
	prg, err := p.env.Program(ast)
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	out, _, err := prg.Eval(vars)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

// refusals is the message of every validation the manager's write of obj
// (created in a namespace labelled nsLabels) fails.
func (p policyEval) refusals(obj client.Object, resource string, nsLabels map[string]string) []string {
	p.t.Helper()
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		p.t.Fatal(err)
	}
	request := map[string]any{
		"operation": "CREATE", "name": obj.GetName(), "namespace": obj.GetNamespace(),
		"kind":     map[string]any{"kind": obj.GetObjectKind().GroupVersionKind().Kind},
		"resource": map[string]any{"group": rbacv1.GroupName, "resource": resource},
		"userInfo": map[string]any{"username": testenv.ManagerUser},
	}
	var namespaceObject any = types.NullValue
	if obj.GetNamespace() != "" {
		namespaceObject = map[string]any{"metadata": map[string]any{"name": obj.GetNamespace(), "labels": nsLabels}}
	}
	variables := map[string]any{}
	vars := map[string]any{"request": request, "object": content, "oldObject": types.NullValue, "namespaceObject": namespaceObject, "variables": variables}
	for _, v := range p.policy.Spec.Variables {
		if value, err := p.eval(v.Expression, vars); err == nil {
			variables[v.Name] = value
		}
	}
	var out []string
	for _, v := range p.policy.Spec.Validations {
		ok, err := p.eval(v.Expression, vars)
		if err == nil && ok == true {
			continue
		}
		msg, merr := p.eval(v.MessageExpression, vars)
		if merr != nil {
			msg = v.Message
		}
		out = append(out, strings.Join(strings.Fields(msg.(string)), " "))
	}
	return out
}

// resourceOf is the API resource of an RBAC object access.Render makes.
func resourceOf(obj client.Object) string {
	switch obj.(type) {
	case *rbacv1.ClusterRole:
		return "clusterroles"
	case *rbacv1.ClusterRoleBinding:
		return "clusterrolebindings"
	case *rbacv1.Role:
		return "roles"
	}
	return "rolebindings"
}

// TestManagerRBACPolicySubjects: what access.Render makes passes (members,
// groups, service-account users, tokens bound in the home namespace and in
// projects); an identity Kubernetes reserves, a ServiceAccount that is no
// token's, or a token ServiceAccount from another namespace does not.
func TestManagerRBACPolicySubjects(t *testing.T) {
	p := newPolicyEval(t)
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "uid-acme"}}
	home, project := org.HomeNamespaceName(), "acme-web"
	homeLabels := map[string]string{orgsv1alpha1.HomeOfLabel: "acme"}
	projectLabels := map[string]string{orgsv1alpha1.OrganizationLabel: "acme"}
	labelsOf := func(ns string) map[string]string {
		if ns == home {
			return homeLabels
		}
		return projectLabels
	}
	s := access.Snapshot{Organization: org, ProjectNamespaces: []string{project},
		Tokens: []access.Token{{Name: "ci", Owner: "alice@example.com", Role: orgsv1alpha1.RoleAdmin}}}
	for i, role := range orgsv1alpha1.Roles {
		s.Subjects = append(s.Subjects,
			access.Subject{Kind: rbacv1.UserKind, Name: string(rune('a'+i)) + "@example.com", Role: role},
			access.Subject{Kind: rbacv1.GroupKind, Name: "acme-" + string(role), Role: role})
	}
	s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: "system:serviceaccount:ci:deployer", Role: orgsv1alpha1.RoleContributor})

	t.Run("what Render makes", func(t *testing.T) {
		g := NewWithT(t)
		objs := access.Render(s)
		g.Expect(objs).To(HaveLen(5 + 3 + 2 + 2 + len(orgsv1alpha1.Roles)))
		for _, obj := range objs {
			g.Expect(p.refusals(obj, resourceOf(obj), labelsOf(obj.GetNamespace()))).To(BeEmpty(), "%T %s/%s", obj, obj.GetNamespace(), obj.GetName())
		}
	})

	binding := func(namespace, name string, subjects ...rbacv1.Subject) client.Object {
		for _, obj := range access.Render(s) {
			rb, ok := obj.(*rbacv1.RoleBinding)
			if ok && rb.Namespace == namespace && rb.Name == name {
				rb.Subjects = append(rb.Subjects, subjects...)
				return rb
			}
		}
		t.Fatalf("Render makes no RoleBinding %s/%s", namespace, name)
		return nil
	}
	crb := func(subjects ...rbacv1.Subject) client.Object {
		for _, obj := range access.Render(s) {
			if b, ok := obj.(*rbacv1.ClusterRoleBinding); ok && b.Name == access.ClusterRoleName("acme", access.TierMember) {
				b.Subjects = append(b.Subjects, subjects...)
				return b
			}
		}
		t.Fatal("Render makes no member ClusterRoleBinding")
		return nil
	}
	user := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	sa := func(namespace, name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
	}
	for _, c := range []struct {
		name string
		obj  client.Object
		says string // "" when allowed
	}{
		{"every client, in a project", binding(project, "roster:viewer", group("system:authenticated")), "not Group system:authenticated"},
		{"anonymous clients, at home", binding(home, access.HomeReadBindingName, group("system:unauthenticated")), "not Group system:unauthenticated"},
		{"the cluster's admins", binding(project, "roster:owner", group("system:masters")), "not Group system:masters"},
		{"a cluster component", binding(project, "roster:contributor", user("system:kube-controller-manager")), "not User system:kube-controller-manager"},
		{"cluster-wide, to the anonymous user", crb(user("system:anonymous")), "not User system:anonymous"},
		{"a ServiceAccount that is no token's", binding(project, "roster:owner", sa(home, "backdoor")), "not ServiceAccount " + home + "/backdoor"},
		{"a token-named ServiceAccount of kube-system", binding(project, "roster:owner", sa("kube-system", "roster-token-x")), "not ServiceAccount kube-system/roster-token-x"},
		{"a token-named ServiceAccount of the manager", crb(sa(testenv.ManagerNamespace, "roster-token-x")), "roster-token-x"},
		{"a token-named ServiceAccount of another namespace, at home", binding(home, access.HomeReadBindingName, sa("org-other", "roster-token-x")), "not ServiceAccount org-other/roster-token-x"},
		{"a token ServiceAccount of the home namespace, at home", binding(home, access.HomeReadBindingName, sa(home, "roster-token-y")), ""},
		{"a token ServiceAccount of the home namespace, in a project", binding(project, "roster:viewer", sa(home, "roster-token-y")), ""},
		{"a user named like a reserved one, in another case", binding(project, "roster:viewer", user("System:admin")), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got := p.refusals(c.obj, resourceOf(c.obj), labelsOf(c.obj.GetNamespace()))
			if c.says == "" {
				g.Expect(got).To(BeEmpty())
				return
			}
			g.Expect(got).To(ConsistOf(SatisfyAll(
				ContainSubstring("subjects may only be Users and Groups that are not identities Kubernetes reserves"),
				ContainSubstring(c.says))))
		})
	}
}
