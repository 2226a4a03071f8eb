package buttonsim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/buttonsim"
	"github.com/eldergate/eldergate/drivers/internal/simloop"
)

func TestPress(t *testing.T) {
	s := buttonsim.New()
	defer s.Close()
	if err := s.Press("bed-3"); err != nil {
		t.Fatal(err)
	}
	if err := s.LongPress("bed-3"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var got []button.Press
	_ = s.Run(ctx, func(p button.Press) {
		got = append(got, p)
		if len(got) == 2 {
			cancel()
		}
	})
	if got[0].Button != "bed-3" || got[0].Kind != button.Short || got[1].Kind != button.Long {
		t.Fatalf("got %+v", got)
	}
}

func TestQueueFull(t *testing.T) {
	s := buttonsim.New()
	defer s.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = s.Press("b")
	}
	if !errors.Is(err, simloop.ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy once the queue is full", err)
	}
}
