// Package devices runs the gateway's card reader, scale and button: it
// opens the drivers a configuration names (the simulated ones included),
// runs one loop per device that restarts after a failure, and reopens the
// devices when a config command changes them. Outputs (outputs.go) drive
// the buzzer, LED, siren relay and ticket printer; Tills (tills.go) read
// the amounts of tills on serial lines.
package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/buttonsim"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/cardsim"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/scalesim"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// ErrNotSim is returned by the Sim methods when the device does not use
// the sim driver.
var ErrNotSim = errors.New("devices: this device does not use the sim driver")

// Handlers receive what the devices read. Each device calls its handler
// for one reading at a time.
type Handlers struct {
	Read  func(context.Context, card.Read)
	Weigh func(scale.Weight)
	Press func(button.Press)
	// Signal hears the button's supervision signals, when its driver
	// reports them (button.Supervised); may be nil.
	Signal func(button.Signal)
}

// Set is the open devices of a gateway.
type Set struct {
	h   Handlers
	now func() time.Time
	log *slog.Logger

	mu        sync.RWMutex // guards the fields below: a config command may be changing the devices
	cfg       config.DevicesConfig
	cardDev   card.Reader
	scaleDev  scale.Scale
	buttonDev button.Source
	cardSim   *cardsim.Reader
	scaleSim  *scalesim.Scale
	buttonSim *buttonsim.Source
	run       *loops
	outputs   *Outputs        // their statuses follow the inputs'; owned by the caller
	tills     *Tills          // their statuses follow the outputs'; owned by the caller
	parent    context.Context // of the loops, for a reopen
}

// loops is the set of device loops of the current devices.
type loops struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens the devices of c.
func Open(c config.DevicesConfig, h Handlers, now func() time.Time, log *slog.Logger) (*Set, error) {
	s := &Set{h: h, now: now, log: log}
	if err := s.open(c); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Set) open(c config.DevicesConfig) error {
	s.cfg = c
	s.cardDev, s.scaleDev, s.buttonDev, s.cardSim, s.scaleSim, s.buttonSim = nil, nil, nil, nil, nil, nil
	if c.Card.Driver == config.DriverSim {
		s.cardSim = cardsim.New(cardsim.WithName(c.Card.Name), cardsim.WithClock(s.now))
		s.cardDev = s.cardSim
	} else if c.Card.Driver != config.DriverNone {
		e, err := registry.Lookup(registry.Card, c.Card.Driver)
		if err == nil {
			s.cardDev, err = e.OpenCard(s.driverOptions(c.Card))
		}
		if err != nil {
			return fmt.Errorf("gateway: card reader: %w", err)
		}
	}
	if c.Scale.Driver == config.DriverSim {
		s.scaleSim = scalesim.New(scalesim.WithName(c.Scale.Name), scalesim.WithClock(s.now))
		s.scaleDev = s.scaleSim
	} else if c.Scale.Driver != config.DriverNone {
		e, err := registry.Lookup(registry.Scale, c.Scale.Driver)
		if err == nil {
			s.scaleDev, err = e.OpenScale(s.driverOptions(c.Scale))
		}
		if err != nil {
			return fmt.Errorf("gateway: scale: %w", err)
		}
	}
	if c.Button.Driver == config.DriverSim {
		s.buttonSim = buttonsim.New(buttonsim.WithName(c.Button.Name), buttonsim.WithClock(s.now))
		s.buttonDev = s.buttonSim
	} else if c.Button.Driver != config.DriverNone {
		e, err := registry.Lookup(registry.Button, c.Button.Driver)
		if err == nil {
			s.buttonDev, err = e.OpenButton(s.driverOptions(c.Button))
		}
		if err != nil {
			return fmt.Errorf("gateway: button: %w", err)
		}
	}
	if sup, ok := s.buttonDev.(button.Supervised); ok && s.h.Signal != nil {
		sup.SetSignals(s.h.Signal)
	}
	return nil
}

// driverOptions turns a device's configuration into driver options; every
// status change of the device is logged.
func (s *Set) driverOptions(d config.DeviceConfig) drivers.Options {
	log := s.log.With("device", d.Name, "driver", d.Driver)
	return drivers.Options{
		Name: d.Name, Port: d.Port, Baud: d.Baud, Params: drivers.Params(d.Settings), Now: s.now, Log: log,
		OnStatus: func(st drivers.Status) {
			if st.Connected {
				log.Info("gateway: device connected", "port", d.Port)
			} else {
				log.Warn("gateway: device disconnected", "port", d.Port, "err", st.Err)
			}
		},
	}
}

func (s *Set) closeAll() {
	for _, c := range []interface{ Close() error }{s.cardDev, s.scaleDev, s.buttonDev} {
		if c != nil {
			c.Close()
		}
	}
}

// Run starts one loop per open device under a context of ctx; the loops
// stop when ctx is done or at Close, which waits for them.
func (s *Set) Run(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLocked(ctx)
}

func (s *Set) startLocked(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r := &loops{cancel: cancel}
	loop := func(name string, run func(context.Context) error) {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				err := run(ctx)
				if ctx.Err() != nil || errors.Is(err, drivers.ErrClosed) {
					return
				}
				s.log.Error("gateway: device failed, restarting", "device", name, "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}
	if c := s.cardDev; c != nil {
		// A read is decided under the parent context: stopping the loops
		// for a reopen does not cut a tap short.
		loop("card", func(ctx context.Context) error { return c.Run(ctx, func(rd card.Read) { s.h.Read(parent, rd) }) })
	}
	if sc := s.scaleDev; sc != nil {
		loop("scale", func(ctx context.Context) error { return sc.Run(ctx, s.h.Weigh) })
	}
	if b := s.buttonDev; b != nil {
		loop("button", func(ctx context.Context) error { return b.Run(ctx, s.h.Press) })
	}
	s.run, s.parent = r, parent
}

// stopLocked stops the device loops and waits for them.
func (s *Set) stopLocked() {
	if r := s.run; r != nil {
		r.cancel()
		r.wg.Wait()
		s.run = nil
	}
}

// Reopen stops the device loops, closes the devices and opens those of
// next. When that fails it opens the previous devices again and returns
// the error. The loops run again in both cases (when they ran before).
func (s *Set) Reopen(next config.DevicesConfig) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, parent := s.cfg, s.parent
	s.stopLocked()
	s.closeAll()
	open := func(d config.DevicesConfig) error {
		if err := s.open(d); err != nil {
			s.closeAll()
			return err
		}
		return nil
	}
	err := open(next)
	if err != nil {
		s.log.Error("gateway: new devices failed to open, reopening the previous ones", "err", err)
		if perr := open(prev); perr != nil {
			s.log.Error("gateway: previous devices failed to open too", "err", perr)
			err = errors.Join(err, fmt.Errorf("gateway: previous devices: %w", perr))
		}
	}
	if parent != nil {
		s.startLocked(parent)
	}
	return err
}

// Config is the configuration of the devices now open.
func (s *Set) Config() config.DevicesConfig {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg
}

// Close stops the loops, waits for them and closes the devices.
func (s *Set) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	s.closeAll()
}

// Statuses reports the status of every open device.
func (s *Set) Statuses() []drivers.Status {
	out := []drivers.Status{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, d := range []interface{ Status() drivers.Status }{s.cardDev, s.scaleDev, s.buttonDev} {
		if d != nil {
			out = append(out, d.Status())
		}
	}
	if s.outputs != nil {
		out = append(out, s.outputs.Statuses()...)
	}
	if s.tills != nil {
		out = append(out, s.tills.Statuses()...)
	}
	return out
}

// SetTills adds the statuses of the tills on device lines to Statuses.
// The caller still owns t and closes it.
func (s *Set) SetTills(t *Tills) {
	s.mu.Lock()
	s.tills = t
	s.mu.Unlock()
}

// SetOutputs adds the statuses of o (its real devices: a GPIO buzzer, a
// serial printer with its paper state) to Statuses. The caller still
// owns o and closes it.
func (s *Set) SetOutputs(o *Outputs) {
	s.mu.Lock()
	s.outputs = o
	s.mu.Unlock()
}

// SimTap taps a card on the simulated reader.
func (s *Set) SimTap(cardID string) error {
	s.mu.RLock()
	sim := s.cardSim
	s.mu.RUnlock()
	if sim == nil {
		return fmt.Errorf("card: %w", ErrNotSim)
	}
	return sim.Tap(cardID)
}

// SimWeight puts a weight on the simulated scale.
func (s *Set) SimWeight(grams int64, stable bool) error {
	s.mu.RLock()
	sim := s.scaleSim
	s.mu.RUnlock()
	if sim == nil {
		return fmt.Errorf("scale: %w", ErrNotSim)
	}
	return sim.Set(grams, stable)
}

// SimButton presses the simulated button id.
func (s *Set) SimButton(id string) error {
	s.mu.RLock()
	sim := s.buttonSim
	s.mu.RUnlock()
	if sim == nil {
		return fmt.Errorf("button: %w", ErrNotSim)
	}
	return sim.Press(id)
}
