package security_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	invite "github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/testenv"
)

// Invitation links are bearer tokens: whoever holds one may answer it. A
// link works once, for the invitation it was sent for, while its inviter
// may still grant the role; nothing else about a token is worth anything.
// The attempts go to the accept server's JSON API (the page by POST does
// the same), over HTTP, as an attacker on the network would.
var _ = Describe("Invitation tokens", Ordered, func() {
	// tokens: tina and tom own it, ada is an Admin.
	tokens := org{name: "tokens", home: "org-tokens", members: []person{
		{"tina", "tina@example.com", orgsv1alpha1.RoleOwner},
		{"tom", "tom@example.com", orgsv1alpha1.RoleOwner},
		{"ada", "ada@example.com", orgsv1alpha1.RoleAdmin},
	}}
	BeforeAll(func() { createOrg(tokens) })

	// invited has inviter create an Invitation and returns the link the
	// notifier delivered for it.
	invited := func(inviter, name string, role orgsv1alpha1.Role) string {
		GinkgoHelper()
		Expect(env.As(inviter).Create(ctx, testenv.NewInvitation(tokens.home, name, name+"@example.com", role))).To(Succeed())
		return linkFor(tokens.home, name, 1)
	}

	It("replays a link that was used to accept", func() {
		link := invited("tina@example.com", "vera", orgsv1alpha1.RoleViewer)
		res, code := answer(link, invite.DecisionAccept)
		Expect(res.Outcome).To(Equal(invite.OutcomeAccepted), res.Message)
		Expect(code).To(Equal(http.StatusOK))
		// The Member is for the invited address, whoever held the link.
		Eventually(func(g Gomega) {
			m := &orgsv1alpha1.Member{}
			g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: tokens.home, Name: res.Member}, m)).To(Succeed())
			g.Expect(m.Spec.User).To(Equal("vera@example.com"))
			g.Expect(m.Spec.Role).To(Equal(orgsv1alpha1.RoleViewer))
		}).Should(Succeed())
		tokens.members = append(tokens.members, person{res.Member, "vera@example.com", orgsv1alpha1.RoleViewer})
		waitConverged(tokens)

		linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answer(link, invite.DecisionAccept) },
			invite.OutcomeUsed, http.StatusGone, "a link works once")
		linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answer(link, invite.DecisionDecline) },
			invite.OutcomeUsed, http.StatusGone, "a link works once")
	})

	It("answers one link many times at once", func() {
		link := invited("tina@example.com", "wes", orgsv1alpha1.RoleContributor)
		var wg sync.WaitGroup
		outcomes := make([]invite.Outcome, 8)
		for i := range outcomes {
			wg.Go(func() {
				defer GinkgoRecover()
				res, _ := answer(link, invite.DecisionAccept)
				outcomes[i] = res.Outcome
			})
		}
		wg.Wait()
		Expect(outcomes).To(ContainElement(invite.OutcomeAccepted))
		Eventually(func(g Gomega) {
			var members orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &members, client.InNamespace(tokens.home))).To(Succeed())
			n := 0
			for _, m := range members.Items {
				if strings.EqualFold(m.Spec.User, "wes@example.com") {
					n++
				}
			}
			g.Expect(n).To(Equal(1), "Members for wes: %d (outcomes %v)", n, outcomes)
		}).Should(Succeed())
		Consistently(func() int {
			var members orgsv1alpha1.MemberList
			Expect(env.Admin.List(ctx, &members, client.InNamespace(tokens.home))).To(Succeed())
			return len(members.Items)
		}, "1s").Should(Equal(len(tokens.members) + 1))
		for _, o := range outcomes {
			Expect(o).To(BeElementOf(invite.OutcomeAccepted, invite.OutcomeUsed, invite.OutcomeRateLimited), "%v", outcomes)
		}
		tokens.members = append(tokens.members, person{"", "wes@example.com", orgsv1alpha1.RoleContributor})
		waitConverged(tokens)
	})

	It("guesses a link", func() {
		for range 3 {
			linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answerToken(randomToken(), invite.DecisionAccept) },
				invite.OutcomeUnknown, http.StatusNotFound, "does not belong to any invitation")
		}
	})

	It("alters a valid link: re-cased, padded, truncated, in the standard base64 alphabet", func() {
		link := invited("tina@example.com", "xena", orgsv1alpha1.RoleAdmin)
		token := tokenOf(link)
		for _, mangled := range []string{
			strings.ToUpper(token), strings.ToLower(token), token + "=", token[:len(token)-1], token + "A",
			strings.NewReplacer("-", "+", "_", "/").Replace(token) + "x", " " + token,
		} {
			if mangled == token {
				continue
			}
			linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answerToken(mangled, invite.DecisionAccept) },
				invite.OutcomeUnknown, http.StatusNotFound, "does not belong to any invitation")
		}
		// The real link still works: failed attempts do not burn it.
		res, _ := answer(link, "")
		Expect(res.Outcome).To(Equal(invite.OutcomeValid))
	})

	It("reuses a link that a resend replaced", func() {
		old := invited("tina@example.com", "yuri", orgsv1alpha1.RoleViewer)
		inv := invitation(tokens, "yuri")
		Expect(mergePatch(env.As("tina@example.com"), inv, func(inv *orgsv1alpha1.Invitation) {
			inv.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "2026-01-01T00:00:00Z"
		})).To(Succeed())
		fresh := linkFor(tokens.home, "yuri", 2)
		Expect(tokenOf(fresh)).NotTo(Equal(tokenOf(old)))
		linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answer(old, invite.DecisionAccept) },
			invite.OutcomeReplaced, http.StatusGone, "use the link in the most recent e-mail")
	})

	It("accepts a declined invitation", func() {
		link := invited("ada@example.com", "zack", orgsv1alpha1.RoleViewer)
		res, _ := answer(link, invite.DecisionDecline)
		Expect(res.Outcome).To(Equal(invite.OutcomeDeclined))
		Eventually(func() orgsv1alpha1.InvitationPhase { return invitation(tokens, "zack").Status.Phase }).Should(Equal(orgsv1alpha1.InvitationDeclined))
		linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answer(link, invite.DecisionAccept) },
			invite.OutcomeAlreadyDeclined, http.StatusGone, "declined already")
	})

	It("accepts a revoked invitation", func() {
		link := invited("ada@example.com", "quinn", orgsv1alpha1.RoleViewer)
		Expect(env.As("ada@example.com").Delete(ctx, invitation(tokens, "quinn"))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: tokens.home, Name: "quinn"}, &orgsv1alpha1.Invitation{}))
		}).Should(BeTrue())
		linkRefused(tokens, func() (acceptserver.APIResponse, int) { return answer(link, invite.DecisionAccept) },
			invite.OutcomeRevoked, http.StatusGone, "withdrew this invitation")
	})

	It("accepts an Owner invitation after the inviting owner was demoted", func() {
		link := invited("tina@example.com", "olaf", orgsv1alpha1.RoleOwner)
		Expect(mergePatch(env.As("tom@example.com"), member(tokens, "tina"), func(m *orgsv1alpha1.Member) { m.Spec.Role = orgsv1alpha1.RoleAdmin })).To(Succeed())
		setRole(&tokens, "tina", orgsv1alpha1.RoleAdmin)
		waitConverged(tokens)
		Eventually(func() bool { return holds("tina@example.com", orgsv1alpha1.VerbManageOwners, tokens.name) }).Should(BeFalse())
		linkFailed(tokens, "olaf", link)
	})

	It("accepts an Admin invitation after the inviting admin was removed", func() {
		link := invited("ada@example.com", "nils", orgsv1alpha1.RoleAdmin)
		Expect(env.As("tom@example.com").Delete(ctx, member(tokens, "ada"))).To(Succeed())
		removePerson(&tokens, "ada")
		waitConverged(tokens)
		Eventually(func() bool { return holds("ada@example.com", orgsv1alpha1.VerbManageMembers, tokens.name) }).Should(BeFalse())
		linkFailed(tokens, "nils", link)
	})

	It("guesses links as fast as it can", func() {
		rateLimited := 0
		for range 60 {
			res, code := answerToken(randomToken(), invite.DecisionAccept)
			Expect(res.Outcome).To(BeElementOf(invite.OutcomeUnknown, invite.OutcomeRateLimited))
			if res.Outcome == invite.OutcomeRateLimited {
				Expect(code).To(Equal(http.StatusTooManyRequests))
				rateLimited++
			}
		}
		Expect(rateLimited).To(BeNumerically(">", 0), "60 guesses in a row were never rate limited")
		recordAttempt("accept server", fmt.Sprintf("%d of 60 guesses rate limited", rateLimited))
	})
})

// linkFailed: answering link of invitation name, whose inviter lost the
// authority to grant its role, makes nobody a member and fails the
// Invitation with InviterLostAuthority.
func linkFailed(o org, name, link string) {
	GinkgoHelper()
	linkRefusedChanging(o, true, func() (acceptserver.APIResponse, int) { return answer(link, invite.DecisionAccept) },
		invite.OutcomeInviterLostAuthority, http.StatusForbidden, "may no longer grant this role")
	Eventually(func(g Gomega) {
		inv := &orgsv1alpha1.Invitation{}
		g.Expect(env.Admin.Get(ctx, client.ObjectKey{Namespace: o.home, Name: name}, inv)).To(Succeed())
		g.Expect(inv.Status.Phase).To(Equal(orgsv1alpha1.InvitationFailed))
		ready := meta.FindStatusCondition(inv.Status.Conditions, orgsv1alpha1.ReadyCondition)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Reason).To(Equal(orgsv1alpha1.InviterLostAuthorityReason))
	}).Should(Succeed())
}

// linkRefused answers a link through action and asserts the outcome, the
// HTTP status, the message, and that nothing in o changed.
func linkRefused(o org, action func() (acceptserver.APIResponse, int), outcome invite.Outcome, status int, says string) {
	GinkgoHelper()
	linkRefusedChanging(o, false, action, outcome, status, says)
}

// linkRefusedChanging is linkRefused; with invitationsMayChange, the
// Invitations may record the refusal in their status, and the
// Organization its count of pending invitations: Members and RBAC, what
// grants access, still may not change.
func linkRefusedChanging(o org, invitationsMayChange bool, action func() (acceptserver.APIResponse, int), outcome invite.Outcome, status int, says string) {
	GinkgoHelper()
	// Roster may still be catching up with what the spec did before (a
	// count of pending invitations): start from a still world.
	var before map[string]string
	Eventually(func(g Gomega) {
		prev := before
		before = orgState(o, invitationsMayChange)
		g.Expect(prev).NotTo(BeNil())
		g.Expect(changed(prev, before)).To(BeEmpty())
	}).WithPolling(300 * time.Millisecond).Should(Succeed())
	res, code := action()
	Expect(res.Outcome).To(Equal(outcome), res.Message)
	Expect(code).To(Equal(status))
	Expect(res.Message).To(ContainSubstring(says))
	Consistently(func() []string { return changed(before, orgState(o, invitationsMayChange)) }, "500ms").Should(BeEmpty(), "the refused answer changed something")
	recordAttempt("accept server", fmt.Sprintf("%s (HTTP %d): %s", outcome, code, res.Message))
}

// orgState is the resourceVersion of o's Members and RBAC, and (unless
// skipped) of its Invitations and Organization.
func orgState(o org, skipInvitations bool) map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	organization := &orgsv1alpha1.Organization{}
	Expect(env.Admin.Get(ctx, client.ObjectKey{Name: o.name}, organization)).To(Succeed())
	if !skipInvitations {
		out["Organization"] = organization.ResourceVersion
	}
	var members orgsv1alpha1.MemberList
	Expect(env.Admin.List(ctx, &members, client.InNamespace(o.home))).To(Succeed())
	for _, m := range members.Items {
		out["Member "+m.Name] = m.ResourceVersion
	}
	if !skipInvitations {
		var invitations orgsv1alpha1.InvitationList
		Expect(env.Admin.List(ctx, &invitations, client.InNamespace(o.home))).To(Succeed())
		for _, inv := range invitations.Items {
			out["Invitation "+inv.Name] = inv.ResourceVersion
		}
	}
	for _, line := range renderedRBAC(Default, o.name) {
		out[line] = "present"
	}
	return out
}

// changed lists what differs between two states.
func changed(before, after map[string]string) []string {
	var out []string
	for k, v := range before {
		if after[k] != v {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, v, after[k]))
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			out = append(out, fmt.Sprintf("%s: absent -> %s", k, v))
		}
	}
	return out
}

func recordAttempt(layer, what string) {
	attempts.Lock()
	defer attempts.Unlock()
	attempts.list = append(attempts.list, fmt.Sprintf("%s | refused by %s: %s", CurrentSpecReport().FullText(), layer, what))
}

var linkLine = regexp.MustCompile(`invitation link.*"url": "([^"]+)".*"invitation": "([^"]+)"`)

// linkFor waits for the nth link delivered for invitation namespace/name
// and returns it.
func linkFor(namespace, name string, nth int) string {
	GinkgoHelper()
	var link string
	Eventually(func() int {
		var found []string
		for _, m := range linkLine.FindAllStringSubmatch(logs.String(), -1) {
			if m[2] == namespace+"/"+name {
				found = append(found, m[1])
			}
		}
		if len(found) >= nth {
			link = found[nth-1]
		}
		return len(found)
	}).Should(BeNumerically(">=", nth), "no link %d was delivered for %s/%s", nth, namespace, name)
	return link
}

func tokenOf(link string) string {
	GinkgoHelper()
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	return u.Query().Get("token")
}

// answer sends the link's token to the JSON API next to the link.
func answer(link, decision string) (acceptserver.APIResponse, int) {
	GinkgoHelper()
	u, err := url.Parse(link)
	Expect(err).NotTo(HaveOccurred())
	return post(u.Scheme+"://"+u.Host+invite.APIPath, u.Query().Get("token"), decision)
}

// acceptAPI is the accept server's JSON API, found from the first link.
var acceptAPI string

// answerToken sends any token to the JSON API.
func answerToken(token, decision string) (acceptserver.APIResponse, int) {
	GinkgoHelper()
	if acceptAPI == "" {
		u, err := url.Parse(linkFor(acme.home, ownerInvite, 1))
		Expect(err).NotTo(HaveOccurred())
		acceptAPI = u.Scheme + "://" + u.Host + invite.APIPath
	}
	return post(acceptAPI, token, decision)
}

func post(api, token, decision string) (acceptserver.APIResponse, int) {
	GinkgoHelper()
	body, err := json.Marshal(acceptserver.APIRequest{Token: token, Decision: decision})
	Expect(err).NotTo(HaveOccurred())
	resp, err := http.Post(api, "application/json", bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	var res acceptserver.APIResponse
	Expect(json.NewDecoder(resp.Body).Decode(&res)).To(Succeed())
	return res, resp.StatusCode
}

func randomToken() string {
	b := make([]byte, invite.TokenBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// holds asks the API server whether user holds verb on organizations/org.
func holds(user, verb, org string) bool {
	GinkgoHelper()
	return canIName(user, verb, orgsv1alpha1.GroupVersion.Group, "organizations", org)
}

func setRole(o *org, member string, role orgsv1alpha1.Role) {
	for i := range o.members {
		if o.members[i].member == member {
			o.members[i].role = role
		}
	}
}

func removePerson(o *org, member string) {
	for i := range o.members {
		if o.members[i].member == member {
			o.members = append(o.members[:i], o.members[i+1:]...)
			return
		}
	}
}

// canIName asks the API server whether user may do verb on the named
// cluster-scoped resource.
func canIName(user, verb, group, resource, name string) bool {
	GinkgoHelper()
	return env.Can(ctx, user, nil, authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Name: name})
}

// A link's token travels in the link's URL once, from the e-mail to the
// accept page; after that it travels only in bodies, out of the URLs that
// proxies and ingresses log. And no Member an Admin may create can keep an
// invitee from accepting.
var _ = Describe("Invitation links and acceptance", Ordered, func() {
	// links: lena owns it, abe is an Admin.
	links := org{name: "links", home: "org-links", members: []person{
		{"lena", "lena@example.com", orgsv1alpha1.RoleOwner},
		{"abe", "abe@example.com", orgsv1alpha1.RoleAdmin},
	}}
	BeforeAll(func() { createOrg(links) })

	It("finds the token of a link in a URL after the link itself (the page's form, a POST with ?token=)", func() {
		Expect(env.As("lena@example.com").Create(ctx, testenv.NewInvitation(links.home, "lou", "lou@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		link := linkFor(links.home, "lou", 1)
		token := tokenOf(link)
		waitConverged(links)

		// The page: the token only in the hidden field of a form whose
		// URL has none, and no referrer to carry the link elsewhere.
		code, header, page := httpPage(http.MethodGet, link, nil)
		Expect(code).To(Equal(http.StatusOK), page)
		Expect(header.Get("Referrer-Policy")).To(Equal("no-referrer"))
		Expect(header.Get("Cache-Control")).To(Equal("no-store"))
		tokenNotInHeaders(header, token)
		action := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page)
		Expect(action).NotTo(BeNil(), "the form has no action: it posts back to the link, token and all:\n%s", page)
		for _, u := range regexp.MustCompile(`(?i)(?:action|href|src|formaction)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			Expect(u[1]).NotTo(ContainSubstring(token), "a URL in the page holds the token")
			Expect(u[1]).NotTo(ContainSubstring("?"), "a URL in the page has a query")
		}
		Expect(strings.Count(page, token)).To(Equal(1), "the token appears once, in the form's hidden field")
		Expect(page).To(ContainSubstring(`<input type="hidden" name="token" value="` + token + `">`))
		base, err := url.Parse(link)
		Expect(err).NotTo(HaveOccurred())
		target, err := base.Parse(action[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(target.String()).NotTo(ContainSubstring(token))

		// A POST with the token in its URL, as the form used to send, acts
		// on nothing: a client that leaks the token into logs fails loudly.
		for _, form := range []url.Values{{"decision": {"accept"}}, {"decision": {"accept"}, "token": {token}}} {
			linkRefused(links, func() (acceptserver.APIResponse, int) { return pageAnswer(link, form, token) },
				invite.OutcomeBadRequest, http.StatusBadRequest, "never in the URL")
		}
		apiWithQuery := base.Scheme + "://" + base.Host + invite.APIPath + "?token=" + url.QueryEscape(token)
		linkRefused(links, func() (acceptserver.APIResponse, int) { return post(apiWithQuery, token, invite.DecisionAccept) },
			invite.OutcomeBadRequest, http.StatusBadRequest, "never in the URL")

		// The form, as a browser sends it, accepts; no answer puts the token anywhere.
		res, code := pageAnswer(target.String(), url.Values{"token": {token}, "decision": {"accept"}}, token)
		Expect(res.Outcome).To(Equal(invite.OutcomeAccepted), res.Message)
		Expect(code).To(Equal(http.StatusOK))
		var lou string
		Eventually(func(g Gomega) {
			var members orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &members, client.InNamespace(links.home), client.MatchingLabels{orgsv1alpha1.InvitationLabel: "lou"})).To(Succeed())
			g.Expect(members.Items).To(HaveLen(1))
			g.Expect(members.Items[0].Spec.User).To(Equal("lou@example.com"))
			lou = members.Items[0].Name
		}).Should(Succeed())
		links.members = append(links.members, person{lou, "lou@example.com", orgsv1alpha1.RoleViewer})
		waitConverged(links)
		res, code = pageAnswer(target.String(), url.Values{"token": {token}, "decision": {"accept"}}, token)
		Expect(res.Outcome).To(Equal(invite.OutcomeUsed))
		Expect(code).To(Equal(http.StatusGone))
		recordAttempt("accept server", "a POST with the token in its URL is a bad request; the page's form posts it in the body")
	})

	It("holds every Member name the acceptor would pick for an invitee (admin)", func() {
		const sam = "sam@example.com"
		// Every stable name Roster has ever tried for sam (50 before
		// generated names), each a Member of somebody else.
		squatted := map[string]bool{}
		for attempt := range 50 {
			name := invite.MemberName(sam, attempt)
			squatted[name] = true
			Expect(env.As("abe@example.com").Create(ctx, testenv.NewMember(links.home, name, fmt.Sprintf("squatter%d@example.com", attempt), orgsv1alpha1.RoleViewer))).
				To(Succeed(), "abe, an Admin, may create Member %s", name)
		}
		Expect(env.As("lena@example.com").Create(ctx, testenv.NewInvitation(links.home, "sam", sam, orgsv1alpha1.RoleContributor))).To(Succeed())
		res, code := answer(linkFor(links.home, "sam", 1), invite.DecisionAccept)
		Expect(res.Outcome).To(Equal(invite.OutcomeAccepted), res.Message)
		Expect(code).To(Equal(http.StatusOK))
		// sam is a Member with the invited role, under a name nobody held.
		Eventually(func(g Gomega) {
			var members orgsv1alpha1.MemberList
			g.Expect(env.Admin.List(ctx, &members, client.InNamespace(links.home))).To(Succeed())
			var sams []orgsv1alpha1.Member
			for _, m := range members.Items {
				if m.Spec.User == sam {
					sams = append(sams, m)
				}
			}
			g.Expect(sams).To(HaveLen(1), "Members for sam")
			g.Expect(squatted).NotTo(HaveKey(sams[0].Name))
			g.Expect(sams[0].Name).To(Equal(res.Member))
			g.Expect(sams[0].Spec.Role).To(Equal(orgsv1alpha1.RoleContributor))
			g.Expect(sams[0].Status.EffectiveRole).To(Equal(orgsv1alpha1.RoleContributor))
			g.Expect(apierrors.IsNotFound(env.Admin.Get(ctx, client.ObjectKey{Namespace: links.home, Name: "sam"}, &orgsv1alpha1.Invitation{}))).
				To(BeTrue(), "the accepted Invitation is removed")
		}).Should(Succeed())
		Eventually(func() error {
			return env.RoleInEffect(ctx, sam, links.name, links.home, orgsv1alpha1.RoleContributor)
		}).Should(Succeed())
	})
})

// httpPage sends a request for the accept page; form, when set, is the
// body.
func httpPage(method, target string, form url.Values) (int, http.Header, string) {
	GinkgoHelper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	Expect(err).NotTo(HaveOccurred())
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, resp.Header, string(b)
}

var (
	pageOutcome = regexp.MustCompile(`data-outcome="([^"]+)"`)
	pageText    = regexp.MustCompile(`<p (?:id="result"|class="muted" id="detail")[^>]*>([^<]*)</p>`)
)

// pageAnswer posts form to the accept page at target and reads the page's
// outcome as the API would say it; the answer must not hold token.
func pageAnswer(target string, form url.Values, token string) (acceptserver.APIResponse, int) {
	GinkgoHelper()
	code, header, page := httpPage(http.MethodPost, target, form)
	tokenNotInHeaders(header, token)
	Expect(page).NotTo(ContainSubstring(token), "the answer to a POST holds the token")
	m := pageOutcome.FindStringSubmatch(page)
	Expect(m).NotTo(BeNil(), "a page without an outcome:\n%s", page)
	var text []string
	for _, t := range pageText.FindAllStringSubmatch(page, -1) {
		text = append(text, html.UnescapeString(t[1]))
	}
	return acceptserver.APIResponse{Outcome: invite.Outcome(m[1]), Message: strings.Join(text, " ")}, code
}

func tokenNotInHeaders(h http.Header, token string) {
	GinkgoHelper()
	for k, vs := range h {
		for _, v := range vs {
			Expect(v).NotTo(ContainSubstring(token), "header %s holds the token", k)
		}
	}
}
