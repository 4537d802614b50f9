package localcluster

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The Makefile and hack/envtest-binaries.sh read the version through
// hack/k8s-version.sh; it must print the constant, and neither may carry a
// literal of its own.
func TestKubernetesVersionIsTheScripts(t *testing.T) {
	g := NewWithT(t)
	out, err := exec.Command("bash", "../../hack/k8s-version.sh").Output()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(string(out))).To(Equal(KubernetesVersion))
	for _, f := range []string{"../../Makefile", "../../hack/envtest-binaries.sh"} {
		b, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(b)).To(ContainSubstring("k8s-version.sh"), f)
		g.Expect(string(b)).NotTo(ContainSubstring(KubernetesVersion), f)
	}
}

func TestRosterOptions(t *testing.T) {
	g := NewWithT(t)
	plain, err := RosterOptions(Roster{AssetsDir: "/assets"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(plain.AssetsDir).To(Equal("/assets"))
	g.Expect(plain.CRDs).NotTo(BeEmpty())
	g.Expect(plain.Objects).NotTo(BeEmpty())
	g.Expect(plain.MutatingWebhooks).To(BeEmpty())
	g.Expect(plain.ValidatingWebhooks).To(BeEmpty())

	extra := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "extra"}}
	hooked, err := RosterOptions(Roster{Webhooks: true, Objects: []client.Object{extra}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hooked.ValidatingWebhooks).NotTo(BeEmpty())
	g.Expect(hooked.Objects).To(HaveLen(len(plain.Objects) + 1))
	g.Expect(hooked.Objects[len(hooked.Objects)-1]).To(BeIdenticalTo(extra))
}
