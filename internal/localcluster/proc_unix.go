//go:build unix && !linux

package localcluster

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in its own process group. There is no
// Pdeathsig outside Linux: the child outlives a killed parent.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}
