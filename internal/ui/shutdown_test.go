package ui

import (
	"context"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// A browser opens connections ahead of need (Chromium's preconnect) and
// may hold one that never carries a request. http.Server.Shutdown counts
// such a connection as busy for its first 5 s, which made `kubectl roster
// ui` exit 1 on a deadline when stopped right after a page had loaded.
func TestServeStopsWithAConnectionThatNeverSentARequest(t *testing.T) {
	g := NewWithT(t)
	srv, err := New(Options{Backend: &fakeBackend{}})
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	conn, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", srv.Addr())
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = conn.Close() }()
	time.Sleep(100 * time.Millisecond) // the server has accepted it

	start := time.Now()
	cancel()
	g.Eventually(done).WithTimeout(10 * time.Second).Should(Receive(BeNil()))
	g.Expect(time.Since(start)).To(BeNumerically("<", 4*time.Second))
}
