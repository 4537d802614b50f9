package acceptserver

import (
	"container/list"
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
// at most maxKeys buckets in least-recently-used order, so that every
// request costs the same whatever the number of keys: a new key past
// maxKeys evicts the coldest one, and refilled buckets at the cold end are
// forgotten without loss, since a new one starts full.
type Limiter struct {
	mu      sync.Mutex
	limit   Limit
	maxKeys int
	buckets map[string]*list.Element // of *bucket
	lru     *list.List               // front: the key used last
}

type bucket struct {
	key  string
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
	return &Limiter{limit: limit, maxKeys: maxKeys, buckets: map[string]*list.Element{}, lru: list.New()}
}

// Allow takes one token from key's bucket at now. When the bucket is
// empty it returns false and how long until a token is available.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.Every <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetRefilled(now)
	e, ok := l.buckets[key]
	if ok {
		l.lru.MoveToFront(e)
	} else {
		if l.lru.Len() >= l.maxKeys {
			// Every bucket is in use: forget the least recently used, so
			// memory stays bounded under a flood of new keys (whose
			// requests the other limits still count).
			l.forget(l.lru.Back())
		}
		e = l.lru.PushFront(&bucket{key: key, lim: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)})
		l.buckets[key] = e
	}
	b := e.Value.(*bucket)
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
	return l.lru.Len()
}

// forgetRefilled drops at most two refilled buckets from the cold end: a
// request adds at most one bucket, so idle ones still drain, and no
// request pays for a sweep.
func (l *Limiter) forgetRefilled(now time.Time) {
	refill := time.Duration(l.limit.Burst) * l.limit.Every
	for range 2 {
		e := l.lru.Back()
		if e == nil || now.Sub(e.Value.(*bucket).seen) < refill {
			return
		}
		l.forget(e)
	}
}

func (l *Limiter) forget(e *list.Element) {
	delete(l.buckets, l.lru.Remove(e).(*bucket).key)
}
