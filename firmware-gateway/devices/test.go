package devices

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// What the operator screen asks of the devices: each device with its
// kind (Devices), and a test per output (Beep, PrintTest).

// Device kinds.
const (
	KindCard    = "card"
	KindScale   = "scale"
	KindButton  = "button"
	KindBuzzer  = "buzzer"
	KindLED     = "led"
	KindSiren   = "siren"
	KindPrinter = "printer"
)

// Device is one configured device and its status.
type Device struct {
	Kind   string
	Status drivers.Status
}

// ErrNoDevice is returned by a test of a device the gateway has none of.
var ErrNoDevice = errors.New("devices: no such device configured")

// Devices lists the open input devices: card reader, scale, button.
func (s *Set) Devices() []Device {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Device
	for _, d := range []struct {
		kind string
		dev  interface{ Status() drivers.Status }
	}{{KindCard, s.cardDev}, {KindScale, s.scaleDev}, {KindButton, s.buttonDev}} {
		if d.dev != nil {
			out = append(out, Device{Kind: d.kind, Status: d.dev.Status()})
		}
	}
	return out
}

// Devices lists the configured outputs, simulated ones included.
func (o *Outputs) Devices() []Device {
	var out []Device
	for _, d := range []struct {
		kind string
		p    *output.Player
	}{{KindBuzzer, o.buzzer}, {KindLED, o.led}, {KindSiren, o.siren}} {
		if d.p != nil {
			out = append(out, Device{Kind: d.kind, Status: d.p.Status()})
		}
	}
	if o.printer != nil {
		out = append(out, Device{Kind: KindPrinter, Status: o.printer.Status()})
	}
	return out
}

// Beep plays the test pattern (the approved result's: one beep, the LED
// lit) on the buzzer and the LED, and returns the kinds that played.
// ErrNoDevice when there is neither.
func (o *Outputs) Beep() ([]string, error) {
	pair := o.patterns[config.ResultApproved]
	var played []string
	var errs []error
	for i, d := range []struct {
		kind string
		p    *output.Player
	}{{KindBuzzer, o.buzzer}, {KindLED, o.led}} {
		if d.p == nil {
			continue
		}
		pat := output.OK()
		if pair[i] != nil {
			pat = *pair[i]
		}
		if err := d.p.Start(pat); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.kind, err))
			continue
		}
		played = append(played, d.kind)
	}
	if len(played) == 0 && len(errs) == 0 {
		return nil, ErrNoDevice
	}
	return played, errors.Join(errs...)
}

// printJob is a test ticket for Run's goroutine, which owns the printer.
type printJob struct {
	ticket []byte
	done   chan error
}

// PrintTest prints ticket (ESC/POS bytes) now, through Run's goroutine,
// and waits for the printer's answer (paper out: an error wrapping
// printer.ErrPaperOut). ErrNoDevice when there is no printer.
func (o *Outputs) PrintTest(ctx context.Context, ticket []byte) error {
	if o.printer == nil {
		return ErrNoDevice
	}
	j := printJob{ticket: ticket, done: make(chan error, 1)}
	select {
	case o.tests <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestTicket lays out the operator's test ticket: the site, the gateway
// and the time, so the paper shows which gateway printed it and when.
func TestTicket(site, gateway string, at time.Time, loc *time.Location) []byte {
	if loc == nil {
		loc = time.UTC
	}
	var b escpos.Builder
	b.Init().Chinese(true)
	b.Align(escpos.Center).Bold(true).Size(2, 2).Line("测试小票").Size(1, 1).Bold(false)
	b.Line("TEST TICKET")
	b.Align(escpos.Left).Line(site)
	b.Line(gateway)
	b.Line(at.In(loc).Format("2006-01-02 15:04:05"))
	b.Line("打印正常 / printer OK")
	b.Feed(3).Cut()
	return b.Bytes()
}
