package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/roster-dev/roster/internal/localcluster"
)

// startLocalCluster starts etcd, kube-apiserver and kube-controller-manager
// with Roster's CRDs, ClusterRoles, the policy on the manager's RBAC writes
// and webhook configurations installed.
func startLocalCluster(ctx context.Context, o options) (*localcluster.Cluster, error) {
	assets, err := localcluster.DefaultAssetsDir()
	if err != nil {
		return nil, err
	}
	opts, err := localcluster.RosterOptions(localcluster.Roster{AssetsDir: assets, Webhooks: o.enableWebhooks})
	if err != nil {
		return nil, err
	}
	opts.Log = setupLog.WithName("local")
	if o.dataDir != "" {
		if opts.DataDir, err = filepath.Abs(o.dataDir); err != nil {
			return nil, err
		}
	}
	return localcluster.Start(ctx, opts)
}

// printWelcome tells the user how to reach the local control plane. It and
// the log notifier's invitation lines are all the manager writes to stdout;
// everything else goes to its log (stderr).
func printWelcome(kubeconfig string) {
	abs, err := filepath.Abs(kubeconfig)
	if err != nil {
		abs = kubeconfig
	}
	_, _ = fmt.Fprintf(os.Stdout, `
Roster is running on a local control plane. In another terminal:

  export KUBECONFIG=%s

  kubectl apply -f config/samples/                  # an organization, its members, an invitation
  kubectl get roster -A                             # organizations, members and invitations
  kubectl auth can-i manage-owners organizations/acme --as alice@example.com

Invitation links appear here, one line each (run with -v for debug logs).
Press Ctrl-C to stop Roster and the control plane.
`, abs)
}
