// Package cli is the kubectl plugin `kubectl roster`: the product's user
// directory from the terminal. It lists organizations and their users
// (members and pending invitations in one table), invites many people at
// once with per-address roles, resends and revokes invitations, changes
// roles, removes users, leaves, accepts and declines invitation links,
// and answers who the caller is and what they may do.
//
// Everything goes through the API server as the caller (every kubeconfig
// flag of k8s.io/cli-runtime is honoured, --as included), so Roster's
// admission webhooks decide and their refusals are shown verbatim. The
// only other endpoint is the invitation server's JSON API, for accept and
// decline. cmd/kubectl-roster is a thin main around Main.
//
// Exit codes and output formats are part of the interface: see ExitOK and
// the following constants, and docs/plugin.md.
package cli
