package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/testenv/fakeapi"
)

// FuzzAdmissionReview sends arbitrary bytes, as the API server would send
// an AdmissionReview, through every one of Roster's admission handlers
// (the Member, Invitation, Namespace and Organization validators and the
// inviter- and attachment-recording defaulters) over HTTP, as the webhook server serves
// them. The handlers must never panic (panics are not recovered here), and
// every answer must be a well-formed AdmissionReview response:
//
//   - HTTP 200 with a JSON AdmissionReview that has a response;
//   - the request's UID echoed when the request could be decoded;
//   - a refusal carries a status with a 4xx or 5xx code and a message;
//   - a patch is a JSON patch (a JSON array of operations);
//   - a body that is not an AdmissionReview with a request is refused.
//
// The first input byte picks the handler. The cluster behind the handlers
// is a fake client holding one organization (acme: alice Owner, bob
// Admin, carol Viewer, a pending invitation) and SubjectAccessReviews that
// give alice both custom verbs, bob manage-members and nobody else
// anything, so that decoded requests reach every decision.
func FuzzAdmissionReview(f *testing.F) {
	handlers := fuzzHandlers(f)
	for _, seed := range admissionSeeds() {
		f.Add(seed.handler, seed.body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		h := handlers[int(which)%len(handlers)]
		req := httptest.NewRequest(http.MethodPost, "/"+h.name, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.webhook.ServeHTTP(rec, req)

		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d, want 200 (the verdict is in the AdmissionReview)", h.name, rec.Code)
		}
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil {
			t.Fatalf("%s: the answer is not an AdmissionReview: %v\n%s", h.name, err, rec.Body.Bytes())
		}
		res := review.Response
		if res == nil {
			t.Fatalf("%s: the AdmissionReview has no response: %s", h.name, rec.Body.Bytes())
		}
		sent, decoded := decodeReview(body)
		if decoded && res.UID != sent.UID {
			t.Fatalf("%s: response UID %q, request UID %q", h.name, res.UID, sent.UID)
		}
		if !decoded && res.Allowed {
			t.Fatalf("%s: allowed a request it could not decode: %q", h.name, body)
		}
		if !res.Allowed && (res.Result == nil || res.Result.Code < 400 || res.Result.Message == "") {
			t.Fatalf("%s: a refusal without a code and a message: %+v", h.name, res.Result)
		}
		if res.Patch != nil {
			if res.PatchType == nil || *res.PatchType != admissionv1.PatchTypeJSONPatch {
				t.Fatalf("%s: a patch of type %v", h.name, res.PatchType)
			}
			var ops []map[string]any
			if err := json.Unmarshal(res.Patch, &ops); err != nil {
				t.Fatalf("%s: the patch is not a JSON patch: %v: %s", h.name, err, res.Patch)
			}
		}
	})
}

// decodeReview reports whether body is an AdmissionReview with a request,
// as the webhook server's decoder would see it.
func decodeReview(body []byte) (*admissionv1.AdmissionRequest, bool) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		return nil, false
	}
	return review.Request, true
}

type fuzzHandler struct {
	name    string
	webhook *admission.Webhook
}

// fuzzHandlers builds every handler over a fake cluster, with panics left
// to the fuzzer.
func fuzzHandlers(tb testing.TB) []fuzzHandler {
	tb.Helper()
	scheme := fakeapi.Scheme()
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme", UID: "acme-uid"}}
	objs := []client.Object{
		org,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "org-acme", Labels: map[string]string{orgsv1alpha1.HomeOfLabel: "acme"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "web"}},
		fuzzMember("alice", "alice@example.com", orgsv1alpha1.RoleOwner),
		fuzzMember("bob", "bob@example.com", orgsv1alpha1.RoleAdmin),
		fuzzMember("carol", "carol@example.com", orgsv1alpha1.RoleViewer),
		&orgsv1alpha1.Invitation{
			ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: "dave", Annotations: map[string]string{
				orgsv1alpha1.InvitedByAnnotation: "alice@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: `["system:authenticated"]`,
			}},
			Spec: orgsv1alpha1.InvitationSpec{Email: "dave@example.com", Role: orgsv1alpha1.RoleAdmin},
		},
	}
	c := fakeapi.Builder(scheme, objs...).WithInterceptorFuncs(fakeapi.Reviews(fuzzAllowed)).Build()
	f := &facts{reader: c, live: c, reviews: c, userPrefix: "oidc:"}

	handlers := []fuzzHandler{
		{"member", admission.WithValidator[*orgsv1alpha1.Member](scheme, &MemberValidator{facts: f})},
		{"invitation", admission.WithValidator[*orgsv1alpha1.Invitation](scheme, &InvitationValidator{facts: f})},
		{"inviter", admission.WithDefaulter[*orgsv1alpha1.Invitation](scheme, InviterRecorder{})},
		{"namespace", admission.WithValidator[*corev1.Namespace](scheme, &NamespaceGuard{facts: f, managerNamespace: "roster-system"})},
		{"organization", admission.WithValidator[*orgsv1alpha1.Organization](scheme, &OrganizationValidator{facts: f})},
		{"attachment", admission.WithDefaulter[*corev1.Namespace](scheme, &AttachmentRecorder{facts: f})},
	}
	for _, h := range handlers {
		h.webhook.RecoverPanic = ptr.To(false)
	}
	return handlers
}

// fuzzAllowed: alice holds both verbs, bob manage-members, system:masters
// everything, and lou may create RoleBindings and bind in namespace web.
func fuzzAllowed(spec authorizationv1.SubjectAccessReviewSpec) bool {
	if slices.Contains(spec.Groups, "system:masters") {
		return true
	}
	a := spec.ResourceAttributes
	if a == nil {
		return false
	}
	switch spec.User {
	case "alice@example.com":
		return a.Resource == "organizations" && a.Name == "acme"
	case "bob@example.com":
		return a.Resource == "organizations" && a.Name == "acme" && a.Verb == orgsv1alpha1.VerbManageMembers
	case "lou@example.com":
		return a.Namespace == "web"
	}
	return false
}

func fuzzMember(name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
	return &orgsv1alpha1.Member{
		ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: name},
		Spec:       orgsv1alpha1.MemberSpec{User: user, Role: role},
	}
}

type admissionSeed struct {
	handler uint8
	body    []byte
}

// Handler indexes of fuzzHandlers.
const (
	seedMember uint8 = iota
	seedInvitation
	seedInviter
	seedNamespace
	seedOrganization
	seedAttachment
)

// admissionSeeds are requests each handler sees in real life, a few that
// attackers would send, and malformed bodies.
func admissionSeeds() []admissionSeed {
	alice := authenticationv1.UserInfo{Username: "alice@example.com", Groups: []string{"system:authenticated"}}
	bob := authenticationv1.UserInfo{Username: "bob@example.com", Groups: []string{"system:authenticated"}}
	mallory := authenticationv1.UserInfo{Username: "mallory@example.com"}
	admin := authenticationv1.UserInfo{Username: "admin", Groups: []string{"system:masters"}}
	member := func(name, user string, role orgsv1alpha1.Role) *orgsv1alpha1.Member {
		m := fuzzMember(name, user, role)
		m.TypeMeta = metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "Member"}
		return m
	}
	invitation := func(name, email string, role orgsv1alpha1.Role, annotations map[string]string) *orgsv1alpha1.Invitation {
		return &orgsv1alpha1.Invitation{
			TypeMeta:   metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "Invitation"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "org-acme", Name: name, Annotations: annotations},
			Spec:       orgsv1alpha1.InvitationSpec{Email: email, Role: role},
		}
	}
	namespace := func(name string, labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	organization := func(annotations map[string]string) *orgsv1alpha1.Organization {
		return &orgsv1alpha1.Organization{
			TypeMeta:   metav1.TypeMeta{APIVersion: orgsv1alpha1.GroupVersion.String(), Kind: "Organization"},
			ObjectMeta: metav1.ObjectMeta{Name: "acme", Annotations: annotations},
		}
	}
	demoted := member("alice", "alice@example.com", orgsv1alpha1.RoleViewer)
	held := member("alice", "alice@example.com", orgsv1alpha1.RoleOwner)
	held.DeletionTimestamp = ptr.To(metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	held.Finalizers = []string{orgsv1alpha1.LastOwnerFinalizer}
	released := held.DeepCopy()
	released.Finalizers = nil
	project := map[string]string{orgsv1alpha1.OrganizationLabel: "acme"}
	attached := func(uid string) *corev1.Namespace {
		ns := namespace("web", project)
		ns.Annotations = map[string]string{orgsv1alpha1.OrganizationUIDAnnotation: uid}
		return ns
	}

	seeds := []admissionSeed{
		{seedMember, review(admissionv1.Create, bob, nil, member("eve", "eve@example.com", orgsv1alpha1.RoleViewer))},
		{seedMember, review(admissionv1.Create, bob, nil, member("eve", "eve@example.com", orgsv1alpha1.RoleOwner))},
		{seedMember, review(admissionv1.Update, bob, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner), demoted)},
		{seedMember, review(admissionv1.Update, alice, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner), demoted)},
		{seedMember, review(admissionv1.Update, bob, held, released)},
		{seedMember, review(admissionv1.Delete, alice, member("alice", "alice@example.com", orgsv1alpha1.RoleOwner), nil)},
		{seedMember, review(admissionv1.Delete, mallory, member("carol", "carol@example.com", orgsv1alpha1.RoleViewer), nil)},
		{seedMember, review(admissionv1.Create, admin, nil, member("carol2", "CAROL@example.com", orgsv1alpha1.RoleViewer))},
		{seedInvitation, review(admissionv1.Create, bob, nil, invitation("erin", "erin@example.com", orgsv1alpha1.RoleAdmin,
			map[string]string{orgsv1alpha1.InvitedByAnnotation: "bob@example.com", orgsv1alpha1.InvitedByGroupsAnnotation: `["system:authenticated"]`}))},
		{seedInvitation, review(admissionv1.Create, bob, nil, invitation("erin", "erin@example.com", orgsv1alpha1.RoleViewer,
			map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com"}))},
		{seedInvitation, review(admissionv1.Update, bob, invitation("dave", "dave@example.com", orgsv1alpha1.RoleAdmin, nil),
			invitation("dave", "dave@example.com", orgsv1alpha1.RoleOwner, nil))},
		{seedInvitation, review(admissionv1.Delete, mallory, invitation("dave", "dave@example.com", orgsv1alpha1.RoleAdmin, nil), nil)},
		{seedInviter, review(admissionv1.Create, bob, nil, invitation("erin", "erin@example.com", orgsv1alpha1.RoleViewer, nil))},
		{seedInviter, review(admissionv1.Update, bob, invitation("dave", "dave@example.com", orgsv1alpha1.RoleAdmin,
			map[string]string{orgsv1alpha1.InvitedByAnnotation: "alice@example.com"}), invitation("dave", "dave@example.com", orgsv1alpha1.RoleAdmin, nil))},
		{seedNamespace, review(admissionv1.Update, authenticationv1.UserInfo{Username: "lou@example.com"}, namespace("web", nil), attached("acme-uid"))},
		{seedNamespace, review(admissionv1.Update, mallory, namespace("web", nil), namespace("web", project))},
		{seedNamespace, review(admissionv1.Create, admin, nil, namespace("kube-system", project))},
		{seedNamespace, review(admissionv1.Update, admin, namespace("org-acme", map[string]string{orgsv1alpha1.HomeOfLabel: "acme"}),
			namespace("org-acme", map[string]string{orgsv1alpha1.HomeOfLabel: "acme", orgsv1alpha1.OrganizationLabel: "acme"}))},
		{seedOrganization, review(admissionv1.Delete, alice, organization(nil), nil)},
		{seedOrganization, review(admissionv1.Delete, alice, organization(map[string]string{orgsv1alpha1.ConfirmDeleteAnnotation: "acme"}), nil)},
		{seedOrganization, review(admissionv1.Update, bob, organization(nil), organization(map[string]string{"x": "y"}))},
		{seedOrganization, review(admissionv1.Create, admin, nil, organization(nil))},
		// Malformed: not JSON, no request, a request with no object, an
		// object of the wrong kind, an operation nobody sends, v1beta1.
		{seedMember, []byte(`not json`)},
		{seedMember, []byte(`{}`)},
		{seedInvitation, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE"}}`)},
		{seedNamespace, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u2","operation":"UPDATE","object":{"kind":"Member","spec":{"role":"Owner"}},"oldObject":[]}}`)},
		{seedOrganization, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u3","operation":"CONNECT","object":{"metadata":{"name":"acme"}}}}`)},
		{seedMember, []byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u4","operation":"DELETE","namespace":"org-acme","name":"alice","userInfo":{"username":"bob@example.com"}}}`)},
		{seedInviter, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u5","operation":"UPDATE","object":{"metadata":{"annotations":null}},"oldObject":{"metadata":{"annotations":{"orgs.roster.dev/invited-by":7}}}}}`)},
		// The organization's UID: forged, recorded, re-recorded, left for the guard.
		{seedNamespace, review(admissionv1.Update, admin, attached("old-uid"), attached("forged"))},
		{seedAttachment, review(admissionv1.Update, admin, namespace("web", nil), namespace("web", project))},
		{seedAttachment, review(admissionv1.Update, admin, attached("old-uid"), namespace("web", project))},
		{seedAttachment, review(admissionv1.Create, admin, nil, attached("forged"))},
		// The same user twice, exactly.
		{seedMember, review(admissionv1.Create, admin, nil, member("carol2", "carol@example.com", orgsv1alpha1.RoleViewer))},
	}
	return seeds
}

// review is the AdmissionReview the API server sends for one operation.
func review(op admissionv1.Operation, user authenticationv1.UserInfo, old, obj runtime.Object) []byte {
	req := &admissionv1.AdmissionRequest{UID: types.UID("uid-" + string(op)), Operation: op, UserInfo: user}
	for _, o := range []runtime.Object{obj, old} {
		if o == nil {
			continue
		}
		m := o.(client.Object)
		req.Name, req.Namespace = m.GetName(), m.GetNamespace()
		gvk := o.GetObjectKind().GroupVersionKind()
		req.Kind = metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}
	}
	if obj != nil {
		req.Object = runtime.RawExtension{Raw: mustJSON(obj)}
	}
	if old != nil {
		req.OldObject = runtime.RawExtension{Raw: mustJSON(old)}
	}
	return mustJSON(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  req,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestAdmissionSeedVerdicts checks that the fuzz harness reaches real
// decisions: the seeds an attacker would send are refused for the right
// reason, the ordinary ones are allowed, and the defaulter records the
// inviter. A harness that refused everything would fuzz nothing.
func TestAdmissionSeedVerdicts(t *testing.T) {
	handlers := fuzzHandlers(t)
	seeds := admissionSeeds()
	want := []struct {
		seed    int
		allowed bool
		says    string
	}{
		{0, true, ""},
		{1, false, "manage-owners"},
		{2, false, "may not change the role of user alice@example.com from Owner to Viewer"},
		{3, false, "is the last owner"},
		{4, false, "may not be removed by hand"},
		{6, false, `user "mallory@example.com" may not remove`},
		{7, false, "it looks the same as user carol@example.com, Member \"carol\", but is a different identity"},
		{8, true, ""},
		{9, false, "may not set annotation orgs.roster.dev/invited-by"},
		{10, false, "manage-owners"},
		{12, true, `"path":"/metadata/annotations"`},
		{14, true, ""},
		{15, false, `user "mallory@example.com" may not attach namespace "web"`},
		{16, false, "is a system namespace"},
		{17, false, "is the home namespace of organization"},
		{18, false, "orgs.roster.dev/confirm-delete=acme"},
		{19, true, ""},
		{20, false, "manage-owners"},
		{22, false, ""},
		{23, false, ""},
		{29, false, `annotation orgs.roster.dev/organization-uid of namespace "web" is "forged", but organization "acme" has UID "acme-uid"`},
		{30, true, `"value":{"orgs.roster.dev/organization-uid":"acme-uid"}`},
		{31, true, `"orgs.roster.dev/organization-uid":"acme-uid"`},
		{32, true, ""},
		{33, false, "already gives user carol@example.com"},
	}
	for _, w := range want {
		s := seeds[w.seed]
		h := handlers[s.handler]
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(s.body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.webhook.ServeHTTP(rec, req)
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
			t.Fatalf("seed %d (%s): no AdmissionReview response: %v %s", w.seed, h.name, err, rec.Body.Bytes())
		}
		res := review.Response
		if res.Allowed != w.allowed {
			t.Errorf("seed %d (%s): allowed=%t, want %t: %+v", w.seed, h.name, res.Allowed, w.allowed, res.Result)
			continue
		}
		text := string(res.Patch)
		if res.Result != nil {
			text += res.Result.Message
		}
		if !bytes.Contains([]byte(text), []byte(w.says)) {
			t.Errorf("seed %d (%s): %q does not say %q", w.seed, h.name, text, w.says)
		}
	}
}
