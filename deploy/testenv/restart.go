package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Restartable is a mosquitto that a test stops and starts again on the
// same port with persistence on (sessions, their queues and retained
// messages kept in Dir across restarts), as deploy/mosquitto/eldergate.conf
// runs it.
type Restartable struct {
	URL  string // tcp://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	Dir  string

	t     testing.TB
	bin   string
	conf  string
	addrs []string // every listener, waited for at each start

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error
	log    bytes.Buffer
}

// StartRestartableMosquitto starts a persistent mosquitto like
// StartMosquitto (users, ACL file acl, no anonymous access) that Stop and
// Start take down and bring back on the same port. It is stopped when the
// test ends.
func StartRestartableMosquitto(t testing.TB, users map[string]string, acl string) *Restartable {
	t.Helper()
	m := &Restartable{t: t, bin: mosquittoBin(t), Dir: t.TempDir()}
	pw := filepath.Join(m.Dir, "passwd")
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		if out, err := exec.Command("mosquitto_passwd", "-b", pw, u, users[u]).CombinedOutput(); err != nil {
			t.Fatalf("testenv: mosquitto_passwd %s: %v: %s", u, err, out)
		}
	}
	port := freePort(t)
	m.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	m.URL = "tcp://" + m.Addr
	m.addrs = []string{m.Addr}
	var b strings.Builder
	fmt.Fprintf(&b, "per_listener_settings false\nallow_anonymous false\npassword_file %s\n", pw)
	if acl != "" {
		fmt.Fprintf(&b, "acl_file %s\n", acl)
	}
	if os.Geteuid() == 0 {
		b.WriteString("user root\n")
	}
	fmt.Fprintf(&b, "listener %d 127.0.0.1\n", port)
	fmt.Fprintf(&b, "persistence true\npersistence_location %s/\nautosave_interval 60\n", m.Dir)
	b.WriteString("max_queued_messages 100000\nmax_inflight_messages 100\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n")
	m.conf = filepath.Join(m.Dir, "mosquitto.conf")
	if err := os.WriteFile(m.conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	m.start(t)
	return m
}

// StartMosquittoConf starts mosquitto with exactly the configuration file
// conf (e.g. one `eldergate-cloud broker-config` wrote) and returns once
// it listens on every address of addrs (host:port, the first is Addr;
// URL is "" as the scheme depends on the listener). Stop and Start take
// it down and bring it back; it is stopped when the test ends.
func StartMosquittoConf(t testing.TB, conf string, addrs ...string) *Restartable {
	t.Helper()
	if len(addrs) == 0 {
		t.Fatal("testenv: StartMosquittoConf needs the listeners' addresses")
	}
	m := &Restartable{t: t, bin: mosquittoBin(t), Dir: filepath.Dir(conf), conf: conf, Addr: addrs[0], addrs: addrs}
	m.start(t)
	return m
}

// FreePort is a loopback TCP port free at the time of the call.
func FreePort(t testing.TB) int { return freePort(t) }

func (m *Restartable) start(t testing.TB) {
	t.Helper()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			m.mu.Lock()
			t.Logf("mosquitto log:\n%s", m.log.String())
			m.mu.Unlock()
		}
	})
}

// Start starts the broker (again) and returns once it listens.
func (m *Restartable) Start() error {
	m.mu.Lock()
	running := m.cmd != nil
	m.mu.Unlock()
	if running {
		return fmt.Errorf("testenv: mosquitto already running")
	}
	cmd := exec.Command(m.bin, "-c", m.conf)
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &m.mu, w: &m.log}, &lockedWriter{mu: &m.mu, w: &m.log}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testenv: start mosquitto: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	for _, a := range m.addrs {
		if err = waitListening(a, exited, 5*time.Second); err != nil {
			break
		}
	}
	if err != nil {
		_ = cmd.Process.Kill()
		select { // waitListening may have taken the exit already
		case <-exited:
		case <-time.After(time.Second):
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return fmt.Errorf("%w; log: %s", err, m.log.String())
	}
	m.mu.Lock()
	m.cmd, m.exited = cmd, exited
	m.mu.Unlock()
	return nil
}

// Stop stops the broker with SIGTERM (it saves its database, as systemd's
// stop does) and waits for it; killed after 5 s. Stopping a stopped
// broker does nothing.
func (m *Restartable) Stop() { m.signal(syscall.SIGTERM) }

// Kill stops the broker with SIGKILL, as a crash or a power cut of the
// broker would: what it did not save since its last autosave is gone.
// Killing a stopped broker does nothing.
func (m *Restartable) Kill() { m.signal(syscall.SIGKILL) }

func (m *Restartable) signal(sig syscall.Signal) {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd, m.exited = nil, nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// lockedWriter serialises the broker's output into a shared buffer.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
