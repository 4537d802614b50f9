package policy

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// The permission matrix of the design brief, cell by cell. Each requester
// gets the authority RBAC gives their role: Owner both verbs, Admin
// manage-members, the others none; a cluster admin both (and no Member);
// an outsider none.

type actor struct {
	name      string
	requester Requester
	authority Authority
	member    string // the requester's own Member, "" for none
}

var actors = []actor{
	{"Owner", Requester{User: "owner@example.com"}, bothVerbs, "owner"},
	{"Admin", Requester{User: "admin@example.com"}, membersVerb, "admin"},
	{"Contributor", Requester{User: "contributor@example.com"}, noVerbs, "contributor"},
	{"Viewer", Requester{User: "viewer@example.com"}, noVerbs, "viewer"},
	{"ViewerNoSecrets", Requester{User: "vns@example.com"}, noVerbs, "vns"},
	{"cluster admin", clusterAdmin, bothVerbs, ""},
	{"outsider", outsider, noVerbs, ""},
}

// matrixMembers has three owners, so no cell is decided by the last-owner rule.
func matrixMembers() []orgsv1alpha1.Member {
	return []orgsv1alpha1.Member{
		userMember("owner", "owner@example.com", owner),
		userMember("owner2", "owner2@example.com", owner),
		userMember("owner3", "owner3@example.com", owner),
		userMember("admin", "admin@example.com", admin),
		userMember("contributor", "contributor@example.com", contributor),
		userMember("viewer", "viewer@example.com", viewer),
		userMember("vns", "vns@example.com", viewerNoSecrets),
		userMember("carol", "carol@example.com", viewer),
	}
}

func matrixInvitations() []orgsv1alpha1.Invitation {
	return []orgsv1alpha1.Invitation{
		invitation("inv-admin", "erin@example.com", admin, orgsv1alpha1.InvitationSent),
		invitation("inv-owner", "frank@example.com", owner, orgsv1alpha1.InvitationSent),
	}
}

func memberByName(name string) orgsv1alpha1.Member {
	for _, m := range matrixMembers() {
		if m.Name == name {
			return m
		}
	}
	panic("no member " + name)
}

func invitationByName(name string) orgsv1alpha1.Invitation {
	for _, i := range matrixInvitations() {
		if i.Name == name {
			return i
		}
	}
	panic("no invitation " + name)
}

func resend(inv orgsv1alpha1.Invitation) (old, new *orgsv1alpha1.Invitation) {
	old = invitedBy(inv, Requester{User: "owner@example.com"})
	new = old.DeepCopy()
	new.Annotations[orgsv1alpha1.ResendRequestedAtAnnotation] = "2026-01-02T03:04:05Z"
	return old, new
}

func TestPermissionMatrix(t *testing.T) {
	decideMember := func(a actor, op Operation, old, new *orgsv1alpha1.Member) Decision {
		return DecideMember(MemberRequest{Op: op, Old: old, New: new, Requester: a.requester, Authority: a.authority,
			Snapshot: snapshot(matrixMembers(), matrixInvitations()...)})
	}
	decideInvitation := func(a actor, op Operation, old, new *orgsv1alpha1.Invitation) Decision {
		return DecideInvitation(InvitationRequest{Op: op, Old: old, New: new, Requester: a.requester, Authority: a.authority,
			Snapshot: snapshot(matrixMembers(), matrixInvitations()...)})
	}
	confirmed := acme()
	confirmed.Annotations = map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: orgName}

	owners := []string{"Owner", "cluster admin"}
	managers := []string{"Owner", "Admin", "cluster admin"}

	cells := []struct {
		action  string
		allowed []string
		verb    string // the verb named in a refusal
		decide  func(a actor) Decision
	}{
		{"invite non-owner", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			return decideInvitation(a, Create, nil, invitedBy(invitation("", "grace@example.com", admin, ""), a.requester))
		}},
		{"invite owner", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			return decideInvitation(a, Create, nil, invitedBy(invitation("", "grace@example.com", owner, ""), a.requester))
		}},
		{"resend non-owner invitation", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			old, new := resend(invitationByName("inv-admin"))
			return decideInvitation(a, Update, old, new)
		}},
		{"resend owner invitation", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			old, new := resend(invitationByName("inv-owner"))
			return decideInvitation(a, Update, old, new)
		}},
		{"revoke non-owner invitation", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			return decideInvitation(a, Delete, ptr(invitationByName("inv-admin")), nil)
		}},
		{"revoke owner invitation", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			return decideInvitation(a, Delete, ptr(invitationByName("inv-owner")), nil)
		}},
		{"add non-owner Member", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			return decideMember(a, Create, nil, ptr(userMember("heidi", "heidi@example.com", contributor)))
		}},
		{"add owner Member", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			return decideMember(a, Create, nil, ptr(userMember("heidi", "heidi@example.com", owner)))
		}},
		{"change non-owner role", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			carol := memberByName("carol")
			return decideMember(a, Update, &carol, withRole(carol, contributor))
		}},
		{"promote to owner", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			carol := memberByName("carol")
			return decideMember(a, Update, &carol, withRole(carol, owner))
		}},
		{"demote owner", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			o := memberByName("owner2")
			return decideMember(a, Update, &o, withRole(o, admin))
		}},
		{"remove non-owner", managers, orgsv1alpha1.VerbManageMembers, func(a actor) Decision {
			return decideMember(a, Delete, ptr(memberByName("carol")), nil)
		}},
		{"remove owner", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			return decideMember(a, Delete, ptr(memberByName("owner2")), nil)
		}},
		{"update organization", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			renamed := acme()
			renamed.Spec.DisplayName = "Acme Inc."
			return DecideOrganization(OrganizationRequest{Op: Update, Old: acme(), New: renamed, Requester: a.requester, Authority: a.authority, Members: 8})
		}},
		{"delete organization", owners, orgsv1alpha1.VerbManageOwners, func(a actor) Decision {
			return DecideOrganization(OrganizationRequest{Op: Delete, Old: confirmed, Requester: a.requester, Authority: a.authority, Members: 8})
		}},
	}

	for _, c := range cells {
		for _, a := range actors {
			t.Run(c.action+"/"+a.name, func(t *testing.T) {
				g := NewWithT(t)
				d := c.decide(a)
				if contains(c.allowed, a.name) {
					g.Expect(d.Code).To(Equal(Allowed), d.Message)
					g.Expect(d.Allowed()).To(BeTrue())
					g.Expect(d.Message).To(BeEmpty())
					return
				}
				g.Expect(d.Code).To(Equal(Forbidden))
				g.Expect(d.Allowed()).To(BeFalse())
				g.Expect(d.Message).To(ContainSubstring(fmt.Sprintf("user %q may not", a.requester.User)))
				g.Expect(d.Message).To(ContainSubstring(`organization "acme"`))
				g.Expect(d.Message).To(ContainSubstring("holders of " + c.verb + " on organizations/acme"))
				g.Expect(d.Message).To(ContainSubstring("ask an"))
			})
		}
	}

	// Leaving: each role deletes its own Member with exactly the authority
	// RBAC gives it.
	for _, a := range actors {
		if a.member == "" {
			continue // a cluster admin or an outsider has nothing to leave
		}
		t.Run("leave/"+a.name, func(t *testing.T) {
			g := NewWithT(t)
			d := decideMember(a, Delete, ptr(memberByName(a.member)), nil)
			if a.name == "Owner" || a.name == "Admin" {
				g.Expect(d.Code).To(Equal(Allowed), d.Message)
				return
			}
			g.Expect(d.Code).To(Equal(Forbidden))
			g.Expect(d.Message).To(Equal(fmt.Sprintf(`user %q may not leave organization "acme": only Admins and Owners can leave organization acme; ask an Admin or Owner to remove you`, a.requester.User)))
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
