package localcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// guardScript is run by /bin/sh with its stdin on a pipe only this process
// holds open. It collects the process groups to kill ("pgid N" lines) and
// kills them when the pipe reaches EOF, which happens when this process
// dies however it dies (SIGKILL included). "stop" ends it without killing.
const guardScript = `groups=
while read -r cmd arg; do
	case "$cmd" in
	pgid) groups="$groups -$arg" ;;
	stop) exit 0 ;;
	esac
done
[ -z "$groups" ] || kill -s KILL -- $groups 2>/dev/null
exit 0`

// guard makes sure etcd and kube-apiserver, which envtest starts without
// Pdeathsig, do not outlive this process. It watches for control-plane
// processes among this process's children and hands their process groups to
// a small shell process that kills them if this process dies before Stop.
type guard struct {
	log      logr.Logger
	binaries []string // paths of the executables to watch for
	cmd      *exec.Cmd
	done     chan struct{}

	mu    sync.Mutex
	w     *os.File // nil once released
	known map[int]bool

	settleOnce sync.Once
	stopScan   chan struct{}
	scanDone   chan struct{}
}

// startGuard starts the guard process and a scan of this process's
// children every 50ms until adopt is called with final=true. It returns nil
// (and logs why) when the guard cannot run.
func startGuard(log logr.Logger, binaries []string) *guard {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		log.Error(err, "not guarding the control plane against this process dying")
		return nil
	}
	g := &guard{
		log:      log,
		binaries: binaries,
		w:        w,
		known:    map[int]bool{},
		done:     make(chan struct{}),
		stopScan: make(chan struct{}),
		scanDone: make(chan struct{}),
	}
	g.cmd = exec.Command("/bin/sh", "-c", guardScript)
	g.cmd.Stdin = r
	// Own process group: a terminal's Ctrl-C must not end it before the
	// manager has stopped the control plane.
	g.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = g.cmd.Start()
	_ = r.Close()
	if err != nil {
		_ = w.Close()
		log.Error(err, "not guarding the control plane against this process dying")
		return nil
	}
	go func() {
		_ = g.cmd.Wait()
		close(g.done)
	}()
	go func() {
		defer close(g.scanDone)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			g.scan()
			select {
			case <-g.stopScan:
				return
			case <-t.C:
			}
		}
	}()
	return g
}

// settle stops the periodic scan after a last one: call it once every
// control-plane process has started.
func (g *guard) settle() {
	if g == nil {
		return
	}
	g.settleOnce.Do(func() {
		close(g.stopScan)
		<-g.scanDone
	})
	g.scan()
}

// scan registers every child of this process that runs one of g.binaries
// and leads its own process group (as envtest and childProcess start them).
func (g *guard) scan() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	me := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == me {
			continue
		}
		g.mu.Lock()
		seen := g.known[pid]
		g.mu.Unlock()
		if seen {
			continue
		}
		ppid, pgid, ok := procParent(pid)
		if !ok || ppid != me || pgid != pid || !g.runsBinary(pid) {
			continue
		}
		g.register(pid)
	}
}

func (g *guard) runsBinary(pid int) bool {
	exe, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	if err != nil {
		return false
	}
	for _, b := range g.binaries {
		if fi, err := os.Stat(b); err == nil && os.SameFile(fi, exe) {
			return true
		}
	}
	return false
}

func (g *guard) register(pgid int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.w == nil || g.known[pgid] {
		return
	}
	g.known[pgid] = true
	if _, err := fmt.Fprintf(g.w, "pgid %d\n", pgid); err != nil {
		g.log.Error(err, "guarding a control-plane process", "pid", pgid)
	}
}

// release ends the guard without killing anything: call it once the
// control plane has been stopped.
func (g *guard) release() {
	if g == nil {
		return
	}
	g.settle()
	g.mu.Lock()
	w := g.w
	g.w = nil
	g.mu.Unlock()
	if w == nil {
		return
	}
	_, _ = fmt.Fprintln(w, "stop")
	_ = w.Close()
	select {
	case <-g.done:
	case <-time.After(5 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

func (g *guard) pid() int {
	if g == nil || g.cmd == nil || g.cmd.Process == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// procParent reads the parent pid and process group of pid from
// /proc/<pid>/stat.
func procParent(pid int) (ppid, pgid int, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	// After "pid (comm)": state ppid pgrp ...
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	return ppid, pgid, err1 == nil && err2 == nil
}

// groups returns the process groups registered so far.
func (g *guard) groups() map[int]bool {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[int]bool, len(g.known))
	for k, v := range g.known {
		out[k] = v
	}
	return out
}
