// Package fault_test runs Roster's manager as a real process against a
// local control plane and breaks things under it: SIGKILL at random
// moments while it converges and while people keep changing the
// membership, two replicas with leader election and the leader killed, the
// admission webhook unreachable, and an API server that throttles and
// answers with conflicts. Every test ends with everything converged and
// nothing lost: every Member and Invitation that was acknowledged is there
// exactly once, and Roster's RBAC is exactly what internal/access renders
// from the final membership, with nothing orphaned.
//
// The admission webhooks are served in-process by the harness (behind a TCP
// proxy the tests can cut); the manager processes run the controllers only
// (--enable-webhooks=false) under the manager's own identity and RBAC.
//
// ROSTER_LONG=1 makes the churn longer and the kills many more (see
// docs/security.md).
package fault_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/roster-dev/roster/internal/testenv"
)

var (
	env *testenv.Env
	ctx = context.Background()
	// workDir holds the manager binary, kubeconfigs and the managers' logs.
	workDir string
	// managerBin is ./cmd/manager, built once per run.
	managerBin string
	// managerKubeconfig is the manager's own identity, straight to the API server.
	managerKubeconfig string
	// hooks fronts the in-process webhook server; cutting it makes the
	// webhooks unreachable.
	hooks *tcpProxy
	// long is ROSTER_LONG: longer churn and more kills.
	long bool
)

func TestFault(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fault Suite")
}

var _ = BeforeSuite(func() {
	long, _ = strconv.ParseBool(os.Getenv("ROSTER_LONG"))
	env = testenv.Suite(testenv.SuiteOptions{
		Options:           testenv.Options{Webhooks: true, Controllers: false},
		EventuallyTimeout: 60 * time.Second, EventuallyPolling: 100 * time.Millisecond,
	})

	workDir = GinkgoT().TempDir()
	managerBin = filepath.Join(workDir, "manager")
	goTool, err := exec.LookPath("go")
	Expect(err).NotTo(HaveOccurred(), "the fault suite builds ./cmd/manager with the go tool")
	build := exec.Command(goTool, "build", "-o", managerBin, "./cmd/manager")
	build.Dir = filepath.Join("..", "..")
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "building the manager: %s", out)

	managerKubeconfig = filepath.Join(workDir, "manager.kubeconfig")
	cfg := env.ManagerConfig
	Expect(writeKubeconfig(managerKubeconfig, cfg.Host, cfg.CAData, cfg.CertData, cfg.KeyData)).To(Succeed())

	installLeaderElectionRBAC()
	hooks = frontWebhooks()
})

var _ = AfterSuite(func() {
	stopAllManagers()
	if hooks != nil {
		hooks.close()
	}
})

// installLeaderElectionRBAC creates the manager's namespace and the Role
// and RoleBinding of config/rbac/leader_election_role.yaml in it, as
// kustomize would (name prefix roster-, namespace roster-system).
func installLeaderElectionRBAC() {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testenv.ManagerNamespace}})).To(Succeed())
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "leader_election_role.yaml"))
	Expect(err).NotTo(HaveOccurred())
	docs := splitYAML(data)
	Expect(docs).To(HaveLen(2))
	role := &rbacv1.Role{}
	Expect(yaml.UnmarshalStrict(docs[0], role)).To(Succeed())
	binding := &rbacv1.RoleBinding{}
	Expect(yaml.UnmarshalStrict(docs[1], binding)).To(Succeed())
	role.Namespace, role.Name = testenv.ManagerNamespace, "roster-"+role.Name
	binding.Namespace, binding.Name = testenv.ManagerNamespace, "roster-"+binding.Name
	binding.RoleRef.Name = role.Name
	for i := range binding.Subjects {
		binding.Subjects[i].Namespace = testenv.ManagerNamespace
		binding.Subjects[i].Name = "roster-" + binding.Subjects[i].Name
	}
	Expect(env.Admin.Create(ctx, role)).To(Succeed())
	Expect(env.Admin.Create(ctx, binding)).To(Succeed())
}
