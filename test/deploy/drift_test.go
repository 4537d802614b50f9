package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	fluxpolling "github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/metrics"
	"github.com/roster-dev/roster/internal/testenv"
	"github.com/roster-dev/roster/test/argocd"
)

// The GitOps identity: Flux's kustomize-controller service account, bound to
// the shipped roster-gitops ClusterRole plus what attaching a project
// namespace takes (creating it, and being able to create the RoleBindings
// Roster will make there), and nothing else: not cluster-admin.
const (
	gitopsUser    = "system:serviceaccount:flux-system:kustomize-controller"
	gitopsManager = "kustomize-controller"
)

// loadSamples reads config/samples, split the way docs/gitops.md tells
// Flux users to split them: Organizations (and namespaces) in one
// Kustomization, Members, Invitations and Projects in a second that
// dependsOn it.
func loadSamples() (organizations, members []*unstructured.Unstructured, err error) {
	root, err := repoRoot()
	if err != nil {
		return nil, nil, err
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, errors.New("config/samples is empty")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, err
		}
		objs, err := decode(data)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range objs {
			switch o.GetKind() {
			case "Member", "Invitation", "Project":
				members = append(members, o)
			default:
				organizations = append(organizations, o)
			}
		}
	}
	return organizations, members, nil
}

var _ = Describe("GitOps: config/samples applied as Flux applies it", Ordered, ContinueOnFailure, func() {
	var (
		env           *testenv.Env
		gitops        client.Client
		rm            *ssa.ResourceManager
		organizations []*unstructured.Unstructured
		members       []*unstructured.Unstructured
		ctx           = context.Background()
	)

	BeforeAll(func() {
		testenv.RequireAssets()
		var err error
		organizations, members, err = loadSamples()
		Expect(err).NotTo(HaveOccurred())
		Expect(organizations).NotTo(BeEmpty())
		Expect(members).NotTo(BeEmpty())

		env, err = testenv.Start(ctx, testenv.Options{Webhooks: true, Controllers: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(env.Stop()).To(Succeed()) })

		bindGitOps(ctx, env.Admin)
		gitops, err = env.User(gitopsUser, "system:serviceaccounts", "system:serviceaccounts:flux-system")
		Expect(err).NotTo(HaveOccurred())
		poller := fluxpolling.NewStatusPoller(gitops, gitops.RESTMapper(), fluxpolling.Options{})
		rm = ssa.NewResourceManager(gitops, poller, ssa.Owner{Field: gitopsManager, Group: "kustomize.toolkit.fluxcd.io"})
	})

	// applyAll applies both Kustomizations in order, each as Flux does
	// (dry-run, diff, apply), and returns every change set entry.
	applyAll := func() []ssa.ChangeSetEntry {
		GinkgoHelper()
		var entries []ssa.ChangeSetEntry
		for _, stage := range [][]*unstructured.Unstructured{organizations, members} {
			objs := make([]*unstructured.Unstructured, len(stage))
			for i, o := range stage {
				objs[i] = o.DeepCopy()
			}
			cs, err := rm.ApplyAllStaged(ctx, objs, ssa.DefaultApplyOptions())
			Expect(err).NotTo(HaveOccurred())
			entries = append(entries, cs.Entries...)
		}
		return entries
	}

	It("syncs once: every object created, then kstatus Current and Roster Ready", func() {
		entries := applyAll()
		Expect(entries).To(HaveLen(len(organizations) + len(members)))
		for _, e := range entries {
			Expect(e.Action).To(Equal(ssa.CreatedAction), e.Subject)
		}

		Eventually(func(g Gomega) {
			for _, o := range append(append([]*unstructured.Unstructured{}, organizations...), members...) {
				live := get(g, env.Admin, o)
				res, err := status.Compute(live)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(res.Status).To(Equal(status.CurrentStatus), "%s: %s", key(o), res.Message)
				if live.GroupVersionKind().Group != orgsv1alpha1.GroupVersion.Group || o.GetKind() == "Invitation" {
					continue
				}
				// kstatus calls an object Roster has not reconciled yet Current
				// too (no status.observedGeneration), so wait for Ready as well.
				g.Expect(readyFor(live)).To(BeTrue(), "%s is not Ready for generation %d", key(o), live.GetGeneration())
			}
		}).Should(Succeed())
	})

	It("stays in sync: applying again changes nothing", func() {
		// What `flux diff` would show, field by field, before applying.
		var drifted []string
		for _, o := range append(append([]*unstructured.Unstructured{}, organizations...), members...) {
			if d := drift(rm, o); d != "" {
				drifted = append(drifted, key(o)+": "+d)
			}
		}
		entries := applyAll()
		Expect(entries).To(HaveLen(len(organizations) + len(members)))
		for _, e := range entries {
			if e.Action != ssa.UnchangedAction {
				drifted = append(drifted, e.Subject+" "+string(e.Action))
			}
		}
		Expect(drifted).To(BeEmpty(), "the second apply changed objects: something rewrote what Git holds")
	})

	It("left the spec of what Git holds to Git: no generation bumped, no spec field owned by Roster", func() {
		Consistently(func(g Gomega) {
			var written []string
			for _, o := range append(append([]*unstructured.Unstructured{}, organizations...), members...) {
				live := get(g, env.Admin, o)
				if o.GetKind() != "Namespace" && live.GetGeneration() != 1 {
					written = append(written, fmt.Sprintf("%s: generation %d, its spec was written after its creation", key(o), live.GetGeneration()))
				}
				for _, mf := range live.GetManagedFields() {
					if mf.Manager != gitopsManager && mf.Subresource != "status" && mf.FieldsV1 != nil && strings.Contains(mf.FieldsV1.GetRawString(), `"f:spec"`) {
						written = append(written, fmt.Sprintf("%s: manager %q (%s) owns spec fields", key(o), mf.Manager, mf.Operation))
					}
				}
			}
			g.Expect(written).To(BeEmpty())
		}).WithTimeout(3 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	})

	It("records the inviter from the GitOps identity, the one thing Roster adds to what users apply", func() {
		for _, o := range members {
			if o.GetKind() != "Invitation" {
				continue
			}
			live := get(Default, env.Admin, o)
			Expect(live.GetAnnotations()).To(HaveKeyWithValue(orgsv1alpha1.InvitedByAnnotation, gitopsUser))
		}
	})

	It("counts it in the metrics: admission decisions, and the organization's members and owners", func() {
		// A sample's value; -1 where none has the labels.
		value := func(g Gomega, name string, labels map[string]string) float64 {
			if sum, found := testenv.MetricValue(g, name, labels); found {
				return sum
			}
			return -1
		}
		Eventually(func(g Gomega) {
			g.Expect(value(g, metrics.WebhookDecisionsName, map[string]string{"kind": "Member", "result": "allowed"})).To(BeNumerically(">=", 1))
			g.Expect(value(g, metrics.OrganizationOwnersName, map[string]string{"organization": "acme"})).To(BeEquivalentTo(2))
			g.Expect(value(g, metrics.OrganizationMembersName, map[string]string{"organization": "acme", "role": "ViewerNoSecrets"})).To(BeEquivalentTo(2))
			g.Expect(value(g, metrics.OrganizationReadyName, map[string]string{"organization": "acme"})).To(BeEquivalentTo(1))
		}).Should(Succeed())
	})

	It("shows healthy in Argo CD", func() {
		root, err := repoRoot()
		Expect(err).NotTo(HaveOccurred())
		for _, o := range append(append([]*unstructured.Unstructured{}, organizations...), members...) {
			if o.GroupVersionKind().Group != orgsv1alpha1.GroupVersion.Group {
				continue
			}
			health, err := argocd.Health(root, get(Default, env.Admin, o))
			Expect(err).NotTo(HaveOccurred())
			if o.GetKind() == "Invitation" {
				// Healthy once delivered; Progressing where no Invitation
				// controller runs. Never Degraded.
				Expect(health.Status).To(BeElementOf(argocd.Healthy, argocd.Progressing), "%s: %s", key(o), health.Message)
				continue
			}
			Expect(health.Status).To(Equal(argocd.Healthy), "%s: %s", key(o), health.Message)
		}
	})
})

// bindGitOps gives the GitOps identity roster-gitops, and the namespace
// rights config/samples needs: create namespaces, and (to attach acme-web to
// acme) create RoleBindings there binding the roles Roster binds.
func bindGitOps(ctx context.Context, admin client.Client) {
	GinkgoHelper()
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "flux-system", Name: "kustomize-controller"}}
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-roster-gitops"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "roster-gitops"},
		Subjects:   subject,
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-namespaces"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"rolebindings"}, Verbs: []string{"create"}},
			{APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"},
				ResourceNames: []string{"admin", "edit", "view", "roster-viewer"}},
		},
	})).To(Succeed())
	Expect(admin.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "flux-namespaces"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "flux-namespaces"},
		Subjects:   subject,
	})).To(Succeed())
}

// drift says which fields of the object differ between the cluster and
// what applying it from Git would make of it ("" when none).
func drift(rm *ssa.ResourceManager, o *unstructured.Unstructured) string {
	_, existing, dryRun, err := rm.Diff(context.Background(), o.DeepCopy(), ssa.DefaultDiffOptions())
	if err != nil {
		return err.Error()
	}
	if existing == nil || dryRun == nil {
		return ""
	}
	var diffs []string
	for _, field := range []string{"spec", "data"} {
		if a, b := existing.Object[field], dryRun.Object[field]; !equality.Semantic.DeepEqual(a, b) {
			diffs = append(diffs, fmt.Sprintf("%s in the cluster %v, from Git %v", field, a, b))
		}
	}
	if a, b := existing.GetLabels(), dryRun.GetLabels(); !equality.Semantic.DeepEqual(a, b) {
		diffs = append(diffs, fmt.Sprintf("labels in the cluster %v, from Git %v", a, b))
	}
	if a, b := existing.GetAnnotations(), dryRun.GetAnnotations(); !equality.Semantic.DeepEqual(a, b) {
		diffs = append(diffs, fmt.Sprintf("annotations in the cluster %v, from Git %v", a, b))
	}
	return strings.Join(diffs, "; ")
}

func get(g Gomega, c client.Client, o *unstructured.Unstructured) *unstructured.Unstructured {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	g.Expect(c.Get(context.Background(), client.ObjectKeyFromObject(o), live)).To(Succeed())
	return live
}

// readyFor: Ready is True and describes the object's current generation.
func readyFor(live *unstructured.Unstructured) bool {
	observed, _, _ := unstructured.NestedInt64(live.Object, "status", "observedGeneration")
	raw, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
	var conditions []metav1.Condition
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		c := metav1.Condition{}
		c.Type, _ = m["type"].(string)
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		conditions = append(conditions, c)
	}
	return observed == live.GetGeneration() && meta.IsStatusConditionTrue(conditions, orgsv1alpha1.ReadyCondition)
}
