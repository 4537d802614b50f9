//go:build !linux

package fault_test

import "syscall"

// sysProcAttr: without Pdeathsig a killed test leaves its managers behind;
// AfterEach and AfterSuite kill them on every ordinary exit.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
