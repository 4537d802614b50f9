package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/roster-dev/roster/internal/testenv"
)

func init() {
	// The manager's errors only: the figures are the output.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
}

// The defaults are the small run `make test` executes as a smoke test;
// `make bench` passes the large sizes (see docs/benchmarks.md).
var (
	orgsFlag      = flag.Int("orgs", 4, "organizations")
	membersFlag   = flag.Int("members", 10, "Members per organization")
	projectsFlag  = flag.Int("projects", 2, "project namespaces per organization")
	churnRate     = flag.Float64("churn-rate", 10, "churn: changes per second")
	churnDuration = flag.Duration("churn-duration", 2*time.Second, "churn: how long")
	admClients    = flag.Int("admission-clients", 10, "admission: concurrent clients")
	admDuration   = flag.Duration("admission-duration", time.Second, "admission: how long")
	unrelatedRBs  = flag.Int("unrelated-rolebindings", 500, "memory: RoleBindings that are not Roster's to add")
	tokensFlag    = flag.Int("tokens", 3, "tokens: personal access tokens of the member whose role change is measured (0: skip)")
	projectEnvs   = flag.String("project-envs", "2", "projects: environment counts K of the Projects created and deleted, e.g. 1,3,5 (empty: skip)")
	projectMembs  = flag.Int("project-members", 0, "projects: Members of the projects workload's organization (0: -members)")
	plainFlag     = flag.Bool("plain", true, "run the plain-client lower bound on a second control plane")
	scalingFlag   = flag.String("scaling", "", "scaling curve: comma-separated member totals, e.g. 1000,2500,5000,10000")
	scalingPlain  = flag.Bool("scaling-plain", false, "run the plain-client lower bound at every scaling point")
	outFlag       = flag.String("out", "", "write the results as JSON to this file")
	svgFlag       = flag.String("svg", "", "write the scaling curve as SVG to this file")
	heapProfile   = flag.String("heapprofile", "", "write a heap profile of the converged main run to this file")
	cpuProfile    = flag.String("cpuprofile-file", "", "write a CPU profile of the phase -cpuprofile-phase to this file")
	cpuPhase      = flag.String("cpuprofile-phase", "", "phase to profile: converge, churn, admission, …")
	fromFlag      = flag.String("from", "", "do not run: read results from this JSON file and write -svg and the summary")
	qpsFlag       = flag.Float64("qps", 0, "manager client-side QPS (-1: no limit; 0: cmd/manager's default)")
	burstFlag     = flag.Int("burst", 0, "manager client-side burst (with -qps)")
	workersFlag   = flag.Int("workers", 0, "organizations reconciled at once (0: manager's default)")
	batchingFlag  = flag.Bool("batching", true, "batch changes of Members and Invitations per organization (organization.DefaultBatching)")
)

// TestBench runs the scale and performance workloads (docs/benchmarks.md).
// It checks correctness only: everything converges to exactly the RBAC
// access.Render gives, the counts are right, every churn change and
// admission request succeeds. The figures are printed, never judged.
func TestBench(t *testing.T) {
	var (
		res *Results
		err error
	)
	if *fromFlag != "" {
		if res, err = ReadResults(*fromFlag); err != nil {
			t.Fatal(err)
		}
	} else {
		if *heapProfile != "" {
			runtime.MemProfileRate = 16 << 10
		}
		o := Options{
			Sizes:                 Sizes{Orgs: *orgsFlag, Members: *membersFlag, Projects: *projectsFlag},
			Settings:              Settings{QPS: float32(*qpsFlag), Burst: *burstFlag, Workers: *workersFlag, NoBatching: !*batchingFlag},
			ChurnRate:             *churnRate,
			ChurnDuration:         *churnDuration,
			AdmissionClients:      *admClients,
			AdmissionDuration:     *admDuration,
			UnrelatedRoleBindings: *unrelatedRBs,
			Tokens:                *tokensFlag,
			ProjectMembers:        *projectMembs,
			Plain:                 *plainFlag,
			ScalingPlain:          *scalingPlain,
			HeapProfile:           *heapProfile,
			ScalePoint:            scalePointProcess,
			CPUProfile:            *cpuProfile,
			CPUProfilePhase:       *cpuPhase,
		}
		if o.Scaling, err = intList("-scaling", *scalingFlag); err != nil {
			t.Fatal(err)
		}
		if o.ProjectMembers == 0 {
			o.ProjectMembers = *membersFlag
		}
		if o.ProjectEnvs, err = intList("-project-envs", *projectEnvs); err != nil {
			t.Fatal(err)
		}
		res, err = Run(context.Background(), o)
		if errors.Is(err, testenv.ErrNoAssets) {
			t.Skip(err.Error())
		}
		if res != nil && *outFlag != "" {
			if werr := res.WriteJSON(*outFlag); werr != nil {
				t.Error(werr)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Log("\n" + res.Summary())
	if *svgFlag != "" && len(res.Scaling) > 0 {
		if err := WriteScalingSVG(*svgFlag, res); err != nil {
			t.Fatal(err)
		}
	}
}

// scalePointProcess runs this test binary again for one size: converge and
// the restarts (which measure the manager's heap), nothing else.
func scalePointProcess(ctx context.Context, s Sizes) (*Results, error) {
	out, err := os.CreateTemp("", "roster-bench-point-*.json")
	if err != nil {
		return nil, err
	}
	_ = out.Close()
	defer func() { _ = os.Remove(out.Name()) }()
	args := []string{
		"-test.run=^TestBench$", "-test.count=1", "-test.timeout=0",
		fmt.Sprintf("-orgs=%d", s.Orgs), fmt.Sprintf("-members=%d", s.Members), fmt.Sprintf("-projects=%d", s.Projects),
		"-churn-rate=0", "-admission-clients=0", "-unrelated-rolebindings=0", "-scaling=", "-project-envs=",
		fmt.Sprintf("-plain=%t", *scalingPlain), "-out=" + out.Name(),
		fmt.Sprintf("-qps=%g", *qpsFlag), fmt.Sprintf("-burst=%d", *burstFlag), fmt.Sprintf("-workers=%d", *workersFlag),
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %v: %w", os.Args[0], args, err)
	}
	return ReadResults(out.Name())
}

// intList parses a flag's comma-separated integers ("" is none).
func intList(name, v string) ([]int, error) {
	var out []int
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, n)
	}
	return out, nil
}
