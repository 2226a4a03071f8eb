package serialtill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/drivers/till"
)

func startTill(t *testing.T, proto Protocol, fn func(till.Amount) error) (*Till, *serialtest.Device, <-chan till.Amount, <-chan error) {
	t.Helper()
	dev := serialtest.New(t)
	tl, err := New(Config{
		Name: "till-2", Protocol: proto, Settle: 50 * time.Millisecond,
		Port: serialport.Config{Path: dev.Path(), MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	amounts := make(chan till.Amount, 16)
	done := make(chan error, 1)
	go func() {
		done <- tl.Run(context.Background(), func(a till.Amount) error {
			amounts <- a
			if fn != nil {
				return fn(a)
			}
			return nil
		})
	}()
	t.Cleanup(func() { tl.Close() })
	waitConnected(t, tl, true)
	return tl, dev, amounts, done
}

// TestLineOverPty speaks the line protocol through tarm/serial over a
// pty: amounts answered OK, garbage, a decimal amount and an over-long
// line answered ERR and skipped, a refusal of the gateway answered ERR
// busy, and amounts again after an unplug and replug.
func TestLineOverPty(t *testing.T) {
	var busy atomic.Bool
	tl, dev, amounts, done := startTill(t, ProtocolLine, func(a till.Amount) error {
		if busy.Load() {
			return fmt.Errorf("gateway: %w", till.ErrBusy)
		}
		return nil
	})
	expect := func(send, want string) {
		t.Helper()
		dev.Write([]byte(send))
		got, err := dev.ReadUntil([]byte("\r\n"), 3*time.Second)
		if err != nil || !strings.HasPrefix(string(got), want) {
			t.Fatalf("sent %q: answer %q, %v; want %q...", send, got, err, want)
		}
	}
	expect("PING\r\n", "OK\r\n")
	expect("AMT 1250 REF-123\r\n", "OK\r\n")
	if a := recvAmount(t, amounts); a.Fen != 1250 || a.Ref != "REF-123" || a.Till != "till-2" || a.At.IsZero() {
		t.Fatalf("amount %+v", a)
	}
	// The status follows once the handler has returned.
	if st := waitStatus(t, tl, func(st drivers.Status) bool { return st.Last != "" }); st.Last != "12.50 ref REF-123" || st.LastAt == nil || st.Err != "" {
		t.Fatalf("status after an amount %+v", st)
	}
	expect("\x01\xffgarbage\n", "ERR syntax ")
	expect("AMT 12.50\n", "ERR amount ")
	expect(strings.Repeat("A", MaxLine+1)+"\n", "ERR long ")
	if st := tl.Status(); !st.Connected || !strings.Contains(st.Err, "longer than") || st.Last != "12.50 ref REF-123" {
		t.Fatalf("status after a rejected line %+v", st)
	}
	expect("AMT 800\n", "OK\r\n")
	if a := recvAmount(t, amounts); a.Fen != 800 || a.Ref != "" {
		t.Fatalf("amount after garbage %+v", a)
	}
	busy.Store(true)
	expect("AMT 900 X\n", "ERR busy ")
	recvAmount(t, amounts)
	if st := waitStatus(t, tl, func(st drivers.Status) bool { return st.Err != "" }); !strings.Contains(st.Err, "9.00 ref X refused") || st.Last != "8.00" {
		t.Fatalf("status after a refusal %+v", st)
	}
	if s := tl.Stats(); s.Frames != 7 || s.Delivered != 3 || s.Rejected != 3 || s.Refused != 1 {
		t.Fatalf("stats %+v", s)
	}
	busy.Store(false)

	dev.Unplug()
	waitConnected(t, tl, false)
	dev.Plug()
	waitConnected(t, tl, true)
	expect("AMT 1\n", "OK\r\n")
	if a := recvAmount(t, amounts); a.Fen != 1 {
		t.Fatalf("amount after replug %+v", a)
	}
	tl.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
}

// TestCustomerDisplayOverPty plays POS software driving its customer
// display: item prices, then the total (light first, as many VB and Java
// POS do), which is the amount; paid and change that follow are not;
// the same total shown again is not a second amount; after ESC @ the
// next sale (number first, as GiPOS sends it) is; garbage, a partial
// frame and a number that is not money in between are skipped.
func TestCustomerDisplayOverPty(t *testing.T) {
	tl, dev, amounts, _ := startTill(t, ProtocolDisplay, nil)
	num := func(s string) string { return "\x1bQA" + s + "\r" }
	dev.Write([]byte("\x1b@" + "\x1bs1" + num("8.00") + "\x1bs1" + num("4.50") + "\x1bs2" + num("12.50")))
	if a := recvAmount(t, amounts); a.Fen != 1250 || a.Till != "till-2" || a.Ref != "" {
		t.Fatalf("total %+v", a)
	}
	dev.Write([]byte("\x1bs3" + num("20.00") + "\x1bs4" + num("7.50")))
	time.Sleep(200 * time.Millisecond)
	dev.Write([]byte("\x1bs2" + num("12.50")))
	noAmount(t, amounts, 300*time.Millisecond)

	// Noise, a cut frame and a number that is not money: skipped.
	dev.Write([]byte("\xff\xfe noise" + "\x1bQA12.3" + "\x1bs2" + num("1.234")))
	noAmount(t, amounts, 300*time.Millisecond)
	if st := tl.Status(); !st.Connected || !strings.Contains(st.Err, "not money") || st.Last != "12.50" {
		t.Fatalf("status after skipped frames %+v", st)
	}

	dev.Write([]byte("\x1b@" + num("6.00") + "\x1bs1" + num("18.00") + "\x1bs2"))
	if a := recvAmount(t, amounts); a.Fen != eldergate.Fen(1800) {
		t.Fatalf("second sale %+v", a)
	}
	if s := tl.Stats(); s.Delivered != 2 || s.Rejected != 3 {
		t.Fatalf("stats %+v", s)
	}
	// A display does not answer.
	if got, err := dev.ReadUntil([]byte("\n"), 100*time.Millisecond); len(got) != 0 || !errors.Is(err, serialtest.ErrTimeout) {
		t.Fatalf("the till was sent %q", got)
	}
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Config{Protocol: ProtocolLine}); err == nil {
		t.Fatal("New without a path succeeded")
	}
	if _, err := New(Config{Protocol: "escpos", Port: serialport.Config{Path: "/dev/null"}}); err == nil || !strings.Contains(err.Error(), "line or customer_display") {
		t.Fatalf("New with an unknown protocol: %v", err)
	}
	if _, err := New(Config{Protocol: ProtocolDisplay, Settle: time.Minute, Port: serialport.Config{Path: "/dev/null"}}); err == nil {
		t.Fatal("New with a settle of a minute succeeded")
	}
}

func recvAmount(t *testing.T, ch <-chan till.Amount) till.Amount {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(3 * time.Second):
		t.Fatal("no amount within 3s")
		return till.Amount{}
	}
}

func noAmount(t *testing.T, ch <-chan till.Amount, d time.Duration) {
	t.Helper()
	select {
	case a := <-ch:
		t.Fatalf("unexpected amount %+v", a)
	case <-time.After(d):
	}
}

func waitStatus(t *testing.T, tl *Till, ok func(drivers.Status) bool) drivers.Status {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if st := tl.Status(); ok(st) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	return tl.Status()
}

func waitConnected(t *testing.T, tl *Till, connected bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if tl.Status().Connected == connected {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never became connected=%v: %+v", connected, tl.Status())
}
