package cli

import (
	"testing"

	. "github.com/onsi/gomega"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want orgsv1alpha1.Role
		err  string
	}{
		{in: "Owner", want: orgsv1alpha1.RoleOwner},
		{in: "owner", want: orgsv1alpha1.RoleOwner},
		{in: " viewernosecrets ", want: orgsv1alpha1.RoleViewerNoSecrets},
		{in: "Ownr", err: `unknown role "Ownr": did you mean Owner? Use one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets`},
		{in: "Contribtor", err: "did you mean Contributor?"},
		{in: "ViewerNoSecret", err: "did you mean ViewerNoSecrets?"},
		{in: "Superuser", err: `unknown role "Superuser": use one of Owner, Admin, Contributor, Viewer, ViewerNoSecrets`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parseRole(tc.in)
			if tc.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}
