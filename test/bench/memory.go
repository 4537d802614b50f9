package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Mem is a memory reading of this process (the manager runs in it, next to
// the workloads' clients and the tracker) and of the control plane's
// processes, after a forced GC.
type Mem struct {
	// HeapInuseMiB and HeapAllocMiB are runtime.MemStats after GC.
	HeapInuseMiB float64 `json:"heapInuseMiB"`
	HeapAllocMiB float64 `json:"heapAllocMiB"`
	// RSSMiB is this process's VmRSS after debug.FreeOSMemory.
	RSSMiB     float64 `json:"rssMiB"`
	Goroutines int     `json:"goroutines"`
	// ControlPlaneRSSMiB is VmRSS of etcd, kube-apiserver and
	// kube-controller-manager, by name.
	ControlPlaneRSSMiB map[string]float64 `json:"controlPlaneRSSMiB,omitempty"`
}

// MeasureMem forces a GC, returns freed memory to the OS and reads.
func MeasureMem() Mem {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := Mem{
		HeapInuseMiB: mib(ms.HeapInuse),
		HeapAllocMiB: mib(ms.HeapAlloc),
		RSSMiB:       float64(statusKiB("/proc/self/status", "VmRSS")) / 1024,
		Goroutines:   runtime.NumGoroutine(),
	}
	m.ControlPlaneRSSMiB = controlPlaneRSS()
	return m
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// statusKiB reads a "Key:  123 kB" line of a /proc status file.
func statusKiB(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// controlPlaneRSS finds this process's etcd, kube-apiserver and
// kube-controller-manager children.
func controlPlaneRSS() map[string]float64 {
	self := strconv.Itoa(os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := map[string]float64{}
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != self {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join(d, "comm"))
		name := strings.TrimSpace(string(comm))
		switch name {
		case "etcd", "kube-apiserver", "kube-controller":
		default:
			continue
		}
		out[name] += float64(statusKiB(filepath.Join(d, "status"), "VmRSS")) / 1024
	}
	return out
}

// reconciles is controller-runtime's reconcile_total of the organization
// controller (all results), summed over the managers this process ran.
func reconciles() int64 {
	return int64(metricSum("controller_runtime_reconcile_total", map[string]string{"controller": "organization"}))
}

// reconcileTime is the organization controller's total reconcile time in
// seconds and the number of reconciles it covers.
func reconcileTime() (seconds float64, count float64) {
	return histogramSum("controller_runtime_reconcile_time_seconds", map[string]string{"controller": "organization"})
}

// queueWait is the organization controller's total time of keys in the work
// queue before a worker took them, and the number of keys.
func queueWait() (seconds float64, count float64) {
	return histogramSum("workqueue_queue_duration_seconds", map[string]string{"name": "organization"})
}

// queueDepth is the organization controller's work queue depth.
func queueDepth() float64 {
	return metricSum("workqueue_depth", map[string]string{"name": "organization"})
}

// histogramSum sums a histogram's sample sum and count over the series
// matching match.
func histogramSum(name string, match map[string]string) (sum, count float64) {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0, 0
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m.GetLabel(), match) || m.GetHistogram() == nil {
				continue
			}
			sum += m.GetHistogram().GetSampleSum()
			count += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum, count
}

func labelsMatch(labels []*dto.LabelPair, match map[string]string) bool {
	for k, v := range match {
		found := false
		for _, l := range labels {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// metricSum sums a counter or gauge from controller-runtime's registry
// over the series matching match.
func metricSum(name string, match map[string]string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m.GetLabel(), match) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// webhookStats is controller-runtime's histogram of the time Roster's
// webhook server took per request (controller_runtime_webhook_latency_seconds),
// by webhook path: calls, total seconds and calls at or under each bound.
type webhookStats map[string]*webhookStat

type webhookStat struct {
	Calls, Seconds float64
	Le             map[float64]float64
}

func webhookServerStats() webhookStats {
	out := webhookStats{}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return out
	}
	for _, f := range families {
		if f.GetName() != "controller_runtime_webhook_latency_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			if h == nil {
				continue
			}
			var path string
			for _, l := range m.GetLabel() {
				if l.GetName() == "webhook" {
					path = l.GetValue()
				}
			}
			st := out[path]
			if st == nil {
				st = &webhookStat{Le: map[float64]float64{}}
				out[path] = st
			}
			st.Calls += float64(h.GetSampleCount())
			st.Seconds += h.GetSampleSum()
			for _, b := range h.GetBucket() {
				st.Le[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			}
		}
	}
	return out
}

// WebhookServerLatency summarises webhookStats over a window.
type WebhookServerLatency struct {
	Calls  float64 `json:"calls"`
	MeanMs float64 `json:"meanMs"`
	// Le1ms, Le10ms and Le100ms are the shares of calls handled within
	// 1, 10 and 100 ms (the histogram's bounds).
	Le1ms   float64 `json:"le1ms"`
	Le10ms  float64 `json:"le10ms"`
	Le100ms float64 `json:"le100ms"`
}

func (w webhookStats) since(before webhookStats) map[string]WebhookServerLatency {
	out := map[string]WebhookServerLatency{}
	for path, st := range w {
		b := before[path]
		if b == nil {
			b = &webhookStat{Le: map[float64]float64{}}
		}
		calls := st.Calls - b.Calls
		if calls == 0 {
			continue
		}
		share := func(bound float64) float64 {
			for le, v := range st.Le {
				if le > bound*0.999 && le < bound*1.001 {
					return (v - b.Le[le]) / calls
				}
			}
			return 0
		}
		out[path] = WebhookServerLatency{
			Calls: calls, MeanMs: 1000 * (st.Seconds - b.Seconds) / calls,
			Le1ms: share(0.001), Le10ms: share(0.01), Le100ms: share(0.1),
		}
	}
	return out
}
