package cardsim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/cardsim"
)

func TestTapDeliversRead(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := cardsim.New(cardsim.WithName("door"), cardsim.WithClock(func() time.Time { return at }))
	if err := r.Tap(""); err == nil {
		t.Fatal("empty credential accepted")
	}
	if err := r.Tap(" 04A1B2C3 "); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	got := make(chan card.Read, 1)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, func(rd card.Read) { got <- rd }) }()
	rd := <-got
	if rd.Credential != "04A1B2C3" || rd.Reader != "door" || !rd.At.Equal(at) {
		t.Fatalf("read = %+v", rd)
	}
	if !r.Status().Connected {
		t.Fatal("not connected before close")
	}
	r.Close()
	if err := <-done; !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Run = %v, want ErrClosed", err)
	}
	if err := r.Tap("x"); !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("Tap after close = %v", err)
	}
	if r.Status().Connected {
		t.Fatal("connected after close")
	}
}
