package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Options says which workloads run and how big.
type Options struct {
	Sizes Sizes
	// Settings are the manager's; the zero value is production.
	Settings              Settings
	ChurnRate             float64
	ChurnDuration         time.Duration
	AdmissionClients      int
	AdmissionDuration     time.Duration
	UnrelatedRoleBindings int
	// Tokens is how many AccessTokens the tokens workload gives its member
	// (0: the workload does not run; it needs 3 organizations).
	Tokens int
	// ProjectEnvs lists the environment counts K of the projects workload
	// (none: it does not run); ProjectMembers is its organization's Members.
	ProjectEnvs    []int
	ProjectMembers int
	// Plain runs the lower bound on a second control plane.
	Plain bool
	// Scaling lists member totals for the scaling curve (Members per
	// organization and Projects as in Sizes; the organization count
	// varies). The main size is reused, not run again.
	Scaling []int
	// ScalingPlain runs the lower bound at every scaling point too.
	ScalingPlain bool
	// ScalePoint runs the converge workload at one size in a fresh process
	// (so that its memory figures owe nothing to the runs before it) and
	// returns that run's results.
	ScalePoint func(context.Context, Sizes) (*Results, error)
	// HeapProfile, when set, is where the heap profile of the converged
	// main run is written.
	HeapProfile string
	// CPUProfile, when set with CPUProfilePhase, is where a CPU profile of
	// this process during that phase (converge, churn, admission, …) is
	// written.
	CPUProfile, CPUProfilePhase string
}

// Results are every figure of a run.
type Results struct {
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Commit   string    `json:"commit"`
	Options  string    `json:"options"`
	Sizes    Sizes     `json:"sizes"`
	Settings Settings  `json:"managerSettings"`
	// Load is /proc/loadavg when each phase started.
	Load map[string]string `json:"load"`

	Converge         *ConvergeResult      `json:"converge,omitempty"`
	Plain            *PlainResult         `json:"plain,omitempty"`
	ConvergenceRatio float64              `json:"convergenceRatio,omitempty"`
	Memory           Mem                  `json:"memory"`
	ManagerHeapMiB   float64              `json:"managerHeapMiB"`
	Unrelated        *UnrelatedResult     `json:"unrelated,omitempty"`
	Restart          *RestartResult       `json:"restart,omitempty"`
	RestartChange    *RestartChangeResult `json:"restartChange,omitempty"`
	Churn            *ChurnResult         `json:"churn,omitempty"`
	Tokens           *TokensResult        `json:"tokens,omitempty"`
	Projects         *ProjectsResult      `json:"projects,omitempty"`
	Admission        *AdmissionResult     `json:"admission,omitempty"`
	Loopback         *LoopbackResult      `json:"loopback,omitempty"`
	Scaling          []ScalePoint         `json:"scaling,omitempty"`
	TotalSeconds     float64              `json:"totalSeconds"`
}

// ScalePoint is one point of the scaling curve.
type ScalePoint struct {
	Sizes           Sizes   `json:"sizes"`
	Members         int     `json:"members"`
	Namespaces      int     `json:"namespaces"`
	ConvergeSeconds float64 `json:"convergeSeconds"`
	PlainSeconds    float64 `json:"plainSeconds,omitempty"`
	Writes          int64   `json:"writes"`
	MinWrites       int64   `json:"minWrites"`
	Reconciles      int64   `json:"reconciles"`
	// HeapInuseMiB and RSSMiB are the whole process once converged;
	// ManagerHeapMiB is what stopping the manager released.
	HeapInuseMiB   float64 `json:"heapInuseMiB"`
	RSSMiB         float64 `json:"rssMiB"`
	ManagerHeapMiB float64 `json:"managerHeapMiB"`
	Load           string  `json:"load"`
}

// Machine describes where the run happened.
type Machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu"`
	MemoryGiB int    `json:"memoryGiB"`
	Go        string `json:"go"`
	Kernel    string `json:"kernel"`
}

// Run runs the workloads.
func Run(ctx context.Context, o Options) (*Results, error) {
	res := &Results{
		Started: time.Now(), Machine: machine(), Commit: commit(), Sizes: o.Sizes,
		Options:  fmt.Sprintf("%+v", o),
		Settings: o.Settings.withDefaults(),
		Load:     map[string]string{},
	}
	var profiling *os.File
	stopProfile := func() {
		if profiling != nil {
			pprof.StopCPUProfile()
			_ = profiling.Close()
			log.Printf("wrote CPU profile %s", profiling.Name())
			profiling = nil
		}
	}
	defer stopProfile()
	phase := func(name string) {
		stopProfile()
		res.Load[name] = loadavg()
		log.Printf("=== %s (load average %s)", name, res.Load[name])
		if o.CPUProfile != "" && o.CPUProfilePhase == name {
			f, err := os.Create(o.CPUProfile)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				profiling = f
			}
		}
	}
	s := o.Sizes

	phase("start")
	env, err := StartEnv(ctx, o.Settings)
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	mgr, err := env.StartManager(true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = mgr.Stop() }()
	tr, err := NewTracker(ctx, env.AdminCfg, s)
	if err != nil {
		return nil, err
	}
	defer tr.Stop()
	orgs, err := Setup(ctx, env, mgr, s, "o")
	if err != nil {
		return nil, err
	}

	phase("converge")
	if res.Converge, err = Converge(ctx, env, mgr, tr, s, orgs); err != nil {
		return nil, err
	}
	if err := VerifyRBAC(ctx, env, s, orgs, nil); err != nil {
		return res, err
	}
	if err := VerifyCounts(ctx, env, s, orgs); err != nil {
		return res, err
	}
	if o.HeapProfile != "" {
		if err := writeHeapProfile(o.HeapProfile); err != nil {
			return res, err
		}
	}
	// What the plain client will write again, kept on disk so that it does
	// not weigh on the heap measured here.
	finalPath, err := CaptureFinal(ctx, env, res.Converge.Before)
	if err != nil {
		return res, err
	}
	defer func() { _ = os.Remove(finalPath) }()
	res.Converge.Before = nil

	phase("restart")
	var next *Manager
	res.Restart, next, err = Restart(ctx, env, mgr, s)
	if next != nil {
		mgr = next
	}
	if err != nil {
		return res, err
	}
	res.Memory = res.Restart.Running
	res.ManagerHeapMiB = res.Restart.ManagerHeapMiB
	if o.HeapProfile != "" {
		if err := writeHeapProfile(o.HeapProfile + ".restarted"); err != nil {
			return res, err
		}
	}
	log.Printf("memory once converged: manager heap %.1f MiB; process heap in use %.1f MiB, RSS %.1f MiB; control plane RSS %v",
		res.ManagerHeapMiB, res.Memory.HeapInuseMiB, res.Memory.RSSMiB, res.Memory.ControlPlaneRSSMiB)

	if o.UnrelatedRoleBindings > 0 {
		phase("unrelated")
		res.Unrelated, next, err = Unrelated(ctx, env, mgr, s, o.UnrelatedRoleBindings)
		if next != nil {
			mgr = next
		}
		if err != nil {
			return res, err
		}
	}

	phase("restart with a change")
	changed := map[string]orgsv1alpha1.Role{}
	change := types.NamespacedName{Namespace: HomeNamespace(orgs[0]), Name: MemberName(2)}
	newRole := orgsv1alpha1.RoleContributor
	if RoleOf(2, s.Members) == newRole {
		newRole = orgsv1alpha1.RoleViewer
	}
	res.RestartChange, next, err = RestartChange(ctx, env, mgr, tr, change, newRole)
	if next != nil {
		mgr = next
	}
	if err != nil {
		return res, err
	}
	changed[UserName(orgs[0], 2)] = newRole
	if u := res.Unrelated; u != nil {
		u.ManagerHeapAfterMiB = res.RestartChange.ManagerHeapMiB
		u.ManagerHeapIncreasePct = 100 * (u.ManagerHeapAfterMiB - u.ManagerHeapBeforeMiB) / u.ManagerHeapBeforeMiB
		log.Printf("unrelated: manager heap %.1f → %.1f MiB (%+.1f%%)", u.ManagerHeapBeforeMiB, u.ManagerHeapAfterMiB, u.ManagerHeapIncreasePct)
	}

	if o.ChurnRate > 0 && o.ChurnDuration > 0 {
		phase("churn")
		skip := map[string]orgsv1alpha1.Role{UserName(orgs[0], 2): newRole}
		for _, user := range TokenWorkloadMembers(orgs) {
			skip[user] = ""
		}
		if res.Churn, err = Churn(ctx, env, mgr, tr, s, orgs, o.ChurnRate, o.ChurnDuration, skip, changed); err != nil {
			return res, err
		}
		if res.Churn.Errors > 0 || res.Churn.Missing > 0 {
			return res, fmt.Errorf("churn: %d changes failed, %d never applied", res.Churn.Errors, res.Churn.Missing)
		}
	}
	if err := VerifyRBAC(ctx, env, s, orgs, changed); err != nil {
		return res, fmt.Errorf("after restart and churn: %w", err)
	}

	if o.Tokens > 0 && s.Orgs >= 3 {
		phase("tokens")
		if res.Tokens, err = Tokens(ctx, env, mgr, tr, s, orgs, o.Tokens, changed); err != nil {
			return res, err
		}
		if err := VerifyRBAC(ctx, env, s, orgs, changed); err != nil {
			return res, fmt.Errorf("after the tokens workload: %w", err)
		}
	}

	if len(o.ProjectEnvs) > 0 {
		phase("projects")
		if res.Projects, err = Projects(ctx, env, mgr, o.ProjectMembers, o.ProjectEnvs); err != nil {
			return res, err
		}
	}

	if o.AdmissionClients > 0 && o.AdmissionDuration > 0 {
		phase("admission")
		if res.Admission, err = Admission(ctx, env, mgr, orgs, o.AdmissionClients, o.AdmissionDuration); err != nil {
			return res, err
		}
		if res.Admission.Errors > 0 {
			return res, fmt.Errorf("admission: %d of %d requests failed, first: %s", res.Admission.Errors, res.Admission.Requests, res.Admission.FirstErr)
		}
		phase("webhooks over loopback")
		RegisterAllowAll(mgr)
		if res.Loopback, err = Loopback(ctx, env, orgs, o.AdmissionClients, o.AdmissionDuration); err != nil {
			return res, err
		}
		if res.Loopback.Errors > 0 {
			return res, fmt.Errorf("loopback: %d of %d reviews failed, first: %s", res.Loopback.Errors, res.Loopback.Requests, res.Loopback.FirstErr)
		}
	}
	phase("stop")
	tr.Stop()
	if err := mgr.Stop(); err != nil {
		return res, err
	}
	if err := env.Stop(); err != nil {
		return res, err
	}

	if o.Plain {
		phase("plain")
		final, err := readFinal(finalPath)
		if err != nil {
			return res, err
		}
		if res.Plain, err = runPlain(ctx, s, o.Settings, final); err != nil {
			return res, err
		}
		res.ConvergenceRatio = res.Converge.Seconds / res.Plain.Seconds
		log.Printf("convergence ratio %.2f (operator %.1fs, plain client %.1fs); write ratio %.2f (%.2f without Events)",
			res.ConvergenceRatio, res.Converge.Seconds, res.Plain.Seconds, res.Converge.WriteRatio, res.Converge.WriteRatioNoEvts)
	}

	mainPoint := res.point()
	for _, total := range o.Scaling {
		if total == s.TotalMembers() {
			res.Scaling = append(res.Scaling, mainPoint)
			continue
		}
		if o.ScalePoint == nil {
			return res, errors.New("no way to run a scaling point")
		}
		sz := Sizes{Orgs: max(1, total/s.Members), Members: s.Members, Projects: s.Projects}
		name := fmt.Sprintf("scaling %d", total)
		phase(name)
		r, err := o.ScalePoint(ctx, sz)
		if err != nil {
			return res, fmt.Errorf("scaling point %d: %w", total, err)
		}
		p := r.point()
		log.Printf("scaling: %d members: converged in %.1fs (plain %.1fs), %d writes, manager heap %.1f MiB",
			p.Members, p.ConvergeSeconds, p.PlainSeconds, p.Writes, p.ManagerHeapMiB)
		res.Scaling = append(res.Scaling, p)
	}
	res.TotalSeconds = time.Since(res.Started).Seconds()
	return res, nil
}

// runPlain runs the lower bound on a fresh control plane.
func runPlain(ctx context.Context, s Sizes, settings Settings, final *Final) (*PlainResult, error) {
	env, err := StartEnv(ctx, settings)
	if err != nil {
		return nil, err
	}
	defer func() { _ = env.Stop() }()
	orgs := make([]string, s.Orgs)
	for i := range orgs {
		orgs[i] = OrgName("o", i)
	}
	return Plain(ctx, env, s, orgs, final)
}

// point is the run's converge figures as a point of the scaling curve.
func (r *Results) point() ScalePoint {
	p := ScalePoint{
		Sizes: r.Sizes, Members: r.Sizes.TotalMembers(), Namespaces: r.Sizes.Namespaces(),
		HeapInuseMiB: r.Memory.HeapInuseMiB, RSSMiB: r.Memory.RSSMiB, ManagerHeapMiB: r.ManagerHeapMiB,
		Load: r.Load["converge"],
	}
	if c := r.Converge; c != nil {
		p.ConvergeSeconds, p.Writes, p.MinWrites, p.Reconciles = c.Seconds, c.Writes, c.MinWrites, c.Reconciles
	}
	if r.Plain != nil {
		p.PlainSeconds = r.Plain.Seconds
	}
	return p
}

// WriteJSON writes the results to path.
func (r *Results) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644) //nolint:gosec // results are for reading
}

// ReadResults reads results written by WriteJSON.
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &Results{}
	return r, json.Unmarshal(data, r)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
		_ = f.Close()
	}
	m.MemoryGiB = int((statusKiB("/proc/meminfo", "MemTotal") + 512*1024) / (1024 * 1024))
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

func commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}
