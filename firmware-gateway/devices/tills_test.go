package devices_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/till"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
)

// TestTills: a simulated till's amounts reach the handler with the till's
// id; a refusal and the last amount show in its status; a serial till
// without its port is open but not connected; Run ends with its context.
func TestTills(t *testing.T) {
	tl, err := devices.OpenTills([]config.TillDevice{
		{ID: "till-sim", Driver: "sim"},
		{ID: "till-2", Driver: "serial", Port: "/nonexistent/ttyUSB7", Protocol: "line"},
	}, time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	got := make(chan till.Amount, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tl.Run(ctx, func(_ context.Context, a till.Amount) error {
			got <- a
			if a.Fen == 999 {
				return till.ErrBusy
			}
			return nil
		})
	}()
	if err := tl.SimRing("till-sim", 1250, "S-1"); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.Till != "till-sim" || a.Fen != 1250 || a.Ref != "S-1" {
		t.Fatalf("amount %+v", a)
	}
	tl.SimRing("till-sim", 999, "")
	<-got
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && tl.Statuses()[0].Err == "" {
		time.Sleep(5 * time.Millisecond)
	}
	st := tl.Statuses()
	if len(st) != 2 || st[0].Name != "till-sim" || st[0].Last != "12.50 ref S-1" || st[0].Err == "" ||
		st[1].Name != "till-2" || st[1].Driver != "serialtill" || st[1].Connected {
		t.Fatalf("statuses %+v", st)
	}
	if err := tl.SimRing("till-2", 100, ""); !errors.Is(err, devices.ErrNotSim) {
		t.Fatalf("ring on a serial till: %v", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not end with its context")
	}
}
