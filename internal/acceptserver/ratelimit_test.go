package acceptserver

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
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
	// Refilled buckets are forgotten without loss, two per request.
	ok, _ = l.Allow("new", t0.Add(time.Hour))
	g.Expect(ok).To(BeTrue())
	g.Expect(l.Len()).To(Equal(2))
	ok, _ = l.Allow("new", t0.Add(time.Hour))
	g.Expect(ok).To(BeFalse(), "new's bucket is kept")
	g.Expect(l.Len()).To(Equal(1))
}

// A full limiter evicts the key used least recently, not one of the same
// age picked at random, and a flood of new keys evicts exactly as many of
// the coldest keys as it brings: the others keep their limits.
func TestLimiterEvictsLeastRecentlyUsed(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := Limit{Every: time.Minute, Burst: 1}
	for round := range 20 {
		g := NewWithT(t)
		l := NewLimiter(lim, 3)
		for _, k := range []string{"a", "b", "c"} {
			ok, _ := l.Allow(k, t0)
			g.Expect(ok).To(BeTrue())
		}
		_, _ = l.Allow("a", t0) // refused, but used: b is now the coldest
		ok, _ := l.Allow("d", t0)
		g.Expect(ok).To(BeTrue())
		for _, k := range []string{"a", "c", "d"} {
			ok, _ := l.Allow(k, t0)
			g.Expect(ok).To(BeFalse(), "round %d: %s lost its bucket", round, k)
		}
		ok, _ = l.Allow("b", t0)
		g.Expect(ok).To(BeTrue(), "round %d: b, the least recently used, should have been evicted", round)
	}

	g := NewWithT(t)
	const n = 500
	l := NewLimiter(lim, 2*n)
	for i := range 2 * n {
		ok, _ := l.Allow(fmt.Sprintf("old-%d", i), t0)
		g.Expect(ok).To(BeTrue())
	}
	for i := range n {
		ok, _ := l.Allow(fmt.Sprintf("new-%d", i), t0)
		g.Expect(ok).To(BeTrue())
	}
	g.Expect(l.Len()).To(Equal(2 * n))
	// The n coldest were evicted; the n used after them are still limited.
	for i := n; i < 2*n; i++ {
		ok, _ := l.Allow(fmt.Sprintf("old-%d", i), t0)
		g.Expect(ok).To(BeFalse(), "old-%d was evicted though %d colder keys were there", i, n)
	}
}

// evictionCost is the time one request with a new key takes in a full
// limiter of n keys (each such request evicts one).
func evictionCost(n int, newKeys []string) time.Duration {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(Limit{Every: time.Minute, Burst: 1}, n)
	for i := range n {
		l.Allow(strconv.Itoa(i), t0)
	}
	runtime.GC()
	start := time.Now()
	for _, k := range newKeys {
		l.Allow(k, t0)
	}
	return time.Since(start) / time.Duration(len(newKeys))
}

// The cost of a new key does not grow with the number of keys held: a
// sweep of every bucket under the lock, as before, makes 100,000 keys cost
// about 100 times what 1,000 do. The best of five runs of each, to stay
// clear of a busy machine's pauses.
func TestLimiterEvictionCostIsFlat(t *testing.T) {
	newKeys := make([]string, 2000)
	for i := range newKeys {
		newKeys[i] = "new-" + strconv.Itoa(i)
	}
	small, large := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range 5 {
		small = min(small, evictionCost(1000, newKeys))
		large = min(large, evictionCost(100000, newKeys))
	}
	t.Logf("a new key in a full limiter: %v with 1,000 keys, %v with 100,000", small, large)
	NewWithT(t).Expect(large).To(BeNumerically("<", 10*max(small, time.Microsecond/10)),
		"a new key costs %v with 100,000 keys, %v with 1,000", large, small)
}

// BenchmarkLimiterNewKey: a request with a new key in a full limiter
// (one eviction each), at 1,000 and 100,000 keys; ns/op should be flat.
func BenchmarkLimiterNewKey(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := NewLimiter(Limit{Every: time.Minute, Burst: 1}, n)
			for i := range n {
				l.Allow(strconv.Itoa(i), t0)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				l.Allow("new-"+strconv.Itoa(i), t0) // never seen: each evicts one
			}
		})
	}
}
