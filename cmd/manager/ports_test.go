package main

import (
	"errors"
	"net"
	"testing"

	. "github.com/onsi/gomega"
)

func TestCheckPorts(t *testing.T) {
	g := NewWithT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = l.Close() }()

	err = checkPorts(map[string]string{"health-probe-bind-address": l.Addr().String(), "metrics-bind-address": "0"})
	g.Expect(errors.Is(err, errPortsInUse)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring("--health-probe-bind-address=" + l.Addr().String() + " already taken"))
	g.Expect(err.Error()).To(ContainSubstring("another Roster"))

	g.Expect(checkPorts(map[string]string{"health-probe-bind-address": "127.0.0.1:0", "metrics-bind-address": ""})).To(Succeed())
}
