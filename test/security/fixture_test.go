package security_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	rosterorg "github.com/roster-dev/roster/controllers/organization"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/manager"
	"github.com/roster-dev/roster/internal/testenv"
)

// The people. acme: alice Owner, bob Admin, carol Contributor, dave Viewer,
// erin ViewerNoSecrets. globex: olga Owner, pete Admin, alice Viewer.
// mallory belongs to nothing.
const (
	alice   = "alice@example.com"
	bob     = "bob@example.com"
	carol   = "carol@example.com"
	dave    = "dave@example.com"
	erin    = "erin@example.com"
	olga    = "olga@example.com"
	pete    = "pete@example.com"
	mallory = "mallory@example.com"
)

// org is one organization of the world.
type org struct {
	name, home, project string
	members             []person
}

type person struct {
	member, user string
	role         orgsv1alpha1.Role
}

var (
	acme = org{name: "acme", home: "org-acme", project: "acme-web", members: []person{
		{"alice", alice, orgsv1alpha1.RoleOwner},
		{"bob", bob, orgsv1alpha1.RoleAdmin},
		{"carol", carol, orgsv1alpha1.RoleContributor},
		{"dave", dave, orgsv1alpha1.RoleViewer},
		{"erin", erin, orgsv1alpha1.RoleViewerNoSecrets},
	}}
	globex = org{name: "globex", home: "org-globex", project: "globex-api", members: []person{
		{"olga", olga, orgsv1alpha1.RoleOwner},
		{"pete", pete, orgsv1alpha1.RoleAdmin},
		{"alice", alice, orgsv1alpha1.RoleViewer},
	}}
)

// Pending invitations of acme: one for an Owner (made by alice), one for an
// Admin (made by bob).
const (
	ownerInvite = "owner-invite"
	adminInvite = "admin-invite"
)

// impersonating returns a client authenticated as user that asks the API
// server to act as target.
func impersonating(user, target string) client.Client {
	GinkgoHelper()
	cfg, err := env.UserConfig(user)
	Expect(err).NotTo(HaveOccurred())
	cfg.Impersonate = rest.ImpersonationConfig{UserName: target}
	// The admin's mapper: the impersonated identity may not even discover.
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme, Mapper: env.Admin.RESTMapper()})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// setUpWorld creates acme and globex with their Members, a project
// namespace each (attached by a cluster admin) and acme's pending
// invitations, and waits until Roster has applied everything.
func setUpWorld() {
	GinkgoHelper()
	for _, o := range []org{acme, globex} {
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: o.name}})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.home}, &corev1.Namespace{})).To(Succeed())
		}).Should(Succeed())
		for _, p := range o.members {
			Expect(env.Admin.Create(ctx, testenv.NewMember(o.home, p.member, p.user, p.role))).To(Succeed())
		}
		Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: o.project, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: o.name},
		}})).To(Succeed())
	}
	// alice and bob invite as acme's Owner and Admin: only once acme's RBAC
	// is applied and in effect. The organizations converge in any order
	// (the manager reconciles several at once, as in production).
	for _, o := range []org{acme, globex} {
		waitConverged(o)
	}
	Expect(env.As(alice).Create(ctx, testenv.NewInvitation(acme.home, ownerInvite, "otto@example.com", orgsv1alpha1.RoleOwner))).To(Succeed())
	Expect(env.As(bob).Create(ctx, testenv.NewInvitation(acme.home, adminInvite, "adam@example.com", orgsv1alpha1.RoleAdmin))).To(Succeed())
	waitConverged(acme)
	// Roster makes no write once converged: the world stands still, so
	// any change an attempt makes is the attempt's. Still for longer than
	// a batch of changes may wait for quiet.
	var last world
	Eventually(func(g Gomega) {
		now := snapshotWorld()
		prev := last
		last = now
		g.Expect(now).To(Equal(prev))
	}).WithPolling(rosterorg.DefaultBatching.Quiet + 500*time.Millisecond).Should(Succeed())
}

// createOrg creates o (a home, no project) with its Members and waits
// until Roster has applied them.
func createOrg(o org) {
	GinkgoHelper()
	Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: o.name}})).To(Succeed())
	Eventually(func() error { return env.Admin.Get(ctx, client.ObjectKey{Name: o.home}, &corev1.Namespace{}) }).Should(Succeed())
	for _, p := range o.members {
		Expect(env.Admin.Create(ctx, testenv.NewMember(o.home, p.member, p.user, p.role))).To(Succeed())
	}
	waitConverged(o)
}

// waitConverged waits until o is Ready, every Member has its role applied,
// the RBAC Roster made for o is exactly what access.Render says the
// membership implies, and the API server's authorizer gives every person
// of o their role: a test may act as any of them next.
func waitConverged(o org) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		organization := &orgsv1alpha1.Organization{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, organization)).To(Succeed())
		g.Expect(organization.Status.ObservedGeneration).To(Equal(organization.Generation))
		g.Expect(meta.IsStatusConditionTrue(organization.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "%v", organization.Status.Conditions)
		var members orgsv1alpha1.MemberList
		g.Expect(env.Admin.List(ctx, &members, client.InNamespace(o.home))).To(Succeed())
		g.Expect(members.Items).To(HaveLen(len(o.members)))
		for _, m := range members.Items {
			g.Expect(m.Status.EffectiveRole).To(Equal(m.Spec.Role), m.Name)
		}
		g.Expect(renderedRBAC(g, o.name)).To(Equal(expectedRBAC(g, organization, o.home)))
		// Changes of Invitations reach the Organization's status batched
		// (organization.Batching): wait for them, or a later refused attempt
		// would see the status change under it.
		var invitations orgsv1alpha1.InvitationList
		g.Expect(env.Admin.List(ctx, &invitations, client.InNamespace(o.home))).To(Succeed())
		var pending int32
		for i := range invitations.Items {
			if invitations.Items[i].IsPending() {
				pending++
			}
		}
		g.Expect(organization.Status.PendingInvitations).To(Equal(pending), "pending invitations in the status")
		var projects []string
		if o.project != "" {
			projects = append(projects, o.project)
		}
		for _, p := range o.members {
			g.Expect(env.RoleInEffect(ctx, p.user, o.name, o.home, p.role, projects...)).To(Succeed())
		}
	}).Should(Succeed())
}

// expectedRBAC renders what the organization's stored membership implies.
func expectedRBAC(g Gomega, organization *orgsv1alpha1.Organization, home string) []string {
	var members orgsv1alpha1.MemberList
	g.Expect(env.Admin.List(ctx, &members, client.InNamespace(home))).To(Succeed())
	var namespaces corev1.NamespaceList
	g.Expect(env.Admin.List(ctx, &namespaces, client.MatchingLabels{orgsv1alpha1.OrganizationLabel: organization.Name})).To(Succeed())
	s := access.Snapshot{Organization: organization, HomeNamespace: home}
	for _, ns := range namespaces.Items {
		s.ProjectNamespaces = append(s.ProjectNamespaces, ns.Name)
	}
	for _, m := range members.Items {
		s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: m.Spec.User, Role: m.Spec.Role})
	}
	return testenv.DescribeAll(access.Render(s))
}

// renderedRBAC is every RBAC object labelled as Roster's for organization.
func renderedRBAC(g Gomega, organization string) []string {
	objs, err := testenv.ListRBAC(ctx, env.Admin, client.MatchingLabels{access.AccessForLabel: organization})
	g.Expect(err).NotTo(HaveOccurred())
	return testenv.DescribeAll(objs)
}

// world is the resourceVersion of everything an attack could change: both
// organizations, their Members and Invitations, the RBAC Roster made for
// them, and the namespaces that matter.
type world map[string]string

func snapshotWorld() world {
	GinkgoHelper()
	w := testenv.Versions{}
	var orgs orgsv1alpha1.OrganizationList
	Expect(env.Admin.List(ctx, &orgs)).To(Succeed())
	for i := range orgs.Items {
		if orgs.Items[i].Name == acme.name || orgs.Items[i].Name == globex.name {
			w.Add("Organization", &orgs.Items[i])
		}
	}
	for _, o := range []org{acme, globex} {
		env.AddList(ctx, w, "Member", &orgsv1alpha1.MemberList{}, client.InNamespace(o.home))
		env.AddList(ctx, w, "Invitation", &orgsv1alpha1.InvitationList{}, client.InNamespace(o.home))
		sel := client.MatchingLabels{access.AccessForLabel: o.name}
		env.AddList(ctx, w, "ClusterRole", &rbacv1.ClusterRoleList{}, sel)
		env.AddList(ctx, w, "ClusterRoleBinding", &rbacv1.ClusterRoleBindingList{}, sel)
		for _, ns := range []string{o.home, o.project} {
			env.AddList(ctx, w, "RoleBinding", &rbacv1.RoleBindingList{}, client.InNamespace(ns))
		}
	}
	for _, name := range []string{acme.home, acme.project, globex.home, globex.project, "kube-system", "default", testenv.ManagerNamespace} {
		ns := &corev1.Namespace{}
		err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, ns)
		if apierrors.IsNotFound(err) {
			w["Namespace "+name] = "absent"
			continue
		}
		Expect(err).NotTo(HaveOccurred())
		w.Add("Namespace", ns)
	}
	return world(w)
}

// refusal is who must refuse an attempt, and how that shows in the error.
type refusal struct {
	layer string
	is    func(error) bool
	shows string
}

// byRBAC: the API server's authorizer refused; no webhook was asked.
var byRBAC = refusal{layer: "RBAC", is: apierrors.IsForbidden}

// bySchema: the CRD schema (a CEL rule) refused the value.
var bySchema = refusal{layer: "CRD schema", is: apierrors.IsInvalid}

// byWebhook: Roster's validating webhook of that name refused.
func byWebhook(name string) refusal {
	return refusal{layer: "webhook " + name, is: apierrors.IsForbidden, shows: fmt.Sprintf("admission webhook %q denied the request", name)}
}

var (
	byMemberWebhook       = byWebhook("vmember.roster.dev")
	byInvitationWebhook   = byWebhook("vinvitation.roster.dev")
	byOrganizationWebhook = byWebhook("vorganization.roster.dev")
	byNamespaceGuard      = byWebhook("vnamespace.roster.dev")
)

// attempts counts the refused attempts, for the summary.
var attempts struct {
	sync.Mutex
	list []string
}

// refused runs an attack and asserts that by refused it, with a message
// saying all of says, and that nothing in the world changed.
func refused(by refusal, action func() error, says ...string) {
	GinkgoHelper()
	refusedKeeping(nil, by, action, says...)
}

// refusedKeeping is refused, and also asserts that each of keep is stored
// exactly as before (same resourceVersion, not being deleted), or still
// absent.
func refusedKeeping(keep []client.Object, by refusal, action func() error, says ...string) {
	GinkgoHelper()
	before := snapshotWorld()
	kept := make([]string, len(keep))
	for i, obj := range keep {
		kept[i] = state(obj)
	}

	err := action()
	Expect(err).To(HaveOccurred(), "the attack succeeded")
	Expect(by.is(err)).To(BeTrue(), "expected a refusal by %s, got %v", by.layer, err)
	msg := err.Error()
	if by.shows != "" {
		Expect(msg).To(ContainSubstring(by.shows), "expected a refusal by %s", by.layer)
	} else {
		Expect(msg).NotTo(ContainSubstring("admission webhook"), "expected a refusal by %s, before any webhook", by.layer)
	}
	for _, s := range says {
		Expect(msg).To(ContainSubstring(s))
	}

	Expect(snapshotWorld()).To(Equal(before), "the refused attempt changed something")
	for i, obj := range keep {
		Expect(state(obj)).To(Equal(kept[i]), "the refused attempt changed %s", client.ObjectKeyFromObject(obj))
	}
	attempts.Lock()
	attempts.list = append(attempts.list, fmt.Sprintf("%s | refused by %s: %s", CurrentSpecReport().FullText(), by.layer, firstLine(msg)))
	attempts.Unlock()
}

// state is an object's resourceVersion and deletion state, or "absent".
func state(obj client.Object) string {
	GinkgoHelper()
	cur := obj.DeepCopyObject().(client.Object)
	err := env.Admin.Get(ctx, client.ObjectKeyFromObject(obj), cur)
	if apierrors.IsNotFound(err) {
		return "absent"
	}
	Expect(err).NotTo(HaveOccurred())
	return fmt.Sprintf("rv=%s deleting=%t", cur.GetResourceVersion(), cur.GetDeletionTimestamp() != nil)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 220 {
		s = s[:220] + "…"
	}
	return s
}

// The summary: every attempt, who refused it and how (go test -v prints it).
var _ = ReportAfterSuite("attack summary", func(Report) {
	attempts.Lock()
	defer attempts.Unlock()
	if !testing.Verbose() {
		return
	}
	fmt.Printf("%d attempts refused:\n", len(attempts.list))
	for _, a := range attempts.list {
		fmt.Println("  " + a)
	}
})

// checkAttemptCount fails a full run of the suite that refused fewer than
// 30 attempts: the suite is a catalogue, and shrinking it is a defect.
func checkAttemptCount() {
	GinkgoHelper()
	suite, _ := GinkgoConfiguration()
	if len(suite.FocusStrings)+len(suite.SkipStrings)+len(suite.FocusFiles)+len(suite.SkipFiles) > 0 || suite.LabelFilter != "" {
		return
	}
	attempts.Lock()
	defer attempts.Unlock()
	Expect(len(attempts.list)).To(BeNumerically(">=", 30), "the attack suite refused fewer than 30 attempts")
}

func member(o org, name string) *orgsv1alpha1.Member {
	GinkgoHelper()
	m := &orgsv1alpha1.Member{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, m)).To(Succeed())
	return m
}

func invitation(o org, name string) *orgsv1alpha1.Invitation {
	GinkgoHelper()
	inv := &orgsv1alpha1.Invitation{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, inv)).To(Succeed())
	return inv
}

func organization(o org) *orgsv1alpha1.Organization {
	GinkgoHelper()
	organization := &orgsv1alpha1.Organization{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, organization)).To(Succeed())
	return organization
}

// mergePatch changes obj with mutate and sends the difference as a JSON
// merge patch.
func mergePatch[T client.Object](c client.Client, obj T, mutate func(T)) error {
	base := obj.DeepCopyObject().(client.Object)
	mutate(obj)
	return c.Patch(ctx, obj, client.MergeFrom(base))
}

// jsonPatch sends an RFC 6902 JSON patch.
func jsonPatch(c client.Client, obj client.Object, ops string) error {
	return c.Patch(ctx, obj, client.RawPatch(types.JSONPatchType, []byte(ops)))
}

// update changes obj with mutate and sends the whole object (PUT).
func update[T client.Object](c client.Client, obj T, mutate func(T)) error {
	mutate(obj)
	return c.Update(ctx, obj)
}

// applyAs sends a server-side apply of the given fields, forcing ownership
// of every one of them, as field manager "attacker".
func applyAs(c client.Client, apiVersion, kind, namespace, name string, fields map[string]any) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
	}}
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	for k, v := range fields {
		if k == "metadata" {
			for mk, mv := range v.(map[string]any) {
				u.Object["metadata"].(map[string]any)[mk] = mv
			}
			continue
		}
		u.Object[k] = v
	}
	return c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("attacker"), client.ForceOwnership)
}

const orgsAPIVersion = "orgs.roster.dev/v1alpha1"

// rbacMessage is how the API server's authorizer words a refusal.
func rbacMessage(user, verb, resource string) string {
	return fmt.Sprintf("User %q cannot %s resource %q", user, verb, resource)
}

// withToken is a client that presents a value of the ServiceAccount of o's
// AccessToken name, requested by its owner, and nothing else.
func withToken(o org, owner, name string) client.Client {
	GinkgoHelper()
	value, err := env.RequestToken(ctx, owner, o.home, orgsv1alpha1.TokenServiceAccountPrefix+name)
	Expect(err).NotTo(HaveOccurred())
	cfg := rest.AnonymousClientConfig(env.Cluster.Config())
	cfg.BearerToken = value
	c, err := client.New(cfg, client.Options{Scheme: manager.Scheme, Mapper: env.Admin.RESTMapper()})
	Expect(err).NotTo(HaveOccurred())
	return c
}
