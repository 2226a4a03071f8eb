package uidline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
)

// TestEndToEnd runs the reader through tarm/serial over a pty: lines with
// every terminator, noise, a garbage line that is rejected and counted,
// and an unplug/replug after which reads resume.
func TestEndToEnd(t *testing.T) {
	dev := serialtest.New(t)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r, err := New(Config{
		Name:   "desk",
		Port:   serialport.Config{Path: dev.Path(), MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		Parser: Parser{Format: card.Format{Input: card.InputDec10}},
		Now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	reads := make(chan card.Read, 16)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), func(rd card.Read) { reads <- rd }) }()
	waitConnected(t, r, true)

	dev.Write([]byte("\r\n0077705923\r\nnot a card\n3283263748\r"))
	if got := recvRead(t, reads); got.Credential != "04A1B2C3" || got.Reader != "desk" || !got.At.Equal(now) {
		t.Fatalf("first read = %+v", got)
	}
	if got := recvRead(t, reads); got.Credential != "C3B2A104" {
		t.Fatalf("second read = %+v (garbage line must be skipped)", got)
	}
	if st := r.Stats(); st.Rejected != 1 || st.Delivered != 2 || st.Lines != 3 {
		t.Fatalf("stats = %+v", st)
	}

	dev.Unplug()
	waitConnected(t, r, false)
	dev.Plug()
	waitConnected(t, r, true)
	dev.Write([]byte("0000000001\n"))
	if got := recvRead(t, reads); got.Credential != "00000001" {
		t.Fatalf("read after replug = %+v", got)
	}
	r.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a path succeeded")
	}
	if _, err := New(Config{Port: serialport.Config{Path: "/dev/null"}, Parser: Parser{Format: card.Format{Input: "octal"}}}); err == nil {
		t.Fatal("New with a bad format succeeded")
	}
	if _, err := New(Config{Port: serialport.Config{Path: "/dev/null"}, Parser: Parser{Format: card.Format{Input: card.InputWiegand, WiegandBits: 37}}}); err == nil {
		t.Fatal("New with wiegand 37 succeeded")
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
