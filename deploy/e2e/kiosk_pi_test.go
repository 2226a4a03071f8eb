package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestKioskLauncher runs deploy/kiosk-pi/eldergate-kiosk against a local
// gateway stand-in that answers 503 twice before 200, with a stand-in
// browser that records its arguments and exits: the script waits for the
// gateway, starts the browser in kiosk mode on the page with the flags a
// Pi kiosk needs, and starts it again after it exits.
func TestKioskLauncher(t *testing.T) {
	var statusCalls atomic.Int32
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/status" {
			http.NotFound(w, r)
			return
		}
		if statusCalls.Add(1) <= 2 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer gw.Close()

	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	browser := filepath.Join(dir, "fake-chromium")
	if err := os.WriteFile(browser, []byte("#!/bin/bash\necho \"$@\" >> "+runs+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../kiosk-pi/eldergate-kiosk")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "EG_KIOSK_URL="+gw.URL+"/", "EG_KIOSK_BROWSER="+browser, "EG_KIOSK_WAIT=0.1",
		"EG_KIOSK_MAX_RUNS=2", "EG_KIOSK_PROFILE="+filepath.Join(dir, "profile"), "DISPLAY=")
	start := time.Now()
	done := make(chan []byte, 1)
	go func() {
		out, _ := cmd.CombinedOutput()
		done <- out
	}()
	var out []byte
	select {
	case out = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the launcher did not stop after 2 runs within 20 s")
	}
	if cmd.ProcessState == nil || !cmd.ProcessState.Success() {
		t.Fatalf("launcher failed: %s", out)
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatalf("the browser never ran: %v; launcher said %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("browser ran %d times, want 2 (started again after it exited): %q", len(lines), lines)
	}
	for _, want := range []string{"--kiosk " + gw.URL + "/", "--hide-scrollbars", "--disable-pinch", "--overscroll-history-navigation=0",
		"--autoplay-policy=no-user-gesture-required", "--noerrdialogs", "--user-data-dir="} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("browser arguments %q lack %q", lines[0], want)
		}
	}
	if n := statusCalls.Load(); n < 3 {
		t.Fatalf("the launcher asked the gateway %d times, want it to wait through the two 503s", n)
	}
	if !strings.Contains(string(out), "waiting for the gateway") {
		t.Errorf("the launcher did not say it was waiting: %s", out)
	}
	t.Logf("launcher: %d status checks, 2 browser runs in %v", statusCalls.Load(), time.Since(start).Round(time.Millisecond))
}
