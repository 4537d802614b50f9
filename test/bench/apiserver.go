package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

const webhookDurationBucket = "apiserver_admission_webhook_admission_duration_seconds_bucket{"

// histogram is the API server's cumulative webhook duration histogram:
// webhook name → upper bound ("0.005", …, "+Inf") → calls, summed over
// operations and outcomes.
type histogram map[string]map[string]float64

// webhookHistogram scrapes the API server's /metrics for Roster's webhooks.
func webhookHistogram(ctx context.Context, env *Env) (histogram, error) {
	hc, err := rest.HTTPClientFor(env.AdminCfg)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(env.AdminCfg.Host, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	h := histogram{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, webhookDurationBucket)
		if !ok {
			continue
		}
		end := strings.LastIndexByte(rest, '}')
		if end < 0 {
			continue
		}
		labels := parseLabels(rest[:end])
		if !strings.HasSuffix(labels["name"], "roster.dev") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest[end+1:]), 64)
		if err != nil {
			continue
		}
		name := labels["type"] + " " + labels["name"]
		if h[name] == nil {
			h[name] = map[string]float64{}
		}
		h[name][labels["le"]] += v
	}
	return h, sc.Err()
}

func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			break
		}
		key := s[:eq]
		s = s[eq+2:]
		q := strings.IndexByte(s, '"')
		if q < 0 {
			break
		}
		out[key] = s[:q]
		s = strings.TrimPrefix(s[q+1:], ",")
	}
	return out
}

func (h histogram) sub(before histogram) histogram {
	out := histogram{}
	for name, buckets := range h {
		out[name] = map[string]float64{}
		for le, v := range buckets {
			out[name][le] = v - before[name][le]
		}
	}
	return out
}

// shares turns counts into the share of calls at or under each bound, and
// adds the number of calls as "calls".
func (h histogram) shares() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for name, buckets := range h {
		total := buckets["+Inf"]
		if total == 0 {
			continue
		}
		out[name] = map[string]float64{"calls": total}
		for le, v := range buckets {
			if le != "+Inf" {
				out[name]["le "+le+"s"] = v / total
			}
		}
	}
	return out
}
