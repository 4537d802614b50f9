package access

import (
	"os"
	"testing"

	"github.com/roster-dev/roster/internal/testenv/apiserver"
)

// One API server (etcd and kube-apiserver, no controller-manager) for the
// package, started by the first test that needs it and stopped by TestMain.
var apiServer apiserver.Server

func TestMain(m *testing.M) { os.Exit(apiServer.Main(m)) }
