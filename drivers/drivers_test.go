package drivers_test

import (
	"sync"
	"testing"

	"github.com/eldergate/eldergate/drivers"
)

func TestCountersConcurrent(t *testing.T) {
	type stats struct{ A, B int }
	var c drivers.Counters[stats]
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				c.Add(func(s *stats) { s.A++; s.B += 2 })
			}
		}()
	}
	wg.Wait()
	if got := c.Get(); got != (stats{8000, 16000}) {
		t.Fatalf("counters = %+v, want {8000 16000}", got)
	}
}
