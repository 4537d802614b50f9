package config_test

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/roster-dev/roster/config"
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
