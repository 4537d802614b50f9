package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// hostileNames each hold a character the schema refuses: C0 and C1
// controls, an escape sequence, DEL, bidi overrides and isolates, and last
// a zero-width joiner (refused in identities, allowed in display names).
var hostileNames = []string{
	"a\x1b[2J\x1b]0;pwned\x07@example.com",
	"a\nb@example.com",
	"a\x00b@example.com",
	"a\x7fb@example.com",
	"a\u0085b@example.com",
	"a\u009bb@example.com",
	"\u202egro@example.com",
	"a\u2066b\u2069@example.com",
	"a\u200fb@example.com",
	"al\u200dice@example.com",
}

// expectInvalid asserts that err is the API server's Invalid error and that
// its message names the field and says what is wrong.
func expectInvalid(err error, fieldPath, says string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred())
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "expected Invalid, got %v", err)
	Expect(err.Error()).To(ContainSubstring(fieldPath))
	Expect(err.Error()).To(ContainSubstring(says))
}

func namespace(name string) {
	GinkgoHelper()
	err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

func member(ns, name string, spec orgsv1alpha1.MemberSpec) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

var _ = Describe("The CRD schema", func() {
	const ns = "org-schema"
	BeforeEach(func() { namespace(ns) })

	Describe("Member", func() {
		It("refuses a role that is not one of the five", func() {
			err := k8sClient.Create(ctx, member(ns, "bad-role", orgsv1alpha1.MemberSpec{User: "a@example.com", Role: "Superuser"}))
			expectInvalid(err, "spec.role", "must be one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets, spelled exactly so (letter case matters)")
			Expect(err.Error()).NotTo(ContainSubstring("some validation rules were not checked"))
			// Letter case matters: "owner" is not Owner, and is refused the same way.
			err = k8sClient.Create(ctx, member(ns, "lower-role", orgsv1alpha1.MemberSpec{User: "a@example.com", Role: "owner"}))
			expectInvalid(err, "spec.role", "letter case matters")
			Expect(err.Error()).NotTo(ContainSubstring("some validation rules were not checked"))
		})

		It("refuses a Member with both user and group", func() {
			err := k8sClient.Create(ctx, member(ns, "both", orgsv1alpha1.MemberSpec{User: "a@example.com", Group: "g", Role: orgsv1alpha1.RoleViewer}))
			expectInvalid(err, "spec", "exactly one of spec.user and spec.group must be set")
		})

		It("refuses a Member with neither user nor group", func() {
			err := k8sClient.Create(ctx, member(ns, "neither", orgsv1alpha1.MemberSpec{Role: orgsv1alpha1.RoleViewer}))
			expectInvalid(err, "spec", "exactly one of spec.user and spec.group must be set")
		})

		It("refuses a change of spec.user and keeps the stored user", func() {
			m := member(ns, "rename", orgsv1alpha1.MemberSpec{User: "a@example.com", Role: orgsv1alpha1.RoleViewer})
			Expect(k8sClient.Create(ctx, m)).To(Succeed())
			m.Spec.User = "mallory@example.com"
			expectInvalid(k8sClient.Update(ctx, m), "spec.user", "spec.user cannot be changed")

			stored := &orgsv1alpha1.Member{}
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(m), stored)).To(Succeed())
			Expect(stored.Spec.User).To(Equal("a@example.com"))
		})

		It("refuses turning a user Member into a group Member", func() {
			m := member(ns, "to-group", orgsv1alpha1.MemberSpec{User: "a@example.com", Role: orgsv1alpha1.RoleViewer})
			Expect(k8sClient.Create(ctx, m)).To(Succeed())
			m.Spec.User, m.Spec.Group = "", "admins"
			expectInvalid(k8sClient.Update(ctx, m), "spec.user", "cannot be changed")
		})

		It("refuses an over-long user", func() {
			err := k8sClient.Create(ctx, member(ns, "long", orgsv1alpha1.MemberSpec{User: strings.Repeat("a", 254), Role: orgsv1alpha1.RoleViewer}))
			expectInvalid(err, "spec.user", "may not be more than 253")
		})

		// Escape codes rewrite the terminal of whoever lists the directory;
		// zero-width and bidi characters make one name look like another.
		It("refuses control and format characters in spec.user and spec.group", func() {
			for i, hostile := range hostileNames {
				err := k8sClient.Create(ctx, member(ns, fmt.Sprintf("hostile-user-%d", i), orgsv1alpha1.MemberSpec{User: hostile, Role: orgsv1alpha1.RoleViewer}))
				expectInvalid(err, "spec.user", "spec.user must not contain control or format characters")
				err = k8sClient.Create(ctx, member(ns, fmt.Sprintf("hostile-group-%d", i), orgsv1alpha1.MemberSpec{Group: hostile, Role: orgsv1alpha1.RoleViewer}))
				expectInvalid(err, "spec.group", "spec.group must not contain control or format characters")
			}
			// Letters of any script are names like any other.
			Expect(k8sClient.Create(ctx, member(ns, "unicode-user", orgsv1alpha1.MemberSpec{User: "İvan.çelik@example.com", Role: orgsv1alpha1.RoleViewer}))).To(Succeed())
		})

		It("lets the role change", func() {
			m := member(ns, "promote", orgsv1alpha1.MemberSpec{User: "p@example.com", Role: orgsv1alpha1.RoleViewer})
			Expect(k8sClient.Create(ctx, m)).To(Succeed())
			m.Spec.Role = orgsv1alpha1.RoleAdmin
			Expect(k8sClient.Update(ctx, m)).To(Succeed())
		})
	})

	Describe("Invitation", func() {
		It("refuses a malformed e-mail", func() {
			for _, email := range []string{"not-an-email", "two@@example.com", "no-dot@example", "spaces in@example.com"} {
				inv := &orgsv1alpha1.Invitation{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "inv-"},
					Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: orgsv1alpha1.RoleViewer},
				}
				expectInvalid(k8sClient.Create(ctx, inv), "spec.email", "must be an e-mail address")
			}
		})

		It("refuses control and format characters in spec.email", func() {
			for _, hostile := range hostileNames {
				inv := &orgsv1alpha1.Invitation{
					ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "inv-"},
					Spec:       orgsv1alpha1.InvitationSpec{Email: hostile, Role: orgsv1alpha1.RoleViewer},
				}
				expectInvalid(k8sClient.Create(ctx, inv), "spec.email", "spec.email must not contain control or format characters")
			}
		})

		It("refuses a wrong role", func() {
			inv := &orgsv1alpha1.Invitation{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong-role"},
				Spec:       orgsv1alpha1.InvitationSpec{Email: "a@example.com", Role: "owner"},
			}
			expectInvalid(k8sClient.Create(ctx, inv), "spec.role", "must be one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets, spelled exactly so (letter case matters)")
		})
	})

	Describe("Organization", func() {
		org := func(name string, spec orgsv1alpha1.OrganizationSpec) *orgsv1alpha1.Organization {
			return &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
		}

		It("refuses control characters and bidi controls in spec.displayName", func() {
			for i, hostile := range hostileNames[:len(hostileNames)-1] { // a zero-width joiner is part of emoji: allowed
				err := k8sClient.Create(ctx, org(fmt.Sprintf("hostile-%d", i), orgsv1alpha1.OrganizationSpec{DisplayName: "Acme " + hostile}))
				expectInvalid(err, "spec.displayName", "spec.displayName must not contain control characters or bidi controls")
			}
			Expect(k8sClient.Create(ctx, org("emoji", orgsv1alpha1.OrganizationSpec{DisplayName: "Acme 👩‍💻 Çelik"}))).To(Succeed())
		})

		It("accepts an Organization with only a name, and shows the defaults", func() {
			// What `kubectl create -f` sends for a manifest with no spec.
			bare := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": orgsv1alpha1.GroupVersion.String(), "kind": "Organization",
				"metadata": map[string]any{"name": "only-a-name"},
			}}
			Expect(k8sClient.Create(ctx, bare)).To(Succeed())
			ttl, found, err := unstructured.NestedString(bare.Object, "spec", "invitationTTL")
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(BeTrue(), "the default is stored, so kubectl get -o yaml shows it")
			Expect(ttl).To(Equal("168h"))
			_, found, _ = unstructured.NestedString(bare.Object, "spec", "homeNamespace")
			Expect(found).To(BeFalse(), "homeNamespace stays absent (org-<name>): it can be set only at creation")
		})

		It("refuses setting spec.homeNamespace after creation", func() {
			o := org("late-home", orgsv1alpha1.OrganizationSpec{})
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
			o.Spec.HomeNamespace = "elsewhere"
			expectInvalid(k8sClient.Update(ctx, o), "spec.homeNamespace", "cannot be set, removed or changed")
		})

		It("refuses changing and removing spec.homeNamespace", func() {
			o := org("moving-home", orgsv1alpha1.OrganizationSpec{HomeNamespace: "moving-home-ns"})
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
			o.Spec.HomeNamespace = "another-ns"
			expectInvalid(k8sClient.Update(ctx, o), "spec.homeNamespace", "cannot be set, removed or changed")
			o.Spec.HomeNamespace = ""
			expectInvalid(k8sClient.Update(ctx, o), "spec.homeNamespace", "cannot be set, removed or changed")

			stored := &orgsv1alpha1.Organization{}
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(o), stored)).To(Succeed())
			Expect(stored.Spec.HomeNamespace).To(Equal("moving-home-ns"))
		})

		It("refuses a home namespace that is not a DNS label, or a system namespace", func() {
			expectInvalid(k8sClient.Create(ctx, org("bad-home", orgsv1alpha1.OrganizationSpec{HomeNamespace: "Not_A_Label"})),
				"spec.homeNamespace", "must be a DNS label")
			expectInvalid(k8sClient.Create(ctx, org("system-home", orgsv1alpha1.OrganizationSpec{HomeNamespace: "kube-system"})),
				"spec.homeNamespace", "cannot be 'default' or a kube-* namespace")
		})

		It("refuses a name too long for the default home namespace", func() {
			expectInvalid(k8sClient.Create(ctx, org(strings.Repeat("x", 60), orgsv1alpha1.OrganizationSpec{})),
				"metadata.name", "at most 59 characters")
		})

		It("refuses an invitation TTL out of range", func() {
			expectInvalid(k8sClient.Create(ctx, org("short-ttl", orgsv1alpha1.OrganizationSpec{InvitationTTL: &metav1.Duration{Duration: time.Second}})),
				"spec.invitationTTL", "between 1m and 8760h")
		})

		It("is listed in the roster category and by its short name", func() {
			Expect(k8sClient.Create(ctx, org("short", orgsv1alpha1.OrganizationSpec{DisplayName: "Short"}))).To(Succeed())
		})
	})

	Describe("config/samples", func() {
		It("are accepted by the schema", func() {
			files, err := filepath.Glob("samples/*.yaml")
			Expect(err).NotTo(HaveOccurred())
			Expect(files).NotTo(BeEmpty())
			created := 0
			for _, file := range files {
				data, err := os.ReadFile(file)
				Expect(err).NotTo(HaveOccurred())
				decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
				for {
					obj := &unstructured.Unstructured{}
					if err := decoder.Decode(&obj.Object); err != nil {
						break
					}
					if len(obj.Object) == 0 {
						continue
					}
					Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "%s: %s %s", file, obj.GetKind(), obj.GetName())
					created++
				}
			}
			Expect(created).To(BeNumerically(">=", 9))
		})
	})
})
