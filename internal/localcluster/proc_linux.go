package localcluster

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in its own process group (so a terminal's
// Ctrl-C reaches only the manager, which then stops it in order) and has
// the kernel SIGKILL it when this process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}
