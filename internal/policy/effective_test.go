package policy

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/roster-dev/roster/api/v1alpha1"
)

func effMember(name, user string, role v1alpha1.Role, age int) v1alpha1.Member {
	return v1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			CreationTimestamp: metav1.NewTime(time.Unix(1_700_000_000, 0).Add(time.Duration(age) * time.Minute)),
		},
		Spec: v1alpha1.MemberSpec{User: user, Role: role},
	}
}

func effDeleting(m v1alpha1.Member) v1alpha1.Member {
	now := metav1.NewTime(time.Unix(1_800_000_000, 0))
	m.DeletionTimestamp = &now
	return m
}

func TestEffectiveRoles(t *testing.T) {
	const (
		owner  = v1alpha1.RoleOwner
		admin  = v1alpha1.RoleAdmin
		viewer = v1alpha1.RoleViewer
	)
	tests := []struct {
		name      string
		members   []v1alpha1.Member
		committed []string
		releasing bool
		want      map[string]Outcome
		owners    []string
	}{{
		name:    "wishes apply when an owner remains",
		members: []v1alpha1.Member{effMember("alice", "alice@x", owner, 0), effMember("bob", "bob@x", admin, 1)},
		want:    map[string]Outcome{"alice": {Role: owner}, "bob": {Role: admin}},
		owners:  []string{"alice@x"},
	}, {
		name:      "downgrading the last owner is held back",
		members:   []v1alpha1.Member{effMember("alice", "alice@x", admin, 0)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}},
		owners:    []string{"alice@x"},
	}, {
		name:      "deleting the last owner is held back",
		members:   []v1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0)), effMember("bob", "bob@x", viewer, 1)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "bob": {Role: viewer}},
		owners:    []string{"alice@x"},
	}, {
		name: "two owners demoted at once: the oldest committed owner stays",
		members: []v1alpha1.Member{
			effMember("alice", "alice@x", admin, 0), effMember("bob", "bob@x", viewer, 1),
		},
		committed: []string{"alice@x", "bob@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "bob": {Role: viewer}},
		owners:    []string{"alice@x"},
	}, {
		name:      "the hold is released once another owner exists",
		members:   []v1alpha1.Member{effMember("alice", "alice@x", admin, 0), effMember("bob", "bob@x", owner, 1)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: admin}, "bob": {Role: owner}},
		owners:    []string{"bob@x"},
	}, {
		name:      "a deleting owner is released once another owner exists",
		members:   []v1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0)), effMember("bob", "bob@x", owner, 1)},
		committed: []string{"alice@x", "bob@x"},
		want:      map[string]Outcome{"alice": {Released: true}, "bob": {Role: owner}},
		owners:    []string{"bob@x"},
	}, {
		name:      "an organization being deleted releases everything",
		members:   []v1alpha1.Member{effDeleting(effMember("alice", "alice@x", owner, 0))},
		committed: []string{"alice@x"},
		releasing: true,
		want:      map[string]Outcome{"alice": {Released: true}},
	}, {
		name:    "an organization that never had an owner holds nothing",
		members: []v1alpha1.Member{effMember("bob", "bob@x", viewer, 0)},
		want:    map[string]Outcome{"bob": {Role: viewer}},
	}, {
		name: "a group owner does not count: the user owner is held",
		members: []v1alpha1.Member{
			effMember("alice", "alice@x", admin, 0),
			{ObjectMeta: metav1.ObjectMeta{Name: "ops"}, Spec: v1alpha1.MemberSpec{Group: "ops", Role: owner}},
		},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"alice": {Role: owner, HeldBack: true}, "ops": {Role: owner}},
		owners:    []string{"alice@x"},
	}, {
		name:    "duplicates: the oldest wins, case-insensitively",
		members: []v1alpha1.Member{effMember("new", "Alice@X", owner, 5), effMember("old", "alice@x", viewer, 0)},
		want:    map[string]Outcome{"old": {Role: viewer}, "new": {DuplicateOf: "old"}},
	}, {
		name:      "a committed owner whose Member is gone cannot be held",
		members:   []v1alpha1.Member{effMember("bob", "bob@x", viewer, 0)},
		committed: []string{"alice@x"},
		want:      map[string]Outcome{"bob": {Role: viewer}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := EffectiveRoles(tt.members, tt.committed, tt.releasing)
			g.Expect(got.Members).To(Equal(tt.want))
			g.Expect(got.Owners).To(Equal(tt.owners))
		})
	}
}
