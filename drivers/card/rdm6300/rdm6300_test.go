package rdm6300

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// TestEndToEnd runs the reader through tarm/serial over a pty: frames
// with garbage between them, a frame with a bad checksum that is counted
// and skipped, a malformed frame, and an unplug/replug after which reads
// resume without restarting the reader.
func TestEndToEnd(t *testing.T) {
	dev := serialtest.New(t)
	var mu sync.Mutex
	var changes []drivers.Status
	r, err := New(Config{
		Name:           "door",
		Port:           serialport.Config{Path: dev.Path(), MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		RepeatInterval: -1,
		OnStatus: func(s drivers.Status) {
			mu.Lock()
			changes = append(changes, s)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	reads := make(chan card.Read, 16)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), func(rd card.Read) { reads <- rd }) }()
	waitConnected(t, r, true)

	a := Encode(Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}})
	b := Encode(Frame{Version: 0x01, Card: [4]byte{0x04, 0xA1, 0xB2, 0xC3}})
	bad := append([]byte{}, b...)
	bad[5] = 'F' // data changed, checksum not: bad checksum
	var stream []byte
	stream = append(stream, "\x00\xffnoise"...)
	stream = append(stream, a...)
	stream = append(stream, "\r\n"...)
	stream = append(stream, bad...)
	stream = append(stream, "\x0212\x03"...) // malformed: early ETX
	stream = append(stream, b...)
	dev.Write(stream)

	if got := recvRead(t, reads); got.Credential != "E3086CED" || got.Reader != "door" {
		t.Fatalf("first read = %+v", got)
	}
	if got := recvRead(t, reads); got.Credential != "04A1B2C3" {
		t.Fatalf("second read = %+v, want 04A1B2C3 (bad frames skipped)", got)
	}
	st := r.Stats()
	if st.BadFrames != 2 || st.Checksum != 1 || st.Delivered != 2 {
		t.Fatalf("stats = %+v, want 2 bad frames of which 1 checksum, 2 delivered", st)
	}

	dev.Unplug()
	waitConnected(t, r, false)
	if r.Status().Err == "" {
		t.Fatalf("disconnected status has no error: %+v", r.Status())
	}
	dev.Plug()
	waitConnected(t, r, true)
	dev.Write(a)
	if got := recvRead(t, reads); got.Credential != "E3086CED" {
		t.Fatalf("read after replug = %+v", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) < 3 || !changes[0].Connected || changes[1].Connected || !changes[2].Connected {
		t.Fatalf("status changes = %+v, want connected, disconnected, connected", changes)
	}
}

// TestRepeatsAndOptions checks the repeat filter with a controlled clock,
// the little-endian order and the 5-byte credential, through the pty.
func TestRepeatsAndOptions(t *testing.T) {
	dev := serialtest.New(t)
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	r, err := New(Config{Port: serialport.Config{Path: dev.Path()}, Order: card.LittleEndian, IncludeVersion: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	reads := make(chan card.Read, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, func(rd card.Read) { reads <- rd }) }()
	waitConnected(t, r, true)
	f := Encode(Frame{Version: 0x62, Card: [4]byte{0xE3, 0x08, 0x6C, 0xED}})
	dev.Write(f)
	if got := recvRead(t, reads); got.Credential != "ED6C08E362" || !got.At.Equal(clock()) {
		t.Fatalf("read = %+v, want ED6C08E362 at %v", got, clock())
	}
	advance(100 * time.Millisecond)
	dev.Write(f) // within 300 ms: dropped
	waitStats(t, r, func(s Stats) bool { return s.Repeats == 1 })
	advance(250 * time.Millisecond)
	dev.Write(f) // 350 ms after the delivered read: delivered
	if got := recvRead(t, reads); got.Credential != "ED6C08E362" {
		t.Fatalf("read = %+v", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	r.Close()
}

func TestRepeatFilter(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f := repeatFilter{interval: 300 * time.Millisecond}
	steps := []struct {
		cred string
		at   time.Duration
		want bool
	}{
		{"A", 0, true},
		{"A", 100 * time.Millisecond, false},
		{"A", 299 * time.Millisecond, false},
		{"A", 300 * time.Millisecond, true},
		{"B", 310 * time.Millisecond, true},
		{"A", 320 * time.Millisecond, true}, // different from the last: delivered
		{"A", 200 * time.Millisecond, true}, // clock stepped back: delivered
	}
	for i, s := range steps {
		if got := f.pass(s.cred, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d (%s at %v) = %v, want %v", i, s.cred, s.at, got, s.want)
		}
	}
	all := repeatFilter{interval: -1}
	if !all.pass("A", t0) || !all.pass("A", t0) {
		t.Fatal("negative interval dropped a frame")
	}
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a path succeeded")
	}
	if _, err := New(Config{Port: serialport.Config{Path: "/dev/null"}, Order: "xx"}); err == nil {
		t.Fatal("New with a bad order succeeded")
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

func waitConnected(t *testing.T, r *Reader, connected bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if r.Status().Connected == connected {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never became connected=%v: %+v", connected, r.Status())
}

func waitStats(t *testing.T, r *Reader, ok func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if ok(r.Stats()) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("stats never matched: %+v", r.Stats())
}
