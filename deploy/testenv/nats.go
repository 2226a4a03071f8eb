package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSCluster is a cluster of real nats-server processes owned by a test:
// every node on random loopback ports (client, cluster route, MQTT), with
// JetStream in a temporary directory of its own, routes to every other
// node and the same users. Kill stops a node with SIGKILL; Restart starts
// it again on the same ports and directory.
type NATSCluster struct {
	Nodes []*NATSNode
	User  string // a user with every permission, for the cloud and tests
	Pass  string
}

// NATSNode is one nats-server process of a NATSCluster.
type NATSNode struct {
	Name      string
	ClientURL string // nats://127.0.0.1:PORT
	MQTTURL   string // tcp://127.0.0.1:PORT, for MQTT 3.1.1 clients
	conf      string
	bin       string
	clientAdr string
	mqttAdr   string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
	log    *bytes.Buffer
}

// NATSOptions configures StartNATSCluster.
type NATSOptions struct {
	Nodes int               // default 3
	Users map[string]string // extra users (name -> password), all permissions
}

// natsBin is the nats-server the tests run: $EG_NATS_SERVER when set,
// else the version go.mod pins (a tool of the module, ADR 0041), built
// once into the user's cache directory. Debian's nats-server 2.9.10 is
// not used: it refuses MQTT topics with a '.', which gateway ids may
// have. The test fails when it cannot be built.
func natsBin(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("EG_NATS_SERVER"); bin != "" {
		return bin
	}
	natsBuild.Do(func() { natsBuilt, natsBuildErr = buildNATSServer() })
	if natsBuildErr != nil {
		t.Fatalf("testenv: %v", natsBuildErr)
	}
	return natsBuilt
}

var (
	natsBuild    sync.Once
	natsBuilt    string
	natsBuildErr error
)

// NATSServerModule is the Go module of the nats-server the project runs.
const NATSServerModule = "github.com/nats-io/nats-server/v2"

func buildNATSServer() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out, err := goCmd(root, "list", "-m", "-f", "{{.Version}}", NATSServerModule).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %v", NATSServerModule, err)
	}
	version := strings.TrimSpace(string(out))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "eldergate", "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	// Test packages run in parallel: one builds, the others wait for it.
	lock, err := os.OpenFile(bin+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	if out, err := goCmd(root, "build", "-o", tmp, NATSServerModule).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v: %s", NATSServerModule, err, out)
	}
	return bin, os.Rename(tmp, bin) // atomic: a parallel package may build it too
}

func goCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}

// StartNATSCluster starts a NATS cluster for the test and waits until
// JetStream has a meta leader, so streams can be created at once. The
// nodes are killed when the test ends.
func StartNATSCluster(t testing.TB, o NATSOptions) *NATSCluster {
	t.Helper()
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	bin := natsBin(t)
	c := &NATSCluster{User: "eg-test", Pass: "eg-test-secret"}
	users := map[string]string{c.User: c.Pass}
	for u, p := range o.Users {
		users[u] = p
	}
	type ports struct{ client, route, mqtt int }
	ps := make([]ports, o.Nodes)
	for i := range ps {
		ps[i] = ports{freePort(t), freePort(t), freePort(t)}
	}
	var routes []string
	for _, p := range ps {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p.route))
	}
	var ub strings.Builder
	for u, p := range users {
		fmt.Fprintf(&ub, "    {user: %q, password: %q}\n", u, p)
	}
	for i, p := range ps {
		dir := t.TempDir()
		n := &NATSNode{
			Name:      fmt.Sprintf("n%d", i+1),
			ClientURL: fmt.Sprintf("nats://127.0.0.1:%d", p.client),
			MQTTURL:   fmt.Sprintf("tcp://127.0.0.1:%d", p.mqtt),
			clientAdr: fmt.Sprintf("127.0.0.1:%d", p.client),
			mqttAdr:   fmt.Sprintf("127.0.0.1:%d", p.mqtt),
			conf:      filepath.Join(dir, "nats.conf"),
			bin:       bin,
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
max_payload: 1MB
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: eg-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
mqtt {
  listen: 127.0.0.1:%d
  ack_wait: 5s
}
authorization {
  users: [
%s  ]
}
`, n.Name, p.client, filepath.Join(dir, "js"), p.route, strings.Join(routes, ", "), p.mqtt, ub.String())
		if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, n := range c.Nodes {
			n.Kill()
			if t.Failed() {
				t.Logf("nats-server %s log (tail):\n%s", n.Name, n.LogTail(4000))
			}
		}
	})
	for _, n := range c.Nodes {
		if err := n.waitListening(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.WaitJetStream(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// ClientURLs is every node's client URL, comma separated (nats.Connect's
// form).
func (c *NATSCluster) ClientURLs() string {
	var s []string
	for _, n := range c.Nodes {
		s = append(s, n.ClientURL)
	}
	return strings.Join(s, ",")
}

// MQTTURLs is every node's MQTT URL.
func (c *NATSCluster) MQTTURLs() []string {
	var s []string
	for _, n := range c.Nodes {
		s = append(s, n.MQTTURL)
	}
	return s
}

// Connect connects to the cluster as the test user; closed when the
// test ends.
func (c *NATSCluster) Connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(c.ClientURLs(), nats.UserInfo(c.User, c.Pass), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("testenv: nats connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitJetStream waits until the cluster's JetStream answers (a meta
// leader is elected).
func (c *NATSCluster) WaitJetStream(ctx context.Context) error {
	nc, err := nats.Connect(c.ClientURLs(), nats.UserInfo(c.User, c.Pass), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fmt.Errorf("testenv: nats connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	var last error
	for ctx.Err() == nil {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, last = js.AccountInfo(actx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("testenv: JetStream of the NATS cluster not ready: %v", last)
}

func (n *NATSNode) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.log = &bytes.Buffer{}
	n.cmd = exec.Command(n.bin, "-c", n.conf)
	w := &lockedWriter{mu: &n.mu, w: n.log}
	n.cmd.Stdout, n.cmd.Stderr = w, w
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		return fmt.Errorf("testenv: start nats-server %s: %w", n.Name, err)
	}
	n.exited = make(chan error, 1)
	cmd, exited := n.cmd, n.exited
	go func() { exited <- cmd.Wait() }()
	return nil
}

func (n *NATSNode) waitListening(d time.Duration) error {
	n.mu.Lock()
	exited := n.exited
	n.mu.Unlock()
	for _, a := range []string{n.clientAdr, n.mqttAdr} {
		if err := waitListening(a, exited, d); err != nil {
			return fmt.Errorf("testenv: nats-server %s: %w; log: %s", n.Name, err, n.LogTail(2000))
		}
	}
	return nil
}

// Kill stops the node with SIGKILL (no clean shutdown, no leadership
// handed over) and waits for the process to be gone. Killing a stopped
// node does nothing.
func (n *NATSNode) Kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Restart starts a killed node again with its configuration and
// JetStream directory, and waits until it listens.
func (n *NATSNode) Restart() error {
	n.Kill()
	if err := n.start(); err != nil {
		return err
	}
	return n.waitListening(10 * time.Second)
}

// RSSKB is the node's resident memory in KiB (VmRSS); 0 when it is not
// running or unreadable.
func (n *NATSNode) RSSKB() int64 {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	return 0
}

// LogTail returns the last max bytes of the node's output.
func (n *NATSNode) LogTail(max int) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.log == nil {
		return ""
	}
	b := n.log.Bytes()
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
