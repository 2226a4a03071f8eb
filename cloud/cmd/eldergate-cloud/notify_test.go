package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Under systemd (Type=notify, WatchdogSec) serve says READY=1 once its
// store, broker and HTTP are up, feeds the watchdog while the store
// answers, and says STOPPING=1 on the way out.
func TestServeNotifiesSystemd(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "200000") // a ping every 100 ms
	t.Setenv("WATCHDOG_PID", "")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", filepath.Join(dir, "data"), "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--token", "t0ken-for-the-test"}, io.Discard, io.Discard)
	}()
	recv := func() string {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		buf := make([]byte, 4096)
		n, _, err := conn.ReadFromUnix(buf)
		if err != nil {
			t.Fatalf("no notify datagram: %v", err)
		}
		return string(buf[:n])
	}
	if m := recv(); !strings.HasPrefix(m, "READY=1\nSTATUS=serving http://127.0.0.1:") {
		t.Fatalf("first datagram %q, want READY=1 with the console's URL", m)
	}
	for range 2 {
		if m := recv(); m != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", m)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s")
	}
	for {
		m := recv()
		if m == "STOPPING=1" {
			break
		}
		if m != "WATCHDOG=1" {
			t.Fatalf("got %q, want STOPPING=1", m)
		}
	}
}
