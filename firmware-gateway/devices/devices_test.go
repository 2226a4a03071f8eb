package devices_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/devices"
)

type seen struct {
	mu      sync.Mutex
	reads   []string
	weights []int64
	presses []string
}

func (s *seen) handlers() devices.Handlers {
	return devices.Handlers{
		Read: func(_ context.Context, rd card.Read) {
			s.mu.Lock()
			s.reads = append(s.reads, rd.Credential)
			s.mu.Unlock()
		},
		Weigh: func(w scale.Weight) { s.mu.Lock(); s.weights = append(s.weights, w.Grams); s.mu.Unlock() },
		Press: func(p button.Press) { s.mu.Lock(); s.presses = append(s.presses, p.Button); s.mu.Unlock() },
	}
}

func (s *seen) wait(t *testing.T, what string, n func() int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := n()
		s.mu.Unlock()
		if got > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s reached the handler", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sims() config.DevicesConfig {
	return config.DevicesConfig{
		Card:   config.DeviceConfig{Driver: config.DriverSim, Name: "card"},
		Scale:  config.DeviceConfig{Driver: config.DriverSim, Name: "scale"},
		Button: config.DeviceConfig{Driver: config.DriverSim, Name: "button"},
	}
}

func TestSimDevicesReachTheHandlersAndReopen(t *testing.T) {
	s := &seen{}
	set, err := devices.Open(sims(), s.handlers(), time.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	set.Run(t.Context())
	if st := set.Statuses(); len(st) != 3 {
		t.Fatalf("statuses = %+v", st)
	}
	if err := set.SimTap("04A1B2C3"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "read", func() int { return len(s.reads) })
	if err := set.SimWeight(450, true); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "weight", func() int { return len(s.weights) })
	if err := set.SimButton("b1"); err != nil {
		t.Fatal(err)
	}
	s.wait(t, "press", func() int { return len(s.presses) })

	// Without a card reader the sim tap is refused; the others still run.
	next := sims()
	next.Card.Driver = config.DriverNone
	if err := set.Reopen(next); err != nil {
		t.Fatal(err)
	}
	if err := set.SimTap("04A1B2C3"); !errors.Is(err, devices.ErrNotSim) {
		t.Fatalf("sim tap without a reader: %v", err)
	}
	if got := set.Config(); got.Card.Driver != config.DriverNone || len(set.Statuses()) != 2 {
		t.Fatalf("config %+v, statuses %+v", got, set.Statuses())
	}
	// A driver that cannot open brings the previous devices back.
	bad := sims()
	bad.Card = config.DeviceConfig{Driver: "no-such-driver", Name: "card"}
	if err := set.Reopen(bad); err == nil {
		t.Fatal("an unknown driver opened")
	}
	if got := set.Config(); got.Card.Driver != config.DriverNone {
		t.Fatalf("after a failed reopen: %+v", got)
	}
	if err := set.SimButton("b2"); err != nil {
		t.Fatalf("button after a failed reopen: %v", err)
	}
}
