package localcluster

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// childProcess is a process this package starts itself (kube-controller-manager;
// envtest runs etcd and kube-apiserver).
type childProcess struct {
	name    string
	path    string
	args    []string
	out     io.Writer
	logPath string

	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has been waited for
	mu      sync.Mutex
	waitErr error
}

// start starts the process in its own process group, with its output going
// to p.out. On Linux it is killed when this process dies (Pdeathsig).
func (p *childProcess) start() error {
	p.cmd = exec.Command(p.path, p.args...) //nolint:gosec // the control-plane binaries and flags Roster chose
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = sysProcAttr()
	p.done = make(chan struct{})

	started := make(chan error, 1)
	go func() {
		defer close(p.done)
		// Pdeathsig fires when the *thread* that started the child exits,
		// not the process. Go may end an OS thread whose goroutine locked
		// it and exited, so keep this goroutine (and its thread) locked
		// for as long as the child runs.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- fmt.Errorf("starting %s: %w", p.name, err)
			return
		}
		started <- nil
		err := p.cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
	}()
	return <-started
}

// exited returns a non-nil error describing the exit when the process has
// ended, including the end of its log.
func (p *childProcess) exited() error {
	if p.done == nil {
		return fmt.Errorf("%s was not started", p.name)
	}
	select {
	case <-p.done:
	default:
		return nil
	}
	p.mu.Lock()
	waitErr := p.waitErr
	p.mu.Unlock()
	state := "exited"
	if waitErr != nil {
		state = waitErr.Error()
	}
	msg := fmt.Sprintf("%s exited early (%s); its log is %s", p.name, state, p.logPath)
	if tail := tailFile(p.logPath, 10); tail != "" {
		msg += ", ending with:\n" + tail
	}
	return fmt.Errorf("%s", msg)
}

// stop sends SIGTERM to the process group, then SIGKILL after grace, and
// waits for the process to be reaped.
func (p *childProcess) stop(grace time.Duration) error {
	if p.cmd == nil || p.cmd.Process == nil || p.done == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = signalGroup(p.cmd.Process, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	if err := signalGroup(p.cmd.Process, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func (p *childProcess) pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// tailFile returns the last n lines of a file, or "" when it cannot be read.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  ")
		b.Write(l)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}
