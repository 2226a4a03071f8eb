package serialport_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// TestKeeperSurvivesReplug runs a line-echo session over a pty through
// tarm/serial, unplugs the device, checks it is reported disconnected,
// plugs it back and checks the session resumes.
func TestKeeperSurvivesReplug(t *testing.T) {
	dev := serialtest.New(t)
	var mu sync.Mutex
	var changes []drivers.Status
	tr := drivers.NewTracker("reader", "test", nil, func(s drivers.Status) {
		mu.Lock()
		changes = append(changes, s)
		mu.Unlock()
	})
	k := serialport.NewKeeper(serialport.Config{Path: dev.Path(), Baud: 9600, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}, tr)
	lines := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- k.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
			sc := bufio.NewScanner(port)
			for sc.Scan() {
				lines <- sc.Text()
				if _, err := port.Write([]byte("ok\n")); err != nil {
					return err
				}
			}
			return sc.Err()
		})
	}()
	waitStatus(t, tr, true)
	dev.Write([]byte("hello\n"))
	if got := recv(t, lines); got != "hello" {
		t.Fatalf("line = %q", got)
	}
	if reply, err := dev.ReadUntil([]byte("ok\n"), 2*time.Second); err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}

	dev.Unplug()
	waitStatus(t, tr, false)
	if st := tr.Status(); st.Err == "" {
		t.Fatalf("disconnected status has no error: %+v", st)
	}
	dev.Plug()
	waitStatus(t, tr, true)
	dev.Write([]byte("again\n"))
	if got := recv(t, lines); got != "again" {
		t.Fatalf("after replug line = %q", got)
	}
	k.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) < 3 || !changes[0].Connected || changes[1].Connected || !changes[2].Connected {
		t.Fatalf("status changes = %+v, want connected, disconnected, connected", changes)
	}
}

func TestOpenMissingDevice(t *testing.T) {
	_, err := serialport.Open(context.Background(), serialport.Config{Path: "/nonexistent/ttyUSB9"})
	if err == nil {
		t.Fatal("opened a missing device")
	}
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(3 * time.Second):
		t.Fatal("no line within 3s")
		return ""
	}
}

func waitStatus(t *testing.T, tr *drivers.Tracker, connected bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if tr.Status().Connected == connected {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never became connected=%v: %+v", connected, tr.Status())
}

// TestReadUntilTimesOut: the test device's read timeout works, so a driver
// that never writes fails the test instead of hanging it.
func TestReadUntilTimesOut(t *testing.T) {
	dev := serialtest.New(t)
	start := time.Now()
	_, err := dev.ReadUntil([]byte("\n"), 100*time.Millisecond)
	if !errors.Is(err, serialtest.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ReadUntil returned after %v", d)
	}
}
