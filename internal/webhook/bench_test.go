package webhook_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv"
)

// BenchmarkValidatingRequest measures a full admission round trip: a
// server-side dry-run create of a Member by an owner, which runs the
// validating webhook (cache snapshot, one SubjectAccessReview, the policy)
// and writes nothing. The baseline, in the same process, is the same dry-run
// create of a ConfigMap, which no webhook sees; the difference is what
// Roster adds to a request.
//
//	KUBEBUILDER_ASSETS=... go test ./internal/webhook/ -run=NONE -bench=ValidatingRequest -benchtime=500x
func BenchmarkValidatingRequest(b *testing.B) {
	ctx := context.Background()
	env, err := testenv.Start(ctx, testenv.Options{Webhooks: true, Controllers: true})
	if err != nil {
		b.Skip(err.Error())
	}
	defer func() { _ = env.Stop() }()

	const org, home = "bench", "org-bench"
	if err := env.Admin.Create(ctx, &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: org}}); err != nil {
		b.Fatal(err)
	}
	waitFor(b, func() bool {
		return env.Admin.Get(ctx, client.ObjectKey{Name: home}, &corev1.Namespace{}) == nil
	})
	for i := range 100 {
		role := orgsv1alpha1.RoleViewer
		if i < 2 {
			role = orgsv1alpha1.RoleOwner
		}
		m := testenv.NewMember(home, fmt.Sprintf("m%d", i), fmt.Sprintf("m%d@example.com", i), role)
		if err := env.Admin.Create(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	ownerClient, err := env.User("m0@example.com")
	if err != nil {
		b.Fatal(err)
	}
	waitFor(b, func() bool {
		return ownerClient.Create(ctx, testenv.NewMember(home, "probe", "probe@example.com", orgsv1alpha1.RoleViewer), client.DryRunAll) == nil
	})

	// b.Loop runs this function once, so the control plane starts once.
	var member []time.Duration
	for b.Loop() {
		i := len(member)
		start := time.Now()
		err := ownerClient.Create(ctx, testenv.NewMember(home, fmt.Sprintf("new%d", i), fmt.Sprintf("new%d@example.com", i), orgsv1alpha1.RoleContributor), client.DryRunAll)
		member = append(member, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	baseline := make([]time.Duration, 0, len(member))
	for i := range len(member) {
		start := time.Now()
		if err := env.Admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: home, Name: fmt.Sprintf("cm%d", i)}}, client.DryRunAll); err != nil {
			b.Fatal(err)
		}
		baseline = append(baseline, time.Since(start))
	}

	p := func(lat []time.Duration, q float64) float64 {
		s := slices.Clone(lat)
		slices.Sort(s)
		return float64(s[int(q*float64(len(s)-1))].Microseconds())
	}
	b.ReportMetric(p(member, 0.50), "p50-µs")
	b.ReportMetric(p(member, 0.99), "p99-µs")
	b.ReportMetric(p(baseline, 0.50), "baseline-p50-µs")
	b.ReportMetric(p(baseline, 0.99), "baseline-p99-µs")
	b.ReportMetric(p(member, 0.50)/p(baseline, 0.50), "p50-ratio")
}

func waitFor(b *testing.B, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
