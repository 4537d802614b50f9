package invite

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		key   string
		at    time.Duration // after t0
		allow bool
		wait  time.Duration // expected retry-after when refused
	}
	cases := []struct {
		name  string
		limit Limit
		steps []step
	}{
		{"burst then refuse", Limit{Every: time.Second, Burst: 2}, []step{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, false, time.Second},
		}},
		{"refills over time", Limit{Every: time.Second, Burst: 1}, []step{
			{"a", 0, true, 0}, {"a", 500 * time.Millisecond, false, 500 * time.Millisecond}, {"a", time.Second, true, 0},
		}},
		{"keys are independent", Limit{Every: time.Minute, Burst: 1}, []step{
			{"a", 0, true, 0}, {"b", 0, true, 0}, {"a", 0, false, time.Minute}, {"b", time.Second, false, 59 * time.Second},
		}},
		{"refused requests do not cost", Limit{Every: time.Second, Burst: 1}, []step{
			{"a", 0, true, 0}, {"a", 100 * time.Millisecond, false, 900 * time.Millisecond},
			{"a", 200 * time.Millisecond, false, 800 * time.Millisecond}, {"a", time.Second, true, 0},
		}},
		{"zero limit allows everything", Limit{}, []step{
			{"a", 0, true, 0}, {"a", 0, true, 0}, {"a", 0, true, 0},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			l := NewLimiter(tc.limit, 100)
			for i, s := range tc.steps {
				ok, wait := l.Allow(s.key, t0.Add(s.at))
				g.Expect(ok).To(Equal(s.allow), "step %d", i)
				g.Expect(wait).To(Equal(s.wait), "step %d", i)
			}
		})
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	g := NewWithT(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(Limit{Every: time.Second, Burst: 3}, 10)
	for i := range 1000 {
		ok, _ := l.Allow(fmt.Sprintf("client-%d", i), t0)
		g.Expect(ok).To(BeTrue())
		g.Expect(l.Len()).To(BeNumerically("<=", 10))
	}
	// A busy key that keeps using its bucket is not the one evicted first.
	l = NewLimiter(Limit{Every: time.Second, Burst: 1}, 3)
	_, _ = l.Allow("busy", t0)
	_, _ = l.Allow("x", t0.Add(time.Millisecond))
	_, _ = l.Allow("y", t0.Add(2*time.Millisecond))
	_, _ = l.Allow("busy", t0.Add(3*time.Millisecond)) // refused, but seen
	_, _ = l.Allow("z", t0.Add(4*time.Millisecond))    // evicts x
	ok, _ := l.Allow("busy", t0.Add(5*time.Millisecond))
	g.Expect(ok).To(BeFalse(), "busy must still be limited")
	// Refilled buckets are forgotten first, without loss.
	ok, _ = l.Allow("new", t0.Add(time.Hour))
	g.Expect(ok).To(BeTrue())
	g.Expect(l.Len()).To(Equal(1))
}
