package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

func TestParseInvitees(t *testing.T) {
	t.Run("lists, per-address roles and --role", func(t *testing.T) {
		g := NewWithT(t)
		got, problems := parseInvitees([]string{"a@x.io=admin, b@y.io", "c@z.io=ViewerNoSecrets,,", "D@x.io"}, "viewer")
		g.Expect(problems).To(BeEmpty())
		g.Expect(got).To(Equal([]invitee{
			{"a@x.io", orgsv1alpha1.RoleAdmin}, {"b@y.io", orgsv1alpha1.RoleViewer},
			{"c@z.io", orgsv1alpha1.RoleViewerNoSecrets}, {"D@x.io", orgsv1alpha1.RoleViewer},
		}))
	})

	cases := []struct {
		args []string
		role string
		want []string
	}{
		{[]string{"a@x.io"}, "", []string{"a@x.io: no role: write a@x.io=ROLE or pass --role"}},
		{[]string{"a@x.io=Root"}, "", []string{`a@x.io: unknown role "Root"`}},
		{[]string{"a@x.io"}, "Root", []string{`--role: unknown role "Root"`}},
		{[]string{"a@x.io,A@X.IO=Admin"}, "Viewer", []string{"A@X.IO: listed more than once"}},
		{[]string{"nobody"}, "Viewer", []string{`"nobody": not an e-mail address`}},
		{[]string{"a@localhost"}, "Viewer", []string{`"a@localhost": not an e-mail address`}},
		{[]string{"Al <a@x.io>"}, "Viewer", []string{`"Al <a@x.io>": not an e-mail address`}},
		{[]string{`"a b"@x.io`}, "Viewer", []string{`"\"a b\"@x.io": not an e-mail address`}},
		{[]string{"a@@x.io"}, "Viewer", []string{`"a@@x.io": not an e-mail address`}},
		{[]string{"a..b@x.io"}, "Viewer", []string{`not a plain e-mail address`}},
		{[]string{"a(c)@x.io"}, "Viewer", []string{`not a plain e-mail address`}},
		{[]string{strings.Repeat("a", 250) + "@x.io"}, "Viewer", []string{"3 to 254 characters"}},
		{[]string{" , "}, "Viewer", []string{"no e-mail addresses given"}},
	}
	for _, tc := range cases {
		g := NewWithT(t)
		_, problems := parseInvitees(tc.args, tc.role)
		g.Expect(problems).To(HaveLen(len(tc.want)), "%v: %v", tc.args, problems)
		for i, w := range tc.want {
			g.Expect(problems[i]).To(ContainSubstring(w))
		}
	}
}

func TestInvitationName(t *testing.T) {
	g := NewWithT(t)
	g.Expect(InvitationName("Alice.Smith@Example.com", 0)).To(Equal("alice-smith-at-example-com"))
	g.Expect(InvitationName("a.b@x.io", 1)).To(MatchRegexp(`^a-b-at-x-io-[0-9a-f]{6}$`))
	g.Expect(InvitationName("a.b@x.io", 1)).NotTo(Equal(InvitationName("a-b@x.io", 1)), "a clash gets names that differ")
	long := InvitationName(strings.Repeat("x", 100)+"@example.com", 2)
	g.Expect(len(long)).To(BeNumerically("<=", 63))
}

func TestExitCodes(t *testing.T) {
	gr := schema.GroupResource{Group: orgsv1alpha1.GroupVersion.Group, Resource: "members"}
	cases := []struct {
		err  error
		code int
		msg  string
	}{
		{nil, ExitOK, ""},
		{apierrors.NewForbidden(gr, "alice", errors.New("nope")), ExitRefused, `Error from server (Forbidden): members.orgs.roster.dev "alice" is forbidden: nope`},
		{apierrors.NewNotFound(gr, "alice"), ExitNotFound, `Error from server (NotFound): members.orgs.roster.dev "alice" not found`},
		{apierrors.NewAlreadyExists(gr, "alice"), ExitRefused, `Error from server (AlreadyExists)`},
		{apierrors.NewInternalError(errors.New("boom")), ExitError, `Error from server (InternalError)`},
		{fmt.Errorf("dial tcp: %w", errors.New("connection refused")), ExitError, "error: dial tcp: connection refused"},
		{usageErrorf("bad"), ExitUsage, "error: bad"},
		{withHint(apierrors.NewForbidden(gr, "x", errors.New("no")), "ask"), ExitRefused, "Error from server (Forbidden)"},
		{withCode(apierrors.NewForbidden(gr, "x", errors.New("no")), ExitUsage), ExitUsage, "Error from server (Forbidden)"},
	}
	for _, tc := range cases {
		g := NewWithT(t)
		g.Expect(ExitCode(tc.err)).To(Equal(tc.code), "%v", tc.err)
		if tc.err != nil {
			g.Expect(errorMessage(tc.err)).To(HavePrefix(tc.msg))
		}
	}
	g := NewWithT(t)
	g.Expect(hintOf(withHint(withHint(usageErrorf("x"), "one"), "two"))).To(Equal("one\ntwo"))
}

func TestServerWords(t *testing.T) {
	g := NewWithT(t)
	gr := schema.GroupResource{Group: orgsv1alpha1.GroupVersion.Group, Resource: "invitations"}
	policy := `user "bob@example.com" may not invite judy@example.com with role Owner in organization "acme"`
	// A webhook refusal as the API server returns it: the webhook's
	// Forbidden status, its message wrapped by "admission webhook ... denied".
	refused := apierrors.NewForbidden(gr, "judy", errors.New(policy))
	refused.ErrStatus.Message = `admission webhook "vinvitation.roster.dev" denied the request: ` + refused.ErrStatus.Message
	refused.ErrStatus.Details.Causes = append(refused.ErrStatus.Details.Causes, metav1.StatusCause{Type: orgsv1alpha1.RefusalCause, Message: policy})
	g.Expect(serverWords(refused)).To(Equal(policy))
	g.Expect(serverWords(withHint(refused, "ask"))).To(Equal(policy))
	g.Expect(fromWebhook(refused)).To(BeTrue())
	rbac := apierrors.NewForbidden(gr, "", errors.New(`User "carol@example.com" cannot create resource "invitations"`))
	g.Expect(serverWords(rbac)).To(Equal(`invitations.orgs.roster.dev is forbidden: User "carol@example.com" cannot create resource "invitations"`))
	g.Expect(fromWebhook(rbac)).To(BeFalse())
	g.Expect(serverWords(usageErrorf("bad"))).To(Equal("bad"))
}

func TestTableFitsWidth(t *testing.T) {
	g := NewWithT(t)
	tb := &table{headers: []string{"NAME", "NOTE"}, shrinkable: map[int]bool{1: true}}
	tb.add(c("alice@example.com"), c("a long note that does not fit a narrow terminal"))
	var b strings.Builder
	g.Expect(tb.render(&b, false, 40)).To(Succeed())
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		g.Expect(len([]rune(line))).To(BeNumerically("<=", 40), line)
	}
	g.Expect(b.String()).To(ContainSubstring("…"))
}

func TestInviteHint(t *testing.T) {
	g := NewWithT(t)
	gr := schema.GroupResource{Group: orgsv1alpha1.GroupVersion.Group, Resource: "invitations"}
	rbac := apierrors.NewForbidden(gr, "", errors.New(`User "carol@example.com" cannot create resource "invitations"`))
	g.Expect(inviteHint(rbac, "acme")).To(ContainSubstring("only Owners and Admins of organization acme may invite"))
	g.Expect(inviteHint(fmt.Errorf("wrapped: %w", rbac), "acme")).NotTo(BeEmpty())

	// A refusal by Roster's webhook is told by its status cause, not its
	// message, and explains itself.
	refused := apierrors.NewForbidden(gr, "judy-at-example-com", errors.New("only owners may invite an Owner"))
	refused.ErrStatus.Message = `admission webhook "vinvitation.roster.dev" denied the request: ` + refused.ErrStatus.Message
	refused.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: orgsv1alpha1.RefusalCause, Message: "only owners may invite an Owner"}}
	g.Expect(inviteHint(refused, "acme")).To(BeEmpty())
	g.Expect(inviteHint(fmt.Errorf("wrapped: %w", refused), "acme")).To(BeEmpty())
	g.Expect(inviteHint(errors.New("admission webhook denied"), "acme")).To(BeEmpty())
}
