package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/till"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

const probeUsage = `usage:
  eldergate-gateway probe --list [--json]
  eldergate-gateway probe DRIVER [--port PATH] [--baud N] [--set key=value ...] [--count N] [--for DURATION]
  eldergate-gateway probe output/DRIVER [--set pin=GPIO18 ...] [--pattern ok|error|blink|100ms,100ms,...] [--for DURATION]
  eldergate-gateway probe printer/DRIVER [--port PATH] [--baud N] [--set key=value ...]
  eldergate-gateway probe till/serial --port PATH [--baud N] --set protocol=line|customer_display [--count N] [--for DURATION]

Opens one device and prints one JSON object per line for every card read,
weight, button press and status change, until Ctrl-C, --count events or
--for time. DRIVER is a name from --list; "sim" and "gpio" need their
family: card/sim, output/gpio. An output plays --pattern (a beep, a blink)
and stops; a repeating pattern plays for --for (default 3s). A printer
prints a test ticket. A till prints every amount the POS sends (the line
protocol is answered OK; the gateway's desk is not involved) and every
frame it skipped, with the reason, as a status line.`

// multiFlag collects repeated --set flags.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// probeLine is one line of probe output.
type probeLine struct {
	At         time.Time `json:"at"`
	Type       string    `json:"type"` // status, card, weight, press, signal (supervision: alive, battery_low, stuck, unstuck), amount
	Device     string    `json:"device"`
	Driver     string    `json:"driver"`
	Connected  *bool     `json:"connected,omitempty"`
	Error      string    `json:"error,omitempty"`
	Credential string    `json:"credential,omitempty"`
	Grams      *int64    `json:"grams,omitempty"`
	State      string    `json:"state,omitempty"`
	Button     string    `json:"button,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Pattern    string    `json:"pattern,omitempty"`    // output: the pattern played
	Bytes      int       `json:"bytes,omitempty"`      // printer: the test ticket's size
	AmountFen  *int64    `json:"amount_fen,omitempty"` // till: the sale's amount
	Ref        string    `json:"ref,omitempty"`        // till: the sale's reference
}

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var driverName string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		driverName, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, probeUsage) }
	list := fs.Bool("list", false, "list the drivers")
	asJSON := fs.Bool("json", false, "with --list: print JSON")
	port := fs.String("port", "", "serial device, SPI port or evdev path")
	baud := fs.Int("baud", 0, "serial speed (default: the driver's)")
	name := fs.String("name", "probe", "device name in the output")
	count := fs.Int("count", 0, "stop after this many readings, cards or presses (0: no limit)")
	dur := fs.Duration("for", 0, "stop after this long (0: until Ctrl-C)")
	pattern := fs.String("pattern", "ok", "output: the pattern to play (ok, error, alarm, blink, fastblink, heartbeat, on, or durations on,off,on...)")
	var sets multiFlag
	fs.Var(&sets, "set", "driver setting key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if driverName == "" && fs.NArg() > 0 {
		driverName = fs.Arg(0)
	}
	if *list {
		return listDrivers(stdout, *asJSON)
	}
	if driverName == "" {
		return errors.New(probeUsage)
	}
	e, err := registry.Find(driverName)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	params, err := drivers.ParseParams(sets)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}

	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	emit := func(l probeLine) {
		l.Device, l.Driver = *name, e.Name
		if l.At.IsZero() {
			l.At = time.Now()
		}
		l.At = l.At.UTC()
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(l)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *dur > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, *dur)
		defer c()
	}
	events := 0
	counted := func() {
		events++
		if *count > 0 && events >= *count {
			cancel()
		}
	}
	opts := drivers.Options{
		Name: *name, Port: *port, Baud: *baud, Params: params, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		OnStatus: func(s drivers.Status) {
			c := s.Connected
			emit(probeLine{At: time.Now(), Type: "status", Connected: &c, Error: s.Err})
		},
	}
	var runErr error
	switch e.Family {
	case registry.Card:
		r, err := e.OpenCard(opts)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		defer r.Close()
		runErr = r.Run(ctx, func(rd card.Read) {
			cred := rd.Credential
			if eldergate.LooksLikeResidentID(eldergate.NormalizeCredential(cred)) { // personal data: printed masked
				cred = eldergate.MaskID(cred)
			}
			emit(probeLine{At: rd.At, Type: "card", Credential: cred})
			counted()
		})
	case registry.Scale:
		s, err := e.OpenScale(opts)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		defer s.Close()
		runErr = s.Run(ctx, func(w scale.Weight) {
			g := w.Grams
			emit(probeLine{At: w.At, Type: "weight", Grams: &g, State: string(w.State)})
			counted()
		})
	case registry.Button:
		b, err := e.OpenButton(opts)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		defer b.Close()
		if sup, ok := b.(button.Supervised); ok { // called from Run's goroutine, like presses
			sup.SetSignals(func(sg button.Signal) {
				emit(probeLine{At: sg.At, Type: "signal", Button: sg.Button, Kind: string(sg.Kind)})
			})
		}
		runErr = b.Run(ctx, func(p button.Press) {
			emit(probeLine{At: p.At, Type: "press", Button: p.Button, Kind: string(p.Kind)})
			counted()
		})
	case registry.Till:
		tl, err := e.OpenTill(opts)
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		defer tl.Close()
		runErr = tl.Run(ctx, func(a till.Amount) error {
			fen := int64(a.Fen)
			emit(probeLine{At: a.At, Type: "amount", AmountFen: &fen, Ref: a.Ref})
			counted()
			return nil
		})
	case registry.Output:
		runErr = probeOutput(ctx, e, opts, *pattern, *dur, emit)
	case registry.Printer:
		runErr = probePrinter(ctx, e, opts, emit)
	default:
		return fmt.Errorf("probe: driver %s of family %s cannot be probed", e.Name, e.Family)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) && !errors.Is(runErr, drivers.ErrClosed) {
		return fmt.Errorf("probe: %w", runErr)
	}
	return nil
}

func listDrivers(w io.Writer, asJSON bool) error {
	all := registry.All()
	if asJSON {
		enc := json.NewEncoder(w)
		for _, e := range all {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tDRIVER\tTRANSPORT\tBAUD\tSUMMARY")
	for _, e := range all {
		baud := ""
		if e.DefaultBaud > 0 {
			baud = fmt.Sprint(e.DefaultBaud)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Family, e.Name, e.Transport, baud, e.Summary)
		for _, p := range e.Params {
			def := ""
			if p.Default != "" {
				def = " (default " + p.Default + ")"
			}
			fmt.Fprintf(tw, "\t\t\t\t  --set %s=…  %s%s\n", p.Key, p.Help, def)
		}
	}
	return tw.Flush()
}

// probeOutput plays pattern on an output and waits until it ends, or for
// dur (default 3s) when it repeats or holds.
func probeOutput(ctx context.Context, e registry.Entry, opts drivers.Options, pattern string, dur time.Duration, emit func(probeLine)) error {
	pat, ok, err := config.ParsePattern(pattern)
	if err != nil || !ok {
		if pat, err = output.Named(pattern); err != nil {
			return fmt.Errorf("probe: --pattern: %w", err)
		}
	}
	p, err := e.OpenOutput(opts, nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer p.Close()
	if err := p.Start(pat); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	emit(probeLine{Type: "play", Pattern: pattern})
	var total time.Duration
	for _, s := range pat.Steps {
		total += s.For
	}
	if pat.Repeat || pat.Steps[len(pat.Steps)-1].For == 0 {
		total = dur
		if total <= 0 {
			total = 3 * time.Second
		}
	}
	t := time.NewTimer(total + 50*time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	if err := p.Stop(); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	emit(probeLine{Type: "stopped", Pattern: pattern})
	return nil
}

// probePrinter prints a test ticket.
func probePrinter(ctx context.Context, e registry.Entry, opts drivers.Options, emit func(probeLine)) error {
	pr, err := e.OpenPrinter(opts)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer pr.Close()
	// A serial printer connects in the background: give it a moment.
	deadline := time.Now().Add(3 * time.Second)
	for !pr.Status().Connected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	ticket := escpos.Ticket(escpos.MealTicket{Site: "打印测试 eldergate", Title: "测试小票", At: time.Now(), Location: time.Local, Zone: time.Local.String(),
		Elder: "测试长者", Window: "lunch", Price: 1200, Subsidy: 400, Pay: 800, TicketID: "TEST0001", Footer: "打印正常"})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pr.Print(pctx, ticket); err != nil {
		return fmt.Errorf("probe: test ticket: %w", err)
	}
	emit(probeLine{Type: "printed", Bytes: len(ticket)})
	return nil
}
