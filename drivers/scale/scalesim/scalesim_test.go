package scalesim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/scalesim"
)

func TestSet(t *testing.T) {
	s := scalesim.New()
	defer s.Close()
	if err := s.Set(350, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(120, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState(1, "bogus"); err == nil {
		t.Fatal("bogus state accepted")
	}
	ctx, cancel := context.WithCancel(t.Context())
	var got []scale.Weight
	err := s.Run(ctx, func(w scale.Weight) {
		got = append(got, w)
		if len(got) == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if got[0].Grams != 350 || got[0].State != scale.Stable || got[1].State != scale.Unstable {
		t.Fatalf("got %+v", got)
	}
}
