package fault_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/roster-dev/roster/controllers/invitation"
	"github.com/roster-dev/roster/internal/acceptserver"
	"github.com/roster-dev/roster/internal/testenv"
)

// managerProcess is one run of ./cmd/manager.
type managerProcess struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	started time.Time
}

var (
	managersMu sync.Mutex
	managers   []*managerProcess
	runSeq     int
)

// startManager starts the manager binary with the controllers only, under
// the manager's identity (kubeconfig), and returns at once.
func startManager(name, kubeconfig string, args ...string) *managerProcess {
	GinkgoHelper()
	managersMu.Lock()
	runSeq++
	p := &managerProcess{name: name, logPath: filepath.Join(workDir, fmt.Sprintf("%02d-%s.log", runSeq, name)), exited: make(chan struct{})}
	managersMu.Unlock()
	logFile, err := os.Create(p.logPath)
	Expect(err).NotTo(HaveOccurred())
	p.cmd = exec.Command(managerBin, append([]string{
		"--enable-webhooks=false",
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
		"--manager-namespace=" + testenv.ManagerNamespace,
		"--invite-base-url=http://127.0.0.1:1",
		"--accept-bind-address=127.0.0.1:0",
	}, args...)...)
	p.cmd.Env = append(environWithout("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "POD_NAMESPACE"), "KUBECONFIG="+kubeconfig)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = sysProcAttr()

	started := make(chan error, 1)
	go func() {
		defer close(p.exited)
		defer func() { _ = logFile.Close() }()
		// Pdeathsig follows the thread that started the child: keep it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = p.cmd.Wait()
	}()
	Expect(<-started).To(Succeed())
	p.started = time.Now()
	managersMu.Lock()
	managers = append(managers, p)
	managersMu.Unlock()
	return p
}

// kill sends SIGKILL (no graceful shutdown, no lease release) and waits.
func (p *managerProcess) kill() {
	GinkgoHelper()
	if p.running() {
		Expect(p.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
	}
	Eventually(p.exited).WithTimeout(10 * time.Second).Should(BeClosed())
}

func (p *managerProcess) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *managerProcess) log() string {
	data, _ := os.ReadFile(p.logPath)
	return string(data)
}

// expectRunning fails, with the end of the log, if the manager exited.
func (p *managerProcess) expectRunning() {
	GinkgoHelper()
	Expect(p.running()).To(BeTrue(), "manager %s exited; the end of its log:\n%s", p.name, tail(p.log(), 40))
}

// stopAllManagers kills whatever is still running and reports the logs of
// a failed spec.
func stopAllManagers() {
	managersMu.Lock()
	all := append([]*managerProcess(nil), managers...)
	managers = nil
	managersMu.Unlock()
	for _, p := range all {
		if p.running() {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
		}
	}
}

var _ = AfterEach(func() {
	managersMu.Lock()
	all := append([]*managerProcess(nil), managers...)
	managersMu.Unlock()
	if CurrentSpecReport().Failed() {
		for _, p := range all {
			AddReportEntry("log of manager "+p.name, tail(p.log(), 60))
		}
	}
	stopAllManagers()
})

// linkTokens returns the tokens of every invitation link the managers'
// log notifier delivered, by invitation (namespace/name).
func linkTokens() map[string][]string {
	managersMu.Lock()
	defer managersMu.Unlock()
	out := map[string][]string{}
	files, _ := filepath.Glob(filepath.Join(workDir, "*.log"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, m := range linkLine.FindAllSubmatch(data, -1) {
			out[string(m[2])] = append(out[string(m[2])], string(m[1]))
		}
	}
	return out
}

// acceptAPI is the JSON API of this run's accept server, once it serves.
func (p *managerProcess) acceptAPI() string {
	m := acceptAddress.FindStringSubmatch(p.log())
	if m == nil {
		return ""
	}
	return "http://" + m[1] + invitation.APIPath
}

var acceptAddress = regexp.MustCompile(`serving invitation links\t\{"address": "([^"]+)"`)

// answerLink accepts a link through the JSON API; an error means no
// answer came (the manager died, or was not serving yet).
func answerLink(api, token string) (acceptserver.APIResponse, error) {
	var res acceptserver.APIResponse
	if api == "" {
		return res, fmt.Errorf("no accept server")
	}
	body, _ := json.Marshal(acceptserver.APIRequest{Token: token, Decision: invitation.DecisionAccept})
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(api, "application/json", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return res, err
	}
	return res, nil
}

var linkLine = regexp.MustCompile(`invitation link.*"url": "[^"]*token=([A-Za-z0-9_-]+)".*"invitation": "([^"]+)"`)

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

func environWithout(keys ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		drop := false
		for _, k := range keys {
			if strings.HasPrefix(kv, k+"=") {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// writeKubeconfig writes a kubeconfig for one server and identity; no
// certificate and key means no credentials (a proxy adds them).
func writeKubeconfig(path, server string, ca, cert, key []byte) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["fault"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	kc.AuthInfos["fault"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	kc.Contexts["fault"] = &clientcmdapi.Context{Cluster: "fault", AuthInfo: "fault"}
	kc.CurrentContext = "fault"
	return clientcmd.WriteToFile(*kc, path)
}

// splitYAML splits a multi-document YAML file.
func splitYAML(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(doc))) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func stripComments(doc []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line)
		}
	}
	return bytes.Join(out, []byte("\n"))
}
