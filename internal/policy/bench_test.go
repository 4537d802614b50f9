package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// BenchmarkDecideMember decides typical requests against an organization of
// 1,000 Members (3 owners, the rest spread over the other roles, a few
// groups) and 100 Invitations. Besides ns/op it reports p99-ns, the 99th
// percentile of individually timed decisions (timing adds a few tens of ns
// to ns/op).
func BenchmarkDecideMember(b *testing.B) {
	members := make([]orgsv1alpha1.Member, 0, 1000)
	for i := range 1000 {
		role := orgsv1alpha1.Roles[1+i%4]
		if i < 3 {
			role = owner
		}
		if i%100 == 99 {
			members = append(members, groupMember(fmt.Sprintf("group-%d", i), fmt.Sprintf("team-%d", i), role))
			continue
		}
		members = append(members, userMember(fmt.Sprintf("member-%d", i), fmt.Sprintf("user%d@example.com", i), role))
	}
	s := snapshot(members)
	adminAsker := Requester{User: members[5].Spec.User, Groups: []string{"system:authenticated"}}
	ownerAsker := Requester{User: members[0].Spec.User, Groups: []string{"system:authenticated"}}

	requests := []struct {
		name string
		r    MemberRequest
	}{
		{"add viewer", MemberRequest{Op: Create, New: ptr(userMember("new", "new@example.com", viewer)), Requester: adminAsker, Authority: membersVerb}},
		{"change role", MemberRequest{Op: Update, Old: &members[500], New: withRole(members[500], contributor), Requester: adminAsker, Authority: membersVerb}},
		{"demote owner", MemberRequest{Op: Update, Old: &members[1], New: withRole(members[1], admin), Requester: ownerAsker, Authority: bothVerbs}},
		{"remove member", MemberRequest{Op: Delete, Old: &members[700], Requester: ownerAsker, Authority: bothVerbs}},
		{"owner leaves", MemberRequest{Op: Delete, Old: &members[0], Requester: ownerAsker, Authority: bothVerbs}},
		{"refused outsider", MemberRequest{Op: Delete, Old: &members[0], Requester: outsider, Authority: noVerbs}},
	}
	for _, c := range requests {
		c.r.Snapshot = s
		b.Run(c.name, func(b *testing.B) {
			if d := DecideMember(c.r); d.Allowed() == (c.name == "refused outsider") {
				b.Fatalf("unexpected decision %+v", d)
			}
			took := make([]time.Duration, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				_ = DecideMember(c.r)
				took[i] = time.Since(start)
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
