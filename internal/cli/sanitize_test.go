package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/controllers/invitation"
)

// The plugin prints what others wrote. These tests give it hostile
// strings, from memory and from a fake API server, and check that nothing
// reaches the terminal raw (issue 13, hole 3).

// hostile clears the screen, retitles the terminal and rings its bell.
const hostile = "\x1b[2J\x1b]0;pwned\x07"

func TestSanitize(t *testing.T) {
	cases := []struct {
		name, in  string
		cell, out string // sanitize(in, false) and sanitize(in, true)
	}{
		{name: "plain ASCII", in: "alice@example.com", cell: "alice@example.com", out: "alice@example.com"},
		{name: "valid Unicode is kept", in: "Zoë 日本 🧑‍💻 \ufffd", cell: "Zoë 日本 🧑‍💻 \ufffd", out: "Zoë 日本 🧑‍💻 \ufffd"},
		{name: "clear screen, title, bell", in: hostile, cell: `\x1b[2J\x1b]0;pwned\x07`, out: `\x1b[2J\x1b]0;pwned\x07`},
		{name: "NUL, backspace, form feed", in: "a\x00b\x08c\x0c", cell: `a\x00b\x08c\x0c`, out: `a\x00b\x08c\x0c`},
		{name: "carriage return overwrites a line", in: "ok\rEVIL", cell: `ok\rEVIL`, out: `ok\rEVIL`},
		{name: "newline and tab: layout keeps them", in: "a\nb\tc", cell: `a\nb\tc`, out: "a\nb\tc"},
		{name: "DEL", in: "a\x7fb", cell: `a\u007fb`, out: `a\u007fb`},
		{name: "C1: CSI, OSC, NEL", in: "a\u009b2Jb\u009dc\u0085d", cell: `a\u009b2Jb\u009dc\u0085d`, out: `a\u009b2Jb\u009dc\u0085d`},
		{name: "C1 bounds", in: "\u0080\u009f\u00a0", cell: `\u0080\u009f` + "\u00a0", out: `\u0080\u009f` + "\u00a0"},
		{name: "bidi overrides and embeddings", in: "\u202aa\u202bb\u202cc\u202dd\u202ee", cell: `\u202aa\u202bb\u202cc\u202dd\u202ee`, out: `\u202aa\u202bb\u202cc\u202dd\u202ee`},
		{name: "bidi isolates", in: "\u2066a\u2067b\u2068c\u2069", cell: `\u2066a\u2067b\u2068c\u2069`, out: `\u2066a\u2067b\u2068c\u2069`},
		{name: "bidi marks", in: "a\u200eb\u200fc\u061cd", cell: `a\u200eb\u200fc\u061cd`, out: `a\u200eb\u200fc\u061cd`},
		{name: "a right-to-left override hides an extension", in: "invoice\u202efdp.exe", cell: `invoice\u202efdp.exe`, out: `invoice\u202efdp.exe`},
		{name: "neighbours of the bidi controls are kept", in: "\u200d\u2029\u2065\u206a", cell: "\u200d\u2029\u2065\u206a", out: "\u200d\u2029\u2065\u206a"},
		{name: "bytes that are not UTF-8", in: "a\xffb\xc3", cell: `a\xffb\xc3`, out: `a\xffb\xc3`},
		{name: "8-bit CSI as a raw byte", in: "a\x9b2J", cell: `a\x9b2J`, out: `a\x9b2J`},
		{name: "empty", in: "", cell: "", out: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(sanitize(tc.in, false)).To(Equal(tc.cell))
			g.Expect(sanitize(tc.in, true)).To(Equal(tc.out))
			// Sanitized text is safe as it is: sanitizing again changes nothing.
			g.Expect(sanitize(tc.cell, false)).To(Equal(tc.cell))
			g.Expect(sanitize(tc.out, true)).To(Equal(tc.out))
			g.Expect(rawControls(tc.cell)).To(BeEmpty())
		})
	}
	// Every code point the issue names is escaped, and none around them.
	for r := rune(0); r < 0x2100; r++ {
		want := r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x061c || r == 0x200e || r == 0x200f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
		if got := sanitize(string(r), false) != string(r); got != want {
			t.Errorf("U+%04X: escaped %t, want %t", r, got, want)
		}
	}
}

// rawControls lists the characters in s that must not reach a terminal.
func rawControls(s string) []string {
	var found []string
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if escapes(r) || r == utf8.RuneError && size == 1 {
			found = append(found, fmt.Sprintf("%U at %d", r, i))
		}
		i += size
	}
	return found
}

// ourCodes are the escape sequences the plugin itself writes.
var ourCodes = regexp.MustCompile(`\x1b\[(?:3[1-5]|2|0|33;1)m|\r\x1b\[K`)

// rawControlsExceptLayout is rawControls but for newlines, tabs and the
// plugin's own colour codes.
func rawControlsExceptLayout(s string) []string {
	return rawControls(strings.NewReplacer("\n", "", "\t", "").Replace(ourCodes.ReplaceAllString(s, "")))
}

func TestSafeWriter(t *testing.T) {
	t.Run("escapes what is written, keeping newlines and tabs", func(t *testing.T) {
		g := NewWithT(t)
		var b bytes.Buffer
		w := safe(&b)
		_, err := fmt.Fprintf(w, "user\t%s\n", hostile)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(b.String()).To(Equal("user\t" + `\x1b[2J\x1b]0;pwned\x07` + "\n"))
		g.Expect(safe(w)).To(BeIdenticalTo(w), "wrapping twice sanitizes once")
	})

	t.Run("a character split across writes stays whole", func(t *testing.T) {
		g := NewWithT(t)
		var b bytes.Buffer
		w := safe(&b)
		for _, s := range []string{"Zo", "\xc3", "\xab \xe6\x97", "\xa5 \xe2\x80", "\xae!"} {
			_, err := w.Write([]byte(s))
			g.Expect(err).NotTo(HaveOccurred())
		}
		g.Expect(b.String()).To(Equal(`Zoë 日 \u202e!`))
	})

	t.Run("an incomplete character at the end is flushed escaped", func(t *testing.T) {
		g := NewWithT(t)
		var b bytes.Buffer
		w := safe(&b)
		_, _ = w.Write([]byte("end\xe2\x80"))
		g.Expect(w.Flush()).To(Succeed())
		g.Expect(b.String()).To(Equal(`end\xe2\x80`))
	})

	t.Run("the plugin's own codes pass only through termText, which sanitizes its text", func(t *testing.T) {
		g := NewWithT(t)
		var b bytes.Buffer
		w := safe(&b)
		g.Expect((&termText{colour: true}).text(hostile+"\nhint: forged", red).newline().writeTo(w)).To(Succeed())
		g.Expect(b.String()).To(Equal("\x1b[31m" + `\x1b[2J\x1b]0;pwned\x07\nhint: forged` + "\x1b[0m\n"))
	})
}

// hostileDirectory is an organization whose every field the users table
// shows holds control characters.
func hostileDirectory() *directory {
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	m := goldenMember("mallory", "mallory"+hostile+"@example.com", orgsv1alpha1.RoleViewer, orgsv1alpha1.RoleViewer, time.Hour)
	bidi := goldenMember("bidi", "admin\u202e@evil\u2066.com\u009b2J", orgsv1alpha1.RoleAdmin, orgsv1alpha1.RoleAdmin, time.Hour)
	forged := goldenMember("forged", "eve@example.com\nalice@example.com   Owner   member", orgsv1alpha1.RoleViewer, orgsv1alpha1.RoleViewer, time.Hour)
	dup := goldenMember("dup", "dup@example.com", orgsv1alpha1.RoleViewer, "", time.Hour,
		condition(orgsv1alpha1.ReadyCondition, metav1.ConditionFalse, orgsv1alpha1.DuplicateReason, "copied from "+hostile))
	inv := goldenInvitation("inv\x7f\u0085"+hostile+"@example.com", orgsv1alpha1.RoleViewer, orgsv1alpha1.InvitationSent, "bob"+hostile, time.Hour, 24*time.Hour)
	return &directory{org: org, members: []orgsv1alpha1.Member{m, bidi, forged, dup}, invitations: []orgsv1alpha1.Invitation{inv}}
}

func TestHostilePrinters(t *testing.T) {
	list := userList(hostileDirectory(), goldenNow)
	for _, tc := range []struct {
		output string
		colour bool
	}{{outputTable, false}, {outputTable, true}, {outputWide, false}, {outputWide, true}, {outputJSON, false}, {outputYAML, false}} {
		t.Run(fmt.Sprintf("%s colour=%t", tc.output, tc.colour), func(t *testing.T) {
			g := NewWithT(t)
			o, out := goldenOptions(tc.output)
			o.colour = tc.colour
			g.Expect(o.print(list)).To(Succeed())
			g.Expect(rawControlsExceptLayout(out.String())).To(BeEmpty(), "%q", out.String())
			if !tc.colour {
				g.Expect(out.String()).NotTo(ContainSubstring("\x1b"))
			}
			switch tc.output {
			case outputJSON, outputYAML:
				// Still a document, whose values are the server's, exactly.
				var back UserList
				if tc.output == outputJSON {
					g.Expect(json.Valid(out.Bytes())).To(BeTrue(), out.String())
					g.Expect(json.Unmarshal(out.Bytes(), &back)).To(Succeed())
				} else {
					g.Expect(yaml.Unmarshal(out.Bytes(), &back)).To(Succeed(), out.String())
				}
				g.Expect(back.Items).To(HaveLen(len(list.Items)))
				for i := range list.Items {
					g.Expect(back.Items[i].Name).To(Equal(list.Items[i].Name))
					g.Expect(back.Items[i].Message).To(Equal(list.Items[i].Message))
					g.Expect(back.Items[i].InvitedBy).To(Equal(list.Items[i].InvitedBy))
				}
			default:
				g.Expect(out.String()).To(ContainSubstring(`mallory\x1b[2J\x1b]0;pwned\x07@example.com`))
				g.Expect(out.String()).To(ContainSubstring(`admin\u202e@evil\u2066.com\u009b2J`))
				// A newline in a cell is no row of its own.
				lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
				g.Expect(lines).To(HaveLen(1+len(list.Items)), out.String())
				g.Expect(out.String()).To(ContainSubstring(`eve@example.com\nalice@example.com   Owner   member`))
				g.Expect(out.String()).NotTo(MatchRegexp(`(?m)^alice@example.com`))
			}
		})
	}

	t.Run("messages, invite lines and errors", func(t *testing.T) {
		g := NewWithT(t)
		o, out := goldenOptions(outputTable)
		o.colour, o.errTTY = true, true
		o.say("Removed " + hostile + ".")
		o.note("Warning: %s", "note "+hostile)
		o.progress("waiting for %s", hostile)
		o.progressDone()
		lines := newInviteLines(o, []invitee{{Email: "x" + hostile + "@example.com", Role: orgsv1alpha1.RoleViewer}}, false)
		lines.print(InviteResult{Email: "x" + hostile + "@example.com", Role: orgsv1alpha1.RoleViewer, Result: ResultFailed,
			Error: "Error from server: " + hostile, Hint: "a hint\nanother " + hostile})
		o.report(withHint(fmt.Errorf("refused %s\nhint: forged", hostile), "the plugin's hint"), "kubectl roster")
		g.Expect(rawControlsExceptLayout(out.String())).To(BeEmpty(), "%q", out.String())
		g.Expect(out.String()).To(ContainSubstring(`Removed \x1b[2J\x1b]0;pwned\x07.`))
		g.Expect(out.String()).To(ContainSubstring(`error: refused \x1b[2J\x1b]0;pwned\x07\nhint: forged`))
		g.Expect(out.String()).To(ContainSubstring("hint: the plugin's hint"))
		g.Expect(out.String()).NotTo(MatchRegexp(`(?m)^hint: forged`))
	})
}

// fakeAPIServer is just enough of an API server for `users`, `orgs` and
// `whoami`: acme's Members and Invitations come from hostileDirectory,
// the caller may get acme only, and every answer carries a warning with
// control characters in it. Nothing here relies on a CRD accepting them.
func fakeAPIServer(t *testing.T) string {
	t.Helper()
	d := hostileDirectory()
	org := d.org.DeepCopy()
	org.Spec.DisplayName = "Acme" + hostile
	org.TypeMeta = metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "Organization"}
	members := &orgsv1alpha1.MemberList{TypeMeta: metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "MemberList"}, Items: d.members}
	invitations := &orgsv1alpha1.InvitationList{TypeMeta: metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "InvitationList"}, Items: d.invitations}
	user := "mallory" + hostile + "@example.com"
	forbidden := func(w http.ResponseWriter, message string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
			Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden, Code: http.StatusForbidden, Message: message})
	}
	resources := func(group string, rs ...metav1.APIResource) *metav1.APIResourceList {
		return &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "APIResourceList"}, GroupVersion: group, APIResources: rs}
	}
	orgsGV := orgsv1alpha1.GroupVersion.String()
	answers := map[string]any{
		"GET /api": &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}},
		"GET /apis": &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "APIGroupList"}, Groups: []metav1.APIGroup{
			{Name: orgsv1alpha1.GroupVersion.Group, Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: orgsGV, Version: "v1alpha1"}}},
			{Name: "authentication.k8s.io", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "authentication.k8s.io/v1", Version: "v1"}}},
			{Name: "authorization.k8s.io", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "authorization.k8s.io/v1", Version: "v1"}}},
		}},
		"GET /apis/" + orgsGV: resources(orgsGV,
			metav1.APIResource{Name: "organizations", Kind: "Organization", Verbs: []string{"get", "list"}},
			metav1.APIResource{Name: "members", Kind: "Member", Namespaced: true, Verbs: []string{"get", "list"}},
			metav1.APIResource{Name: "invitations", Kind: "Invitation", Namespaced: true, Verbs: []string{"get", "list"}}),
		"GET /apis/authentication.k8s.io/v1": resources("authentication.k8s.io/v1",
			metav1.APIResource{Name: "selfsubjectreviews", Kind: "SelfSubjectReview", Verbs: []string{"create"}}),
		"GET /apis/authorization.k8s.io/v1": resources("authorization.k8s.io/v1",
			metav1.APIResource{Name: "selfsubjectrulesreviews", Kind: "SelfSubjectRulesReview", Verbs: []string{"create"}}),
		"GET /apis/" + orgsGV + "/organizations/acme":              org,
		"GET /apis/" + orgsGV + "/namespaces/org-acme/members":     members,
		"GET /apis/" + orgsGV + "/namespaces/org-acme/invitations": invitations,
		"POST /apis/authentication.k8s.io/v1/selfsubjectreviews": &authenticationv1.SelfSubjectReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "SelfSubjectReview"},
			Status:   authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{Username: user, Groups: []string{"team" + hostile}}},
		},
		"POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews": &authorizationv1.SelfSubjectRulesReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SelfSubjectRulesReview"},
			Status: authorizationv1.SubjectRulesReviewStatus{ResourceRules: []authorizationv1.ResourceRule{
				{Verbs: []string{"get"}, APIGroups: []string{orgsv1alpha1.GroupVersion.Group}, Resources: []string{"organizations"}, ResourceNames: []string{"acme"}},
				{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectrulesreviews"}},
			}},
		},
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// client-go drops warnings with C0 or C1 controls, not bidi ones.
		w.Header().Add("Warning", "299 - \"webhook says \u202eevil\u2066\"")
		switch key := r.Method + " " + r.URL.Path; {
		case answers[key] != nil:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(answers[key])
		case key == "GET /apis/"+orgsGV+"/organizations":
			forbidden(w, fmt.Sprintf(`organizations.orgs.roster.dev is forbidden: User %q cannot list resource "organizations"`, user))
		default:
			// An API server's refusal quotes what it was sent.
			forbidden(w, fmt.Sprintf("%s %s is forbidden: %s cannot\nhint: run this", r.Method, r.URL.Path, hostile))
		}
	}))
	t.Cleanup(ts.Close)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["fake"] = &clientcmdapi.Cluster{Server: ts.URL}
	kc.AuthInfos["fake"] = &clientcmdapi.AuthInfo{Token: "t"}
	kc.Contexts["fake"] = &clientcmdapi.Context{Cluster: "fake", AuthInfo: "fake"}
	kc.CurrentContext = "fake"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHostileServer(t *testing.T) {
	kubeconfig := fakeAPIServer(t)
	plugin := func(args ...string) (string, string, int) {
		return runPlugin(append([]string{"--kubeconfig", kubeconfig}, args...)...)
	}
	d := hostileDirectory()

	t.Run("users table", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := plugin("users", "--org", "acme")
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(rawControlsExceptLayout(out+errOut)).To(BeEmpty(), "%q\n%q", out, errOut)
		g.Expect(out).To(ContainSubstring(`mallory\x1b[2J\x1b]0;pwned\x07@example.com`))
		g.Expect(strings.Split(strings.TrimSuffix(out, "\n"), "\n")).To(HaveLen(1 + len(d.members) + len(d.invitations)))
		// The API server's warning, once, escaped.
		g.Expect(strings.Count(errOut, `Warning: webhook says \u202eevil\u2066`)).To(Equal(1), "%q", errOut)
	})

	for _, output := range []string{outputJSON, outputYAML} {
		t.Run("users -o "+output, func(t *testing.T) {
			g := NewWithT(t)
			out, errOut, code := plugin("users", "--org", "acme", "-o", output)
			g.Expect(code).To(Equal(ExitOK), errOut)
			g.Expect(rawControlsExceptLayout(out+errOut)).To(BeEmpty(), "%q", out)
			var back UserList
			if output == outputJSON {
				g.Expect(json.Unmarshal([]byte(out), &back)).To(Succeed(), out)
			} else {
				g.Expect(yaml.Unmarshal([]byte(out), &back)).To(Succeed(), out)
			}
			g.Expect(back.Items).To(ContainElement(HaveField("Name", d.members[0].Spec.User)))
			g.Expect(back.Items).To(ContainElement(HaveField("Name", d.invitations[0].Spec.Email)))
		})
	}

	t.Run("an API server's error message", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := plugin("users", "--org", "globex")
		g.Expect(code).To(Equal(ExitRefused), errOut)
		g.Expect(out).To(BeEmpty())
		g.Expect(rawControlsExceptLayout(errOut)).To(BeEmpty(), "%q", errOut)
		g.Expect(errOut).To(ContainSubstring(`Error from server (Forbidden): GET /apis/orgs.roster.dev/v1alpha1/organizations/globex is forbidden: \x1b[2J\x1b]0;pwned\x07 cannot\nhint: run this`))
		g.Expect(errOut).NotTo(MatchRegexp(`(?m)^hint: run this`))
	})

	t.Run("orgs and whoami, found by a rules review", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, code := plugin("orgs", "-o", "wide")
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(rawControlsExceptLayout(out+errOut)).To(BeEmpty(), "%q", out)
		g.Expect(out).To(MatchRegexp(`(?m)^acme\s+Acme\\x1b\[2J\\x1b\]0;pwned\\x07\s+Viewer\s`))

		out, errOut, code = plugin("whoami")
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(rawControlsExceptLayout(out+errOut)).To(BeEmpty(), "%q", out)
		g.Expect(out).To(ContainSubstring(`mallory\x1b[2J\x1b]0;pwned\x07@example.com`))
		g.Expect(out).To(ContainSubstring("acme: Viewer"))
	})

	t.Run("an invitation server's answer and an accept link's host", func(t *testing.T) {
		g := NewWithT(t)
		tok := token(t)
		_, _, base := newInviteServer(t, map[string]invitation.Outcome{tok: invitation.OutcomeValid})
		out, errOut, code := runPlugin("accept", invitation.Link(base, tok))
		g.Expect(code).To(Equal(ExitOK), errOut)
		g.Expect(rawControlsExceptLayout(out + errOut)).To(BeEmpty())
		_, errOut, _ = runPlugin("accept", "http://exa\u202emple.com/invitations/accept?token="+tok)
		g.Expect(rawControlsExceptLayout(errOut)).To(BeEmpty(), "%q", errOut)
	})
}
