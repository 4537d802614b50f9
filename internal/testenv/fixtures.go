package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2" //nolint:revive,staticcheck // the Ginkgo DSL, as in every suite
	. "github.com/onsi/gomega"    //nolint:revive,staticcheck // the Gomega DSL, as in every suite
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The people of the suites' organizations.
const (
	Alice   = "alice@example.com"
	Bob     = "bob@example.com"
	Carol   = "carol@example.com"
	Dave    = "dave@example.com"
	Erin    = "erin@example.com"
	Mallory = "mallory@example.com"
)

// Person is one Member of a test organization: its name, its user, its role.
type Person struct {
	Member, User string
	Role         orgsv1alpha1.Role
}

// Team is one Member per role: alice Owner (the only one), bob Admin,
// carol Contributor, dave Viewer and erin ViewerNoSecrets.
var Team = []Person{
	{"alice", Alice, orgsv1alpha1.RoleOwner},
	{"bob", Bob, orgsv1alpha1.RoleAdmin},
	{"carol", Carol, orgsv1alpha1.RoleContributor},
	{"dave", Dave, orgsv1alpha1.RoleViewer},
	{"erin", Erin, orgsv1alpha1.RoleViewerNoSecrets},
}

// Org is a test organization: its name and home namespace.
type Org struct {
	Name, Home string
}

var nameSeq atomic.Int32

// UniqueName is prefix and a number no other call in this process got.
func UniqueName(prefix string) string { return fmt.Sprintf("%s%d", prefix, nameSeq.Add(1)) }

type clientCache struct {
	mu    sync.Mutex
	byKey map[string]client.Client
}

// As returns a client acting as user in groups (and system:authenticated),
// authenticated by a client certificate, made once per user and groups.
func (e *Env) As(user string, groups ...string) client.Client {
	GinkgoHelper()
	e.clients.mu.Lock()
	defer e.clients.mu.Unlock()
	key := strings.Join(append([]string{user}, groups...), "\x00")
	if c, ok := e.clients.byKey[key]; ok {
		return c
	}
	c, err := e.User(user, groups...)
	Expect(err).NotTo(HaveOccurred())
	e.clients.byKey[key] = c
	return c
}

// NewMember is the Member namespace/name for user with role.
func NewMember(namespace, name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

// CreateMember creates the Member namespace/name for user with role as a
// cluster admin and returns it.
func (e *Env) CreateMember(ctx context.Context, namespace, name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	GinkgoHelper()
	m := NewMember(namespace, name, user, role)
	Expect(e.Admin.Create(ctx, m)).To(Succeed())
	return m
}

// GetMember reads the Member namespace/name as a cluster admin, inside an
// Eventually (g) or a spec (Default).
func (e *Env) GetMember(ctx context.Context, g Gomega, namespace, name string) *orgsv1alpha1.Member {
	m := &orgsv1alpha1.Member{}
	g.Expect(e.Admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m)).To(Succeed())
	return m
}

// NewInvitation is the Invitation namespace/name for email with role.
func NewInvitation(namespace, name, email string, role orgsv1alpha1.Role) *orgsv1alpha1.Invitation {
	return &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: role},
	}
}

// CreateOrg creates org as a cluster admin and waits until its home
// namespace is ready.
func (e *Env) CreateOrg(ctx context.Context, org *orgsv1alpha1.Organization) Org {
	GinkgoHelper()
	Expect(e.Admin.Create(ctx, org)).To(Succeed())
	Eventually(func(g Gomega) {
		got := &orgsv1alpha1.Organization{}
		g.Expect(e.Admin.Get(ctx, client.ObjectKeyFromObject(org), got)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, orgsv1alpha1.HomeNamespaceReadyCondition)).To(BeTrue(), "%v", got.Status.Conditions)
	}).Should(Succeed())
	return Org{Name: org.Name, Home: org.HomeNamespaceName()}
}

// CreateHome creates the Organization name (no spec) as a cluster admin
// and waits only until its home namespace exists, not for any condition
// (for a suite that watches what comes next); it returns the home
// namespace.
func (e *Env) CreateHome(ctx context.Context, name string) string {
	GinkgoHelper()
	Expect(e.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	home := orgsv1alpha1.DefaultHomeNamespacePrefix + name
	Eventually(func() error {
		return e.Admin.Get(ctx, client.ObjectKey{Name: home}, &corev1.Namespace{})
	}).Should(Succeed())
	return home
}

// NewOrg creates org (CreateOrg) with people as its Members, and waits
// until it is Ready with them counted and the API server's authorizer
// gives each their role (WaitRoles): a test may act as any of them next.
func (e *Env) NewOrg(ctx context.Context, org *orgsv1alpha1.Organization, people ...Person) Org {
	GinkgoHelper()
	o := e.CreateOrg(ctx, org)
	for _, p := range people {
		Expect(e.Admin.Create(ctx, NewMember(o.Home, p.Member, p.User, p.Role))).To(Succeed())
	}
	e.WaitReady(ctx, o.Name, len(people))
	e.WaitRoles(ctx, o, people)
	return o
}

// WaitReady waits until the Organization name is Ready for its current
// generation with members Members counted, so its RBAC is written.
func (e *Env) WaitReady(ctx context.Context, name string, members int) {
	GinkgoHelper()
	e.waitReady(ctx, name, members, nil)
}

// WaitReadyProjects is WaitReady that also waits for projects project
// namespaces counted in the same status: the RBAC of all of them is
// written.
func (e *Env) WaitReadyProjects(ctx context.Context, name string, members, projects int) {
	GinkgoHelper()
	e.waitReady(ctx, name, members, &projects)
}

func (e *Env) waitReady(ctx context.Context, name string, members int, projects *int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		org := e.GetOrg(ctx, g, name)
		g.Expect(org.Status.ObservedGeneration).To(Equal(org.Generation))
		g.Expect(meta.IsStatusConditionTrue(org.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "%v", org.Status.Conditions)
		g.Expect(org.Status.Members).To(BeEquivalentTo(members))
		if projects != nil {
			g.Expect(org.Status.Projects).To(BeEquivalentTo(*projects))
		}
	}).Should(Succeed())
}

// GetOrg reads the Organization name as a cluster admin, inside an
// Eventually (g) or a spec (Default).
func (e *Env) GetOrg(ctx context.Context, g Gomega, name string) *orgsv1alpha1.Organization {
	org := &orgsv1alpha1.Organization{}
	g.Expect(e.Admin.Get(ctx, client.ObjectKey{Name: name}, org)).To(Succeed())
	return org
}

// Attach labels ns as a project of org and records org's UID on it, as
// Roster's webhooks would: for a suite that runs without them.
func (e *Env) Attach(ctx context.Context, ns *corev1.Namespace, org string) {
	GinkgoHelper()
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Labels[orgsv1alpha1.OrganizationLabel] = org
	ns.Annotations[orgsv1alpha1.OrganizationUIDAnnotation] = string(e.GetOrg(ctx, Default, org).UID)
}

// CreateAttachedProject creates the namespace name as a project of org
// the way Roster's webhooks leave it (Attach): for a suite without them.
func (e *Env) CreateAttachedProject(ctx context.Context, name, org string) {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	e.Attach(ctx, ns, org)
	Expect(e.Admin.Create(ctx, ns)).To(Succeed())
}

// WaitRoles waits until the API server's authorizer gives every person
// their role in o and in its project namespaces projects (RoleInEffect):
// Ready says the RBAC is written, and the authorizer sees it a moment
// later.
func (e *Env) WaitRoles(ctx context.Context, o Org, people []Person, projects ...string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		for _, p := range people {
			g.Expect(e.RoleInEffect(ctx, p.User, o.Name, o.Home, p.Role, projects...)).To(Succeed())
		}
	}).Should(Succeed())
}

// CreateProject creates the namespace name labelled as a project of org,
// as a cluster admin.
func (e *Env) CreateProject(ctx context.Context, name, org string) {
	GinkgoHelper()
	Expect(e.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{orgsv1alpha1.OrganizationLabel: org},
	}})).To(Succeed())
}

// ListRBAC lists the ClusterRoles, ClusterRoleBindings and RoleBindings
// that opts select (labels: access.AccessForLabel, or Roster's managed-by
// label).
func ListRBAC(ctx context.Context, c client.Reader, opts ...client.ListOption) ([]client.Object, error) {
	var out []client.Object
	var crs rbacv1.ClusterRoleList
	if err := c.List(ctx, &crs, opts...); err != nil {
		return nil, err
	}
	for i := range crs.Items {
		out = append(out, &crs.Items[i])
	}
	var crbs rbacv1.ClusterRoleBindingList
	if err := c.List(ctx, &crbs, opts...); err != nil {
		return nil, err
	}
	for i := range crbs.Items {
		out = append(out, &crbs.Items[i])
	}
	var rbs rbacv1.RoleBindingList
	if err := c.List(ctx, &rbs, opts...); err != nil {
		return nil, err
	}
	for i := range rbs.Items {
		out = append(out, &rbs.Items[i])
	}
	return out, nil
}

// DescribeRBAC is what matters about an RBAC object (its kind, key, and
// rules or role and subjects), as one line.
func DescribeRBAC(obj client.Object) string {
	var body any
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		body = o.Rules
	case *rbacv1.Role:
		body = o.Rules
	case *rbacv1.ClusterRoleBinding:
		body = []any{o.RoleRef, o.Subjects}
	case *rbacv1.RoleBinding:
		body = []any{o.RoleRef, o.Subjects}
	}
	b, _ := json.Marshal(body)
	return fmt.Sprintf("%T %s/%s %s", obj, obj.GetNamespace(), obj.GetName(), b)
}

// DescribeAll is DescribeRBAC of each of objs, sorted.
func DescribeAll(objs []client.Object) []string {
	out := make([]string, 0, len(objs))
	for _, obj := range objs {
		out = append(out, DescribeRBAC(obj))
	}
	slices.Sort(out)
	return out
}

// SyncBuffer is a bytes.Buffer that writers (a logger, a child process's
// output) and a test's polling may use at once.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreeAddress returns a loopback address (127.0.0.1:port) that was free
// a moment ago, for a server a test starts next.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// FreePort is FreeAddress's port, for a Ginkgo spec.
func FreePort() int {
	GinkgoHelper()
	addr, err := FreeAddress()
	Expect(err).NotTo(HaveOccurred())
	_, port, err := net.SplitHostPort(addr)
	Expect(err).NotTo(HaveOccurred())
	n, err := strconv.Atoi(port)
	Expect(err).NotTo(HaveOccurred())
	return n
}

// Can is AllowedInGroups for a Ginkgo spec: whether user, in groups and
// system:authenticated, may do what attrs describe; the spec fails when
// the review cannot be made.
func (e *Env) Can(ctx context.Context, user string, groups []string, attrs authorizationv1.ResourceAttributes) bool {
	GinkgoHelper()
	allowed, err := e.AllowedInGroups(ctx, user, groups, attrs)
	Expect(err).NotTo(HaveOccurred())
	return allowed
}

// Versions is the resourceVersion of objects by "Kind namespace/name": a
// snapshot of what an action could change, compared before and after it.
type Versions map[string]string

// Add records obj as kind.
func (v Versions) Add(kind string, obj client.Object) {
	v[kind+" "+client.ObjectKeyFromObject(obj).String()] = obj.GetResourceVersion()
}

// AddList lists list (a *MemberList, *rbacv1.RoleBindingList, …) with
// opts as a cluster admin and records each item as kind.
func (e *Env) AddList(ctx context.Context, v Versions, kind string, list client.ObjectList, opts ...client.ListOption) {
	GinkgoHelper()
	Expect(e.Admin.List(ctx, list, opts...)).To(Succeed())
	Expect(meta.EachListItem(list, func(obj k8sruntime.Object) error {
		v.Add(kind, obj.(client.Object))
		return nil
	})).To(Succeed())
}
