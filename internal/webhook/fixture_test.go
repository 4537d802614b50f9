package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// The people of every test organization, by role.
const (
	owner           = "alice@example.com"
	admin           = "bob@example.com"
	contributor     = "carol@example.com"
	viewer          = "dave@example.com"
	viewerNoSecrets = "erin@example.com"
	outsider        = "mallory@example.com"
	gitops          = "system:serviceaccount:argocd:argocd-application-controller"
)

// testOrg is an organization with one Member per role, made by a cluster
// admin, with its RBAC applied by the controller.
type testOrg struct {
	name, home string
}

func (o testOrg) member(name string) *orgsv1alpha1.Member {
	GinkgoHelper()
	m := &orgsv1alpha1.Member{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, m)).To(Succeed())
	return m
}

// newOrg creates an organization whose only owner is alice, with bob,
// carol, dave and erin as Admin, Contributor, Viewer and ViewerNoSecrets
// (testenv.Team), and waits until the controller has applied its RBAC and
// the API server's authorizer gives each of them their role: the tests act
// as them next.
func newOrg() testOrg {
	GinkgoHelper()
	o := env.NewOrg(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: testenv.UniqueName("org")}}, testenv.Team...)
	return testOrg{name: o.Name, home: o.Home}
}

// bindGitOps binds the shipped roster-gitops ClusterRole to the GitOps
// service account, as docs/gitops.md tells users to.
func bindGitOps() {
	GinkgoHelper()
	err := env.Admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-roster-gitops"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster-gitops"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "argocd", Name: "argocd-application-controller"}},
	})
	if !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

// refusedUnchanged runs a refused action and asserts that it was refused
// with a Forbidden error saying all of says, and that obj is stored exactly
// as before (same resourceVersion), or still absent.
func refusedUnchanged(obj client.Object, action func() error, says ...string) {
	GinkgoHelper()
	key := client.ObjectKeyFromObject(obj)
	before := obj.DeepCopyObject().(client.Object)
	getErr := env.Admin.Get(ctx, key, before)
	existed := getErr == nil
	if !existed {
		Expect(apierrors.IsNotFound(getErr)).To(BeTrue(), "%v", getErr)
	}

	err := action()
	Expect(err).To(HaveOccurred(), "the action was allowed")
	Expect(apierrors.IsForbidden(err)).To(BeTrue(), "expected Forbidden, got %v", err)
	for _, s := range says {
		Expect(err.Error()).To(ContainSubstring(s))
	}

	after := obj.DeepCopyObject().(client.Object)
	afterErr := env.Admin.Get(ctx, key, after)
	if !existed {
		Expect(apierrors.IsNotFound(afterErr)).To(BeTrue(), "the refused action created %s", key)
		return
	}
	Expect(afterErr).NotTo(HaveOccurred(), "the refused action removed %s", key)
	Expect(after.GetResourceVersion()).To(Equal(before.GetResourceVersion()), "the refused action changed %s", key)
	Expect(after.GetDeletionTimestamp()).To(BeNil(), "the refused action started deleting %s", key)
}

func setRole(c client.Client, m *orgsv1alpha1.Member, role orgsv1alpha1.Role) error {
	patch := client.MergeFrom(m.DeepCopy())
	m.Spec.Role = role
	return c.Patch(ctx, m, patch)
}

// canDo asks the API server whether user may do verb on group/resource in namespace.
func canDo(user, verb, group, resource, namespace string) bool {
	GinkgoHelper()
	return env.Can(ctx, user, nil, authorizationv1.ResourceAttributes{Namespace: namespace, Verb: verb, Group: group, Resource: resource})
}
