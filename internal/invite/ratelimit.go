package invite

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Burst requests at once, then one every Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// Limiter rate-limits by key (a client address, an invitation). It holds
// at most maxKeys buckets; a bucket that has refilled is forgotten without
// loss, since a new one starts full.
type Limiter struct {
	mu      sync.Mutex
	limit   Limit
	maxKeys int
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter returns a Limiter. A zero Every means no limit.
func NewLimiter(limit Limit, maxKeys int) *Limiter {
	if maxKeys <= 0 {
		maxKeys = 10000
	}
	if limit.Burst <= 0 {
		limit.Burst = 1
	}
	return &Limiter{limit: limit, maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket at now. When the bucket is
// empty it returns false and how long until a token is available.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.Every <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.limit.Every
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len is the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep forgets refilled buckets; if every bucket is in use it forgets
// the least recently used one, so memory stays bounded under a flood of
// new keys (whose requests the other limits still count).
func (l *Limiter) sweep(now time.Time) {
	refill := time.Duration(l.limit.Burst) * l.limit.Every
	var oldestKey string
	var oldest time.Time
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= refill {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.seen.Before(oldest) {
			oldestKey, oldest = k, b.seen
		}
	}
	if len(l.buckets) >= l.maxKeys && oldestKey != "" {
		delete(l.buckets, oldestKey)
	}
}
