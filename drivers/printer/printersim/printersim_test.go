package printersim

import (
	"context"
	"errors"
	"testing"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
)

func TestSimPrinter(t *testing.T) {
	p := New("receipt", nil, nil)
	if err := p.Print(context.Background(), []byte("a")); err != nil {
		t.Fatal(err)
	}
	p.SetPaperOut(true)
	if err := p.Print(context.Background(), []byte("b")); !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("paper out: %v", err)
	}
	if st := p.Status(); !st.Connected || st.Err == "" {
		t.Fatalf("status %+v", st)
	}
	p.SetPaperOut(false)
	if got := p.Tickets(); len(got) != 1 || string(got[0]) != "a" {
		t.Fatalf("tickets %q", got)
	}
	p.Close()
	if err := p.Print(context.Background(), nil); !errors.Is(err, drivers.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}
