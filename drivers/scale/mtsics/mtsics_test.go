package mtsics

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/scaletest"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

func TestParseWeight(t *testing.T) {
	tests := []struct {
		name string
		line string
		want scale.Weight
		err  error
	}{
		// MT-SICS Reference Manual, S and SI commands (section 3).
		{"S stable", "S S      100.00 g", scale.Weight{Grams: 100, State: scale.Stable}, nil},
		{"SI dynamic", "S D      100.01 g", scale.Weight{Grams: 100, State: scale.Unstable}, nil},
		{"overload", "S +", scale.Weight{State: scale.Overload}, nil},
		{"underload", "S -", scale.Weight{State: scale.Underload}, nil},
		{"negative", "S S     -12.345 g", scale.Weight{Grams: -12, State: scale.Stable}, nil},
		{"half gram rounds away", "S S     -12.500 g", scale.Weight{Grams: -13, State: scale.Stable}, nil},
		{"kg", "S S     12.3456 kg", scale.Weight{Grams: 12346, State: scale.Stable}, nil},
		{"sign apart", "S D   -    0.50 kg", scale.Weight{Grams: -500, State: scale.Unstable}, nil},
		{"not executable", "S I", scale.Weight{}, ErrNotExecutable},
		{"syntax error", "ES", scale.Weight{}, ErrSyntax},
		{"transmission error", "ET", scale.Weight{}, ErrTransmission},
		{"logical error", "EL", scale.Weight{}, ErrLogical},
		{"pounds", "S S      12.00 lb", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"milligrams", "S S      12.00 mg", scale.Weight{}, weight.ErrUnsupportedUnit},
		{"unknown status", "S X      12.00 g", scale.Weight{}, ErrReply},
		{"no value", "S S", scale.Weight{}, ErrReply},
		{"no unit", "S S      12.00", scale.Weight{}, ErrReply},
		{"extra field", "S S      12.00 g x", scale.Weight{}, ErrReply},
		{"zero reply", "Z A", scale.Weight{}, ErrReply},
		{"truncated", "S", scale.Weight{}, ErrReply},
		{"empty", "", scale.Weight{}, ErrReply},
		{"bad number", "S S      1x.00 g", scale.Weight{}, weight.ErrSyntax},
		{"control byte", "S S \x00 100.00 g", scale.Weight{}, ErrReply},
		{"overload with value", "S + 100 g", scale.Weight{}, ErrAboveRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWeight([]byte(tt.line))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseWeight(%q) = %+v, %v; want error %v", tt.line, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseWeight(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestReplyErr(t *testing.T) {
	tests := []struct {
		line string
		id   string
		err  error
	}{
		// MT-SICS Reference Manual: Z, T and TAC commands.
		{"Z A", "Z", nil},
		{"Z I", "Z", ErrNotExecutable},
		{"Z +", "Z", ErrAboveRange},
		{"Z -", "Z", ErrBelowRange},
		{"T S      100.00 g", "T", nil},
		{"T I", "T", ErrNotExecutable},
		{"T +", "T", ErrAboveRange},
		{"T -", "T", ErrBelowRange},
		{"TAC A", "TAC", nil},
		{"TAC I", "TAC", ErrNotExecutable},
		{"TAC L", "TAC", ErrLogical},
		{"ES", "ES", ErrSyntax},
		{"ET", "ET", ErrTransmission},
		{"EL", "EL", ErrLogical},
		{"Z Q", "Z", ErrReply},
	}
	for _, tt := range tests {
		r, err := ParseReply([]byte(tt.line))
		if err != nil {
			t.Fatalf("ParseReply(%q): %v", tt.line, err)
		}
		if r.ID != tt.id {
			t.Errorf("ParseReply(%q).ID = %q, want %q", tt.line, r.ID, tt.id)
		}
		if err := r.Err(); (tt.err == nil) != (err == nil) || (tt.err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("%q: Err() = %v, want %v", tt.line, err, tt.err)
		}
	}
	r, _ := ParseReply([]byte("T S      100.00 g"))
	if r.Value != "100.00" || r.Unit != "g" {
		t.Errorf("tare reply fields %+v", r)
	}
	for _, bad := range []string{"ES extra", "", strings.Repeat("S", 65)} {
		if _, err := ParseReply([]byte(bad)); !errors.Is(err, ErrReply) {
			t.Errorf("ParseReply(%q) = %v, want ErrReply", bad, err)
		}
	}
}

func TestTrimNoise(t *testing.T) {
	if got := string(trimNoise([]byte("\x00\xff\x13S S      100.00 g"))); got != "S S      100.00 g" {
		t.Fatalf("trimNoise = %q", got)
	}
}

func FuzzParseWeight(f *testing.F) {
	for _, s := range []string{"S S      100.00 g", "S D      100.01 g", "S I", "S +", "S -", "ES", "ET", "EL", "S S     12.3456 kg", "S D   -    0.50 kg", "Z A", "T S 1 g"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		w, err := ParseWeight(line)
		if err != nil {
			if w != (scale.Weight{}) {
				t.Fatalf("error %v with reading %+v", err, w)
			}
			return
		}
		if !w.State.Valid() {
			t.Fatalf("invalid state %+v", w)
		}
		f := strings.Fields(string(line))
		if len(f) < 2 || f[0] != "S" {
			t.Fatalf("weight %+v from %q", w, line)
		}
		if (w.State == scale.Stable) != (f[1] == "S") {
			t.Fatalf("state %s from status %q", w.State, f[1])
		}
	})
}

// balance plays an MT-SICS balance on the pty: it reads commands and
// answers them with what the test has set.
type balance struct {
	dev *serialtest.Device

	mu      sync.Mutex // held while reading+answering, so that Unplug never races a write
	paused  bool
	silent  bool
	weight  string            // reply to S/SI
	replies map[string]string // reply to other commands
	prefix  string            // sent once before the next reply (line noise)
	got     []string          // commands received
}

func (b *balance) set(fn func(b *balance)) {
	b.mu.Lock()
	fn(b)
	b.mu.Unlock()
}

func (b *balance) commands() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

func (b *balance) run(stop <-chan struct{}) {
	var pending []byte
	for {
		select {
		case <-stop:
			return
		default:
		}
		b.mu.Lock()
		if b.paused {
			b.mu.Unlock()
			pending = nil
			time.Sleep(5 * time.Millisecond)
			continue
		}
		got, _ := b.dev.ReadUntil([]byte("\r\n"), 20*time.Millisecond)
		pending = append(pending, got...)
		for {
			i := bytes.Index(pending, []byte("\r\n"))
			if i < 0 {
				break
			}
			cmd := string(pending[:i])
			pending = pending[i+2:]
			b.got = append(b.got, cmd)
			if b.silent {
				continue
			}
			reply, ok := b.replies[cmd]
			if cmd == "S" || cmd == "SI" {
				reply, ok = b.weight, true
			}
			if !ok {
				reply = "ES"
			}
			b.dev.Write([]byte(b.prefix + reply + "\r\n"))
			b.prefix = ""
		}
		b.mu.Unlock()
	}
}

func waitWeight(t *testing.T, rd *scaletest.Readings, want scale.Weight) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case w := <-rd.C:
			if scaletest.Same(w, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no reading %+v within 3s", want)
		}
	}
}

func TestEndToEnd(t *testing.T) {
	dev := serialtest.New(t)
	bal := &balance{dev: dev, weight: "S S      100.00 g", replies: map[string]string{
		"Z": "Z A", "T": "T S       50.00 g", "TAC": "TAC I",
	}}
	stop := make(chan struct{})
	balDone := make(chan struct{})
	go func() { defer close(balDone); bal.run(stop) }()
	// serialtest's ReadUntil cannot time out while nothing is written
	// (the pty master is in blocking mode), so the balance goroutine is
	// ended by unplugging the device once the driver is gone: the master
	// read then fails with EIO.
	defer func() { close(stop); dev.Unplug(); <-balDone }()

	var logs scaletest.Logs
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := New(Config{
		Name:     "counter",
		Serial:   serialport.Config{Path: dev.Path(), MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		Interval: 20 * time.Millisecond, Timeout: 150 * time.Millisecond, CommandTimeout: time.Second, MaxMissed: 2,
		Now: func() time.Time { return clock }, Log: logs.Logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Zero(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Zero before Run = %v, want ErrNotConnected", err)
	}
	rd := scaletest.NewReadings(1000)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rd.Fn) }()
	defer func() {
		s.Close()
		<-done
	}()

	first := rd.Next(t, 3*time.Second)
	if first.Grams != 100 || first.State != scale.Stable || first.Scale != "counter" || !first.At.Equal(clock) {
		t.Fatalf("first reading %+v", first)
	}

	// Line noise before a reply, then a dynamic weight.
	bal.set(func(b *balance) { b.prefix = "\x00\xff\xfe"; b.weight = "S D      100.01 g" })
	waitWeight(t, rd, scale.Weight{Grams: 100, State: scale.Unstable})
	// A reply in pounds is logged and skipped; then overload and underload.
	bal.set(func(b *balance) { b.weight = "S S       12.00 lb" })
	logs.Wait(t, 3*time.Second, "bad frame", "lb")
	bal.set(func(b *balance) { b.weight = "S +" })
	waitWeight(t, rd, scale.Weight{State: scale.Overload})
	bal.set(func(b *balance) { b.weight = "S -" })
	waitWeight(t, rd, scale.Weight{State: scale.Underload})
	bal.set(func(b *balance) { b.weight = "S S     1.2345 kg" })
	waitWeight(t, rd, scale.Weight{Grams: 1235, State: scale.Stable})

	// Commands between polls.
	if err := s.Zero(ctx); err != nil {
		t.Fatalf("Zero: %v", err)
	}
	if g, err := s.Tare(ctx); err != nil || g != 50 {
		t.Fatalf("Tare = %d, %v", g, err)
	}
	if err := s.ClearTare(ctx); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("ClearTare = %v, want ErrNotExecutable", err)
	}
	bal.set(func(b *balance) { b.replies["Z"] = "Z +"; b.replies["T"] = "T -"; delete(b.replies, "TAC") })
	if err := s.Zero(ctx); !errors.Is(err, ErrAboveRange) {
		t.Fatalf("Zero = %v, want ErrAboveRange", err)
	}
	if _, err := s.Tare(ctx); !errors.Is(err, ErrBelowRange) {
		t.Fatalf("Tare = %v, want ErrBelowRange", err)
	}
	if err := s.ClearTare(ctx); !errors.Is(err, ErrSyntax) {
		t.Fatalf("ClearTare = %v, want ErrSyntax", err)
	}
	cmds := strings.Join(bal.commands(), " ")
	for _, c := range []string{"SI", "Z", "T", "TAC"} {
		if !strings.Contains(" "+cmds+" ", " "+c+" ") {
			t.Fatalf("balance never got %q; got %s", c, cmds)
		}
	}

	// A silent balance is reported disconnected, and connected again when it answers.
	bal.set(func(b *balance) { b.silent = true })
	st := scaletest.WaitStatus(t, s.Status, false)
	if !strings.Contains(st.Err, "no reply") {
		t.Fatalf("silent balance status %+v", st)
	}
	if err := s.Zero(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Zero on a silent balance = %v", err)
	}
	bal.set(func(b *balance) { b.silent = false; b.weight = "S S      200.00 g" })
	scaletest.WaitStatus(t, s.Status, true)
	waitWeight(t, rd, scale.Weight{Grams: 200, State: scale.Stable})

	// Unplug and plug back.
	bal.set(func(b *balance) { b.paused = true })
	dev.Unplug()
	st = scaletest.WaitStatus(t, s.Status, false)
	if st.Err == "" {
		t.Fatalf("unplugged status without error: %+v", st)
	}
	dev.Plug()
	bal.set(func(b *balance) { b.paused = false; b.weight = "S S      300.00 g" })
	scaletest.WaitStatus(t, s.Status, true)
	waitWeight(t, rd, scale.Weight{Grams: 300, State: scale.Stable})

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, drivers.ErrClosed) {
			t.Fatalf("Run = %v, want ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	done <- nil
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsCommand(t *testing.T) {
	if _, err := New(Config{Serial: serialport.Config{Path: "/dev/null"}, Command: "SIR"}); err == nil {
		t.Fatal("accepted SIR")
	}
}
