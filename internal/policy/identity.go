package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
)

// Identities are compared exactly as Kubernetes RBAC compares subjects:
// byte for byte. "OLIVIA@EXAMPLE.COM" and "olivia@example.com" are two
// people to the API server (two usernames an authenticator may report, each
// bound separately), so they are two people to Roster. Anything coarser
// would let one identity act as, or be counted as, another.
//
// A name that resembles an existing one without being it (a case variant,
// a Unicode case fold, a compatibility or accent variant) is not merged:
// admission refuses it, naming what it resembles (Resembling).

// Identity is a subject as RBAC names it: a kind and an exact name. Two
// identities are the same exactly when they are ==.
type Identity struct {
	Kind IdentityKind
	Name string
}

// IdentityKind is what a Member names: a user or a group.
type IdentityKind string

// Identity kinds.
const (
	UserIdentity  IdentityKind = "user"
	GroupIdentity IdentityKind = "group"
)

// IdentityKey is the key under which an organization's Members are
// unique, its owners are counted and its subjects are bound: the subject's
// kind and its exact name, with nothing folded or normalized. It is the
// one function that says whether two identities are the same; the
// webhooks, the controllers, the acceptor and access.Render all go
// through it. It allocates nothing, so it serves the hot paths too.
func IdentityKey(kind IdentityKind, name string) Identity {
	return Identity{Kind: kind, Name: name}
}

// MemberKey is IdentityKey of the user or group m names.
func MemberKey(m *orgsv1alpha1.Member) Identity {
	if m.Spec.User != "" {
		return IdentityKey(UserIdentity, m.Spec.User)
	}
	return IdentityKey(GroupIdentity, m.Spec.Group)
}

// SystemPrefix starts every user and group name Kubernetes reserves for
// itself: system:admin, system:anonymous, system:kube-controller-manager,
// system:node:<name>, the groups system:masters, system:authenticated,
// system:unauthenticated, system:nodes...
const SystemPrefix = "system:"

// SystemIdentity reports whether a user or group is one Kubernetes reserves
// (SystemPrefix): not a person nor an identity-provider group, and binding
// it would hand the role to a cluster component, to the cluster's admins,
// or to every (even anonymous) client. No Member may name one, and
// access.Render binds none. Compared exactly, as RBAC compares subjects.
//
// Service-account identities (users system:serviceaccount:<ns>:<name>,
// groups system:serviceaccounts and system:serviceaccounts:<ns>) are not
// judged here: the rules about service accounts decide them.
func SystemIdentity(kind IdentityKind, name string) bool {
	if !strings.HasPrefix(name, SystemPrefix) {
		return false
	}
	switch kind {
	case UserIdentity:
		return !strings.HasPrefix(name, serviceaccount.ServiceAccountUsernamePrefix)
	case GroupIdentity:
		return name != serviceaccount.AllServiceAccountsGroup && !strings.HasPrefix(name, serviceaccount.ServiceAccountGroupPrefix)
	}
	return true
}

// String is "user:<name>" or "group:<name>".
func (i Identity) String() string { return string(i.Kind) + ":" + i.Name }

// SameUser reports whether two usernames are the same identity.
func SameUser(a, b string) bool {
	return IdentityKey(UserIdentity, a) == IdentityKey(UserIdentity, b)
}

// LookalikeKey is what a name looks like, with the differences that do not
// show removed: compatibility decomposition (fullwidth letters, ligatures,
// the Kelvin sign), combining marks (accents, the dot of U+0130 İ), format
// characters (zero-width spaces and joiners, bidi controls), then Unicode
// case folding and the few letters that fold to themselves yet read as
// Latin ones (dotless ı). Two different names with the same LookalikeKey
// would be told apart by RBAC but not by a person reading them.
func LookalikeKey(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range norm.NFKD.String(name) {
		if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
			continue
		}
		if alias, ok := lookalikeLetters[r]; ok {
			r = alias
		}
		b.WriteRune(r)
	}
	// Folding can produce new decomposable characters or marks (ẞ → ss is
	// fine, but U+0130 folds to i plus a combining dot): fold, then strip
	// once more.
	folded := norm.NFKD.String(cases.Fold().String(b.String()))
	b.Reset()
	for _, r := range folded {
		if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
			continue
		}
		if alias, ok := lookalikeLetters[r]; ok {
			r = alias
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// lookalikeLetters are letters that no normalization or folding maps to
// the Latin letter they are read as.
var lookalikeLetters = map[rune]rune{
	'ı': 'i', // U+0131 LATIN SMALL LETTER DOTLESS I
	'ĸ': 'k', // U+0138 LATIN SMALL LETTER KRA
	'ſ': 's', // U+017F LATIN SMALL LETTER LONG S (folds to s; kept for clarity)
}

// Lookalike says, of a new identity, which existing one it resembles.
type Lookalike struct {
	// Name is the existing identity (a user, a group or an e-mail).
	Name string
	// Object is what holds it: `Member "alice"` or `Invitation "x"`.
	Object string
}

// Found reports whether a resembling identity was found.
func (l Lookalike) Found() bool { return l.Name != "" }

// Resembles reports whether name and existing are different identities
// that look the same.
func Resembles(name, existing string) bool {
	return newResemblance(name).of(existing)
}

// resemblance compares one new name with many existing ones, computing the
// new name's LookalikeKey once. Names that are both ASCII (nearly all of
// them) compare by ASCII case folding, which is what LookalikeKey reduces
// to for them, without allocating.
type resemblance struct {
	name  string
	ascii bool
	key   string
}

func newResemblance(name string) resemblance {
	r := resemblance{name: name, ascii: isASCII(name)}
	if !r.ascii {
		r.key = LookalikeKey(name)
	}
	return r
}

// of reports whether existing resembles the name without being it.
func (r resemblance) of(existing string) bool {
	if existing == r.name || existing == "" || r.name == "" {
		return false
	}
	if r.ascii && isASCII(existing) {
		return strings.EqualFold(r.name, existing)
	}
	if r.key == "" {
		r.key = LookalikeKey(r.name)
	}
	return r.key == LookalikeKey(existing)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
