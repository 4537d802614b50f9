package main

import (
	"net"
	"testing"

	. "github.com/onsi/gomega"
)

func TestCheckPorts(t *testing.T) {
	g := NewWithT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = l.Close() }()

	err = checkPorts(port{"health-probe-bind-address", l.Addr().String()}, port{"metrics-bind-address", "0"})
	g.Expect(err).To(MatchError(ContainSubstring("--health-probe-bind-address=" + l.Addr().String() + " already taken")))
	g.Expect(err).To(MatchError(ContainSubstring("another Roster")))

	g.Expect(checkPorts(port{"health-probe-bind-address", "127.0.0.1:0"}, port{"metrics-bind-address", ""})).To(Succeed())
}
