package localcluster

import (
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// AddUser provisions an identity the API server authenticates by client
// certificate, with the given username and groups, and returns a REST config
// for it. It holds no permissions beyond what RBAC grants its name or
// groups: tests use it to act as real, non-admin users.
func (c *Cluster) AddUser(name string, groups ...string) (*rest.Config, error) {
	user, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding user %q: %w", name, err)
	}
	return user.Config(), nil
}
