package devices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/printersim"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// OutputsOptions is what Outputs need besides their configuration.
type OutputsOptions struct {
	Now func() time.Time
	// Clock times the patterns; nil: drivers.SystemClock(Now).
	Clock drivers.Clock
	Log   *slog.Logger
	// Site is the site id, printed on tickets when the configuration
	// names no site.
	Site string
	// Zone returns the site's IANA time zone (the running policy's
	// time_zone) for the ticket's time; nil or "": UTC.
	Zone func() string
	// Fault raises (active) or clears a supervision alert of a device:
	// printer_paper_out. Called from Run's goroutine; may be nil.
	Fault func(ctx context.Context, device, reason string, active bool)
	// PrintTimeout bounds one ticket; default 10 s.
	PrintTimeout time.Duration
}

// TapResult is what the outputs are told of a tap: its decision and,
// for a meal, what the ticket shows.
type TapResult struct {
	EventID  string // the meal event's id; the ticket number is its suffix
	Decision string // eldergate.Decision*
	Manual   bool   // entered by staff
	Window   string
	Price    eldergate.Fen
	Subsidy  eldergate.Fen
	Pay      eldergate.Fen
	Grams    int64
	Elder    string // the elder's name (masked or not: printed masked)
	At       time.Time
}

// TicketQueue bounds the tickets waiting for the printer; a tap beyond it
// prints no ticket (logged).
const TicketQueue = 16

// TicketNumberLen is how many trailing characters of the event id make
// the ticket number.
const TicketNumberLen = 8

// Outputs drives the gateway's buzzer, LED, siren relay and ticket
// printer: a pattern per tap result, the siren while an emergency alert
// of the site is open (until staff acknowledge it), a ticket per meal
// where the site prints them, and the printer's paper-out as a device
// state and a supervision alert. Tap and Alert return at once; tickets
// are printed by Run, in a goroutine the caller owns. Close stops the
// players' goroutines and releases the devices.
type Outputs struct {
	cfg  config.OutputsConfig
	opts OutputsOptions
	log  *slog.Logger

	buzzer, led, siren *output.Player
	printer            printer.Printer
	real               []interface{ Status() drivers.Status } // devices with a real driver, for Statuses
	patterns           map[string][2]*output.Pattern          // result -> buzzer, led

	tickets chan escpos.MealTicket
	tests   chan printJob // test tickets of the operator screen (test.go)
	changed chan struct{} // the printer's status changed

	mu       sync.Mutex // guards open and the siren's state
	open     map[string]bool
	sirenOn  bool
	paperOut bool // Run's goroutine only
	once     sync.Once
}

// OpenOutputs opens the outputs of c.
func OpenOutputs(c config.OutputsConfig, o OutputsOptions) (*Outputs, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Clock == nil {
		o.Clock = drivers.SystemClock(o.Now)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.PrintTimeout <= 0 {
		o.PrintTimeout = 10 * time.Second
	}
	out := &Outputs{cfg: c, opts: o, log: o.Log, patterns: map[string][2]*output.Pattern{},
		tickets: make(chan escpos.MealTicket, TicketQueue), changed: make(chan struct{}, 1), tests: make(chan printJob), open: map[string]bool{}}
	for _, r := range config.Results {
		var pair [2]*output.Pattern
		for i, spec := range []string{c.Patterns[r].Buzzer, c.Patterns[r].LED} {
			p, ok, err := config.ParsePattern(spec)
			if err != nil {
				return nil, fmt.Errorf("gateway: outputs: pattern of %s: %w", r, err)
			}
			if ok {
				pair[i] = &p
			}
		}
		out.patterns[r] = pair
	}
	var err error
	for _, d := range []struct {
		p   **output.Player
		cfg config.DeviceConfig
	}{{&out.buzzer, c.Buzzer}, {&out.led, c.LED}, {&out.siren, c.Siren}} {
		if *d.p, err = out.openPlayer(d.cfg); err != nil {
			out.Close()
			return nil, err
		}
	}
	if c.Printer.Driver != config.DriverNone {
		e, err := registry.Lookup(registry.Printer, c.Printer.Driver)
		if err == nil {
			out.printer, err = e.OpenPrinter(out.driverOptions(c.Printer, func() {
				select {
				case out.changed <- struct{}{}:
				default:
				}
			}))
		}
		if err != nil {
			out.Close()
			return nil, fmt.Errorf("gateway: outputs: printer: %w", err)
		}
		if c.Printer.Driver != config.DriverSim {
			out.real = append(out.real, out.printer)
		}
	}
	return out, nil
}

func (o *Outputs) openPlayer(d config.DeviceConfig) (*output.Player, error) {
	if d.Driver == config.DriverNone {
		return nil, nil
	}
	e, err := registry.Lookup(registry.Output, d.Driver)
	var p *output.Player
	if err == nil {
		p, err = e.OpenOutput(o.driverOptions(d, nil), o.opts.Clock)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: outputs: %s: %w", d.Name, err)
	}
	if d.Driver != config.DriverSim {
		o.real = append(o.real, p)
	}
	return p, nil
}

// driverOptions: every status change is logged, then changed is called.
func (o *Outputs) driverOptions(d config.DeviceConfig, changed func()) drivers.Options {
	log := o.log.With("device", d.Name, "driver", d.Driver)
	return drivers.Options{
		Name: d.Name, Port: d.Port, Baud: d.Baud, Params: drivers.Params(d.Settings), Now: o.opts.Now, Log: log,
		OnStatus: func(st drivers.Status) {
			if st.Connected && st.Err == "" {
				log.Info("gateway: output ready", "port", d.Port)
			} else {
				log.Warn("gateway: output not ready", "port", d.Port, "connected", st.Connected, "err", st.Err)
			}
			if changed != nil {
				changed()
			}
		},
	}
}

// Result is the result kind of r that chooses its patterns: refused, or
// manual for a meal staff entered, or the decision.
func Result(r TapResult) string {
	switch {
	case r.Decision == eldergate.DecisionRefused:
		return config.ResultRefused
	case r.Manual:
		return config.ResultManual
	case r.Decision == eldergate.DecisionFullPay:
		return config.ResultFullPay
	}
	return config.ResultApproved
}

// Tap plays the patterns of r's result and queues its ticket when the
// site prints tickets and a meal was recorded. It does not wait.
func (o *Outputs) Tap(r TapResult) {
	res := Result(r)
	pair := o.patterns[res]
	for i, p := range []*output.Player{o.buzzer, o.led} {
		if p == nil {
			continue
		}
		var err error
		if pair[i] == nil {
			err = p.Stop()
		} else {
			err = p.Start(*pair[i])
		}
		if err != nil {
			o.log.Warn("gateway: tap pattern not played", "result", res, "err", err)
		}
	}
	if !o.cfg.Tickets || o.printer == nil || res == config.ResultRefused || r.EventID == "" {
		return
	}
	select {
	case o.tickets <- o.ticket(r):
	default:
		o.log.Error("gateway: ticket not printed: the printer queue is full", "event_id", r.EventID)
	}
}

// ticket lays out r's meal ticket.
func (o *Outputs) ticket(r TapResult) escpos.MealTicket {
	site := o.cfg.Ticket.SiteName
	if site == "" {
		site = o.opts.Site
	}
	zone := ""
	if o.opts.Zone != nil {
		zone = o.opts.Zone()
	}
	loc := time.UTC
	if l, err := time.LoadLocation(zone); err == nil && zone != "" {
		loc = l
	} else {
		zone = "UTC"
	}
	return escpos.MealTicket{Site: site, At: r.At, Location: loc, Zone: zone, Elder: r.Elder, Window: r.Window, Grams: r.Grams,
		Price: r.Price, Subsidy: r.Subsidy, Pay: r.Pay, TicketID: TicketNumber(r.EventID), Footer: o.cfg.Ticket.Footer, Width: o.cfg.Ticket.Width}
}

// TicketNumber is the ticket number of event id: its last
// TicketNumberLen characters.
func TicketNumber(id string) string {
	if len(id) <= TicketNumberLen {
		return id
	}
	return id[len(id)-TicketNumberLen:]
}

// Alert hears every change of an alert (alarms.Config.OnChange): the
// siren is on while an emergency alert of the site is open, and off once
// every one is acknowledged or closed. It does not block for long: the
// relay's pin is set by its player.
func (o *Outputs) Alert(ev alarms.AlertEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ev.Type == eldergate.AlertTypeEmergency && ev.State == alarms.StateOpen {
		o.open[ev.ID] = true
	} else {
		delete(o.open, ev.ID)
	}
	want := len(o.open) > 0
	if o.siren == nil || want == o.sirenOn {
		return
	}
	var err error
	if want {
		err = o.siren.Start(output.Solid())
	} else {
		err = o.siren.Stop()
	}
	if err != nil {
		o.log.Error("gateway: siren not switched", "on", want, "err", err)
		return
	}
	o.sirenOn = want
	o.log.Warn("gateway: siren switched", "on", want, "open_alerts", len(o.open))
}

// SimPrinter is the simulated printer (to run out of paper in a demo or
// a test), nil when the printer does not use the sim driver.
func (o *Outputs) SimPrinter() *printersim.Printer {
	p, _ := o.printer.(*printersim.Printer)
	return p
}

// SirenOn reports whether the siren relay is on.
func (o *Outputs) SirenOn() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sirenOn
}

// Run prints the queued tickets and follows the printer's paper state
// until ctx is done.
func (o *Outputs) Run(ctx context.Context) error {
	o.checkPaper(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.changed:
			o.checkPaper(ctx)
		case j := <-o.tests:
			pctx, cancel := context.WithTimeout(ctx, o.opts.PrintTimeout)
			err := o.printer.Print(pctx, j.ticket)
			cancel()
			o.log.Info("gateway: test ticket", "err", err)
			j.done <- err
			o.checkPaper(ctx)
		case t := <-o.tickets:
			pctx, cancel := context.WithTimeout(ctx, o.opts.PrintTimeout)
			err := o.printer.Print(pctx, escpos.Ticket(t))
			cancel()
			if err != nil {
				o.log.Error("gateway: ticket not printed", "ticket", t.TicketID, "paper_out", errors.Is(err, printer.ErrPaperOut), "err", err)
			} else {
				o.log.Info("gateway: ticket printed", "ticket", t.TicketID)
			}
			o.checkPaper(ctx)
		}
	}
}

// checkPaper raises printer_paper_out when the printer reports paper out
// and clears it when it reports ready again; a disconnected printer
// changes nothing (its paper is unknown).
func (o *Outputs) checkPaper(ctx context.Context) {
	if o.printer == nil {
		return
	}
	st := o.printer.Status()
	out := strings.Contains(st.Err, printer.ErrPaperOut.Error())
	if out == o.paperOut || (!out && !st.Connected) {
		return
	}
	o.paperOut = out
	o.log.Warn("gateway: printer paper", "out", out, "printer", st.Name)
	if o.opts.Fault != nil {
		o.opts.Fault(ctx, st.Name, eldergate.SupervisePaperOut, out)
	}
}

// Statuses reports the status of the outputs with a real driver (the
// simulated ones have nothing to report).
func (o *Outputs) Statuses() []drivers.Status {
	out := make([]drivers.Status, 0, len(o.real))
	for _, d := range o.real {
		out = append(out, d.Status())
	}
	return out
}

// Close switches the outputs off, stops their goroutines and releases
// the devices. Safe to call more than once; Run must have returned.
func (o *Outputs) Close() {
	o.once.Do(func() {
		for _, p := range []*output.Player{o.buzzer, o.led, o.siren} {
			if p != nil {
				p.Close()
			}
		}
		if o.printer != nil {
			o.printer.Close()
		}
	})
}
