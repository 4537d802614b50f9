package main

import (
	"fmt"
	"net"
	"strings"
)

// port is an address the manager listens on, and the flag that sets it.
type port struct{ flag, addr string }

// checkPorts fails when an address the manager is about to listen on is
// taken, before a local control plane is started for nothing. "0" and ""
// listen nowhere.
func checkPorts(ports ...port) error {
	var taken []string
	for _, p := range ports {
		if p.addr == "" || p.addr == "0" {
			continue
		}
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			taken = append(taken, fmt.Sprintf("--%s=%s", p.flag, p.addr))
			continue
		}
		_ = l.Close()
	}
	if len(taken) == 0 {
		return nil
	}
	return fmt.Errorf("%s already taken; another Roster (a second `make run`?) is probably running: stop it, or pick other ports, e.g. make run ARGS='--health-probe-bind-address=:18081'",
		strings.Join(taken, ", "))
}
