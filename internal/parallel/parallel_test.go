package parallel

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachCallsEveryIndexOnceWithinTheLimit(t *testing.T) {
	for _, limit := range []int{0, 1, 3, 8, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			const n = 50
			var calls [n]atomic.Int32
			var inFlight, peak atomic.Int32
			errs := Each(n, limit, func(i int) error {
				cur := inFlight.Add(1)
				for {
					p := peak.Load()
					if cur <= p || peak.CompareAndSwap(p, cur) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				inFlight.Add(-1)
				calls[i].Add(1)
				return nil
			})
			if errs != nil {
				t.Fatalf("errors %v, want none", errs)
			}
			for i := range calls {
				if got := calls[i].Load(); got != 1 {
					t.Errorf("index %d called %d times, want 1", i, got)
				}
			}
			want := int32(max(1, min(limit, n)))
			if got := peak.Load(); got > want {
				t.Errorf("%d calls in flight, limit %d", got, want)
			}
		})
	}
}

func TestEachReturnsEveryErrorInIndexOrder(t *testing.T) {
	errs := Each(10, 4, func(i int) error {
		if i%3 == 0 {
			return fmt.Errorf("call %d", i)
		}
		return nil
	})
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	if want := "[call 0 call 3 call 6 call 9]"; fmt.Sprint(got) != want {
		t.Fatalf("errors %v, want %s", got, want)
	}
}

func TestEachTurnsAPanicIntoAnError(t *testing.T) {
	for _, limit := range []int{1, 4} {
		errs := Each(3, limit, func(i int) error {
			if i == 1 {
				panic("boom")
			}
			return nil
		})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "panic: boom") {
			t.Fatalf("limit %d: errors %v, want one saying panic: boom", limit, errs)
		}
	}
}

func TestEachOfNothing(t *testing.T) {
	if errs := Each(0, 4, func(int) error { return errors.New("called") }); errs != nil {
		t.Fatalf("errors %v, want none", errs)
	}
}
