package cli_test

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/parallel"
	"github.com/roster-dev/roster/internal/testenv"
)

// memberLists counts the requests that list Members (a GET of the
// collection that is not a watch).
type memberLists struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c memberLists) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/members") && r.URL.Query().Get("watch") != "true" {
		c.n.Add(1)
	}
	return c.rt.RoundTrip(r)
}

var _ = Describe("The web page's directory", func() {
	// ROSTER_UI_MEMBERS=10000 measures the organization issue 15 names;
	// make test uses a few hundred.
	size := 300
	if s, err := strconv.Atoi(os.Getenv("ROSTER_UI_MEMBERS")); err == nil && s > 0 {
		size = s
	}

	It(fmt.Sprintf("lists an organization of %d once and then follows it: a poll lists nothing", size), func() {
		org := newOrg()
		Expect(parallel.Each(size, 16, func(i int) error {
			return env.Admin.Create(ctx, testenv.NewMember(org.home, fmt.Sprintf("m%05d", i), fmt.Sprintf("m%05d@example.com", i), orgsv1alpha1.RoleViewer))
		})).To(BeEmpty())
		members := size + len(testenv.Team)

		var lists atomic.Int64
		path := kubeconfigFor(owner, "")
		flags := genericclioptions.NewConfigFlags(true)
		flags.KubeConfig = &path
		flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
			c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return memberLists{rt: rt, n: &lists} })
			return c
		}
		o := &cli.Options{IOStreams: genericiooptions.NewTestIOStreamsDiscard(), ConfigFlags: flags}
		backend, stop, err := cli.NewUIBackend(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(stop)

		poll := func() (int, time.Duration) {
			GinkgoHelper()
			start := time.Now()
			d, err := backend.Directory(ctx, org.name)
			Expect(err).NotTo(HaveOccurred())
			return len(d.Entries), time.Since(start)
		}
		n, direct := poll()
		Expect(n).To(Equal(members))
		Expect(lists.Load()).To(BeNumerically(">=", 1))

		// Once the watch has its first list, polls read memory.
		Eventually(func() int64 { before := lists.Load(); poll(); return lists.Load() - before }).Should(BeZero())
		before := lists.Load()
		var watched time.Duration
		for range 20 {
			n, took := poll()
			Expect(n).To(Equal(members))
			watched = max(watched, took)
		}
		Expect(lists.Load()).To(Equal(before), "a poll listed the Members again")
		GinkgoWriter.Printf("directory of %d: first poll (a list) %v, slowest of 20 polls from the watch %v\n", members, direct, watched)

		// A change made elsewhere arrives by the watch.
		Expect(env.Admin.Create(ctx, testenv.NewMember(org.home, "late", "late@example.com", orgsv1alpha1.RoleViewer))).To(Succeed())
		Eventually(func() int { n, _ := poll(); return n }).Should(Equal(members + 1))
		Expect(lists.Load()).To(Equal(before))
	})
})
