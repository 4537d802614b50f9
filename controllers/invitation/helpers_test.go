package invitation_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/notify/notifytest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	invite "github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/testenv"
)

func uniqueName(prefix string) string { return testenv.UniqueName(prefix) }

// The people of every test organization: two owners and an admin.
const (
	alice = testenv.Alice // Owner
	carol = testenv.Carol // Owner
	bob   = testenv.Bob   // Admin
)

type orgFixture struct {
	name, home string
}

// newOrg creates an organization with alice and carol as Owners and bob as
// Admin, and waits until it is Ready and the API server's authorizer gives
// each of them their role: the tests invite as them next.
func newOrg(ttl *metav1.Duration) orgFixture {
	GinkgoHelper()
	name := uniqueName("inv")
	o := env.NewOrg(ctx, &orgsv1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       orgsv1alpha1.OrganizationSpec{DisplayName: "Team " + name, InvitationTTL: ttl},
	}, testenv.Person{Member: "alice", User: alice, Role: orgsv1alpha1.RoleOwner},
		testenv.Person{Member: "carol", User: carol, Role: orgsv1alpha1.RoleOwner},
		testenv.Person{Member: "bob", User: bob, Role: orgsv1alpha1.RoleAdmin})
	return orgFixture{name: o.Name, home: o.Home}
}

// inviteAs creates an Invitation as user, through the webhooks (which
// record the inviter). newOrg has waited until the user's role is in
// effect, so the first attempt must succeed.
func inviteAs(user string, f orgFixture, name, email string, role orgsv1alpha1.Role) {
	GinkgoHelper()
	c, err := env.User(user)
	Expect(err).NotTo(HaveOccurred())
	Expect(c.Create(ctx, &orgsv1alpha1.Invitation{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.home, Name: name},
		Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: role},
	})).To(Succeed())
}

func invitation(f orgFixture, name string) func(g Gomega) *orgsv1alpha1.Invitation {
	return func(g Gomega) *orgsv1alpha1.Invitation {
		inv := &orgsv1alpha1.Invitation{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: f.home, Name: name}, inv)).To(Succeed())
		return inv
	}
}

// waitInvitation waits until the invitation's status satisfies check.
func waitInvitation(f orgFixture, name string, check func(g Gomega, inv *orgsv1alpha1.Invitation), timeout ...time.Duration) *orgsv1alpha1.Invitation {
	GinkgoHelper()
	var out *orgsv1alpha1.Invitation
	e := Eventually(func(g Gomega) {
		out = invitation(f, name)(g)
		check(g, out)
	})
	if len(timeout) > 0 {
		e = e.WithTimeout(timeout[0]).WithPolling(200 * time.Millisecond)
	}
	e.Should(Succeed())
	return out
}

func hasPhase(p orgsv1alpha1.InvitationPhase) func(Gomega, *orgsv1alpha1.Invitation) {
	return func(g Gomega, inv *orgsv1alpha1.Invitation) { g.Expect(inv.Status.Phase).To(Equal(p)) }
}

func condition(inv *orgsv1alpha1.Invitation, t string) metav1.Condition {
	if c := meta.FindStatusCondition(inv.Status.Conditions, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

func invitationGone(f orgFixture, name string) {
	GinkgoHelper()
	Eventually(func() bool {
		err := env.Admin.Get(ctx, client.ObjectKey{Namespace: f.home, Name: name}, &orgsv1alpha1.Invitation{})
		return client.IgnoreNotFound(err) == nil && err != nil
	}).Should(BeTrue(), "the invitation should be removed")
}

// waitMails waits for n e-mails to rcpt and returns them.
func waitMails(rcpt string, n int) []notifytest.Mail {
	GinkgoHelper()
	Eventually(func() []notifytest.Mail { return smtpSrv.MailsTo(rcpt) }).Should(HaveLen(n))
	return smtpSrv.MailsTo(rcpt)
}

// membersFrom lists the Members created from the named invitation.
func membersFrom(f orgFixture, invitation string) []orgsv1alpha1.Member {
	GinkgoHelper()
	var list orgsv1alpha1.MemberList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(f.home), client.MatchingLabels{orgsv1alpha1.InvitationLabel: invitation})).To(Succeed())
	return list.Items
}

// membersFor lists the Members whose user is user.
func membersFor(f orgFixture, user string) []orgsv1alpha1.Member {
	GinkgoHelper()
	var list orgsv1alpha1.MemberList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(f.home))).To(Succeed())
	var out []orgsv1alpha1.Member
	for _, m := range list.Items {
		if strings.EqualFold(m.Spec.User, user) {
			out = append(out, m)
		}
	}
	return out
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func getPage(link string) (int, string) {
	GinkgoHelper()
	resp, err := httpClient.Get(link)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

// postPage answers link as the page's form does: to the accept URL
// without the token, which comes in the body.
func postPage(link, decision string) (int, string) {
	GinkgoHelper()
	action, _, _ := strings.Cut(link, "?")
	resp, err := httpClient.PostForm(action, url.Values{"token": {tokenOf(link)}, "decision": {decision}})
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

// postAPI calls the JSON API next to the link's accept page.
func postAPI(link, decision string) (int, acceptserver.APIResponse) {
	GinkgoHelper()
	base, _, ok := strings.Cut(link, invite.AcceptPath)
	Expect(ok).To(BeTrue())
	body, _ := json.Marshal(acceptserver.APIRequest{Token: tokenOf(link), Decision: decision})
	resp, err := httpClient.Post(base+invite.APIPath, "application/json", strings.NewReader(string(body)))
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	var out acceptserver.APIResponse
	Expect(json.NewDecoder(resp.Body).Decode(&out)).To(Succeed())
	return resp.StatusCode, out
}

func tokenOf(link string) string {
	GinkgoHelper()
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	return u.Query().Get("token")
}

// withToken is link with another token.
func withToken(link, token string) string {
	base, _, _ := strings.Cut(link, "?")
	return base + "?token=" + url.QueryEscape(token)
}

// eventReasons lists the reasons of the Events about the named invitation.
func eventReasons(f orgFixture, name string) []string {
	GinkgoHelper()
	var list eventsv1.EventList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(f.home))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "Invitation" && e.Regarding.Name == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// expectSecret checks that a token appears in no Event and no log line:
// only the e-mail carried it.
func expectSecret(f orgFixture, tokens ...string) {
	GinkgoHelper()
	var list eventsv1.EventList
	Expect(env.Admin.List(ctx, &list, client.InNamespace(f.home))).To(Succeed())
	all := logs.String()
	for _, t := range tokens {
		Expect(t).NotTo(BeEmpty())
		for _, e := range list.Items {
			Expect(e.Note).NotTo(ContainSubstring(t), "event %s/%s", e.Reason, e.Regarding.Name)
		}
		Expect(all).NotTo(ContainSubstring(t), "the manager logged a token")
	}
}

// can asks the API server whether user may do verb on group/resource in namespace.
func can(user, verb, group, resource, namespace, name string) bool {
	GinkgoHelper()
	return env.Can(ctx, user, nil, authorizationv1.ResourceAttributes{Namespace: namespace, Verb: verb, Group: group, Resource: resource, Name: name})
}

// invitationSteps counts the reconciles of one Invitation so far: each
// logs one "invitation step".
func invitationSteps(f orgFixture, name string) func() int {
	key := fmt.Sprintf(`{"name":%q,"namespace":%q}`, name, f.home)
	return func() int {
		n := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "invitation step") && strings.Contains(line, key) {
				n++
			}
		}
		return n
	}
}

// metricValue sums the samples of a metric family whose labels include want.
func metricValue(name string, want map[string]string) (float64, bool) {
	GinkgoHelper()
	return testenv.MetricValue(Default, name, want)
}
