package fault_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/access"
	"github.com/roster-dev/roster/internal/testenv"
)

// world is what the API server acknowledged: every Member, Invitation and
// project attachment a write succeeded for, and the organizations deleted.
// The checks compare the cluster with it once Roster has converged.
type world struct {
	mu   sync.Mutex
	rnd  *rand.Rand
	orgs map[string]*orgState
	gone []string
	// ops counts acknowledged writes, refused counts writes the webhooks
	// refused (the last-owner rule) or that found no home namespace yet,
	// by kind.
	ops, refused map[string]int
	// accepting are the invitations an invitee is answering, by
	// namespace/name, until an answer says what became of them.
	accepting map[string]*acceptance
	// answers counts the accept server's answers by outcome ("no answer"
	// when the manager died first).
	answers map[string]int
}

// acceptance is an invitee answering a link.
type acceptance struct {
	org, home, invitation, token string
	role                         orgsv1alpha1.Role
}

type orgState struct {
	name, home  string
	members     map[string]orgsv1alpha1.MemberSpec
	invitations map[string]orgsv1alpha1.InvitationSpec
	projects    map[string]bool // namespace -> attached
	seq         int
	// displayName and notes are what people wrote meanwhile (see
	// scribble): the last display name, and annotations by Member.
	displayName string
	notes       map[string]map[string]string
}

// newWorld creates organizations prefix-0..n-1, each with projects project
// namespaces (not yet attached), as a cluster admin.
func newWorld(prefix string, n, projects int) *world {
	GinkgoHelper()
	w := &world{
		rnd:  rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), uint64(n))),
		orgs: map[string]*orgState{}, ops: map[string]int{}, refused: map[string]int{},
		accepting: map[string]*acceptance{}, answers: map[string]int{},
	}
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		o := &orgState{
			name: name, home: orgsv1alpha1.DefaultHomeNamespacePrefix + name,
			members:     map[string]orgsv1alpha1.MemberSpec{},
			invitations: map[string]orgsv1alpha1.InvitationSpec{},
			projects:    map[string]bool{},
			notes:       map[string]map[string]string{},
		}
		Expect(env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
		for k := range projects {
			ns := fmt.Sprintf("%s-p%d", name, k)
			Expect(env.Admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
			o.projects[ns] = false
		}
		w.orgs[name] = o
	}
	return w
}

// waitForHomes waits until Roster has created every home namespace.
func (w *world) waitForHomes() {
	GinkgoHelper()
	for _, name := range w.names() {
		Eventually(func() error {
			return env.Admin.Get(ctx, client.ObjectKey{Name: w.orgs[name].home}, &corev1.Namespace{})
		}).Should(Succeed())
	}
}

// names returns the organizations still in play, sorted.
func (w *world) names() []string {
	var out []string
	for name := range w.orgs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (w *world) pick(n int) int { return w.rnd.IntN(n) }

func (w *world) pickKey(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys[w.pick(len(keys))]
}

// outcome records a write: acknowledged, or refused (the model does not
// change). Any other answer fails the test: nothing here may be unclear.
func (w *world) outcome(kind string, err error) (ok bool) {
	switch {
	case err == nil:
		w.ops[kind]++
		return true
	case apierrors.IsForbidden(err):
		w.refused[kind]++
		return false
	case apierrors.IsNotFound(err), apierrors.IsAlreadyExists(err):
		// The home namespace is not there yet, or the object is gone.
		w.refused[kind]++
		return false
	}
	Expect(err).NotTo(HaveOccurred(), "an unexpected answer to %s", kind)
	return false
}

// step makes one random change to one random organization, as a cluster
// admin through Roster's webhooks, and records what was acknowledged.
func (w *world) step() {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	names := w.names()
	if len(names) == 0 {
		return
	}
	o := w.orgs[names[w.pick(len(names))]]
	o.seq++
	members := sortedKeys(o.members)
	invitations := sortedKeys(o.invitations)
	role := orgsv1alpha1.Roles[w.pick(len(orgsv1alpha1.Roles))]
	switch r := w.pick(100); {
	case r < 35 || len(members) < 2:
		name := fmt.Sprintf("m%d", o.seq)
		spec := orgsv1alpha1.MemberSpec{User: fmt.Sprintf("%s@%s.example.com", name, o.name), Role: role}
		if len(members) < 2 {
			spec.Role = orgsv1alpha1.RoleOwner
		}
		m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}, Spec: spec}
		if w.outcome("create Member", env.Admin.Create(ctx, m)) {
			o.members[name] = spec
		}
	case r < 55:
		name := members[w.pick(len(members))]
		m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}}
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"role":%q}}`, role))
		if w.outcome("change a role", env.Admin.Patch(ctx, m, patch)) {
			spec := o.members[name]
			spec.Role = role
			o.members[name] = spec
		}
	case r < 68:
		name := members[w.pick(len(members))]
		m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}}
		if w.outcome("remove a Member", env.Admin.Delete(ctx, m)) {
			delete(o.members, name)
			delete(o.notes, name)
		}
	case r < 80:
		name := fmt.Sprintf("i%d", o.seq)
		spec := orgsv1alpha1.InvitationSpec{Email: fmt.Sprintf("%s@%s.example.com", name, o.name), Role: role}
		inv := &orgsv1alpha1.Invitation{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}, Spec: spec}
		if w.outcome("invite", env.Admin.Create(ctx, inv)) {
			o.invitations[name] = spec
		}
	case r < 85 && len(invitations) > 0:
		name := invitations[w.pick(len(invitations))]
		if w.accepting[o.home+"/"+name] != nil {
			return // an invitee is answering it
		}
		inv := &orgsv1alpha1.Invitation{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: name}}
		if w.outcome("revoke an invitation", env.Admin.Delete(ctx, inv)) {
			delete(o.invitations, name)
		}
	case len(o.projects) > 0:
		ns := w.pickKey(o.projects)
		attach := !o.projects[ns]
		value := "null"
		if attach {
			value = fmt.Sprintf("%q", o.name)
		}
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, orgsv1alpha1.OrganizationLabel, value))
		if w.outcome("attach or detach a project", env.Admin.Patch(ctx, n, patch)) {
			o.projects[ns] = attach
		}
	}
}

// scribble is what people do besides membership changes: rename an
// organization and annotate a Member, with merge patches that carry no
// resourceVersion. Roster's own writes to the same objects must never
// undo them.
func (w *world) scribble() {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	names := w.names()
	o := w.orgs[names[w.pick(len(names))]]
	o.seq++
	if w.pick(2) == 0 {
		name := fmt.Sprintf("Organization %s, version %d", o.name, o.seq)
		org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: o.name}}
		if w.outcome("rename an Organization", env.Admin.Patch(ctx, org, client.RawPatch("application/merge-patch+json",
			fmt.Appendf(nil, `{"spec":{"displayName":%q}}`, name)))) {
			o.displayName = name
		}
		return
	}
	members := sortedKeys(o.members)
	if len(members) == 0 {
		return
	}
	member := members[w.pick(len(members))]
	key, value := fmt.Sprintf("fault.roster.dev/note-%d", o.seq), fmt.Sprint(o.seq)
	m := &orgsv1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Namespace: o.home, Name: member}}
	if w.outcome("annotate a Member", env.Admin.Patch(ctx, m, client.RawPatch("application/merge-patch+json",
		fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, key, value)))) {
		if o.notes[member] == nil {
			o.notes[member] = map[string]string{}
		}
		o.notes[member][key] = value
	}
}

// nextAcceptance is an answer still owed (a link answered while the
// manager died), or, with fresh, a new one: an invitation whose current
// link was delivered. nil when there is none.
func (w *world) nextAcceptance(fresh bool) *acceptance {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, key := range sortedKeys(w.accepting) {
		return w.accepting[key]
	}
	if !fresh {
		return nil
	}
	tokens := linkTokens()
	for _, name := range w.names() {
		o := w.orgs[name]
		for _, invName := range sortedKeys(o.invitations) {
			inv := &orgsv1alpha1.Invitation{}
			if err := env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: invName}, inv); err != nil || inv.Status.Phase != orgsv1alpha1.InvitationSent {
				continue
			}
			for _, t := range tokens[o.home+"/"+invName] {
				if invitation.HashToken(t) == inv.Status.TokenHash {
					a := &acceptance{org: o.name, home: o.home, invitation: invName, token: t, role: inv.Spec.Role}
					w.accepting[o.home+"/"+invName] = a
					return a
				}
			}
		}
	}
	return nil
}

// answered records what an answer to a's link came to. Accepted (or used:
// an earlier answer whose reply was lost made the Member) adds the Member
// and retires the Invitation; no answer, or Roster unable to answer,
// leaves it owed; a link a restarted manager replaced gives way to the
// newer one.
func (w *world) answered(a *acceptance, res acceptserver.APIResponse, err error) {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	key := a.home + "/" + a.invitation
	o, live := w.orgs[a.org]
	switch {
	case err != nil:
		w.answers["no answer"]++
		return
	case !live:
		w.answers[string(res.Outcome)]++
		delete(w.accepting, key)
		return
	}
	w.answers[string(res.Outcome)]++
	switch res.Outcome {
	case invitation.OutcomeUsed:
		if res.Member == "" {
			// Accepted (the Invitation says so), and the Member not made
			// yet: the manager died in between, and its successor
			// completes it. Ask again.
			return
		}
		fallthrough
	case invitation.OutcomeAccepted:
		Expect(res.Member).NotTo(BeEmpty(), "%s: %+v", key, res)
		o.members[res.Member] = orgsv1alpha1.MemberSpec{User: res.User, Role: a.role}
		delete(o.invitations, a.invitation)
		delete(w.accepting, key)
	case invitation.OutcomeUnavailable, invitation.OutcomeRateLimited:
	case invitation.OutcomeUnknown, invitation.OutcomeReplaced:
		delete(w.accepting, key)
	default:
		Fail(fmt.Sprintf("answering the link of %s came to %q: %s", key, res.Outcome, res.Message))
	}
}

// owed reports whether an answer is still owed.
func (w *world) owed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.accepting) > 0
}

// deleteOrganization confirms and deletes an organization, members and all.
func (w *world) deleteOrganization(name string) {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: name}}
	patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, orgsv1alpha1.ConfirmDeleteAnnotation, name))
	Expect(env.Admin.Patch(ctx, org, patch)).To(Succeed())
	Expect(env.Admin.Delete(ctx, org)).To(Succeed())
	w.ops["delete an Organization"]++
	delete(w.orgs, name)
	w.gone = append(w.gone, name)
}

// churn makes changes until stop is closed.
func (w *world) churn(stop <-chan struct{}, done chan<- struct{}) {
	defer GinkgoRecover()
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(5+w.rnd.IntN(20)) * time.Millisecond):
		}
		w.step()
	}
}

func (w *world) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	total := 0
	for _, n := range w.ops {
		total += n
	}
	return fmt.Sprintf("%d writes acknowledged %v, refused by admission %v; accept answers %v", total, w.ops, w.refused, w.answers)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// expectConverged waits until Roster has caught up with w, then asserts
// that nothing was lost or duplicated and nothing is orphaned.
func (w *world) expectConverged() time.Duration {
	GinkgoHelper()
	w.mu.Lock()
	defer w.mu.Unlock()
	start := time.Now()
	Eventually(func(g Gomega) {
		for _, name := range w.names() {
			w.orgs[name].check(g)
		}
		for _, name := range w.gone {
			err := env.Admin.Get(ctx, client.ObjectKey{Name: name}, &orgsv1alpha1.Organization{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "organization %s is still there: %v", name, err)
			g.Expect(renderedRBAC(g, name)).To(BeEmpty(), "RBAC of deleted organization %s", name)
		}
		// Nothing Roster labelled as its own belongs to no organization
		// (other specs' organizations are still there).
		for org, objects := range rbacByOrganization(g) {
			if _, ok := w.orgs[org]; ok {
				continue
			}
			err := env.Admin.Get(ctx, client.ObjectKey{Name: org}, &orgsv1alpha1.Organization{})
			g.Expect(err).NotTo(HaveOccurred(), "orphaned RBAC objects of organization %q: %v", org, objects)
		}
	}).WithTimeout(120 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
	return time.Since(start)
}

// check asserts that o's cluster state is exactly the acknowledged one.
func (o *orgState) check(g Gomega) {
	org := &orgsv1alpha1.Organization{}
	g.Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, org)).To(Succeed())
	g.Expect(org.Status.ObservedGeneration).To(Equal(org.Generation), o.name)
	if o.hasOwner() {
		g.Expect(meta.IsStatusConditionTrue(org.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "%s: %v", o.name, org.Status.Conditions)
	} else {
		// No Member could be created before the churn ended (no manager
		// had made the home namespace yet): not Ready, and saying why.
		ready := meta.FindStatusCondition(org.Status.Conditions, orgsv1alpha1.ReadyCondition)
		g.Expect(ready).NotTo(BeNil(), o.name)
		g.Expect(ready.Reason).To(Equal(orgsv1alpha1.NoOwnerReason), "%s: %v", o.name, org.Status.Conditions)
	}
	if o.displayName != "" {
		g.Expect(org.Spec.DisplayName).To(Equal(o.displayName), "a rename of %s was lost", o.name)
	}

	var members orgsv1alpha1.MemberList
	g.Expect(env.Admin.List(ctx, &members, client.InNamespace(o.home))).To(Succeed())
	got := map[string]orgsv1alpha1.MemberSpec{}
	for _, m := range members.Items {
		g.Expect(m.DeletionTimestamp).To(BeNil(), "Member %s/%s is still being deleted", o.home, m.Name)
		g.Expect(m.Status.EffectiveRole).To(Equal(m.Spec.Role), "Member %s/%s", o.home, m.Name)
		g.Expect(meta.IsStatusConditionTrue(m.Status.Conditions, orgsv1alpha1.ReadyCondition)).To(BeTrue(), "Member %s/%s: %v", o.home, m.Name, m.Status.Conditions)
		got[m.Name] = m.Spec
		for k, v := range o.notes[m.Name] {
			g.Expect(m.Annotations).To(HaveKeyWithValue(k, v), "an annotation of Member %s/%s was lost", o.home, m.Name)
		}
	}
	g.Expect(got).To(Equal(o.members), "the Members of %s", o.name)

	var invitations orgsv1alpha1.InvitationList
	g.Expect(env.Admin.List(ctx, &invitations, client.InNamespace(o.home))).To(Succeed())
	gotInv := map[string]orgsv1alpha1.InvitationSpec{}
	tokens := linkTokens()
	for _, inv := range invitations.Items {
		gotInv[inv.Name] = inv.Spec
		key := o.home + "/" + inv.Name
		g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationSent), "Invitation %s: %v", key, inv.Status.Conditions)
		g.Expect(inv.Status.ObservedGeneration).To(Equal(inv.Generation), key)
		// The link whose hash is stored is one that was delivered: the
		// invitee holds a working link, whatever the kills did.
		var delivered []string
		for _, t := range tokens[key] {
			delivered = append(delivered, invitation.HashToken(t))
		}
		g.Expect(delivered).To(ContainElement(inv.Status.TokenHash), "Invitation %s: no delivered link matches the stored token hash", key)
	}
	g.Expect(gotInv).To(Equal(o.invitations), "the Invitations of %s", o.name)

	g.Expect(renderedRBAC(g, o.name)).To(Equal(o.expectedRBAC(org)), "the RBAC of %s", o.name)
}

func (o *orgState) hasOwner() bool {
	for _, spec := range o.members {
		if spec.Role == orgsv1alpha1.RoleOwner && spec.User != "" {
			return true
		}
	}
	return false
}

// expectedRBAC is internal/access.Render of the acknowledged membership.
func (o *orgState) expectedRBAC(org *orgsv1alpha1.Organization) []string {
	s := access.Snapshot{Organization: org, HomeNamespace: o.home}
	for ns, attached := range o.projects {
		if attached {
			s.ProjectNamespaces = append(s.ProjectNamespaces, ns)
		}
	}
	for _, spec := range o.members {
		s.Subjects = append(s.Subjects, access.Subject{Kind: rbacv1.UserKind, Name: spec.User, Role: spec.Role})
	}
	var out []string
	for _, obj := range access.Render(s) {
		out = append(out, testenv.DescribeRBAC(obj))
	}
	sort.Strings(out)
	return out
}

// renderedRBAC is every RBAC object labelled as Roster's for organization.
func renderedRBAC(g Gomega, organization string) []string {
	return rbacByOrganization(g)[organization]
}

// rbacByOrganization lists every RBAC object labelled as Roster's, by the
// organization its access-for label names.
func rbacByOrganization(g Gomega) map[string][]string {
	objs, err := testenv.ListRBAC(ctx, env.Admin, client.MatchingLabels{orgsv1alpha1.ManagedByLabel: orgsv1alpha1.ManagedByValue})
	g.Expect(err).NotTo(HaveOccurred())
	out := map[string][]string{}
	for _, obj := range objs {
		org := obj.GetLabels()[access.AccessForLabel]
		out[org] = append(out[org], testenv.DescribeRBAC(obj))
	}
	for org := range out {
		slices.Sort(out[org])
	}
	return out
}
