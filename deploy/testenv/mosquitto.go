// Package testenv starts the real services the tests need (a Mosquitto
// broker today) on random loopback ports and stops them afterwards.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Mosquitto is a running mosquitto process owned by a test.
type Mosquitto struct {
	URL  string // tcp://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	Dir  string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// ACLFile returns the path of the production ACL in deploy/mosquitto.
func ACLFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "mosquitto", "acl")
}

// StartMosquitto starts mosquitto on a random loopback port with the given
// users (name -> password) in a password file made with mosquitto_passwd,
// the ACL file acl (empty: no ACL, everything allowed for known users) and
// no anonymous access. It is stopped when the test ends.
func StartMosquitto(t testing.TB, users map[string]string, acl string) *Mosquitto {
	t.Helper()
	return startMosquitto(t, users, acl, nil)
}

func startMosquitto(t testing.TB, users map[string]string, acl string, tlsFiles *TLSFiles) *Mosquitto {
	t.Helper()
	bin := mosquittoBin(t)
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwd")
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		out, err := exec.Command("mosquitto_passwd", "-b", pw, u, users[u]).CombinedOutput()
		if err != nil {
			t.Fatalf("testenv: mosquitto_passwd %s: %v: %s", u, err, out)
		}
	}
	head := fmt.Sprintf("password_file %s\n", pw)
	if acl != "" {
		head += fmt.Sprintf("acl_file %s\n", acl)
	}
	listener, scheme := "", "tcp"
	if tlsFiles != nil { // options of the listener (tls.go)
		listener = fmt.Sprintf("cafile %s\ncertfile %s\nkeyfile %s\n", tlsFiles.CAFile, tlsFiles.CertFile, tlsFiles.KeyFile)
		scheme = "ssl"
	}
	return launch(t, bin, dir, head, listener, scheme)
}

// mosquittoBin is the mosquitto binary; the test fails when it is missing.
func mosquittoBin(t testing.TB) string {
	t.Helper()
	if bin, err := exec.LookPath("mosquitto"); err == nil {
		return bin
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err != nil {
		t.Fatalf("testenv: mosquitto is not installed (make test installs it): %v", err)
	}
	return "/usr/sbin/mosquitto"
}

// launch starts mosquitto in dir with a configuration made of head (the
// authentication lines), a loopback listener on a free port followed by
// listener (its options) and the settings every test broker has; scheme
// is the URL's ("tcp" or "ssl"). It tries another port when the first
// was taken meanwhile, and stops the broker when the test ends.
func launch(t testing.TB, bin, dir, head, listener, scheme string) *Mosquitto {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		conf := filepath.Join(dir, "mosquitto.conf")
		var b strings.Builder
		b.WriteString("per_listener_settings false\nallow_anonymous false\n")
		b.WriteString(head)
		if os.Geteuid() == 0 {
			// Stay root so mosquitto can read the test's private temp dir.
			b.WriteString("user root\n")
		}
		fmt.Fprintf(&b, "listener %d 127.0.0.1\n", port)
		b.WriteString(listener)
		b.WriteString("persistence false\nmax_queued_messages 100000\nmax_inflight_messages 100\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n")
		if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		m := &Mosquitto{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, log: &bytes.Buffer{}}
		m.URL = scheme + "://" + m.Addr
		m.cmd = exec.Command(bin, "-c", conf)
		m.cmd.Stdout = m.log
		m.cmd.Stderr = m.log
		if err := m.cmd.Start(); err != nil {
			t.Fatalf("testenv: start mosquitto: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- m.cmd.Wait() }()
		if err := waitListening(m.Addr, exited, 5*time.Second); err != nil {
			_ = m.cmd.Process.Kill()
			lastErr = fmt.Errorf("%w; log: %s", err, m.log.String())
			continue
		}
		t.Cleanup(func() {
			_ = m.cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("mosquitto log:\n%s", m.log.String())
			}
		})
		return m
	}
	t.Fatalf("testenv: mosquitto did not start: %v", lastErr)
	return nil
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(addr string, exited <-chan error, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("testenv: mosquitto exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("testenv: nothing listening on %s after %v", addr, d)
}
