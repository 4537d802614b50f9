package project_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// The Organization's ResourceQuota and LimitRange templates: in every
// namespace of every Project, equal to the Organization's, restored after
// a manual change, out of the members' reach, gone with the field.
var _ = Describe("ResourceQuota and LimitRange templates", Ordered, func() {
	const orgName = "tpl"
	namespaces := []string{"tpl-web-dev", "tpl-web-prod"}
	quotaSpec := func(pods string) *corev1.ResourceQuotaSpec {
		return &corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse(pods), "requests.cpu": resource.MustParse("2")}}
	}
	limitSpec := func(maxCPU string) *corev1.LimitRangeSpec {
		return &corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			Max:  corev1.ResourceList{"cpu": resource.MustParse(maxCPU)},
			Min:  corev1.ResourceList{"cpu": resource.MustParse("10m")},
		}}}
	}
	quota := func(ns string) (*corev1.ResourceQuota, error) {
		q := &corev1.ResourceQuota{}
		return q, env.Admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "roster-quota"}, q)
	}
	limits := func(ns string) (*corev1.LimitRange, error) {
		l := &corev1.LimitRange{}
		return l, env.Admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "roster-limits"}, l)
	}
	// templatesAre waits until every project namespace holds the templates
	// with these values (pods "" and maxCPU "": absent).
	templatesAre := func(pods, maxCPU string) {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			for _, ns := range namespaces {
				q, err := quota(ns)
				if pods == "" {
					g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "roster-quota in %s: %v", ns, err)
				} else {
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(q.Labels).To(HaveKeyWithValue(orgsv1alpha1.ManagedByLabel, orgsv1alpha1.ManagedByValue))
					g.Expect(q.Spec.Hard.Pods().String()).To(Equal(pods), "roster-quota in %s", ns)
					g.Expect(q.Spec.Hard).To(HaveKey(corev1.ResourceRequestsCPU))
				}
				l, err := limits(ns)
				if maxCPU == "" {
					g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "roster-limits in %s: %v", ns, err)
				} else {
					g.Expect(err).NotTo(HaveOccurred())
					g.Expect(l.Labels).To(HaveKeyWithValue(orgsv1alpha1.ManagedByLabel, orgsv1alpha1.ManagedByValue))
					g.Expect(l.Spec.Limits).To(HaveLen(1))
					g.Expect(l.Spec.Limits[0].Max.Cpu().String()).To(Equal(maxCPU), "roster-limits in %s", ns)
				}
				// The counting quota stays, distinct.
				contents := &corev1.ResourceQuota{}
				g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "roster-contents"}, contents)).To(Succeed())
				g.Expect(contents.Spec.Hard).To(HaveKey(corev1.ResourceName("count/secrets")))
			}
		}).Should(Succeed())
	}
	setTemplates := func(q *corev1.ResourceQuotaSpec, l *corev1.LimitRangeSpec) {
		GinkgoHelper()
		org := &orgsv1alpha1.Organization{}
		Expect(env.Admin.Get(ctx, client.ObjectKey{Name: orgName}, org)).To(Succeed())
		patch := client.MergeFrom(org.DeepCopy())
		org.Spec.Projects.ResourceQuota, org.Spec.Projects.LimitRange = q, l
		Expect(env.As(testenv.Alice).Patch(ctx, org, patch)).To(Succeed())
	}

	BeforeAll(func() {
		env.NewOrg(ctx, &orgsv1alpha1.Organization{
			ObjectMeta: metav1.ObjectMeta{Name: orgName},
			Spec: orgsv1alpha1.OrganizationSpec{Projects: &orgsv1alpha1.ProjectPolicy{
				ResourceQuota: quotaSpec("10"), LimitRange: limitSpec("1"),
			}},
		}, testenv.Team...)
		Expect(env.As(testenv.Carol).Create(ctx, &orgsv1alpha1.Project{
			ObjectMeta: metav1.ObjectMeta{Namespace: "org-" + orgName, Name: "web"},
			Spec:       orgsv1alpha1.ProjectSpec{Environments: []string{"dev", "prod"}},
		})).To(Succeed())
	})

	It("puts roster-quota and roster-limits in both environments", func() {
		templatesAre("10", "1")
		// The API server's defaults for a Container limit are part of what
		// Roster applies, so what is stored is what Roster wants.
		l, err := limits(namespaces[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(l.Spec.Limits[0].Default.Cpu().String()).To(Equal("1"))
		Expect(l.Spec.Limits[0].DefaultRequest.Cpu().String()).To(Equal("1"))
	})

	It("follows an Organization change into every project namespace", func() {
		setTemplates(quotaSpec("20"), limitSpec("2"))
		templatesAre("20", "2")
	})

	It("restores a template after a manual edit or deletion", func() {
		q, err := quota(namespaces[0])
		Expect(err).NotTo(HaveOccurred())
		q.Spec.Hard["pods"] = resource.MustParse("1000")
		delete(q.Spec.Hard, corev1.ResourceRequestsCPU)
		Expect(env.Admin.Update(ctx, q)).To(Succeed())
		l, err := limits(namespaces[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(env.Admin.Delete(ctx, l)).To(Succeed())
		templatesAre("20", "2")
	})

	It("keeps them out of every member's reach, Owners and Admins included", func() {
		for _, user := range []string{testenv.Alice, testenv.Bob, testenv.Carol, testenv.Dave} {
			for _, ns := range namespaces {
				q, err := quota(ns)
				Expect(err).NotTo(HaveOccurred())
				q.Spec.Hard["pods"] = resource.MustParse("1000")
				err = env.As(user).Update(ctx, q)
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s updates roster-quota in %s: %v", user, ns, err)
				err = env.As(user).Delete(ctx, q)
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s deletes roster-quota in %s: %v", user, ns, err)
				l, err := limits(ns)
				Expect(err).NotTo(HaveOccurred())
				l.Spec.Limits[0].Max = corev1.ResourceList{"cpu": resource.MustParse("64")}
				err = env.As(user).Update(ctx, l)
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s updates roster-limits in %s: %v", user, ns, err)
				err = env.As(user).Delete(ctx, l)
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s deletes roster-limits in %s: %v", user, ns, err)
				// Nor can they add a quota or limit range of their own.
				err = env.As(user).Create(ctx, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mine"},
					Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypePod}}}})
				Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s creates a LimitRange in %s: %v", user, ns, err)
			}
		}
		templatesAre("20", "2")
	})

	It("deletes them when the Organization's fields are removed", func() {
		setTemplates(nil, nil)
		templatesAre("", "")
	})
})
