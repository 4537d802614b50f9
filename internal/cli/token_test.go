package cli_test

import (
	"encoding/json"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/cli"
)

var _ = Describe("kubectl roster token", func() {
	It("creates a token that works as a bearer token, lists it, and revokes it", func() {
		o := newOrg()
		r := run(contributor, "", "token", "create", "ci", "--org", o.name, "--expires", "1d", "--description", "CI")
		Expect(r.code).To(Equal(cli.ExitOK), r.String())
		value := strings.TrimSpace(r.out)
		Expect(value).NotTo(BeEmpty())
		Expect(r.err).To(ContainSubstring("shown once"))
		bearer, err := env.BearerClient(value)
		Expect(err).NotTo(HaveOccurred())
		Expect(bearer.WhoAmI(ctx)).To(Equal("system:serviceaccount:" + o.home + ":roster-token-ci"))

		r = run(owner, "", "token", "list", "--org", o.name, "-o", "json")
		Expect(r.code).To(Equal(cli.ExitOK), r.String())
		var list cli.TokenList
		Expect(json.Unmarshal([]byte(r.out), &list)).To(Succeed())
		Expect(list.Items).To(ConsistOf(And(
			HaveField("Name", "ci"), HaveField("Owner", contributor), HaveField("Role", "Contributor"),
			HaveField("Phase", "Ready"), HaveField("Description", "CI"))))
		Expect(list.Items[0].ExpiresAt).To(BeTemporally("~", time.Now().Add(24*time.Hour), time.Minute))
		Expect(r.out).NotTo(ContainSubstring(value), "a list never shows a value")

		r = run(contributor, "", "token", "revoke", "ci", "--org", o.name, "-o", "yaml")
		Expect(r.code).To(Equal(cli.ExitOK), r.String())
		Expect(r.out).To(ContainSubstring("result: revoked"))
		Eventually(func() error { _, err := bearer.WhoAmI(ctx); return err }).WithTimeout(20 * time.Second).Should(Satisfy(apierrors.IsUnauthorized))

		r = run(contributor, "", "token", "revoke", "nope", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitNotFound), r.String())
	})

	It("exits 3 for a Viewer, and for an Admin revoking an Owner's token; 2 for a bad or too short --expires", func() {
		o := newOrg()
		r := run(viewer, "", "token", "create", "ci", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), r.String())
		Expect(r.err).To(ContainSubstring("Create personal API access tokens"))

		r = run(owner, "", "token", "create", "owners", "--org", o.name, "-o", "json")
		Expect(r.code).To(Equal(cli.ExitOK), r.String())
		var v cli.TokenValue
		Expect(json.Unmarshal([]byte(r.out), &v)).To(Succeed())
		Expect(v.Token).NotTo(BeEmpty())
		Expect(v.Role).To(Equal(string(orgsv1alpha1.RoleOwner)))
		Expect(v.ExpiresAt).To(BeTemporally("~", time.Now().Add(90*24*time.Hour), time.Minute), "the organization's default maximum")

		r = run(admin2, "", "token", "revoke", "owners", "--org", o.name)
		Expect(r.code).To(Equal(cli.ExitRefused), r.String())
		Expect(r.err).To(ContainSubstring("Owner's token"))

		r = run(contributor, "", "token", "create", "x", "--org", o.name, "--expires", "soon")
		Expect(r.code).To(Equal(cli.ExitUsage), r.String())
		// The TokenRequest API issues no value for less than 600 seconds.
		for _, short := range []string{"9m", "599s"} {
			r = run(contributor, "", "token", "create", "x", "--org", o.name, "--expires", short)
			Expect(r.code).To(Equal(cli.ExitUsage), r.String())
			Expect(r.err).To(ContainSubstring("a token lives at least 10m0s"))
		}
	})
})
