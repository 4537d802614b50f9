package policy

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var tokenNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func accessToken(owner string, role orgsv1alpha1.Role, ttl time.Duration) *orgsv1alpha1.AccessToken {
	exp := metav1.NewTime(tokenNow.Add(ttl))
	return &orgsv1alpha1.AccessToken{
		ObjectMeta: metav1.ObjectMeta{Name: "ci", Namespace: home},
		Spec:       orgsv1alpha1.AccessTokenSpec{Owner: owner, Role: role, ExpiresAt: &exp},
	}
}

func revokedToken(t *orgsv1alpha1.AccessToken, by string) *orgsv1alpha1.AccessToken {
	t = t.DeepCopy()
	t.Spec.Revoked = true
	if by != "" {
		t.Annotations = map[string]string{orgsv1alpha1.TokenRevokedByAnnotation: by}
	}
	return t
}

// manager is the Roster manager's identity: it holds both custom verbs.
const manager = "system:serviceaccount:roster-system:roster-controller-manager"

func labelled(t *orgsv1alpha1.AccessToken) *orgsv1alpha1.AccessToken {
	t = t.DeepCopy()
	t.Labels = map[string]string{"ci": "web"}
	return t
}

func withFinalizer(t *orgsv1alpha1.AccessToken, f string) *orgsv1alpha1.AccessToken {
	t = t.DeepCopy()
	t.Finalizers = append(t.Finalizers, f)
	return t
}

func ownedBy(t *orgsv1alpha1.AccessToken, kind, name string) *orgsv1alpha1.AccessToken {
	t = t.DeepCopy()
	t.OwnerReferences = []metav1.OwnerReference{{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: kind, Name: name, UID: types.UID("uid-" + name)}}
	return t
}

func tokenMembers() []orgsv1alpha1.Member {
	return []orgsv1alpha1.Member{
		userMember("olivia", "olivia@example.com", owner),
		userMember("alice", "alice@example.com", admin),
		userMember("carol", "carol@example.com", contributor),
		userMember("victor", "victor@example.com", viewer),
		userMember("nina", "nina@example.com", viewerNoSecrets),
		groupMember("devs", "devs", admin),
	}
}

func TestDecideTokenCreate(t *testing.T) {
	day := 24 * time.Hour
	noExpiry := accessToken("carol@example.com", "", 0)
	noExpiry.Spec.ExpiresAt = nil
	named := func(name string) *orgsv1alpha1.AccessToken {
		t := accessToken("carol@example.com", "", day)
		t.Name = name
		return t
	}
	shortTTL := acme()
	shortTTL.Spec.TokenPolicy = &orgsv1alpha1.TokenPolicy{MaxTTL: &metav1.Duration{Duration: 7 * day}}
	cases := []struct {
		name  string
		who   string
		group []string
		token *orgsv1alpha1.AccessToken
		org   *orgsv1alpha1.Organization
		code  Code
		field string
		says  string
	}{
		{"contributor for herself", "carol@example.com", nil, accessToken("carol@example.com", "", 30*day), nil, Allowed, "", ""},
		{"owner for herself as Owner", "olivia@example.com", nil, accessToken("olivia@example.com", owner, 30*day), nil, Allowed, "", ""},
		{"admin asks for less", "alice@example.com", nil, accessToken("alice@example.com", viewer, day), nil, Allowed, "", ""},
		{"exactly the maximum", "carol@example.com", nil, accessToken("carol@example.com", "", DefaultTokenMaxTTL), nil, Allowed, "", ""},
		{"for someone else", "carol@example.com", nil, accessToken("olivia@example.com", "", day), nil, Forbidden, "spec.owner", `may not create an AccessToken owned by "olivia@example.com"`},
		{"owner left empty by hand", "carol@example.com", nil, accessToken("", "", day), nil, Forbidden, "spec.owner", "always acts for the user who creates it"},
		{"case variant of the owner", "Carol@example.com", nil, accessToken("Carol@example.com", "", day), nil, Forbidden, "", "is not a member"},
		{"Unicode variant of the owner", "carol@exаmple.com", nil, accessToken("carol@exаmple.com", "", day), nil, Forbidden, "", "is not a member"},
		{"viewer", "victor@example.com", nil, accessToken("victor@example.com", "", day), nil, Forbidden, "", `is Viewer there, and the permission matrix's row "Create personal API access tokens" allows Owners, Admins and Contributors only`},
		{"viewer without secrets", "nina@example.com", nil, accessToken("nina@example.com", "", day), nil, Forbidden, "", "is ViewerNoSecrets there"},
		{"admin only through a group", "gary@example.com", []string{"devs"}, accessToken("gary@example.com", "", day), nil, Forbidden, "", "is not a member (a user Member)"},
		{"outsider", outsider.User, nil, accessToken(outsider.User, "", day), nil, Forbidden, "", "is not a member"},
		{"contributor asks for Admin", "carol@example.com", nil, accessToken("carol@example.com", admin, day), nil, Invalid, "spec.role", "not \"Admin\""},
		{"unknown role", "carol@example.com", nil, accessToken("carol@example.com", "Root", day), nil, Invalid, "spec.role", "not \"Root\""},
		{"no expiry", "carol@example.com", nil, noExpiry, nil, Invalid, "spec.expiresAt", "must be set"},
		{"expiry in the past", "carol@example.com", nil, accessToken("carol@example.com", "", -time.Minute), nil, Invalid, "spec.expiresAt", "not in the future"},
		{"past the default maximum", "carol@example.com", nil, accessToken("carol@example.com", "", DefaultTokenMaxTTL+time.Hour), nil, Invalid, "spec.expiresAt", "spec.tokenPolicy.maxTTL 2160h0m0s"},
		{"past the organization's maximum", "carol@example.com", nil, accessToken("carol@example.com", "", 8*day), shortTTL, Invalid, "spec.expiresAt", "168h0m0s"},
		{"longest name", "carol@example.com", nil, named(strings.Repeat("n", 240)), nil, Allowed, "", ""},
		{"name one too long for its ServiceAccount", "carol@example.com", nil, named(strings.Repeat("n", 241)), nil, Invalid, "metadata.name", "at most 240 characters (it has 241)"},
		{"name longer than any object's", "carol@example.com", nil, named(strings.Repeat("n", 253)), nil, Invalid, "metadata.name", "roster-token-<name> fits Kubernetes' 253"},
		{"with an owner reference", "carol@example.com", nil, ownedBy(accessToken("carol@example.com", "", day), "Member", "carol"), nil, Invalid, "metadata.ownerReferences", "the garbage collector would delete the token"},
		{"with a foreign finalizer", "carol@example.com", nil, withFinalizer(accessToken("carol@example.com", "", day), "example.com/hold"), nil, Invalid, "metadata.finalizers", `may not add finalizer "example.com/hold"`},
		{"with Roster's finalizer", "carol@example.com", nil, withFinalizer(accessToken("carol@example.com", "", day), orgsv1alpha1.TokenFinalizer), nil, Allowed, "", ""},
		{"created revoked", "carol@example.com", nil, revokedToken(accessToken("carol@example.com", "", day), "carol@example.com"), nil, Forbidden, "spec.revoked", "already revoked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			s := snapshot(tokenMembers())
			if c.org != nil {
				s.Organization = c.org
			}
			d := DecideToken(TokenRequest{Op: Create, Who: Requester{User: c.who, Groups: c.group}, New: c.token, Snapshot: s, Now: tokenNow})
			g.Expect(d.Code).To(Equal(c.code), d.Message)
			g.Expect(d.Field).To(Equal(c.field))
			g.Expect(d.Message).To(ContainSubstring(c.says))
		})
	}
}

func TestDecideTokenRevoke(t *testing.T) {
	carols := accessToken("carol@example.com", "", time.Hour)
	olivias := accessToken("olivia@example.com", "", time.Hour)
	alices := accessToken("alice@example.com", "", time.Hour)
	cases := []struct {
		name      string
		op        Operation
		who       string
		old, new  *orgsv1alpha1.AccessToken
		authority Authority
		verb      string
		code      Code
		says      string
	}{
		{"own token", Update, "carol@example.com", carols, revokedToken(carols, "carol@example.com"), noVerbs, "", Allowed, ""},
		{"own token, delete", Delete, "carol@example.com", carols, nil, noVerbs, "", Allowed, ""},
		{"admin revokes a contributor's", Update, "alice@example.com", carols, revokedToken(carols, "alice@example.com"), membersVerb, orgsv1alpha1.VerbManageMembers, Allowed, ""},
		{"admin revokes an owner's", Update, "alice@example.com", olivias, revokedToken(olivias, "alice@example.com"), membersVerb, orgsv1alpha1.VerbManageOwners, Forbidden, "it is an Owner's token, which only its owner and the organization's Owners"},
		{"admin deletes an owner's", Delete, "alice@example.com", olivias, nil, membersVerb, orgsv1alpha1.VerbManageOwners, Forbidden, "an Owner's token"},
		{"owner revokes an owner's", Update, "olivia@example.com", olivias, revokedToken(olivias, "olivia@example.com"), bothVerbs, "", Allowed, ""},
		{"owner revokes an admin's", Update, "olivia@example.com", alices, revokedToken(alices, "olivia@example.com"), bothVerbs, orgsv1alpha1.VerbManageMembers, Allowed, ""},
		{"contributor revokes an admin's", Update, "carol@example.com", alices, revokedToken(alices, "carol@example.com"), noVerbs, orgsv1alpha1.VerbManageMembers, Forbidden, "Owners and Admins (holders of manage-members"},
		{"case variant of the owner", Update, "Carol@example.com", carols, revokedToken(carols, "Carol@example.com"), noVerbs, orgsv1alpha1.VerbManageMembers, Forbidden, "may not revoke"},
		{"revoker forged", Update, "carol@example.com", carols, revokedToken(carols, "olivia@example.com"), noVerbs, "", Forbidden, "records who revoked"},
		{"revoker added to a live token", Update, "carol@example.com", carols, func() *orgsv1alpha1.AccessToken {
			t := carols.DeepCopy()
			t.Annotations = map[string]string{orgsv1alpha1.TokenRevokedByAnnotation: "carol@example.com"}
			return t
		}(), noVerbs, "", Forbidden, "revoke with spec.revoked: true"},
		{"role changed", Update, "olivia@example.com", carols, func() *orgsv1alpha1.AccessToken {
			t := carols.DeepCopy()
			t.Spec.Role = owner
			return t
		}(), bothVerbs, orgsv1alpha1.VerbManageMembers, Forbidden, "only spec.revoked may be set"},
		{"admin labels an owner's", Update, "alice@example.com", olivias, labelled(olivias), membersVerb, orgsv1alpha1.VerbManageOwners, Forbidden,
			`may not change AccessToken "ci" of "olivia@example.com" in organization "acme": it is an Owner's token`},
		{"contributor labels an admin's", Update, "carol@example.com", alices, labelled(alices), noVerbs, orgsv1alpha1.VerbManageMembers, Forbidden, "may not change"},
		{"case variant labels the owner's", Update, "Carol@example.com", carols, labelled(carols), noVerbs, orgsv1alpha1.VerbManageMembers, Forbidden, "may not change"},
		{"owner labels an admin's", Update, "olivia@example.com", alices, labelled(alices), bothVerbs, orgsv1alpha1.VerbManageMembers, Allowed, ""},
		{"the manager removes its finalizer from an owner's", Update, manager, withFinalizer(olivias, orgsv1alpha1.TokenFinalizer), olivias, bothVerbs, orgsv1alpha1.VerbManageOwners, Allowed, ""},
		{"the manager adds its finalizer", Update, manager, carols, withFinalizer(carols, orgsv1alpha1.TokenFinalizer), bothVerbs, orgsv1alpha1.VerbManageMembers, Allowed, ""},
		{"admin adds a finalizer to an owner's", Update, "alice@example.com", olivias, withFinalizer(olivias, orgsv1alpha1.TokenFinalizer), membersVerb, orgsv1alpha1.VerbManageOwners, Forbidden, "an Owner's token"},
		{"owner adds a foreign finalizer to an admin's", Update, "olivia@example.com", alices, withFinalizer(alices, "example.com/hold"), bothVerbs, orgsv1alpha1.VerbManageMembers, Invalid,
			`may not add finalizer "example.com/hold"`},
		{"a foreign finalizer on one's own", Update, "carol@example.com", carols, withFinalizer(carols, "example.com/hold"), noVerbs, "", Invalid, "only Roster's own (orgs.roster.dev/access-token)"},
		{"a foreign finalizer already there stays", Update, "carol@example.com", withFinalizer(carols, "example.com/hold"), labelled(withFinalizer(carols, "example.com/hold")), noVerbs, "", Allowed, ""},
		{"an owner reference on one's own", Update, "carol@example.com", carols, ownedBy(carols, "Member", "carol"), noVerbs, "", Invalid,
			`may not add or change metadata.ownerReferences of AccessToken "ci" in organization "acme" (here Member "carol")`},
		{"an owner reference changed", Update, "olivia@example.com", ownedBy(alices, "Member", "alice"), ownedBy(alices, "Member", "olivia"), bothVerbs, orgsv1alpha1.VerbManageMembers, Invalid, "metadata.ownerReferences"},
		{"an owner reference removed", Update, "carol@example.com", ownedBy(carols, "Member", "carol"), carols, noVerbs, "", Allowed, ""},
		{"a label", Update, "carol@example.com", carols, func() *orgsv1alpha1.AccessToken {
			t := carols.DeepCopy()
			t.Labels = map[string]string{"ci": "web"}
			return t
		}(), noVerbs, "", Allowed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			s := snapshot(tokenMembers())
			who := Requester{User: c.who}
			g.Expect(TokenVerb(c.op, who, c.old, c.new, s)).To(Equal(c.verb))
			d := DecideToken(TokenRequest{Op: c.op, Who: who, Old: c.old, New: c.new, Snapshot: s, Authority: c.authority, Now: tokenNow})
			g.Expect(d.Code).To(Equal(c.code), d.Message)
			g.Expect(d.Message).To(ContainSubstring(c.says))
		})
	}
}

func TestDecideTokenOutsideHome(t *testing.T) {
	g := NewWithT(t)
	tok := accessToken("carol@example.com", "", time.Hour)
	g.Expect(DecideToken(TokenRequest{Op: Create, Who: Requester{User: "carol@example.com"}, New: tok, Now: tokenNow}).Code).To(Equal(Forbidden))
	g.Expect(DecideToken(TokenRequest{Op: Delete, Who: Requester{User: "carol@example.com"}, Old: tok, Now: tokenNow}).Allowed()).To(BeTrue())
	terminating := snapshot(tokenMembers())
	terminating.HomeTerminating = true
	g.Expect(DecideToken(TokenRequest{Op: Delete, Who: outsider, Old: tok, Snapshot: terminating, Now: tokenNow}).Allowed()).To(BeTrue())
	g.Expect(DecideToken(TokenRequest{Op: Create, Who: Requester{User: "carol@example.com"}, New: tok, Snapshot: terminating, Now: tokenNow}).Code).To(Equal(Forbidden))
	g.Expect(DecideToken(TokenRequest{Op: Update, Who: outsider, Snapshot: snapshot(nil)}).Code).To(Equal(Forbidden))
}

func TestTokenAccess(t *testing.T) {
	live := accessToken("alice@example.com", "", time.Hour)
	asViewer := accessToken("alice@example.com", viewer, time.Hour)
	expired := accessToken("alice@example.com", "", -time.Second)
	longName := live.DeepCopy()
	longName.Name = strings.Repeat("n", orgsv1alpha1.MaxAccessTokenNameLength+1)
	alreadyRevoked := live.DeepCopy()
	alreadyRevoked.Status = orgsv1alpha1.AccessTokenStatus{Phase: orgsv1alpha1.AccessTokenRevoked, Reason: orgsv1alpha1.TokenOwnerDemotedReason, Message: "demoted"}
	cases := []struct {
		name      string
		token     *orgsv1alpha1.AccessToken
		ownerRole orgsv1alpha1.Role
		role      orgsv1alpha1.Role
		reason    string
	}{
		{"owner's role", live, admin, admin, ""},
		{"demoted owner", live, contributor, contributor, ""},
		{"promoted owner keeps the role asked for", asViewer, owner, viewer, ""},
		{"asked for less", asViewer, admin, viewer, ""},
		{"owner below Contributor", live, viewer, "", orgsv1alpha1.TokenOwnerDemotedReason},
		{"owner without secrets", asViewer, viewerNoSecrets, "", orgsv1alpha1.TokenOwnerDemotedReason},
		{"owner removed", live, "", "", orgsv1alpha1.TokenOwnerRemovedReason},
		{"expired", expired, owner, "", orgsv1alpha1.TokenExpiredReason},
		{"name too long for its ServiceAccount", longName, owner, "", orgsv1alpha1.TokenInvalidNameReason},
		{"revoked", revokedToken(live, "olivia@example.com"), owner, "", orgsv1alpha1.TokenRevokedByReason},
		{"revoked stays revoked when the owner is promoted again", alreadyRevoked, admin, "", orgsv1alpha1.TokenOwnerDemotedReason},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got := TokenAccess(c.token, c.ownerRole, DefaultTokenMaxTTL, tokenNow)
			g.Expect(got.Role).To(Equal(c.role))
			g.Expect(got.Reason).To(Equal(c.reason))
			if c.reason != "" {
				g.Expect(got.Message).NotTo(BeEmpty())
			}
		})
	}
}

// A token never outlives its creation plus the organization's maxTTL (and
// a minute of clock slack), whatever spec.expiresAt says.
func TestTokenExpiry(t *testing.T) {
	day := 24 * time.Hour
	created := tokenNow.Add(-10 * day)
	token := func(expiresIn time.Duration, stored bool) *orgsv1alpha1.AccessToken {
		tok := accessToken("alice@example.com", "", 0)
		tok.Spec.ExpiresAt = &metav1.Time{Time: created.Add(expiresIn)}
		if stored {
			tok.CreationTimestamp = metav1.NewTime(created)
		}
		return tok
	}
	noExpiry := token(0, true)
	noExpiry.Spec.ExpiresAt = nil
	cases := []struct {
		name    string
		token   *orgsv1alpha1.AccessToken
		maxTTL  time.Duration
		want    time.Time
		expired bool
	}{
		{"within the maximum", token(30*day, true), DefaultTokenMaxTTL, created.Add(30 * day), false},
		{"exactly the maximum", token(DefaultTokenMaxTTL, true), DefaultTokenMaxTTL, created.Add(DefaultTokenMaxTTL), false},
		{"within the clock slack", token(DefaultTokenMaxTTL+30*time.Second, true), DefaultTokenMaxTTL, created.Add(DefaultTokenMaxTTL + 30*time.Second), false},
		{"stored past the maximum", token(DefaultTokenMaxTTL+day, true), DefaultTokenMaxTTL, created.Add(DefaultTokenMaxTTL + time.Minute), false},
		{"stored a year out", token(365*day, true), DefaultTokenMaxTTL, created.Add(DefaultTokenMaxTTL + time.Minute), false},
		{"maximum lowered below its age", token(30*day, true), 7 * day, created.Add(7*day + time.Minute), true},
		{"maximum lowered, still young enough", token(30*day, true), 20 * day, created.Add(20*day + time.Minute), false},
		{"no creation time yet", token(365*day, false), DefaultTokenMaxTTL, created.Add(365 * day), false},
		{"no expiry", noExpiry, DefaultTokenMaxTTL, time.Time{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(TokenExpiry(c.token, c.maxTTL)).To(BeTemporally("==", c.want))
			standing := TokenAccess(c.token, admin, c.maxTTL, tokenNow)
			if c.expired {
				g.Expect(standing.Reason).To(Equal(orgsv1alpha1.TokenExpiredReason))
			} else {
				g.Expect(standing.Reason).To(BeEmpty())
			}
			at := TokenAccess(c.token, admin, c.maxTTL, c.want)
			g.Expect(at.Reason).To(Equal(orgsv1alpha1.TokenExpiredReason), "expired at its expiry")
		})
	}
}

func TestUserRole(t *testing.T) {
	g := NewWithT(t)
	members := append(tokenMembers(), deleting(userMember("leaving", "lee@example.com", admin)))
	eff := EffectiveRoles(members, []string{"olivia@example.com"}, false)
	g.Expect(UserRole("carol@example.com", members, eff)).To(Equal(contributor))
	g.Expect(UserRole("Carol@example.com", members, eff)).To(BeEmpty())
	g.Expect(UserRole("devs", members, eff)).To(BeEmpty(), "a group Member is not a user")
	g.Expect(UserRole("lee@example.com", members, eff)).To(BeEmpty(), "a Member being deleted grants nothing")
	g.Expect(UserRole("", members, eff)).To(BeEmpty())
	g.Expect(TokenMaxTTL(nil)).To(Equal(DefaultTokenMaxTTL))
}

func TestTokenNameProblem(t *testing.T) {
	cases := []struct {
		name, says string
	}{
		{"ci", ""},
		{"web.ci-2", ""},
		{strings.Repeat("a", orgsv1alpha1.MaxAccessTokenNameLength), ""},
		{strings.Repeat("a", orgsv1alpha1.MaxAccessTokenNameLength+1), "at most 240 characters"},
		{"CI", "valid ServiceAccount name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			if c.says == "" {
				g.Expect(TokenNameProblem(c.name)).To(BeEmpty())
				return
			}
			g.Expect(TokenNameProblem(c.name)).To(ContainSubstring(c.says))
		})
	}
	NewWithT(t).Expect(orgsv1alpha1.MaxAccessTokenNameLength).To(Equal(240), "the CRD's rule on metadata.name says 240")
}

// Tokens are personal: no ServiceAccount owns a token, not even one that a
// bypassed webhook let become a Member, so a token cannot make a token that
// outlives it or its owner.
func TestDecideTokenServiceAccountOwner(t *testing.T) {
	tokenSA := "system:serviceaccount:" + home + ":roster-token-carol-ci"
	otherSA := "system:serviceaccount:ci:deployer"
	cases := []struct {
		name string
		who  string
	}{
		{"a token's ServiceAccount", tokenSA},
		{"another ServiceAccount", otherSA},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			members := append(tokenMembers(), userMember("sa", c.who, admin))
			d := DecideToken(TokenRequest{Op: Create, Who: Requester{User: c.who}, New: accessToken(c.who, "", time.Hour), Snapshot: snapshot(members), Now: tokenNow})
			g.Expect(d.Code).To(Equal(Forbidden), d.Message)
			g.Expect(d.Field).To(Equal("spec.owner"))
			g.Expect(d.Message).To(ContainSubstring(`user %q is a ServiceAccount and may not own an AccessToken in organization "acme": tokens are personal (the permission matrix's row "Create personal API access tokens"`, c.who))
		})
	}
}

// A token a ServiceAccount owns (made while the webhook was down) is
// revoked, whatever role a Member gives that ServiceAccount.
func TestTokenAccessServiceAccountOwner(t *testing.T) {
	g := NewWithT(t)
	got := TokenAccess(accessToken("system:serviceaccount:"+home+":roster-token-carol-ci", "", time.Hour), admin, DefaultTokenMaxTTL, tokenNow)
	g.Expect(got.Role).To(BeEmpty())
	g.Expect(got.Reason).To(Equal(orgsv1alpha1.TokenOwnerIsServiceAccountReason))
	g.Expect(got.Message).To(ContainSubstring("tokens are personal"))
}

func TestTokenServiceAccountUser(t *testing.T) {
	cases := []struct {
		user, ns, token string
		ok              bool
	}{
		{"system:serviceaccount:org-acme:roster-token-ci", "org-acme", "ci", true},
		{"system:serviceaccount:other:roster-token-x", "other", "x", true},
		{"system:serviceaccount:org-acme:deployer", "", "", false},
		{"system:serviceaccount:org-acme", "", "", false},
		{"roster-token-ci", "", "", false},
		{"alice@example.com", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			g := NewWithT(t)
			ns, token, ok := TokenServiceAccountUser(c.user)
			g.Expect([]any{ns, token, ok}).To(Equal([]any{c.ns, c.token, c.ok}))
		})
	}
}

// A value of a token's ServiceAccount is for the API server, bound to
// nothing, issued while the token lives, and never outlives it.
func TestDecideTokenValue(t *testing.T) {
	live := accessToken("carol@example.com", "", time.Hour)
	secs := func(n int64) *int64 { return &n }
	deleting := live.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: tokenNow}
	cases := []struct {
		name     string
		token    *orgsv1alpha1.AccessToken
		owned    bool
		role     orgsv1alpha1.Role
		exp      *int64
		aud      []string
		bound    bool
		code     Code
		field    string
		says     string
		seconds  int64
		warnings int
	}{
		{"within the token's life", live, true, contributor, secs(1800), nil, false, Allowed, "", "", 1800, 0},
		{"the API's default hour, exactly the token's life", live, true, contributor, nil, nil, false, Allowed, "", "", 3600, 0},
		{"past the token's expiry: capped", live, true, contributor, secs(86400), nil, false, Allowed, "", "", 3600, 1},
		{"past a short token's expiry: capped", accessToken("carol@example.com", "", 15*time.Minute), true, contributor, secs(3600), nil, false, Allowed, "", "", 900, 1},
		{"under ten minutes left", accessToken("carol@example.com", "", 599*time.Second), true, contributor, secs(600), nil, false, Forbidden, "", "less than the TokenRequest API's minimum of 600 seconds", 0, 0},
		{"expired", accessToken("carol@example.com", "", -time.Second), true, contributor, secs(600), nil, false, Forbidden, "", `AccessToken "ci" is revoked (Expired`, 0, 0},
		{"revoked, its ServiceAccount not deleted yet", revokedToken(live, "carol@example.com"), true, contributor, secs(600), nil, false, Forbidden, "", `is revoked (RevokedBy`, 0, 0},
		{"owner removed", live, true, "", secs(600), nil, false, Forbidden, "", "is revoked (OwnerRemoved", 0, 0},
		{"owner demoted to Viewer", live, true, viewer, secs(600), nil, false, Forbidden, "", "is revoked (OwnerDemoted", 0, 0},
		{"being deleted", deleting, true, contributor, secs(600), nil, false, Forbidden, "", "is being deleted", 0, 0},
		{"no AccessToken", nil, false, contributor, secs(600), nil, false, Forbidden, "", `AccessToken "ci" does not exist in namespace "org-acme"`, 0, 0},
		{"a ServiceAccount the token does not control", live, false, contributor, secs(600), nil, false, Forbidden, "", `is not the one Roster made for AccessToken "ci"`, 0, 0},
		{"custom audience", live, true, contributor, secs(600), []string{"vault"}, false, Invalid, "spec.audiences", "for this cluster's API server only", 0, 0},
		{"bound to an object", live, true, contributor, secs(600), nil, true, Invalid, "spec.boundObjectRef", "bound to no object", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d, seconds := DecideTokenValue(TokenValueRequest{Namespace: home, ServiceAccount: "roster-token-ci", Token: c.token, Owned: c.owned,
				OwnerRole: c.role, ExpirationSeconds: c.exp, Audiences: c.aud, BoundObject: c.bound, Now: tokenNow})
			g.Expect(d.Code).To(Equal(c.code), d.Message)
			g.Expect(d.Field).To(Equal(c.field))
			g.Expect(d.Message).To(ContainSubstring(c.says))
			g.Expect(seconds).To(Equal(c.seconds))
			g.Expect(d.Warnings).To(HaveLen(c.warnings))
		})
	}
}

// Roster uses only the ServiceAccount it made for this very token.
func TestTokenServiceAccountOwned(t *testing.T) {
	tok := accessToken("carol@example.com", "", time.Hour)
	tok.UID = "uid-1"
	sa := func(name string, refs ...metav1.OwnerReference) *metav1.ObjectMeta {
		return &metav1.ObjectMeta{Namespace: home, Name: name, OwnerReferences: refs}
	}
	yes := true
	ref := func(kind, apiVersion, uid string, controller bool) metav1.OwnerReference {
		r := metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: "ci", UID: types.UID(uid)}
		if controller {
			r.Controller = &yes
		}
		return r
	}
	gv := orgsv1alpha1.GroupVersion.String()
	otherNS := sa("roster-token-ci", ref("AccessToken", gv, "uid-1", true))
	otherNS.Namespace = "org-globex"
	noUID := tok.DeepCopy()
	noUID.UID = ""
	cases := []struct {
		name  string
		token *orgsv1alpha1.AccessToken
		sa    *metav1.ObjectMeta
		want  bool
	}{
		{"made for this token", tok, sa("roster-token-ci", ref("AccessToken", gv, "uid-1", true)), true},
		{"prepared by someone, no owner", tok, sa("roster-token-ci"), false},
		{"an earlier token of the same name", tok, sa("roster-token-ci", ref("AccessToken", gv, "uid-0", true)), false},
		{"owned, not controlled", tok, sa("roster-token-ci", ref("AccessToken", gv, "uid-1", false)), false},
		{"controlled by another kind with the token's UID", tok, sa("roster-token-ci", ref("Deployment", "apps/v1", "uid-1", true)), false},
		{"another API group's AccessToken", tok, sa("roster-token-ci", ref("AccessToken", "evil.example.com/v1", "uid-1", true)), false},
		{"another name", tok, sa("roster-token-other", ref("AccessToken", gv, "uid-1", true)), false},
		{"another namespace", tok, otherNS, false},
		{"a token not stored yet (no UID)", noUID, sa("roster-token-ci", ref("AccessToken", gv, "", true)), false},
		{"no token", nil, sa("roster-token-ci", ref("AccessToken", gv, "uid-1", true)), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(TokenServiceAccountOwned(c.token, c.sa)).To(Equal(c.want))
		})
	}
}
