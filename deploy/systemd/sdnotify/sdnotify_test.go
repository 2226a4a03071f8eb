package sdnotify_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/systemd/sdnotify"
)

// notifySocket listens on a unixgram socket in a temp dir, as systemd does.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			ch <- string(buf[:n])
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return path, ch
}

func recv(t *testing.T, ch <-chan string, within time.Duration) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(within):
		t.Fatalf("no notify datagram within %v", within)
		return ""
	}
}

func TestSystemdNotify(t *testing.T) {
	path, ch := notifySocket(t)
	env := map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "42"}
	n, err := sdnotify.New(func(k string) string { return env[k] }, 42)
	if err != nil {
		t.Fatal(err)
	}
	if n.WatchdogInterval() != 100*time.Millisecond {
		t.Fatalf("watchdog interval = %v, want half of WATCHDOG_USEC", n.WatchdogInterval())
	}
	if err := n.Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, ch, time.Second); m != "READY=1" {
		t.Fatalf("got %q", m)
	}

	var healthy atomic.Bool
	healthy.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		n.Watchdog(ctx, func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return errors.New("store stuck")
		}, slog.New(slog.DiscardHandler))
	})
	for range 3 {
		if m := recv(t, ch, time.Second); m != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", m)
		}
	}
	healthy.Store(false)
	time.Sleep(150 * time.Millisecond)
	for len(ch) > 0 { // a ping in flight when the health changed
		<-ch
	}
	select {
	case m := <-ch:
		t.Fatalf("unhealthy gateway fed the watchdog: %q", m)
	case <-time.After(400 * time.Millisecond):
	}
	cancel()
	wg.Wait()
	if err := n.Notify("STOPPING=1"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, ch, time.Second); m != "STOPPING=1" {
		t.Fatalf("got %q", m)
	}

	// The watchdog is meant for another process: off. No socket: no-op.
	other, _ := sdnotify.New(func(k string) string { return env[k] }, 7)
	if other.WatchdogInterval() != 0 {
		t.Fatal("watchdog on for another pid")
	}
	none, _ := sdnotify.New(func(string) string { return "" }, 1)
	if none.Enabled() || none.Notify("READY=1") != nil {
		t.Fatal("notifier without NOTIFY_SOCKET must be a no-op")
	}
	if _, err := sdnotify.New(func(k string) string {
		return map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "x"}[k]
	}, 1); err == nil {
		t.Fatal("bad WATCHDOG_USEC accepted")
	}
}
