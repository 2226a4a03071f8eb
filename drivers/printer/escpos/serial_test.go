package escpos

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

type statusLog struct {
	mu  sync.Mutex
	all []drivers.Status
}

func (l *statusLog) add(s drivers.Status) {
	l.mu.Lock()
	l.all = append(l.all, s)
	l.mu.Unlock()
}

func (l *statusLog) connectedSeq() []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	var seq []bool
	for _, s := range l.all {
		if len(seq) == 0 || seq[len(seq)-1] != s.Connected {
			seq = append(seq, s.Connected)
		}
	}
	return seq
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// play answers the driver's two status requests like a printer: it reads
// until DLE EOT 1, answers s1, reads until DLE EOT 4, answers s4.
func play(t *testing.T, dev *serialtest.Device, s1, s4 byte) {
	t.Helper()
	for _, q := range []struct{ n, reply byte }{{1, s1}, {4, s4}} {
		got, err := dev.ReadUntil(StatusRequest(q.n), 3*time.Second)
		if err != nil {
			t.Fatalf("waiting for DLE EOT %d: got % X, %v", q.n, got, err)
		}
		if !bytes.Equal(got, StatusRequest(q.n)) {
			t.Fatalf("before DLE EOT %d the printer got % X", q.n, got)
		}
		dev.Write([]byte{q.reply})
	}
}

func printAsync(s *Serial, ticket []byte) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Print(context.Background(), ticket) }()
	return ch
}

func result(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Print did not return")
		return nil
	}
}

// TestSerialEndToEnd prints meal tickets through tarm/serial over a pty;
// the test is the printer: it answers DLE EOT, receives the ticket bytes
// and compares them, runs out of paper, goes quiet, is unplugged and
// plugged back.
func TestSerialEndToEnd(t *testing.T) {
	dev := serialtest.New(t)
	log := &statusLog{}
	s, err := NewSerial(SerialConfig{Name: "receipt", Path: dev.Path(), Baud: 9600, Timeout: 300 * time.Millisecond, Poll: -1,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, OnStatus: log.add})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitFor(t, "connected", func() bool { return s.Status().Connected })
	ticket := Ticket(sampleTicket(t))
	cut := []byte{GS, 'V', 66, 0}

	// A normal ticket: status asked, then the exact ticket bytes.
	ch := printAsync(s, ticket)
	play(t, dev, 0x12, 0x12)
	got, err := dev.ReadUntil(cut, 3*time.Second)
	if err != nil || !bytes.Equal(got, ticket) {
		t.Fatalf("printer received %d bytes (%v), want the %d-byte ticket", len(got), err, len(ticket))
	}
	if err := result(t, ch); err != nil {
		t.Fatalf("Print = %v", err)
	}

	// Paper out: a paper-out error, no ticket bytes sent, status shows it.
	ch = printAsync(s, ticket)
	play(t, dev, 0x1A, 0x72)
	if err := result(t, ch); !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("Print with paper out = %v", err)
	}
	// (No ticket bytes were sent: the next play checks that the first
	// bytes the printer gets after this are exactly DLE EOT 1. The pty
	// master cannot time out a read that gets nothing, so there is no
	// "read nothing for 200 ms" check here.)
	if st := s.Status(); !st.Connected || !strings.Contains(st.Err, "paper out") {
		t.Fatalf("status = %+v, want connected with paper out", st)
	}

	// Paper loaded: the caller retries and the same ticket prints.
	ch = printAsync(s, ticket)
	play(t, dev, 0x12, 0x12)
	if got, _ := dev.ReadUntil(cut, 3*time.Second); !bytes.Equal(got, ticket) {
		t.Fatalf("retry printed % X", got)
	}
	if err := result(t, ch); err != nil {
		t.Fatalf("retry = %v", err)
	}
	if st := s.Status(); st.Err != "" {
		t.Fatalf("status after paper loaded = %+v", st)
	}

	// Garbage before the reply is skipped.
	ch = printAsync(s, []byte("x\n"))
	if _, err := dev.ReadUntil(StatusRequest(1), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	dev.Write([]byte{0xFF, 0x00, 0x12})
	if _, err := dev.ReadUntil(StatusRequest(4), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	dev.Write([]byte{0x12})
	if got, _ := dev.ReadUntil([]byte("x\n"), 3*time.Second); string(got) != "x\n" {
		t.Fatalf("printed %q", got)
	}
	if err := result(t, ch); err != nil {
		t.Fatalf("Print after noise = %v", err)
	}

	// Switched off behind a live adapter: no reply -> not connected.
	ch = printAsync(s, ticket)
	if _, err := dev.ReadUntil(StatusRequest(1), 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := result(t, ch); !errors.Is(err, printer.ErrNotConnected) {
		t.Fatalf("Print to a silent printer = %v", err)
	}
	if st := s.Status(); st.Connected {
		t.Fatalf("silent printer is connected: %+v", st)
	}

	// QueryStatus revives the status when it answers again.
	qch := make(chan error, 1)
	go func() {
		st, err := s.QueryStatus(context.Background())
		if err == nil && st != (Status{PaperNearEnd: true}) {
			err = errors.New("wrong status")
		}
		qch <- err
	}()
	play(t, dev, 0x12, 0x1E)
	if err := result(t, qch); err != nil {
		t.Fatalf("QueryStatus = %v", err)
	}
	if st := s.Status(); !st.Connected || st.Err != "escpos: paper near end" {
		t.Fatalf("status = %+v", st)
	}

	// Unplugged: disconnected, Print fails at once.
	dev.Unplug()
	waitFor(t, "disconnected", func() bool { return !s.Status().Connected })
	start := time.Now()
	if err := s.Print(context.Background(), ticket); !errors.Is(err, printer.ErrNotConnected) || time.Since(start) > time.Second {
		t.Fatalf("Print while unplugged = %v after %v", err, time.Since(start))
	}

	// Plugged back: the same driver prints again.
	dev.Plug()
	waitFor(t, "connected again", func() bool { return s.Status().Connected })
	ch = printAsync(s, ticket)
	play(t, dev, 0x12, 0x12)
	if got, _ := dev.ReadUntil(cut, 3*time.Second); !bytes.Equal(got, ticket) {
		t.Fatalf("after replug printed %d bytes", len(got))
	}
	if err := result(t, ch); err != nil {
		t.Fatalf("Print after replug = %v", err)
	}

	s.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := s.Print(context.Background(), ticket); !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Print after Close = %v", err)
	}
	if seq := log.connectedSeq(); len(seq) < 4 || !seq[0] || seq[1] || !seq[2] || seq[3] {
		t.Fatalf("connected sequence %v, want true false true false ...", seq)
	}
}

// TestSerialPoll shows paper out in the status without printing.
func TestSerialPoll(t *testing.T) {
	dev := serialtest.New(t)
	s, err := NewSerial(SerialConfig{Path: dev.Path(), Timeout: 500 * time.Millisecond, Poll: 100 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	play(t, dev, 0x1A, 0x72) // first poll, at connect
	waitFor(t, "paper out in status", func() bool { return strings.Contains(s.Status().Err, "paper out") })
	play(t, dev, 0x12, 0x12) // next poll
	waitFor(t, "paper out cleared", func() bool { st := s.Status(); return st.Connected && st.Err == "" })
}

func TestNewSerialNeedsPath(t *testing.T) {
	if _, err := NewSerial(SerialConfig{}); err == nil {
		t.Fatal("NewSerial without a path")
	}
}
