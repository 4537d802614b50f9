package bench

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Call is one kind of API request: verb, resource (with subresource) and
// outcome.
type Call struct {
	// Verb is create, update, patch, apply (server-side apply), delete,
	// deletecollection, get, list or watch.
	Verb string
	// Resource is the plural resource, "members" or "members/status".
	Resource string
	// Code is the HTTP status class: "2xx", "409" (conflict) or the code.
	Code string
}

func (c Call) String() string { return c.Verb + " " + c.Resource + " " + c.Code }

// Mutating says whether the call asks the API server to change something.
// SubjectAccessReviews and TokenReviews are creates that store nothing: they
// are reviews, counted apart.
func (c Call) Mutating() bool {
	switch c.Verb {
	case "create", "update", "patch", "apply", "delete", "deletecollection":
	default:
		return false
	}
	switch c.Resource {
	case "subjectaccessreviews", "selfsubjectaccessreviews", "tokenreviews", "localsubjectaccessreviews":
		return false
	}
	return true
}

// Counter is an http.RoundTripper wrapper that counts every request a
// client makes, by Call. Wrap a rest.Config with it:
//
//	cfg.Wrap(counter.Wrap)
type Counter struct {
	mu    sync.Mutex
	calls map[Call]int64
	nanos map[Call]int64
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{calls: map[Call]int64{}, nanos: map[Call]int64{}} }

// Wrap returns rt, counting.
func (c *Counter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := rt.RoundTrip(req)
		took := time.Since(start)
		code := "error"
		if err == nil {
			code = fmt.Sprint(resp.StatusCode)
			if resp.StatusCode/100 == 2 {
				code = "2xx"
			}
		}
		verb, resource := classify(req)
		call := Call{Verb: verb, Resource: resource, Code: code}
		c.mu.Lock()
		c.calls[call]++
		c.nanos[call] += int64(took)
		c.mu.Unlock()
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(Calls, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Time returns the total time spent in the calls so far (until the
// response headers), by Call.
func (c *Counter) Time() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(Calls, len(c.nanos))
	for k, v := range c.nanos {
		out[k] = v
	}
	return out
}

// Calls are request counts by Call.
type Calls map[Call]int64

// Sub returns c minus before.
func (c Calls) Sub(before Calls) Calls {
	out := Calls{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Mutating counts the mutating calls, failed ones included.
func (c Calls) Mutating() int64 {
	return c.Sum(func(k Call) bool { return k.Mutating() })
}

// MutatingExcept counts the mutating calls on resources other than those given.
func (c Calls) MutatingExcept(resources ...string) int64 {
	return c.Sum(func(k Call) bool {
		if !k.Mutating() {
			return false
		}
		for _, r := range resources {
			if strings.HasPrefix(k.Resource, r) {
				return false
			}
		}
		return true
	})
}

// Sum counts the calls keep selects.
func (c Calls) Sum(keep func(Call) bool) int64 {
	var n int64
	for k, v := range c {
		if keep(k) {
			n += v
		}
	}
	return n
}

// ByKind folds the calls into "verb resource [code]" lines for reports,
// mutating ones only unless all.
func (c Calls) ByKind(all bool) map[string]int64 {
	out := map[string]int64{}
	for k, v := range c {
		if !all && !k.Mutating() {
			continue
		}
		key := k.Verb + " " + k.Resource
		if k.Code != "2xx" {
			key += " (" + k.Code + ")"
		}
		out[key] += v
	}
	return out
}

// String lists the mutating calls, most frequent first.
func (c Calls) String() string {
	m := c.ByKind(false)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, m[k])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// classify names a request's verb and resource from its method and path:
// /api/v1/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]] and
// /apis/<group>/<version>/... alike.
func classify(req *http.Request) (verb, resource string) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var rest []string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		rest = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		rest = parts[3:]
	default:
		return strings.ToLower(req.Method), req.URL.Path
	}
	if len(rest) >= 3 && rest[0] == "namespaces" {
		rest = rest[2:]
	}
	named := len(rest) >= 2
	if len(rest) > 0 {
		resource = rest[0]
	}
	if len(rest) >= 3 {
		resource += "/" + rest[2]
	}
	switch req.Method {
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			verb = "apply"
		}
	case http.MethodDelete:
		verb = "delete"
		if !named {
			verb = "deletecollection"
		}
	case http.MethodGet:
		switch {
		case req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1":
			verb = "watch"
		case named:
			verb = "get"
		default:
			verb = "list"
		}
	default:
		verb = strings.ToLower(req.Method)
	}
	return verb, resource
}
