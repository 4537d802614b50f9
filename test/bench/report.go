package bench

import (
	"fmt"
	"sort"
	"strings"
)

// Summary renders the results as Markdown tables.
func (r *Results) Summary() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("## Roster benchmark: %s", r.Sizes)
	p("")
	p("Machine: %d cores (%s), %d GiB, %s, kernel %s. Commit %s. Started %s, took %.0fs.",
		r.Machine.Cores, r.Machine.CPU, r.Machine.MemoryGiB, r.Machine.Go, r.Machine.Kernel, r.Commit, r.Started.Format("2006-01-02 15:04"), r.TotalSeconds)
	p("Manager: internal/manager.New in this process as cmd/manager builds it (webhooks on, members may list organizations, no leader election), %s.", r.Settings)
	phases := make([]string, 0, len(r.Load))
	for k := range r.Load {
		phases = append(phases, k)
	}
	sort.Strings(phases)
	var loads []string
	for _, k := range phases {
		loads = append(loads, fmt.Sprintf("%s %s", k, r.Load[k]))
	}
	p("Load average (1, 5, 15 min) at each phase: %s.", strings.Join(loads, "; "))
	p("")
	p("| Workload | Figure | Goal |")
	p("|---|---|---|")
	if c := r.Converge; c != nil {
		p("| Converge | %.1f s (Members created in %.1f s); %d reconciles, mean %.0f ms, %.0f ms queued | |", c.Seconds, c.CreateSeconds, c.Reconciles, c.ReconcileMs, c.QueueWaitMs)
		if r.Plain != nil {
			p("| Lower bound (plain client) | %.1f s (Members created in %.1f s, %d other writes, %d writers) | |", r.Plain.Seconds, r.Plain.CreateSeconds, r.Plain.Writes, r.Plain.Workers)
			p("| Convergence ratio | %.2f | ≤ 1.2 |", r.ConvergenceRatio)
		}
		p("| Operator writes | %d (%d without Events; %d conflicts) | |", c.Writes, c.WritesNoEvents, c.Conflicts)
		p("| Minimum writes | %d (%d RBAC objects changed of %d, %d Member + %d Organization statuses, %d finalizers) | |",
			c.MinWrites, c.RBACChanged, c.RBACObjects, c.Sizes.TotalMembers(), c.Sizes.Orgs, c.OwnerFinalizers)
		p("| Write ratio | %.2f (%.2f without Events) | ≤ 1.1 |", c.WriteRatio, c.WriteRatioNoEvts)
	}
	if rs := r.Restart; rs != nil {
		p("| Restart: mutating calls | %d (%d reconciles, all done %.1f s after start; caches synced in %.1f s) | 0 |", rs.Writes, rs.Reconciles, rs.InitialSeconds, rs.StartSeconds)
	}
	if rc := r.RestartChange; rc != nil {
		p("| Restart: change sent during restart | admitted %.1f s after start, applied %.1f s after start (%.2f s after admission) | |",
			rc.AdmittedSeconds, rc.AppliedSeconds, rc.AfterAdmitSeconds)
	}
	if c := r.Churn; c != nil {
		p("| Churn (%.0f/s for %.0f s) | p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d role changes: p99 %.0f ms; %d removals: p99 %.0f ms); %d writes; %d reconciles, mean %.0f ms, %.0f ms queued | p99 ≤ 1 s |",
			c.Rate, c.Seconds, c.All.P50, c.All.P99, c.All.Max, c.RoleChanges, c.Role.P99, c.Removals, c.Removal.P99, c.Writes, c.Reconciles, c.ReconcileMs, c.QueueWaitMs)
	}
	if t := r.Tokens; t != nil {
		p("| Tokens: role change of their owner (%d tokens) | %d writes (%d without tokens; minimum %d: + 1 status per token) | ratio %.2f to the minimum, goal ≤ 1.0 |",
			t.Tokens, t.HolderTokens.Writes, t.HolderBaseline.Writes, t.HolderMinimum, t.HolderRatio)
		p("| Tokens: another member's role change beside them | %d writes (%d in an organization without tokens) | ratio %.2f, goal 1.0 |",
			t.OtherTokens.Writes, t.OtherBaseline.Writes, t.OtherRatio)
	}
	if a := r.Admission; a != nil {
		p("| Admission (%d clients, %.0f s) | p50 %.1f ms, p99 %.1f ms over %d requests; ConfigMap baseline p50 %.1f ms, p99 %.1f ms | p99 ≤ 10 ms |",
			a.Clients, a.Seconds, a.All.P50, a.All.P99, a.All.N, a.Baseline.P50, a.Baseline.P99)
		p("| Admission (1 client) | p50 %.1f ms, p99 %.1f ms over %d requests; ConfigMap baseline p50 %.1f ms, p99 %.1f ms | |",
			a.SingleClient.P50, a.SingleClient.P99, a.SingleClient.N, a.SingleBaseline.P50, a.SingleBaseline.P99)
		p("| Admission errors | %d of %d requests (%.2f%%) | |", a.Errors, a.Requests, 100*a.ErrorRate)
	}
	if l := r.Loopback; l != nil {
		p("| Webhooks over loopback (%d clients, %.0f s) | p50 %.2f ms, p99 %.2f ms over %d reviews; allow-all webhook on the same server p50 %.2f ms, p99 %.2f ms (p99 ratio %.2f) | p99 ≤ 10 ms |",
			l.Clients, l.Seconds, l.All.P50, l.All.P99, l.All.N, l.Baseline.P50, l.Baseline.P99, l.P99Ratio)
	}
	p("| Memory once converged | manager heap %.1f MiB; process heap in use %.1f MiB, RSS %.1f MiB | heap ≤ 150 MiB |",
		r.ManagerHeapMiB, r.Memory.HeapInuseMiB, r.Memory.RSSMiB)
	if len(r.Memory.ControlPlaneRSSMiB) > 0 {
		names := make([]string, 0, len(r.Memory.ControlPlaneRSSMiB))
		for n := range r.Memory.ControlPlaneRSSMiB {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %.0f MiB", n, r.Memory.ControlPlaneRSSMiB[n]))
		}
		p("| Control plane RSS once converged | %s | |", strings.Join(parts, ", "))
	}
	if u := r.Unrelated; u != nil {
		p("| + %d unrelated RoleBindings | restarted manager's heap %.1f → %.1f MiB (%+.1f%%); process heap in use %.1f → %.1f MiB (%+.1f%%), RSS %.1f → %.1f MiB | < 5%% |",
			u.RoleBindings, u.ManagerHeapBeforeMiB, u.ManagerHeapAfterMiB, u.ManagerHeapIncreasePct,
			u.Before.HeapInuseMiB, u.After.HeapInuseMiB, u.HeapIncreasePct, u.Before.RSSMiB, u.After.RSSMiB)
	}
	if len(r.Scaling) > 0 {
		p("")
		p("| Members | Namespaces | Converge (s) | Plain client (s) | Writes | Min writes | Reconciles | Manager heap (MiB) | Process RSS (MiB) | Load |")
		p("|---|---|---|---|---|---|---|---|---|---|")
		for _, s := range r.Scaling {
			plain := "–"
			if s.PlainSeconds > 0 {
				plain = fmt.Sprintf("%.1f", s.PlainSeconds)
			}
			p("| %d | %d | %.1f | %s | %d | %d | %d | %.1f | %.1f | %s |", s.Members, s.Namespaces, s.ConvergeSeconds, plain, s.Writes, s.MinWrites, s.Reconciles, s.ManagerHeapMiB, s.RSSMiB, s.Load)
		}
	}
	if pr := r.Projects; pr != nil && len(pr.Runs) > 0 {
		p("")
		p("Projects: organization %s, %d Members over all five roles; %s creates and deletes each Project.", pr.Organization, pr.Members, pr.Creator)
		p("")
		p("| K | Roster writes (namespace creates, namespace writes, RoleBindings, quotas, statuses, other) | Plain writes (RoleBindings) | Write ratio | Ready: Roster / plain (s) | Access: Roster / plain (s) | Time ratio (access) | Delete writes: Roster / plain (namespace deletes) | Delete: Roster / plain (s) |")
		p("|---|---|---|---|---|---|---|---|---|")
		for _, run := range pr.Runs {
			ro, pl, rd, pd := run.Roster, run.Plain, run.RosterDelete, run.PlainDelete
			p("| %d | %d (%d, %d, %d, %d, %d, %d) | %d (%d) | %.2f | %.2f / %.2f | %.2f / %.2f | %.1f | %d / %d (%d) | %.1f / %.1f (ratio %.2f) |",
				run.Environments, ro.Writes, ro.NamespaceCreates, ro.NamespaceWrites, ro.RoleBindings, ro.Quotas, ro.Statuses, ro.Other,
				pl.Writes, pl.RoleBindings, run.WriteRatio, ro.ReadySeconds, pl.ReadySeconds, ro.AccessSeconds, pl.AccessSeconds, run.AccessRatio,
				rd.Writes, pd.Writes, rd.NamespaceDeletes, rd.ReadySeconds, pd.ReadySeconds, run.DeleteSecondsRatio)
		}
		for _, run := range pr.Runs {
			p("Project of %d environments: Roster's writes creating it: %s; deleting it: %s", run.Environments, kinds(run.Roster.WritesByKind), kinds(run.RosterDelete.WritesByKind))
		}
	}
	if c := r.Converge; c != nil {
		p("")
		p("Operator writes during converge: %s", kinds(c.WritesByKind))
	}
	if c := r.Churn; c != nil {
		p("Operator writes during churn: %s", kinds(c.WritesByKind))
	}
	if t := r.Tokens; t != nil {
		p("Operator writes, owner of %d tokens demoted: %s; the same change without tokens: %s", t.Tokens, kinds(t.HolderTokens.WritesByKind), kinds(t.HolderBaseline.WritesByKind))
	}
	if rs := r.Restart; rs != nil {
		p("Restarted manager's writes: %s", kinds(rs.WritesByKind))
	}
	if a := r.Admission; a != nil {
		ops := make([]string, 0, len(a.ByOp))
		for op := range a.ByOp {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			p("Admission %s: %s", op, a.ByOp[op])
		}
		p("API server's webhook histogram during admission: %v", a.APIServer)
		p("SubjectAccessReviews made by the webhooks during the concurrent run: %d, mean round trip %.1f ms", a.ReviewCalls, a.ReviewMeanMs)
		paths := make([]string, 0, len(a.WebhookServer))
		for path := range a.WebhookServer {
			paths = append(paths, path)
		}
		sort.Strings(paths)
		for _, path := range paths {
			l := a.WebhookServer[path]
			p("Webhook server %s: %.0f calls, mean %.2f ms, %.1f%% within 1 ms, %.1f%% within 10 ms, %.1f%% within 100 ms",
				path, l.Calls, l.MeanMs, 100*l.Le1ms, 100*l.Le10ms, 100*l.Le100ms)
		}
	}
	return b.String()
}

func kinds(m map[string]int64) string {
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
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
