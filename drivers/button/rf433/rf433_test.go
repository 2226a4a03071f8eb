package rf433_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/rf433"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type statuses struct {
	mu  sync.Mutex
	all []drivers.Status
}

func (s *statuses) add(st drivers.Status) {
	s.mu.Lock()
	s.all = append(s.all, st)
	s.mu.Unlock()
}

func (s *statuses) list() []drivers.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]drivers.Status(nil), s.all...)
}

func fd(code uint32) []byte {
	return []byte{0xFD, byte(code >> 16), byte(code >> 8), byte(code), 0xDF}
}

type harness struct {
	t      *testing.T
	dev    *serialtest.Device
	rx     *rf433.Receiver
	log    *logBuf
	st     *statuses
	press  chan button.Press
	done   chan error
	cancel context.CancelFunc
}

func start(t *testing.T, cfg rf433.Config) *harness {
	t.Helper()
	h := &harness{t: t, dev: serialtest.New(t), log: &logBuf{}, st: &statuses{}, press: make(chan button.Press, 32), done: make(chan error, 1)}
	cfg.Path = h.dev.Path()
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	cfg.OnStatus = h.st.add
	cfg.Log = slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rx, err := rf433.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.rx = rx
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- rx.Run(ctx, func(p button.Press) { h.press <- p }) }()
	t.Cleanup(func() {
		cancel()
		rx.Close()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	})
	h.waitStatus(func(s drivers.Status) bool { return s.Connected })
	return h
}

func (h *harness) next() button.Press {
	h.t.Helper()
	select {
	case p := <-h.press:
		return p
	case <-time.After(3 * time.Second):
		h.t.Fatal("no press within 3s")
		return button.Press{}
	}
}

func (h *harness) none(d time.Duration) {
	h.t.Helper()
	select {
	case p := <-h.press:
		h.t.Fatalf("unexpected press %+v", p)
	case <-time.After(d):
	}
}

func (h *harness) waitStatus(ok func(drivers.Status) bool) drivers.Status {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := h.rx.Status(); ok(s) {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("status never matched: %+v", h.rx.Status())
	return drivers.Status{}
}

// burst sends frame n times, every 50 ms, with garbage between repeats.
func (h *harness) burst(frame []byte, n int) {
	for i := 0; i < n; i++ {
		h.dev.Write(append([]byte{0x00, 0x37}, frame...))
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReceiverEndToEnd(t *testing.T) {
	codes, err := rf433.ParseCodes("A1B2C3=hall-1,A1B2C8=toilet-2")
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, rf433.Config{Name: "pendants", Format: rf433.FormatFD, Codes: codes,
		Lockout: 700 * time.Millisecond, Long: 1500 * time.Millisecond})

	// A tap: the pendant repeats its code, with noise between the
	// frames; one short press.
	before := time.Now()
	h.burst(fd(0xA1B2C3), 5)
	p := h.next()
	if p.Button != "hall-1" || p.Kind != button.Short {
		t.Fatalf("press = %+v, want hall-1 press", p)
	}
	if p.At.Before(before) || p.At.After(before.Add(time.Second)) {
		t.Fatalf("press At %v is not the first frame's time (~%v)", p.At, before)
	}
	h.none(time.Second)

	// An unknown code: no press, shown in the status and the log.
	h.burst(fd(0x0F0F0F), 3)
	st := h.waitStatus(func(s drivers.Status) bool { return strings.Contains(s.Err, "unknown code 0F0F0F") })
	if !st.Connected {
		t.Fatalf("unknown code made the device disconnected: %+v", st)
	}
	h.none(time.Second)
	if !strings.Contains(h.log.String(), "code=0F0F0F") {
		t.Fatalf("unknown code not logged:\n%s", h.log)
	}

	// A malformed frame (wrong end byte) is skipped and reported; the
	// good frame right after it is a press and clears the note.
	h.dev.Write([]byte{0xFD, 0xA1, 0xB2, 0xC8, 0x00})
	h.dev.Write([]byte{0x00})
	h.dev.Write(fd(0xA1B2C8))
	if p := h.next(); p.Button != "toilet-2" || p.Kind != button.Short {
		t.Fatalf("press = %+v, want toilet-2", p)
	}
	if s := h.rx.Status(); s.Err != "" {
		t.Fatalf("known code did not clear the status note: %+v", s)
	}
	if !strings.Contains(h.log.String(), "wrong end byte") {
		t.Fatalf("bad frame not logged:\n%s", h.log)
	}

	// Held: a long press only, as soon as the long-press time is reached
	// (its time is that of the frame that reached it, before the release).
	start := time.Now()
	var maxGap time.Duration
	last := start
	for time.Since(start) < 2600*time.Millisecond { // repeats every 50 ms
		h.dev.Write(fd(0xA1B2C3))
		maxGap, last = max(maxGap, time.Since(last)), time.Now()
		time.Sleep(50 * time.Millisecond)
	}
	p = h.next()
	if p.Button != "hall-1" || p.Kind != button.Long {
		t.Fatalf("press = %+v, want hall-1 long press", p)
	}
	if d := p.At.Sub(start); d < 1500*time.Millisecond || d > 2100*time.Millisecond {
		t.Fatalf("long press at %v after the first frame, want about 1.5 s", d)
	}
	select { // the rest of the burst and its end give nothing
	case p := <-h.press:
		t.Fatalf("unexpected press %+v after the long press (largest gap between frames written: %v)", p, maxGap)
	case <-time.After(time.Second):
	}

	// Unplug: disconnected; plug back: presses resume, same Run.
	h.dev.Unplug()
	st = h.waitStatus(func(s drivers.Status) bool { return !s.Connected })
	if st.Err == "" {
		t.Fatalf("disconnected status has no error: %+v", st)
	}
	h.dev.Plug()
	h.waitStatus(func(s drivers.Status) bool { return s.Connected })
	h.burst(fd(0xA1B2C3), 2)
	if p := h.next(); p.Button != "hall-1" || p.Kind != button.Short {
		t.Fatalf("after replug press = %+v", p)
	}

	if err := h.rx.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Fatalf("Run = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	h.done <- nil // for the cleanup
	if err := h.rx.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}

	var seq []bool
	for _, s := range h.st.list() {
		if len(seq) == 0 || seq[len(seq)-1] != s.Connected {
			seq = append(seq, s.Connected)
		}
	}
	if len(seq) < 4 || !seq[0] || seq[1] || !seq[2] || seq[3] {
		t.Fatalf("connected sequence %v, want true false true false", seq)
	}
}

// TestReceiverASCIILearn reads the text framing and, with learn on,
// delivers an unknown code as "rf:<code>".
func TestReceiverASCIILearn(t *testing.T) {
	h := start(t, rf433.Config{Format: rf433.FormatASCII, Learn: true, Codes: map[rf433.Code]string{0xA1B2C3: "hall-1"},
		Lockout: 150 * time.Millisecond})
	h.dev.Write([]byte("\x00\xffLC:0f0f0f\r\nLC:0F0F0F\r\ngarbage\r\n"))
	if p := h.next(); p.Button != "rf:0F0F0F" || p.Kind != button.Short {
		t.Fatalf("learn press = %+v", p)
	}
	h.dev.Write([]byte("RX:A1B2C3\r\n"))
	if p := h.next(); p.Button != "hall-1" {
		t.Fatalf("press = %+v", p)
	}
	h.none(300 * time.Millisecond)
}

// TestRunHonoursContext checks Run returns ctx.Err() when its context ends.
func TestRunHonoursContext(t *testing.T) {
	h := start(t, rf433.Config{})
	h.cancel()
	select {
	case err := <-h.done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		h.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []rf433.Config{
		{},
		{Path: "/dev/ttyUSB0", Format: "hex"},
		{Path: "/dev/ttyUSB0", Lockout: time.Second, Long: 500 * time.Millisecond},
		{Path: "/dev/ttyUSB0", Codes: map[rf433.Code]string{0x1000000: "x"}},
		{Path: "/dev/ttyUSB0", Codes: map[rf433.Code]string{1: " "}},
	} {
		if _, err := rf433.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestRegistryEntry opens the receiver by name as the gateway does and
// reads one press through it.
func TestRegistryEntry(t *testing.T) {
	e, err := registry.Lookup(registry.Button, "rf433")
	if err != nil {
		t.Fatal(err)
	}
	if e.Transport != "serial" || e.DefaultBaud != 9600 {
		t.Fatalf("entry = %+v", e)
	}
	dev := serialtest.New(t)
	for _, bad := range []drivers.Params{
		{"colour": "red"},
		{"format": "hex"},
		{"codes": "A1B2C3"},
		{"lockout": "soon"},
		{"long": "-1s"},
		{"learn": "maybe"},
		{"lockout": "0s"},
		{"lockout": "2s", "long": "1s"},
	} {
		if _, err := e.OpenButton(drivers.Options{Port: dev.Path(), Params: bad}); err == nil {
			t.Errorf("OpenButton(%v) accepted", bad)
		}
	}
	if _, err := e.OpenButton(drivers.Options{}); err == nil {
		t.Error("OpenButton without a port accepted")
	}
	src, err := e.OpenButton(drivers.Options{Name: "rx", Port: dev.Path(), Params: drivers.Params{
		"format": "ascii", "codes": "A1B2C3=hall-1", "lockout": "100ms", "long": "0", "learn": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	presses := make(chan button.Press, 4)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func(p button.Press) { presses <- p }) }()
	deadline := time.Now().Add(5 * time.Second)
	for !src.Status().Connected && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	dev.Write([]byte("RX:A1B2C3\r\nRX:0F0F0F\r\n"))
	select {
	case p := <-presses:
		if p.Button != "hall-1" || p.Kind != button.Short {
			t.Fatalf("press = %+v", p)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no press through the registry entry")
	}
	if st := src.Status(); st.Name != "rx" || st.Driver != "rf433" {
		t.Fatalf("status = %+v", st)
	}
	src.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	select {
	case p := <-presses:
		t.Fatalf("unknown code delivered with learn off: %+v", p)
	default:
	}
}

func TestSupervisionAndBatteryCodes(t *testing.T) {
	dev := serialtest.New(t)
	codes, _ := rf433.ParseCodes("A1B2C3=hall-1")
	reports, _ := rf433.ParseCodes("A1B2C9=hall-1")
	battery, _ := rf433.ParseCodes("A1B2CA=hall-1")
	if _, err := rf433.New(rf433.Config{Path: dev.Path(), Codes: codes, Battery: codes}); err == nil {
		t.Fatal("a code both a press and a low battery code was accepted")
	}
	rx, err := rf433.New(rf433.Config{Path: dev.Path(), Codes: codes, Reports: reports, Battery: battery,
		Lockout: 200 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan button.Signal, 64)
	rx.SetSignals(func(s button.Signal) { sigs <- s })
	presses := make(chan button.Press, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rx.Run(ctx, func(p button.Press) { presses <- p }) }()
	defer func() {
		cancel()
		rx.Close()
		<-done
	}()
	for !rx.Status().Connected {
		time.Sleep(5 * time.Millisecond)
	}
	want := func(k button.SignalKind) {
		t.Helper()
		select {
		case s := <-sigs:
			if s.Button != "hall-1" || s.Kind != k {
				t.Fatalf("signal %+v, want hall-1 %s", s, k)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("no %s signal", k)
		}
	}
	dev.Write(fd(0xA1B2C9)) // supervision report: alive, no press
	want(button.Alive)
	dev.Write(fd(0xA1B2CA)) // low battery (a sign of life too), no press
	want(button.BatteryLow)
	select {
	case p := <-presses:
		t.Fatalf("a supervision code pressed: %+v", p)
	case <-time.After(400 * time.Millisecond):
	}
	dev.Write(fd(0xA1B2C3)) // a press is also a sign of life
	want(button.Alive)
	select {
	case p := <-presses:
		if p.Button != "hall-1" || p.Kind != button.Short {
			t.Fatalf("press %+v", p)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no press")
	}
}
