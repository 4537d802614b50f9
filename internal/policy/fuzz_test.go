package policy

import (
	"fmt"
	"strings"
	"testing"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// FuzzDecide plays sequences of Member creates, role changes and deletes,
// decoded from the fuzz input, against an organization that starts with one
// owner user, applying each one DecideMember allows. Properties, after every
// step:
//   - the organization, which had an owner, still has an owner user;
//   - no two Members name the same user or group, or look-alikes of one
//     (the same LookalikeKey);
//   - an outsider with no verbs never gets a spec change through.
//
// Each step takes 4 bytes:
//
//	op:        byte%3: create, update, delete
//	target:    create: byte%8 picks user0..user5 or group0..group1, bit 7
//	           upper-cases the user; update/delete: byte%len picks a Member
//	role:      byte%5 indexes orgsv1alpha1.Roles
//	requester: bits 0-2: user0..user5, 6 cluster admin, 7 outsider;
//	           bits 3-4 == 0: the authority RBAC gives the requester's role,
//	           else bit 5 is manage-owners and bit 6 manage-members
func FuzzDecide(f *testing.F) {
	f.Add([]byte{})
	// user0 (owner) promotes user1, then leaves.
	f.Add([]byte{0, 1, 1, 0, 1, 1, 0, 0, 2, 0, 0, 0})
	// the owner tries to leave alone; a cluster admin tries to remove them.
	f.Add([]byte{2, 0, 0, 0, 2, 0, 0, 6})
	// an admin joins, demotes the owner with forged authority, leaves.
	f.Add([]byte{0, 2, 1, 6, 1, 0, 1, 0x1a, 2, 1, 0, 2})
	// an owner group joins and a case-changed duplicate is tried.
	f.Add([]byte{0, 6, 0, 6, 0, 0x80, 0, 6, 2, 0, 0, 0x7e})

	f.Fuzz(func(t *testing.T, data []byte) {
		// Long inputs add nothing a short sequence cannot reach, and each
		// step is O(members): cap them so the fuzzer keeps its pace.
		if len(data) > 4*maxSteps {
			data = data[:4*maxSteps]
		}
		members := []orgsv1alpha1.Member{userMember("m-user0", "user0@example.com", owner)}
		for step := 0; len(data) >= 4; step, data = step+1, data[4:] {
			r := decodeStep(step, data[:4], members)
			if r == nil {
				continue
			}
			r.Snapshot = snapshot(members)
			d := DecideMember(*r)
			if !d.Allowed() {
				if d.Code != Forbidden || d.Message == "" {
					t.Fatalf("step %d: a refusal must be Forbidden with a message, got %+v", step, d)
				}
				continue
			}
			if r.Requester.User == outsider.User && r.Authority == noVerbs && MemberVerb(r.Op, r.Old, r.New) != "" {
				t.Fatalf("step %d: an outsider with no verbs was allowed to %s %s", step, r.Op, subject(r.Op, r.Old, r.New).Subject())
			}
			members = apply(members, *r)
			if countOwnerUsers(members) == 0 {
				t.Fatalf("step %d: %s of %s by %q (%+v) left organization %q without an owner user: %v",
					step, r.Op, subject(r.Op, r.Old, r.New).Subject(), r.Requester.User, r.Authority, orgName, describe(members))
			}
			if dup := duplicate(members, r.New); dup != "" {
				t.Fatalf("step %d: %s of %s was allowed but %s: %v", step, r.Op, subject(r.Op, r.Old, r.New).Subject(), dup, describe(members))
			}
		}
	})
}

const maxSteps = 64

var fuzzRequesters = []Requester{
	{User: "user0@example.com"}, {User: "user1@example.com"}, {User: "user2@example.com"},
	{User: "user3@example.com"}, {User: "user4@example.com"}, {User: "user5@example.com"},
	clusterAdmin, outsider,
}

func decodeStep(step int, b []byte, members []orgsv1alpha1.Member) *MemberRequest {
	op := []Operation{Create, Update, Delete}[b[0]%3]
	role := orgsv1alpha1.Roles[int(b[2])%len(orgsv1alpha1.Roles)]
	who := fuzzRequesters[b[3]&7]
	r := &MemberRequest{Op: op, Requester: who, Authority: rbacAuthority(who, members)}
	if b[3]&0x18 != 0 {
		r.Authority = Authority{ManageOwners: b[3]&0x20 != 0, ManageMembers: b[3]&0x40 != 0}
	}
	switch op {
	case Create:
		m := userMember(fmt.Sprintf("m%d", step), fmt.Sprintf("user%d@example.com", b[1]%8), role)
		if b[1]%8 >= 6 {
			m = groupMember(m.Name, fmt.Sprintf("group%d", b[1]%8-6), role)
		} else if b[1]&0x80 != 0 {
			m.Spec.User = strings.ToUpper(m.Spec.User)
		}
		r.New = &m
	case Update, Delete:
		if len(members) == 0 {
			return nil
		}
		old := members[int(b[1])%len(members)]
		r.Old = &old
		if op == Update {
			r.New = withRole(old, role)
		}
	}
	return r
}

// rbacAuthority is what the per-organization ClusterRoles give: Owner both
// verbs, Admin manage-members; a cluster admin both.
func rbacAuthority(who Requester, members []orgsv1alpha1.Member) Authority {
	if who.User == clusterAdmin.User {
		return bothVerbs
	}
	for _, m := range members {
		if m.Spec.User != "" && SameUser(m.Spec.User, who.User) {
			switch m.Spec.Role {
			case owner:
				return bothVerbs
			case admin:
				return membersVerb
			}
		}
	}
	return noVerbs
}

// apply makes the change the API server would store.
func apply(members []orgsv1alpha1.Member, r MemberRequest) []orgsv1alpha1.Member {
	out := make([]orgsv1alpha1.Member, 0, len(members)+1)
	for _, m := range members {
		if r.Op == Create || m.Name != r.Old.Name {
			out = append(out, m)
		}
	}
	if r.Op != Delete {
		out = append(out, *r.New)
	}
	return out
}

// duplicate reports another Member naming the same subject as changed (the
// Member just created or updated; nil for a delete, which cannot add one).
func duplicate(members []orgsv1alpha1.Member, changed *orgsv1alpha1.Member) string {
	if changed == nil {
		return ""
	}
	a := changed.Spec
	for _, m := range members {
		b := m.Spec
		if m.Name != changed.Name && ((a.User != "" && b.User != "" && LookalikeKey(a.User) == LookalikeKey(b.User)) ||
			(a.Group != "" && b.Group != "" && LookalikeKey(a.Group) == LookalikeKey(b.Group))) {
			return fmt.Sprintf("Members %q and %q name the same subject, or look-alikes", changed.Name, m.Name)
		}
	}
	return ""
}

func describe(members []orgsv1alpha1.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = fmt.Sprintf("%s=%s:%s", m.Name, m.Subject(), m.Spec.Role)
	}
	return out
}
