package policy

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

var (
	alice      = userMember("alice", "alice@example.com", owner)
	bob        = userMember("bob", "bob@example.com", admin)
	carol      = userMember("carol", "carol@example.com", viewer)
	aliceAsker = Requester{User: "alice@example.com"}
	bobAsker   = Requester{User: "bob@example.com"}
)

const lastOwnerAlice = `user "alice@example.com" is the last owner of organization "acme"; assign the Owner role to another user first`

func TestMemberVerb(t *testing.T) {
	labelled := alice.DeepCopy()
	labelled.Labels = map[string]string{"team": "a"}
	labelled.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	cases := []struct {
		name     string
		op       Operation
		old, new *orgsv1alpha1.Member
		want     string
	}{
		{"create non-owner", Create, nil, &bob, orgsv1alpha1.VerbManageMembers},
		{"create owner", Create, nil, &alice, orgsv1alpha1.VerbManageOwners},
		{"change non-owner role", Update, &bob, withRole(bob, viewer), orgsv1alpha1.VerbManageMembers},
		{"promote to owner", Update, &bob, withRole(bob, owner), orgsv1alpha1.VerbManageOwners},
		{"demote owner", Update, &alice, withRole(alice, admin), orgsv1alpha1.VerbManageOwners},
		{"metadata only, owner", Update, &alice, labelled, ""},
		{"metadata only, non-owner", Update, &bob, ptr(bob), ""},
		{"update without old object", Update, nil, &bob, orgsv1alpha1.VerbManageMembers},
		{"delete non-owner", Delete, &bob, nil, orgsv1alpha1.VerbManageMembers},
		{"delete owner", Delete, &alice, nil, orgsv1alpha1.VerbManageOwners},
		{"unknown operation asks for the most", "CONNECT", &bob, &bob, orgsv1alpha1.VerbManageOwners},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			NewWithT(t).Expect(MemberVerb(c.op, c.old, c.new)).To(Equal(c.want))
		})
	}
}

func TestDecideMemberOutsideHomeNamespace(t *testing.T) {
	for _, op := range []Operation{Create, Update} {
		t.Run(string(op), func(t *testing.T) {
			g := NewWithT(t)
			m := userMember("alice", "alice@example.com", owner)
			m.Namespace = "default"
			d := DecideMember(MemberRequest{Op: op, Old: &m, New: &m, Requester: clusterAdmin, Authority: bothVerbs,
				Snapshot: Snapshot{Members: []orgsv1alpha1.Member{m}}})
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(Equal(`namespace "default" is not the home namespace of any Organization; create Members in their organization's home namespace`))
		})
	}

	// Once the Organization is gone, the namespace controller empties its
	// home namespace: nothing is left to protect, and a refusal would leave
	// the namespace Terminating for ever.
	t.Run("DELETE after the organization is gone", func(t *testing.T) {
		g := NewWithT(t)
		namespaceController := Requester{User: "system:serviceaccount:kube-system:namespace-controller"}
		d := DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: namespaceController, Authority: noVerbs,
			Snapshot: Snapshot{Members: []orgsv1alpha1.Member{alice}}})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})
}

// "Until the Organization itself is being deleted": then the owner rule is
// released, but not the authority check.
func TestDecideMemberOrganizationBeingDeleted(t *testing.T) {
	g := NewWithT(t)
	s := snapshot([]orgsv1alpha1.Member{alice, bob})
	s.Organization.DeletionTimestamp = deleting(alice).DeletionTimestamp
	d := DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: s})
	g.Expect(d.Code).To(Equal(Allowed), d.Message)
	g.Expect(d.Warnings).To(BeEmpty())

	d = DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: bobAsker, Authority: membersVerb, Snapshot: s})
	g.Expect(d.Code).To(Equal(Forbidden))
	g.Expect(d.Message).To(ContainSubstring("holders of manage-owners"))
}

func TestDecideMemberNoObject(t *testing.T) {
	cases := []MemberRequest{
		{Op: Create, Old: &alice},
		{Op: Update, Old: &alice},
		{Op: Delete, New: &alice},
		{Op: "CONNECT", Old: &alice, New: &alice},
	}
	for _, r := range cases {
		t.Run(string(r.Op), func(t *testing.T) {
			g := NewWithT(t)
			r.Authority = bothVerbs
			r.Snapshot = snapshot([]orgsv1alpha1.Member{alice})
			d := DecideMember(r)
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring(`operation "` + string(r.Op) + `" on Members`))
		})
	}
}

func TestDecideMemberAuthorityMessages(t *testing.T) {
	dave := userMember("dave", "dave@example.com", admin)
	members := []orgsv1alpha1.Member{alice, userMember("alice2", "alice2@example.com", owner), bob, carol, dave}
	cases := []struct {
		name     string
		op       Operation
		old, new *orgsv1alpha1.Member
		want     []string
	}{
		{"grant owner on create", Create, nil, ptr(userMember("erin", "erin@example.com", owner)), []string{
			`user "bob@example.com" may not grant the Owner role to user erin@example.com in organization "acme": only owners (holders of manage-owners on organizations/acme) may create, invite, promote to, demote from or remove an Owner; ask an Owner of the organization to do it`,
		}},
		{"promote", Update, &carol, withRole(carol, owner), []string{"may not grant the Owner role to user carol@example.com", "manage-owners"}},
		{"demote", Update, &alice, withRole(alice, admin), []string{"may not change the role of user alice@example.com from Owner to Admin", "manage-owners"}},
		{"remove owner", Delete, &alice, nil, []string{"may not remove user alice@example.com (role Owner)", "manage-owners"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: c.op, Old: c.old, New: c.new, Requester: bobAsker, Authority: membersVerb, Snapshot: snapshot(members)})
			g.Expect(d.Code).To(Equal(Forbidden))
			for _, w := range c.want {
				g.Expect(d.Message).To(ContainSubstring(w))
			}
		})
	}

	t.Run("manage-members refusals", func(t *testing.T) {
		cases := []struct {
			name     string
			op       Operation
			old, new *orgsv1alpha1.Member
			want     string
		}{
			{"add", Create, nil, ptr(groupMember("team-a", "team-a", viewer)), "may not add group team-a with role Viewer"},
			{"change role", Update, &dave, withRole(dave, viewer), "may not change the role of user dave@example.com from Admin to Viewer"},
			{"remove", Delete, &dave, nil, "may not remove user dave@example.com (role Admin)"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				g := NewWithT(t)
				d := DecideMember(MemberRequest{Op: c.op, Old: c.old, New: c.new, Requester: outsider, Authority: noVerbs, Snapshot: snapshot(members)})
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Message).To(ContainSubstring(`user "mallory@example.com" ` + c.want + ` in organization "acme"`))
				g.Expect(d.Message).To(ContainSubstring("only owners and admins (holders of manage-members on organizations/acme)"))
				g.Expect(d.Message).To(ContainSubstring("ask an Admin or Owner of the organization to do it"))
			})
		}
	})

	t.Run("a spec change that keeps the role", func(t *testing.T) {
		g := NewWithT(t)
		changed := carol.DeepCopy()
		changed.Spec.User = "carol@example.org" // CEL forbids this; the policy still asks for authority
		d := DecideMember(MemberRequest{Op: Update, Old: &carol, New: changed, Requester: outsider, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("may not change the Member for user carol@example.org"))
	})
}

func TestDecideMemberMetadataOnlyUpdateNeedsNoVerb(t *testing.T) {
	g := NewWithT(t)
	labelled := alice.DeepCopy()
	labelled.Labels = map[string]string{"team": "a"}
	labelled.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	d := DecideMember(MemberRequest{Op: Update, Old: &alice, New: labelled, Requester: outsider, Authority: noVerbs,
		Snapshot: snapshot([]orgsv1alpha1.Member{alice, userMember("alice2", "alice2@example.com", owner)})})
	g.Expect(d.Code).To(Equal(Allowed), d.Message)
}

func TestDecideMemberLeave(t *testing.T) {
	second := userMember("alice2", "alice2@example.com", owner)
	for _, role := range orgsv1alpha1.Roles {
		t.Run(string(role)+" without any verb", func(t *testing.T) {
			g := NewWithT(t)
			me := userMember("me", "me@example.com", role)
			d := DecideMember(MemberRequest{Op: Delete, Old: &me, Requester: Requester{User: "me@example.com"}, Authority: noVerbs,
				Snapshot: snapshot([]orgsv1alpha1.Member{alice, second, me})})
			if role == owner || role == admin {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring("only Admins and Owners can leave organization acme; ask an Admin or Owner to remove you"))
		})
	}

	t.Run("Contributor holding manage-members may remove themselves", func(t *testing.T) {
		g := NewWithT(t)
		me := userMember("me", "me@example.com", contributor)
		d := DecideMember(MemberRequest{Op: Delete, Old: &me, Requester: Requester{User: "me@example.com"}, Authority: membersVerb,
			Snapshot: snapshot([]orgsv1alpha1.Member{alice, me})})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})

	t.Run("removing someone else is not leaving", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Delete, Old: &second, Requester: bobAsker, Authority: membersVerb,
			Snapshot: snapshot([]orgsv1alpha1.Member{alice, second, bob})})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("manage-owners"))
	})

	t.Run("a group Member is never left by one of its users", func(t *testing.T) {
		g := NewWithT(t)
		team := groupMember("team-a", "team-a", admin)
		d := DecideMember(MemberRequest{Op: Delete, Old: &team, Requester: Requester{User: "team-a", Groups: []string{"team-a"}}, Authority: noVerbs,
			Snapshot: snapshot([]orgsv1alpha1.Member{alice, team})})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("manage-members"))
	})

	t.Run("the last owner cannot leave", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: aliceAsker, Authority: bothVerbs,
			Snapshot: snapshot([]orgsv1alpha1.Member{alice, bob})})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(Equal(lastOwnerAlice))
	})
}

func TestDecideMemberLastOwner(t *testing.T) {
	cases := []struct {
		name      string
		members   []orgsv1alpha1.Member
		invites   []orgsv1alpha1.Invitation
		op        Operation
		old, new  *orgsv1alpha1.Member
		requester Requester
	}{
		{name: "cluster admin removes the last owner", members: []orgsv1alpha1.Member{alice, bob},
			op: Delete, old: &alice, requester: clusterAdmin},
		{name: "the last owner demotes themselves", members: []orgsv1alpha1.Member{alice, bob},
			op: Update, old: &alice, new: withRole(alice, admin), requester: aliceAsker},
		{name: "an owner group does not count", members: []orgsv1alpha1.Member{alice, groupMember("owners", "owners", owner)},
			op: Delete, old: &alice, requester: clusterAdmin},
		{name: "an owner being deleted does not count", members: []orgsv1alpha1.Member{alice, deleting(userMember("alice2", "alice2@example.com", owner))},
			op: Delete, old: &alice, requester: clusterAdmin},
		{name: "a pending Owner invitation does not count", members: []orgsv1alpha1.Member{alice},
			invites: []orgsv1alpha1.Invitation{invitation("inv", "erin@example.com", owner, orgsv1alpha1.InvitationSent)},
			op:      Delete, old: &alice, requester: clusterAdmin},
		{name: "a lagging snapshot without the owner", members: []orgsv1alpha1.Member{bob},
			op: Delete, old: &alice, requester: clusterAdmin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: c.op, Old: c.old, New: c.new, Requester: c.requester, Authority: bothVerbs,
				Snapshot: snapshot(c.members, c.invites...)})
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(Equal(lastOwnerAlice))
		})
	}

	t.Run("an organization that never had an owner is not blocked", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Create, New: &bob, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(nil)})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
		g.Expect(d.Warnings).To(BeEmpty())

		team := groupMember("owners", "owners", owner)
		d = DecideMember(MemberRequest{Op: Delete, Old: &team, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot([]orgsv1alpha1.Member{team, bob})})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})

	t.Run("a Member already being deleted may be deleted again", func(t *testing.T) {
		g := NewWithT(t)
		gone := deleting(alice)
		d := DecideMember(MemberRequest{Op: Delete, Old: &gone, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot([]orgsv1alpha1.Member{gone, bob})})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})

	t.Run("promote bob, then leave", func(t *testing.T) {
		g := NewWithT(t)
		members := []orgsv1alpha1.Member{alice, bob}
		promoted := withRole(bob, owner)
		d := DecideMember(MemberRequest{Op: Update, Old: &bob, New: promoted, Requester: aliceAsker, Authority: bothVerbs, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
		g.Expect(d.Warnings).To(BeEmpty())

		members[1] = *promoted
		d = DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: aliceAsker, Authority: bothVerbs, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
		g.Expect(d.Warnings).To(ConsistOf(ContainSubstring("single owner (bob@example.com)")))
	})
}

func TestDecideMemberSingleOwnerWarning(t *testing.T) {
	alice2 := userMember("alice2", "alice2@example.com", owner)
	const warning = `organization "acme" has a single owner (alice@example.com); at least two owners are recommended in case one needs to leave or be removed`
	cases := []struct {
		name     string
		members  []orgsv1alpha1.Member
		op       Operation
		old, new *orgsv1alpha1.Member
		want     []string
	}{
		{"first owner", nil, Create, nil, &alice, []string{warning}},
		{"second owner", []orgsv1alpha1.Member{alice}, Create, nil, &alice2, nil},
		{"a viewer joins a single-owner organization", []orgsv1alpha1.Member{alice}, Create, nil, &carol, []string{warning}},
		// The snapshot holds alice2 in its old state: it must be replaced, not counted twice.
		{"demote one of two owners", []orgsv1alpha1.Member{alice, alice2}, Update, &alice2, withRole(alice2, admin), []string{warning}},
		{"remove one of two owners", []orgsv1alpha1.Member{alice, alice2}, Delete, &alice2, nil, []string{warning}},
		{"three owners become two", []orgsv1alpha1.Member{alice, alice2, userMember("alice3", "alice3@example.com", owner)}, Delete, &alice2, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: c.op, Old: c.old, New: c.new, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(c.members)})
			g.Expect(d.Code).To(Equal(Allowed), d.Message)
			if c.want == nil {
				g.Expect(d.Warnings).To(BeEmpty())
			} else {
				g.Expect(d.Warnings).To(Equal(c.want))
			}
		})
	}
}

func TestDecideMemberUniqueness(t *testing.T) {
	team := groupMember("team-a", "team-a", viewer)
	members := []orgsv1alpha1.Member{alice, bob, team}
	cases := []struct {
		name    string
		members []orgsv1alpha1.Member
		new     orgsv1alpha1.Member
		want    string // "" when allowed
	}{
		{"same user, other case: a look-alike", members, userMember("bob-again", "BOB@example.com", viewer),
			`user "kubernetes-admin" may not add user BOB@example.com to organization "acme": it looks the same as user bob@example.com, Member "bob", but is a different identity to Kubernetes`},
		{"same user, Unicode fold (U+0130): a look-alike", members, userMember("alice-again", "al\u0130ce@example.com", viewer),
			`it looks the same as user alice@example.com, Member "alice"`},
		{"generated name", members, userMember("", "bob@example.com", viewer), `Member "bob" already gives user bob@example.com the role Admin`},
		{"same group", members, groupMember("team-a-2", "team-a", contributor), `Member "team-a" already gives group team-a the role Viewer`},
		{"a user named like a group", members, userMember("team-a-user", "team-a", viewer), ""},
		{"a group named like a user", members, groupMember("bob-group", "bob@example.com", viewer), ""},
		{"a group of another case: a look-alike", members, groupMember("team-a-upper", "Team-A", viewer),
			`it looks the same as group team-a, Member "team-a"`},
		{"a user and a group of the same name are two subjects", members, groupMember("bob-group", "bob@example.com", viewer), ""},
		{"a duplicate being deleted", []orgsv1alpha1.Member{alice, deleting(bob)}, userMember("bob-again", "bob@example.com", viewer),
			"it is being deleted; try again once it is gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: Create, New: &c.new, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(c.members)})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(ContainSubstring(c.want))
		})
	}
}

// Existence, then authority, then invariants: an outsider's refusal says
// nothing about who is a member.
func TestDecideMemberCheckOrder(t *testing.T) {
	members := []orgsv1alpha1.Member{alice, bob}
	t.Run("outside the home namespace comes first", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Create, New: ptr(userMember("bob2", "bob@example.com", viewer)), Requester: outsider, Authority: noVerbs,
			Snapshot: Snapshot{Members: members}})
		g.Expect(d.Message).To(ContainSubstring("is not the home namespace of any Organization"))
	})
	t.Run("authority before uniqueness", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Create, New: ptr(userMember("bob2", "bob@example.com", viewer)), Requester: outsider, Authority: noVerbs, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("holders of manage-members"))
		g.Expect(d.Message).NotTo(ContainSubstring(`Member "bob"`))
	})
	t.Run("authority before the last-owner rule", func(t *testing.T) {
		g := NewWithT(t)
		d := DecideMember(MemberRequest{Op: Delete, Old: &alice, Requester: bobAsker, Authority: membersVerb, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Forbidden))
		g.Expect(d.Message).To(ContainSubstring("holders of manage-owners"))
		g.Expect(d.Message).NotTo(ContainSubstring("last owner"))
	})
}

// No Member names an identity Kubernetes reserves for itself: binding
// system:authenticated would give the role to every client, system:masters
// or system:kube-controller-manager to the cluster's own components.
// Service-account identities are the service-account rules' to decide.
func TestDecideMemberSystemIdentity(t *testing.T) {
	cases := []struct {
		name  string
		new   orgsv1alpha1.Member
		field string // "" when allowed
	}{
		{"system:admin", userMember("root", "system:admin", viewer), "spec.user"},
		{"system:anonymous", userMember("anon", "system:anonymous", viewer), "spec.user"},
		{"system:kube-controller-manager", userMember("kcm", "system:kube-controller-manager", owner), "spec.user"},
		{"a node", userMember("node", "system:node:worker-1", contributor), "spec.user"},
		{"system:masters", groupMember("masters", "system:masters", viewer), "spec.group"},
		{"system:authenticated", groupMember("everyone", "system:authenticated", viewerNoSecrets), "spec.group"},
		{"system:unauthenticated", groupMember("anyone", "system:unauthenticated", viewerNoSecrets), "spec.group"},
		{"just the prefix", userMember("prefix", "system:", viewer), "spec.user"},
		{"a service account: not this rule's", userMember("ci", "system:serviceaccount:ci:deployer", viewer), ""},
		{"the service accounts groups: not this rule's", groupMember("sas", "system:serviceaccounts:ci", viewer), ""},
		{"another case is not reserved", userMember("sys", "System:admin", viewer), ""},
		{"the prefix elsewhere", userMember("oidc", "oidc:system:admin", viewer), ""},
		{"a person", userMember("dora", "dora@example.com", viewer), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			d := DecideMember(MemberRequest{Op: Create, New: &c.new, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot([]orgsv1alpha1.Member{alice, bob})})
			if c.field == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Invalid))
			g.Expect(d.Field).To(Equal(c.field))
			g.Expect(d.Message).To(ContainSubstring(`is a %s Kubernetes reserves for itself (prefix "system:")`, map[string]string{"spec.user": "user", "spec.group": "group"}[c.field]))
		})
	}
	t.Run("a Member stored before the rule may still change and go", func(t *testing.T) {
		g := NewWithT(t)
		old := groupMember("everyone", "system:authenticated", viewer)
		members := []orgsv1alpha1.Member{alice, bob, old}
		d := DecideMember(MemberRequest{Op: Update, Old: &old, New: withRole(old, viewerNoSecrets), Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
		d = DecideMember(MemberRequest{Op: Delete, Old: &old, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot(members)})
		g.Expect(d.Code).To(Equal(Allowed), d.Message)
	})
}

// A token's ServiceAccount is never a Member, whoever asks: tokens are
// personal, and a Member would keep the token's access after its owner
// leaves or it is revoked. Other ServiceAccounts may be Members.
func TestDecideMemberTokenServiceAccount(t *testing.T) {
	cases := []struct {
		name string
		user string
		want string // "" when allowed
	}{
		{"a token's ServiceAccount", "system:serviceaccount:" + home + ":roster-token-ci",
			`spec.user "system:serviceaccount:` + home + `:roster-token-ci" is the ServiceAccount of AccessToken "ci" in namespace "` + home + `", and tokens are personal`},
		{"another organization's token", "system:serviceaccount:org-globex:roster-token-ci", `AccessToken "ci" in namespace "org-globex"`},
		{"another ServiceAccount", "system:serviceaccount:ci:deployer", ""},
		{"a user named like a token's ServiceAccount", "roster-token-ci", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			m := userMember("sa", c.user, admin)
			d := DecideMember(MemberRequest{Op: Create, New: &m, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot([]orgsv1alpha1.Member{alice, bob})})
			if c.want == "" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Invalid))
			g.Expect(d.Field).To(Equal("spec.user"))
			g.Expect(d.Message).To(ContainSubstring(c.want))
		})
	}
}

// Neither may a group that holds the tokens' ServiceAccounts be a Member:
// every ServiceAccount of the cluster, or those of the home namespace.
func TestDecideMemberGroupOfTokenServiceAccounts(t *testing.T) {
	cases := []struct {
		name, group string
		refused     bool
	}{
		{"every ServiceAccount", "system:serviceaccounts", true},
		{"the home namespace's", "system:serviceaccounts:" + home, true},
		{"another namespace's", "system:serviceaccounts:ci", false},
		{"a case variant is another group", "system:serviceaccounts:" + strings.ToUpper(home), false},
		{"a group of people", "acme-devs", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			m := groupMember("sas", c.group, viewer)
			d := DecideMember(MemberRequest{Op: Create, New: &m, Requester: clusterAdmin, Authority: bothVerbs, Snapshot: snapshot([]orgsv1alpha1.Member{alice, bob})})
			if !c.refused {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Invalid))
			g.Expect(d.Field).To(Equal("spec.group"))
			g.Expect(d.Message).To(ContainSubstring(`holds the ServiceAccounts of namespace %q, among them those of its AccessTokens`, home))
		})
	}
}
