package security_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/testenv"
)

// byManagerPolicy: the ValidatingAdmissionPolicy on the manager's own RBAC
// writes (config/rbac/manager_rbac_policy.yaml) refused.
var byManagerPolicy = refusal{
	layer: "ValidatingAdmissionPolicy roster-manager-rbac",
	is:    apierrors.IsForbidden,
	shows: "ValidatingAdmissionPolicy 'roster-manager-rbac' with binding 'roster-manager-rbac' denied request",
}

// A compromised manager: its service account may bind admin, edit, view
// and roster-viewer anywhere and write any ClusterRole whose permissions it
// holds, so RBAC alone lets it hand out cluster-wide admin. Every attempt
// is a dry run, so nothing is granted should the policy be missing; the
// API server admits a dry run exactly as the real request.
var _ = Describe("The manager's identity writing RBAC that Roster does not render", func() {
	var mgr client.Client
	BeforeEach(func() {
		var err error
		mgr, err = client.New(env.ManagerConfig, client.Options{Scheme: manager.Scheme, Mapper: env.Admin.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
	})
	create := func(obj client.Object) func() error {
		return func() error { return mgr.Create(ctx, obj, client.DryRunAll) }
	}
	toMallory := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: mallory}}

	It("binds admin cluster-wide, with Roster's labels", func() {
		refused(byManagerPolicy, create(&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "roster:org:acme:admin-everywhere", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
			Subjects:   toMallory,
		}), "ClusterRoleBinding roster:org:acme:admin-everywhere: roleRef ClusterRole admin is not one Roster binds cluster-wide",
			"roster:org:acme:owner, admin or member")
	})

	It("binds the organization's owner ClusterRole under another binding's name", func() {
		refused(byManagerPolicy, create(&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "roster:org:acme:member", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster:org:acme:owner"},
			Subjects:   toMallory,
		}), "roleRef ClusterRole roster:org:acme:owner is not one Roster binds cluster-wide")
	})

	It("binds view in a project without Roster's labels", func() {
		refused(byManagerPolicy, create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.project, Name: "mallory-view"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			Subjects:   toMallory,
		}), "RoleBinding acme-web/mallory-view: metadata.labels must carry app.kubernetes.io/managed-by=roster and orgs.roster.dev/access-for=<organization>")
	})

	It("binds admin in a project under a name Roster gives edit", func() {
		refused(byManagerPolicy, create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.project, Name: "roster:contributor", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
			Subjects:   toMallory,
		}), "RoleBinding acme-web/roster:contributor: roleRef ClusterRole admin is not what Roster binds in a RoleBinding of that name",
			"roster:contributor edit")
	})

	It("binds admin in a project under a name Roster never uses", func() {
		refused(byManagerPolicy, create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.project, Name: "roster:contractor", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
			Subjects:   toMallory,
		}), "RoleBinding acme-web/roster:contractor: roleRef ClusterRole admin is not what Roster binds")
	})

	It("binds view in kube-system and in its own namespace", func() {
		createIgnoringExisting(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testenv.ManagerNamespace}})
		for _, ns := range []string{"kube-system", testenv.ManagerNamespace} {
			refused(byManagerPolicy, create(&rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "roster:viewer-no-secrets", Labels: rosterLabels(acme.name)},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects:   toMallory,
			}), "RoleBinding "+ns+"/roster:viewer-no-secrets: namespace "+ns+" holds no organization")
		}
	})

	It("adds a service account it controls to the project's owner RoleBinding", func() {
		refused(byManagerPolicy, func() error {
			rb := &rbacv1.RoleBinding{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.project, Name: "roster:owner"}, rb)).To(Succeed())
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: acme.project, Name: "backdoor"})
			return mgr.Update(ctx, rb, client.DryRunAll)
		}, "RoleBinding acme-web/roster:owner: subjects may only be Users and Groups", "not ServiceAccount acme-web/backdoor")
	})

	It("binds every authenticated client, or a system user, in a project's viewer RoleBinding", func() {
		for _, subject := range []rbacv1.Subject{
			{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:authenticated"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "system:anonymous"},
		} {
			refused(byManagerPolicy, create(&rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: acme.project, Name: "roster:viewer-no-secrets", Labels: rosterLabels(acme.name)},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects:   []rbacv1.Subject{subject},
			}), "subjects may only be Users and Groups that are not identities Kubernetes reserves", "not "+subject.Kind+" "+subject.Name)
		}
	})

	It("binds a token-named ServiceAccount of another namespace", func() {
		refused(byManagerPolicy, func() error {
			rb := &rbacv1.RoleBinding{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.project, Name: "roster:owner"}, rb)).To(Succeed())
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "roster-token-x"})
			return mgr.Update(ctx, rb, client.DryRunAll)
		}, "RoleBinding acme-web/roster:owner: subjects may only be", "not ServiceAccount kube-system/roster-token-x")
		refused(byManagerPolicy, func() error {
			rb := &rbacv1.RoleBinding{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: acme.home, Name: access.HomeReadBindingName}, rb)).To(Succeed())
			rb.Subjects = append(rb.Subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: acme.project, Name: "roster-token-x"})
			return mgr.Update(ctx, rb, client.DryRunAll)
		}, "not ServiceAccount "+acme.project+"/roster-token-x")
	})

	It("binds cluster-admin in a project, with Roster's labels", func() {
		// RBAC's escalation check comes first: the manager may not bind
		// cluster-admin (no bind on it) nor grant what it lacks.
		refused(byRBAC, create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: acme.project, Name: "roster:owner", Labels: rosterLabels(acme.name)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   toMallory,
		}), "is attempting to grant RBAC permissions not currently held")
	})

	It("creates a ClusterRole outside Roster's names", func() {
		refused(byManagerPolicy, create(&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "members-everywhere", Labels: rosterLabels(acme.name)},
			Rules:      []rbacv1.PolicyRule{rbacRule(orgsv1alpha1.GroupVersion.Group, "members", "get", "list", "watch", "create", "update", "patch", "delete")},
		}), "ClusterRole members-everywhere: metadata.name must be roster:org:acme:owner, admin, member, home-manage or home-read")
	})

	It("labels the organization's member ClusterRole to aggregate into admin", func() {
		refused(byManagerPolicy, func() error {
			cr := &rbacv1.ClusterRole{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: access.ClusterRoleName(acme.name, access.TierMember)}, cr)).To(Succeed())
			cr.Labels["rbac.authorization.k8s.io/aggregate-to-admin"] = "true"
			cr.Rules = append(cr.Rules, rbacRule(orgsv1alpha1.GroupVersion.Group, "members", "get", "list", "watch", "create", "update", "patch", "delete"))
			return mgr.Update(ctx, cr, client.DryRunAll)
		}, "ClusterRole roster:org:acme:member: aggregationRule and labels other than")
	})

	It("grants the organization's members manage-owners on every organization", func() {
		refused(byManagerPolicy, func() error {
			cr := &rbacv1.ClusterRole{}
			Expect(env.Admin.Get(ctx, client.ObjectKey{Name: access.ClusterRoleName(acme.name, access.TierMember)}, cr)).To(Succeed())
			cr.Rules = append(cr.Rules, rbacRule(orgsv1alpha1.GroupVersion.Group, "organizations", "get", orgsv1alpha1.VerbManageOwners))
			return mgr.Update(ctx, cr, client.DryRunAll)
		}, "ClusterRole roster:org:acme:member: rules may grant only verbs on organizations.orgs.roster.dev (acme by name, or list and watch)")
	})

	It("deletes the cluster-admin ClusterRoleBinding", func() {
		refused(byManagerPolicy, func() error {
			return mgr.Delete(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin"}}, client.DryRunAll)
		}, "ClusterRoleBinding cluster-admin: metadata.labels must carry app.kubernetes.io/managed-by=roster")
	})

	// The policy's other half: everything access.Render makes passes. The
	// suite converging proves the manager's creates; this applies what
	// Render makes for acme with every role, a Group subject, a token and a
	// service-account user as well (updates of every object, dry run), with
	// list and watch on organizations.
	It("lets through every object access.Render makes", func() {
		organization := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: acme.name}, organization)).To(Succeed())
		s := access.Snapshot{Organization: organization, HomeNamespace: acme.home, ProjectNamespaces: []string{acme.project}}
		for _, p := range acme.members {
			s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: p.user, Role: p.role})
		}
		for _, role := range orgsv1alpha1.Roles {
			s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.GroupKind, Name: "acme-" + string(role), Role: role})
		}
		// A token (its ServiceAccount bound at home and in the project, its
		// owner's Role and RoleBinding), and a service-account user.
		s.Tokens = []access.Token{{Name: "policy-check", Owner: alice, Role: orgsv1alpha1.RoleAdmin}}
		s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: "system:serviceaccount:ci:deployer", Role: orgsv1alpha1.RoleContributor})
		objs := access.Render(s)
		Expect(objs).To(HaveLen(5 + 3 + 2 + 2 + len(orgsv1alpha1.Roles)))
		before := snapshotWorld()
		for _, obj := range objs {
			if rb, ok := obj.(*rbacv1.RoleBinding); ok && rb.RoleRef.Kind == "Role" {
				// It binds the token's Role, which a dry run does not store:
				// RBAC cannot resolve it. The token specs' convergence makes
				// it for real under the policy, and config's
				// TestManagerRBACPolicySubjects evaluates it.
				continue
			}
			content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			Expect(err).NotTo(HaveOccurred())
			u := client.ApplyConfigurationFromUnstructured(&unstructured.Unstructured{Object: content})
			Expect(mgr.Apply(ctx, u, client.FieldOwner("roster"), client.ForceOwnership, client.DryRunAll)).
				To(Succeed(), "%T %s/%s", obj, obj.GetNamespace(), obj.GetName())
		}
		Expect(snapshotWorld()).To(Equal(before))
	})
})
