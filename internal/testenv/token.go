package testenv

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// RequestToken asks the TokenRequest API, as user, for a value of the
// ServiceAccount namespace/name: what `kubectl roster token create` does
// once the AccessToken is Ready.
func (e *Env) RequestToken(ctx context.Context, user, namespace, name string) (string, error) {
	cfg, err := e.UserConfig(user)
	if err != nil {
		return "", err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// Bearer is a client that authenticates with a bearer token only.
type Bearer struct{ cs kubernetes.Interface }

// BearerClient returns a client that presents token and nothing else (no
// client certificate), as `kubectl --token` does.
func (e *Env) BearerClient(token string) (*Bearer, error) {
	cfg := rest.AnonymousClientConfig(e.Cluster.Config())
	cfg.BearerToken = token
	cfg.QPS = -1
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Bearer{cs: cs}, nil
}

// WhoAmI is the username the API server authenticates the token as
// (SelfSubjectReview); an error for a token it refuses (401).
func (b *Bearer) WhoAmI(ctx context.Context) (string, error) {
	r, err := b.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return r.Status.UserInfo.Username, nil
}

// Can asks, with the token, whether it may do attrs (SelfSubjectAccessReview).
func (b *Bearer) Can(ctx context.Context, attrs authorizationv1.ResourceAttributes) (bool, error) {
	r, err := b.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("asking whether the token may %s %s: %w", attrs.Verb, attrs.Resource, err)
	}
	return r.Status.Allowed, nil
}
