// Package parallel runs independent API writes of one reconcile at once.
//
// A reconcile that writes its objects one after another pays one API round
// trip per object; with a few dozen objects that, not the API server's
// capacity, is what bounds how fast a change is applied. The workers of a
// controller bound how many reconciles run at once; Limit bounds how many
// writes each of them has in flight.
package parallel

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Limit is how many writes one reconcile has in flight at most.
const Limit = 8

// Each calls fn(i) for every i in [0, n), at most limit at once (limit < 1
// means one at a time), and returns the errors in the order of i, without
// the nils. It returns when every call has returned.
func Each(n, limit int, fn func(i int) error) []error {
	if n == 0 {
		return nil
	}
	limit = max(1, min(limit, n))
	errs := make([]error, n)
	if limit == 1 {
		for i := range n {
			errs[i] = Recover(func() error { return fn(i) })
		}
		return compact(errs)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range limit {
		wg.Go(func() {
			for i := range next {
				errs[i] = Recover(func() error { return fn(i) })
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return compact(errs)
}

// Recover calls fn and turns a panic into an error. controller-runtime
// recovers a reconciler's panics, but not those of goroutines it starts:
// unrecovered, one would stop the whole manager.
func Recover(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

func compact(errs []error) []error {
	out := errs[:0]
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
