package evdev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

func record(t *testing.T, size int, cards ...string) string {
	t.Helper()
	var b []byte
	at := t0
	for _, c := range cards {
		for _, e := range typeKeys(c, at) {
			b = AppendEvent(b, e, size)
		}
		at = at.Add(time.Second)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("event-%d", size))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenGrabbedNotAnInputDevice(t *testing.T) {
	p := record(t, EventSize64, "04A1B2C3")
	_, err := OpenGrabbed(p)
	if err == nil || !strings.Contains(err.Error(), "EVIOCGRAB") || !errors.Is(err, syscall.ENOTTY) {
		t.Fatalf("OpenGrabbed(regular file) = %v, want a clear EVIOCGRAB error wrapping ENOTTY", err)
	}
	_, err = OpenGrabbed(filepath.Join(t.TempDir(), "event99"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "evdev: ") {
		t.Fatalf("OpenGrabbed(missing) = %v", err)
	}
}

// TestRecordedDevice reads recorded event bytes from a regular file
// through an injected opener (no grab), in both event sizes: the cards
// are delivered, a bad key sequence is rejected, the end of the file
// looks like the device vanishing (status disconnected, reopen with
// backoff while it is missing), and reads resume once it is back.
func TestRecordedDevice(t *testing.T) {
	for _, size := range []int{EventSize32, EventSize64} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			first := record(t, size, "04A1B2C3", "04A1B2C", "0411223344556A")
			second := record(t, size, "DEADBEEF")
			var mu sync.Mutex
			next, opens := first, 0
			r, err := New(Config{
				Name:      "wedge",
				Path:      "/dev/input/by-id/usb-test-event-kbd",
				EventSize: size,
				Open: func(path string) (io.ReadCloser, error) {
					mu.Lock()
					defer mu.Unlock()
					opens++
					if next == "" {
						return nil, fmt.Errorf("evdev: open: %w", os.ErrNotExist)
					}
					f, err := os.Open(next)
					next = ""
					return f, err
				},
				MinBackoff: 10 * time.Millisecond,
				MaxBackoff: 40 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			reads := make(chan card.Read, 8)
			done := make(chan error, 1)
			go func() { done <- r.Run(context.Background(), func(rd card.Read) { reads <- rd }) }()
			for _, want := range []string{"04A1B2C3", "0411223344556A"} {
				if got := recvRead(t, reads); got.Credential != want || got.Reader != "wedge" {
					t.Fatalf("read = %+v, want %s", got, want)
				}
			}
			waitStatus(t, r, func(s drivers.Status) bool { return !s.Connected && s.Err != "" })
			if st := r.Stats(); st.Rejected != 1 || st.Delivered != 2 {
				t.Fatalf("stats = %+v", st)
			}
			// Missing for a while: several reopen attempts.
			deadline := time.Now().Add(3 * time.Second)
			for {
				mu.Lock()
				n := opens
				mu.Unlock()
				if n >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d open attempts", n)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if !strings.Contains(r.Status().Err, "does not exist") {
				t.Fatalf("status = %+v, want the open error", r.Status())
			}
			mu.Lock()
			next = second
			mu.Unlock()
			if got := recvRead(t, reads); got.Credential != "DEADBEEF" {
				t.Fatalf("read after reopen = %+v", got)
			}
			r.Close()
			if err := <-done; !errors.Is(err, drivers.ErrClosed) {
				t.Fatalf("Run = %v, want ErrClosed", err)
			}
			if err := r.Run(context.Background(), func(card.Read) {}); !errors.Is(err, drivers.ErrClosed) {
				t.Fatalf("Run after Close = %v", err)
			}
		})
	}
}

// TestBlockingDevice uses a pipe, whose reads block like a real device:
// events written in pieces are reassembled, a device error (ENODEV, as
// on unplug) reports disconnected, and Close ends a blocked read.
func TestBlockingDevice(t *testing.T) {
	pipes := make(chan *io.PipeReader, 2)
	r, err := New(Config{
		Path:       "/dev/input/event7",
		EventSize:  EventSize64,
		Format:     card.Format{Input: card.InputDec10},
		Open:       func(string) (io.ReadCloser, error) { return <-pipes, nil },
		MinBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	pipes <- pr
	reads := make(chan card.Read, 4)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), func(rd card.Read) { reads <- rd }) }()
	var b []byte
	for _, e := range typeKeys("0077705923", t0) {
		b = AppendEvent(b, e, EventSize64)
	}
	go func() {
		for len(b) > 0 { // odd-sized pieces: events split across reads
			n := min(len(b), 37)
			pw.Write(b[:n])
			b = b[n:]
		}
	}()
	if got := recvRead(t, reads); got.Credential != "04A1B2C3" {
		t.Fatalf("read = %+v", got)
	}
	pw.CloseWithError(syscall.ENODEV)
	waitStatus(t, r, func(s drivers.Status) bool { return !s.Connected && strings.Contains(s.Err, "no such device") })
	pr2, _ := io.Pipe()
	pipes <- pr2
	waitStatus(t, r, func(s drivers.Status) bool { return s.Connected })
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not end a blocked read")
	}
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
}

func TestNewChecks(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no path":    {},
		"bad size":   {Path: "/dev/input/event0", EventSize: 20},
		"bad format": {Path: "/dev/input/event0", Format: card.Format{Input: "octal"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	r, err := New(Config{Path: "/dev/input/event0"})
	if err != nil || r.cfg.EventSize != NativeEventSize || r.cfg.Gap != DefaultGap {
		t.Fatalf("defaults = %+v, %v", r.cfg, err)
	}
}

func recvRead(t *testing.T, ch <-chan card.Read) card.Read {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(3 * time.Second):
		t.Fatal("no read within 3s")
		return card.Read{}
	}
}

func waitStatus(t *testing.T, r *Reader, ok func(drivers.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok(r.Status()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("status never matched: %+v", r.Status())
}
