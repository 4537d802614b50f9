//go:build unix

package localcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkDataDirFree fails when another etcd uses dataDir. etcd holds a
// flock on its bbolt database and a second etcd waits for it forever
// (envtest would time out, retry five times, and report a bare timeout).
func checkDataDirFree(dataDir string) error {
	db := filepath.Join(dataDir, "member", "snap", "db")
	f, err := os.Open(db)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the etcd data directory: %w", err)
	}
	defer func() { _ = f.Close() }()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("etcd data directory %s is in use by another etcd (is another local Roster running?)", dataDir)
		}
		return fmt.Errorf("checking the etcd data directory: %w", err)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
