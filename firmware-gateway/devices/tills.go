package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/till"
	"github.com/eldergate/eldergate/drivers/till/tillsim"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// Tills are the tills on device lines (till.devices): a POS on a serial
// port, or a simulated till. Their amounts go to one handler, the
// gateway's till amount path. They are opened at start and closed at
// Close; a config command does not reopen them.
type Tills struct {
	list []till.Till
	sims map[string]*tillsim.Till
	log  *slog.Logger
}

// OpenTills opens the tills of c.
func OpenTills(c []config.TillDevice, now func() time.Time, log *slog.Logger) (*Tills, error) {
	t := &Tills{sims: map[string]*tillsim.Till{}, log: log}
	for _, d := range c {
		tl, err := t.open(d, now)
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("gateway: till %s: %w", d.ID, err)
		}
		t.list = append(t.list, tl)
	}
	return t, nil
}

func (t *Tills) open(d config.TillDevice, now func() time.Time) (till.Till, error) {
	log := t.log.With("device", d.ID, "driver", d.Driver)
	var mu sync.Mutex
	connected := false
	onStatus := func(st drivers.Status) { // every amount changes the status; log the line's state only
		mu.Lock()
		changed := st.Connected != connected
		connected = st.Connected
		mu.Unlock()
		switch {
		case changed && st.Connected:
			log.Info("gateway: till connected", "port", d.Port)
		case changed:
			log.Warn("gateway: till disconnected", "port", d.Port, "err", st.Err)
		}
	}
	if d.Driver == config.DriverSim {
		sim := tillsim.New(d.ID, now, onStatus)
		t.sims[d.ID] = sim
		return sim, nil
	}
	e, err := registry.Lookup(registry.Till, d.Driver)
	if err != nil {
		return nil, err
	}
	return e.OpenTill(drivers.Options{Name: d.ID, Port: d.Port, Baud: d.Baud, Params: drivers.Params(d.Options()),
		Now: now, Log: log, OnStatus: onStatus})
}

// Run runs every till until ctx is done, restarting one that fails;
// each amount goes to fn (from the till's goroutine, one at a time per
// till), whose error is the refusal the till is told. It returns when
// every till has stopped.
func (t *Tills) Run(ctx context.Context, fn func(context.Context, till.Amount) error) error {
	var wg sync.WaitGroup
	for _, tl := range t.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := tl.Run(ctx, func(a till.Amount) error { return fn(ctx, a) })
				if ctx.Err() != nil || errors.Is(err, drivers.ErrClosed) {
					return
				}
				t.log.Error("gateway: till failed, restarting", "till", tl.Status().Name, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// Statuses reports every till's status: connected, the last amount
// (Last, LastAt) and the last problem (Err).
func (t *Tills) Statuses() []drivers.Status {
	out := make([]drivers.Status, 0, len(t.list))
	for _, tl := range t.list {
		out = append(out, tl.Status())
	}
	return out
}

// SimRing rings an amount on the simulated till id.
func (t *Tills) SimRing(id string, fen eldergate.Fen, ref string) error {
	sim := t.sims[id]
	if sim == nil {
		return fmt.Errorf("till %s: %w", id, ErrNotSim)
	}
	return sim.Ring(fen, ref)
}

// Close closes the tills; Run returns.
func (t *Tills) Close() {
	for _, tl := range t.list {
		tl.Close()
	}
}
