//go:build !linux

package localcluster

import "github.com/go-logr/logr"

// guard is Linux-only (it finds the control-plane processes in /proc).
// Elsewhere etcd and kube-apiserver outlive a killed parent.
type guard struct{}

func startGuard(logr.Logger, []string) *guard { return nil }

func (*guard) settle()  {}
func (*guard) release() {}
func (*guard) pid() int { return 0 }

func (*guard) groups() map[int]bool { return nil }
