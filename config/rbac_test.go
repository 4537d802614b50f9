package config_test

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/roster-dev/roster/config"
	"github.com/roster-dev/roster/internal/testenv"
)

// TestManagerRoleIsLeastPrivilege reads the ClusterRole generated from the
// RBAC markers and checks what the manager must never hold.
func TestManagerRoleIsLeastPrivilege(t *testing.T) {
	g := NewWithT(t)
	roles, err := config.ClusterRoles()
	g.Expect(err).NotTo(HaveOccurred())
	var manager *rbacv1.ClusterRole
	for _, r := range roles {
		if r.Name == "roster-manager" {
			manager = r
		}
	}
	g.Expect(manager).NotTo(BeNil(), "config/rbac/role.yaml has no roster-manager ClusterRole")

	for _, rule := range manager.Rules {
		g.Expect(rule.Verbs).NotTo(ContainElement("*"), "wildcard verb in %v", rule)
		g.Expect(rule.Resources).NotTo(ContainElement("*"), "wildcard resource in %v", rule)
		g.Expect(rule.APIGroups).NotTo(ContainElement("*"), "wildcard group in %v", rule)
		g.Expect(rule.Verbs).NotTo(ContainElement("escalate"), "escalate in %v", rule)
		g.Expect(rule.Verbs).NotTo(ContainElement("impersonate"), "impersonate in %v", rule)
		if slices.Contains(rule.Verbs, "bind") {
			g.Expect(rule.ResourceNames).NotTo(BeEmpty(), "bind without resourceNames in %v", rule)
			g.Expect(rule.ResourceNames).To(ConsistOf("admin", "edit", "view", "roster-viewer"))
		}
		if slices.Contains(rule.APIGroups, "") {
			g.Expect(rule.Resources).NotTo(ContainElement("secrets"), "cluster-wide Secrets in %v", rule)
			g.Expect(rule.Resources).NotTo(ContainElement("pods"), "workloads in %v", rule)
		}
		for _, group := range []string{"apps", "batch"} {
			g.Expect(rule.APIGroups).NotTo(ContainElement(group), "workloads in %v", rule)
		}
	}
	// The custom verbs are what let it create the per-organization roles without escalate.
	g.Expect(manager.Rules).To(ContainElement(SatisfyAll(
		HaveField("Resources", ContainElement("organizations")),
		HaveField("Verbs", ContainElements("manage-owners", "manage-members")),
	)))
}

// TestManagerRBACPolicy checks the ValidatingAdmissionPolicy on the
// manager's own RBAC writes is shipped whole: bound with Deny, failing
// closed, over every RBAC kind the manager writes and every write, and
// matching the identity the manager runs as in the suites and config/default.
func TestManagerRBACPolicy(t *testing.T) {
	g := NewWithT(t)
	policy, binding, err := config.ManagerRBACPolicy()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(binding.Spec.PolicyName).To(Equal(policy.Name))
	g.Expect(binding.Spec.ValidationActions).To(ConsistOf(admissionregistrationv1.Deny))
	g.Expect(*policy.Spec.FailurePolicy).To(Equal(admissionregistrationv1.Fail))
	// Every RBAC kind the manager writes, and the ServiceAccounts (and their
	// token requests) it writes for AccessTokens.
	g.Expect(policy.Spec.MatchConstraints.ResourceRules).To(HaveLen(2))
	writes := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete}
	rbacRule, saRule := policy.Spec.MatchConstraints.ResourceRules[0], policy.Spec.MatchConstraints.ResourceRules[1]
	g.Expect(rbacRule.APIGroups).To(ConsistOf(rbacv1.GroupName))
	g.Expect(rbacRule.Resources).To(ConsistOf("clusterroles", "clusterrolebindings", "roles", "rolebindings"))
	g.Expect(rbacRule.Operations).To(ConsistOf(writes))
	g.Expect(saRule.APIGroups).To(ConsistOf(""))
	g.Expect(saRule.Resources).To(ConsistOf("serviceaccounts", "serviceaccounts/token"))
	g.Expect(saRule.Operations).To(ConsistOf(writes))
	g.Expect(policy.Spec.MatchConditions).To(ConsistOf(HaveField("Expression",
		"request.userInfo.username == '"+testenv.ManagerUser+"'")))
	for _, v := range policy.Spec.Validations {
		g.Expect(v.Reason).NotTo(BeNil(), v.Expression)
		g.Expect(*v.Reason).To(Equal(metav1.StatusReasonForbidden), v.Expression)
		g.Expect(v.MessageExpression).To(ContainSubstring("variables.what"), "the refusal names the object")
	}

	objs, err := config.ClusterObjects()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(objs).To(ContainElements(policy, binding), "local mode and the suites install it")
}
