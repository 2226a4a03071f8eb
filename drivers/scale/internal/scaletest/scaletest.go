// Package scaletest holds test helpers shared by the scale drivers: a
// log recorder, status waiting, a reading collector and the end-to-end
// test of a continuously sending serial scale over a pty.
package scaletest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// Logs records log messages (with their attributes) for assertions.
type Logs struct {
	mu    sync.Mutex
	lines []string
}

// Logger returns a logger writing into l.
func (l *Logs) Logger() *slog.Logger { return slog.New(&logHandler{l: l}) }

// Lines returns what was logged so far.
func (l *Logs) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// Wait waits until a logged line contains every one of subs.
func (l *Logs) Wait(t testing.TB, timeout time.Duration, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range l.Lines() {
			ok := true
			for _, s := range subs {
				ok = ok && strings.Contains(line, s)
			}
			if ok {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q within %v; logged: %q", subs, timeout, l.Lines())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type logHandler struct {
	l     *Logs
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.l.mu.Lock()
	h.l.lines = append(h.l.lines, b.String())
	h.l.mu.Unlock()
	return nil
}
func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{l: h.l, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h *logHandler) WithGroup(string) slog.Handler { return h }

// WaitStatus waits until status().Connected == connected.
func WaitStatus(t testing.TB, status func() drivers.Status, connected bool) drivers.Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := status(); st.Connected == connected {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("status never became connected=%v: %+v", connected, status())
	return drivers.Status{}
}

// Readings collects readings delivered by a scale's Run.
type Readings struct{ C chan scale.Weight }

// NewReadings returns a collector with room for n readings.
func NewReadings(n int) *Readings { return &Readings{C: make(chan scale.Weight, n)} }

// Fn is the callback to pass to Run.
func (r *Readings) Fn(w scale.Weight) { r.C <- w }

// Next returns the next reading or fails the test after timeout.
func (r *Readings) Next(t testing.TB, timeout time.Duration) scale.Weight {
	t.Helper()
	select {
	case w := <-r.C:
		return w
	case <-time.After(timeout):
		t.Fatalf("no reading within %v", timeout)
		return scale.Weight{}
	}
}

// None checks that no reading arrives within d.
func (r *Readings) None(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case w := <-r.C:
		t.Fatalf("unexpected reading %+v", w)
	case <-time.After(d):
	}
}

// Same reports whether got has the grams, state and net flag of want.
func Same(got, want scale.Weight) bool {
	return got.Grams == want.Grams && got.State == want.State && got.Net == want.Net
}

// Frame is one frame the simulated device sends and the reading the
// driver must deliver for it.
type Frame struct {
	Bytes []byte
	Want  scale.Weight
}

// Stream describes the end-to-end test of a continuously sending scale.
type Stream struct {
	// New builds the driver on the serial device path, with the given
	// logger, status callback and clock.
	New func(path string, log *slog.Logger, onStatus func(drivers.Status), now func() time.Time) (scale.Scale, error)
	// Good holds at least three frames with their readings.
	Good []Frame
	// Garbage is written before the first good frame (line noise).
	Garbage []byte
	// Bad is a malformed frame that must be logged and skipped; BadLog
	// is a text the log line must contain.
	Bad    []byte
	BadLog string
}

// RunStream runs the end-to-end test: readings through tarm/serial over a
// pty with garbage before the frames, a malformed frame logged and
// skipped, the device unplugged (status disconnected with an error) and
// plugged back (readings resume without restarting the driver), Close
// ending Run with drivers.ErrClosed.
func RunStream(t *testing.T, st Stream) {
	t.Helper()
	if len(st.Good) < 3 {
		t.Fatal("scaletest: need three good frames")
	}
	dev := serialtest.New(t)
	var logs Logs
	var mu sync.Mutex
	var changes []drivers.Status
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := st.New(dev.Path(), logs.Logger(), func(s drivers.Status) {
		mu.Lock()
		changes = append(changes, s)
		mu.Unlock()
	}, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	rd := NewReadings(100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rd.Fn) }()
	defer func() {
		s.Close()
		<-done
	}()
	WaitStatus(t, s.Status, true)

	check := func(f Frame) {
		t.Helper()
		got := rd.Next(t, 3*time.Second)
		if !Same(got, f.Want) {
			t.Fatalf("frame %q: reading %+v, want %+v", f.Bytes, got, f.Want)
		}
		if got.Scale == "" || !got.At.Equal(clock) {
			t.Fatalf("reading not stamped with scale name and injected clock: %+v", got)
		}
	}

	dev.Write(st.Garbage)
	dev.Write(st.Good[0].Bytes)
	check(st.Good[0])

	dev.Write(st.Bad)
	dev.Write(st.Good[1].Bytes)
	check(st.Good[1])
	logs.Wait(t, time.Second, "bad frame", st.BadLog)

	dev.Unplug()
	down := WaitStatus(t, s.Status, false)
	if down.Err == "" {
		t.Fatalf("disconnected status without an error: %+v", down)
	}
	dev.Plug()
	WaitStatus(t, s.Status, true)
	for _, f := range st.Good[2:] {
		dev.Write(f.Bytes)
		check(f)
	}
	rd.None(t, 50*time.Millisecond)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Fatalf("Run = %v, want drivers.ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	done <- drivers.ErrClosed // for the deferred wait
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(changes) < 3 || !changes[0].Connected || changes[1].Connected || !changes[2].Connected {
		t.Fatalf("status changes = %+v, want connected, disconnected, connected", changes)
	}
}
