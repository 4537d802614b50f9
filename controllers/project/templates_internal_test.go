package project

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func templateOrg(q *corev1.ResourceQuotaSpec, l *corev1.LimitRangeSpec) *orgsv1alpha1.Organization {
	return &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: orgsv1alpha1.OrganizationSpec{Projects: &orgsv1alpha1.ProjectPolicy{ResourceQuota: q, LimitRange: l}}}
}

func TestTemplatesUnset(t *testing.T) {
	g := NewWithT(t)
	g.Expect(templateQuota("ns", &orgsv1alpha1.Organization{})).To(BeNil())
	g.Expect(templateLimits("ns", &orgsv1alpha1.Organization{})).To(BeNil())
	g.Expect(templateQuota("ns", templateOrg(nil, nil))).To(BeNil())
	g.Expect(templateLimits("ns", templateOrg(nil, nil))).To(BeNil())
}

// What the API server stores for a Container limit carries its defaults;
// the template Roster applies carries them too, so an unchanged template
// is in sync and costs no write.
func TestTemplateLimitsCarryTheAPIServersDefaults(t *testing.T) {
	g := NewWithT(t)
	cpu := func(v string) corev1.ResourceList { return corev1.ResourceList{"cpu": resource.MustParse(v)} }
	org := templateOrg(nil, &corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Max: cpu("2"), Min: corev1.ResourceList{"cpu": resource.MustParse("10m"), "memory": resource.MustParse("16Mi")}},
		{Type: corev1.LimitTypePod, Max: cpu("4")},
	}})
	want := templateLimits("acme-web-dev", org)
	g.Expect(want.Name).To(Equal(LimitsName))
	g.Expect(want.Labels).To(HaveKeyWithValue(orgsv1alpha1.ManagedByLabel, orgsv1alpha1.ManagedByValue))
	c := want.Spec.Limits[0]
	g.Expect(c.Default).To(Equal(cpu("2")), "default limit: the max")
	g.Expect(c.DefaultRequest.Cpu().String()).To(Equal("2"), "default request: the default limit")
	g.Expect(c.DefaultRequest.Memory().String()).To(Equal("16Mi"), "default request without a default limit: the min")
	g.Expect(want.Spec.Limits[1].Default).To(BeNil(), "a Pod limit gets no defaults")
	// The Organization's own spec is untouched.
	g.Expect(org.Spec.Projects.LimitRange.Limits[0].Default).To(BeNil())

	stored := want.DeepCopy()
	stored.Labels["someone"] = "else"
	g.Expect(inSync(stored, want, stored.Spec, want.Spec)).To(BeTrue())
	loosened := stored.DeepCopy()
	loosened.Spec.Limits[0].Max = cpu("64")
	g.Expect(inSync(loosened, want, loosened.Spec, want.Spec)).To(BeFalse())
	unlabelled := stored.DeepCopy()
	delete(unlabelled.Labels, orgsv1alpha1.ManagedByLabel)
	g.Expect(inSync(unlabelled, want, unlabelled.Spec, want.Spec)).To(BeFalse())
}

func TestTemplateQuotaInSync(t *testing.T) {
	g := NewWithT(t)
	org := templateOrg(&corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("10"), "requests.cpu": resource.MustParse("2000m")}}, nil)
	want := templateQuota("acme-web-dev", org)
	g.Expect(want.Name).To(Equal(QuotaName))
	g.Expect(QuotaName).NotTo(Equal(ContentsQuotaName))
	// The API server stores quantities in canonical form: still in sync.
	stored := want.DeepCopy()
	stored.Spec.Hard["requests.cpu"] = resource.MustParse("2")
	g.Expect(inSync(stored, want, stored.Spec, want.Spec)).To(BeTrue())
	delete(stored.Spec.Hard, "pods")
	g.Expect(inSync(stored, want, stored.Spec, want.Spec)).To(BeFalse())
}
