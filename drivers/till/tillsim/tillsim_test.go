package tillsim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/till"
)

func TestSimTill(t *testing.T) {
	tl := New("till-9", nil, nil)
	got := make(chan till.Amount, 4)
	refuse := errors.New("an amount already waits")
	done := make(chan error, 1)
	go func() {
		done <- tl.Run(context.Background(), func(a till.Amount) error {
			got <- a
			if a.Fen == 900 {
				return refuse
			}
			return nil
		})
	}()
	if err := tl.Ring(0, ""); err == nil {
		t.Fatal("a zero amount was rung")
	}
	if err := tl.Ring(1250, "S-1"); err != nil {
		t.Fatal(err)
	}
	if a := <-got; a.Fen != 1250 || a.Ref != "S-1" || a.Till != "till-9" {
		t.Fatalf("amount %+v", a)
	}
	tl.Ring(900, "")
	<-got
	deadline := time.Now().Add(2 * time.Second)
	for tl.Status().Err == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := tl.Status(); !st.Connected || st.Last != "12.50 ref S-1" || st.Err != "amount 9.00 refused: an amount already waits" {
		t.Fatalf("status %+v", st)
	}
	tl.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v", err)
	}
	if st := tl.Status(); st.Connected {
		t.Fatalf("closed till connected: %+v", st)
	}
}
