package webhook

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	orgsv1alpha1 "github.com/roster-dev/roster/api/v1alpha1"
	"github.com/roster-dev/roster/internal/policy"
)

// Owners and Admins are authorized from the membership the webhook holds;
// everyone else, and every verb the membership does not grant, costs one
// SubjectAccessReview, whose answer is final.
func TestAuthorityAsksTheAPIServerOnlyBeyondTheMembership(t *testing.T) {
	org := &orgsv1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}
	snapshot := policy.Snapshot{Organization: org, Members: []orgsv1alpha1.Member{
		*fuzzMember("alice", "alice@example.com", orgsv1alpha1.RoleOwner),
		*fuzzMember("bob", "bob@example.com", orgsv1alpha1.RoleAdmin),
		*fuzzMember("carol", "carol@example.com", orgsv1alpha1.RoleViewer),
	}}
	var reviews []authorizationv1.SubjectAccessReviewSpec
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(_ context.Context, _ client.WithWatch, obj client.Object, _ ...client.CreateOption) error {
			sar := obj.(*authorizationv1.SubjectAccessReview)
			reviews = append(reviews, sar.Spec)
			sar.Status.Allowed = fuzzAllowed(sar.Spec)
			return nil
		},
	}).Build()
	f := &facts{reader: c, live: c, reviews: c}

	for _, tc := range []struct {
		name        string
		user        string
		groups      []string
		verb        string
		wantHeld    bool
		wantReviews int
	}{
		{"an owner manages owners", "alice@example.com", nil, orgsv1alpha1.VerbManageOwners, true, 0},
		{"an admin manages members", "bob@example.com", nil, orgsv1alpha1.VerbManageMembers, true, 0},
		{"an admin does not manage owners", "bob@example.com", nil, orgsv1alpha1.VerbManageOwners, false, 1},
		{"a viewer does not manage members", "carol@example.com", nil, orgsv1alpha1.VerbManageMembers, false, 1},
		{"a cluster admin is not a member", "kubernetes-admin", []string{"system:masters"}, orgsv1alpha1.VerbManageOwners, true, 1},
		{"another case of an owner's name is not the owner", "Alice@example.com", nil, orgsv1alpha1.VerbManageOwners, false, 1},
		{"nothing needed", "mallory@example.com", nil, "", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reviews = nil
			user := authenticationv1.UserInfo{Username: tc.user, Groups: tc.groups}
			a, err := f.authority(context.Background(), user, policy.Requester{User: tc.user, Groups: tc.groups}, snapshot, tc.verb)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Holds(tc.verb); got != tc.wantHeld {
				t.Errorf("holds %q = %v, want %v", tc.verb, got, tc.wantHeld)
			}
			if len(reviews) != tc.wantReviews {
				t.Errorf("%d SubjectAccessReviews, want %d", len(reviews), tc.wantReviews)
			}
			for _, r := range reviews {
				if r.User != tc.user || r.ResourceAttributes.Verb != tc.verb || r.ResourceAttributes.Name != "acme" {
					t.Errorf("review for %q %s %s, want %q %s acme", r.User, r.ResourceAttributes.Verb, r.ResourceAttributes.Name, tc.user, tc.verb)
				}
			}
		})
	}
}
