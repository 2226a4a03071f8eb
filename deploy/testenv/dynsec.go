package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DynsecPlugin is Debian's path of Mosquitto's dynamic-security plugin.
const DynsecPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"

// StartMosquittoDynsec starts mosquitto on a random loopback port with the
// dynamic-security plugin, its state file initialised by
// `mosquitto_ctrl dynsec init` with one admin (adminUser/adminPass, allowed
// on $CONTROL/dynamic-security/#) and no other client; no anonymous access.
// It is stopped when the test ends.
func StartMosquittoDynsec(t testing.TB, adminUser, adminPass string) *Mosquitto {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
	}
	if _, err := os.Stat(DynsecPlugin); err != nil {
		t.Fatalf("testenv: dynamic-security plugin missing (make test installs mosquitto): %v", err)
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "dynamic-security.json")
	if out, err := exec.Command("mosquitto_ctrl", "dynsec", "init", state, adminUser, adminPass).CombinedOutput(); err != nil {
		t.Fatalf("testenv: mosquitto_ctrl dynsec init: %v: %s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		conf := filepath.Join(dir, "mosquitto.conf")
		var b strings.Builder
		fmt.Fprintf(&b, "per_listener_settings false\nallow_anonymous false\nplugin %s\nplugin_opt_config_file %s\n", DynsecPlugin, state)
		if os.Geteuid() == 0 {
			b.WriteString("user root\n")
		}
		fmt.Fprintf(&b, "listener %d 127.0.0.1\n", port)
		b.WriteString("persistence false\nmax_queued_messages 100000\nmax_inflight_messages 100\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n")
		if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		m := &Mosquitto{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, log: &bytes.Buffer{}}
		m.URL = "tcp://" + m.Addr
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
	t.Fatalf("testenv: mosquitto (dynsec) did not start: %v", lastErr)
	return nil
}
