package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// errPortsInUse marks the error checkPorts returns: a user's mistake (a
// second `make run`), printed without a stack trace.
var errPortsInUse = errors.New("ports in use")

// checkPorts fails when a fixed address the manager is about to listen on
// is taken, before a local control plane is started for nothing. flags maps
// a flag name to its address; "0" and "" listen nowhere.
func checkPorts(flags map[string]string) error {
	var taken []string
	for _, name := range []string{"health-probe-bind-address", "metrics-bind-address"} {
		addr := flags[name]
		if addr == "" || addr == "0" {
			continue
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			taken = append(taken, fmt.Sprintf("--%s=%s", name, addr))
			continue
		}
		_ = l.Close()
	}
	if len(taken) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s already taken; another Roster (a second `make run`?) is probably running: stop it, or pick other ports, e.g. make run ARGS='--health-probe-bind-address=:18081'",
		errPortsInUse, strings.Join(taken, ", "))
}
