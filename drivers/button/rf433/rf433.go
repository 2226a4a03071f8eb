package rf433

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// LearnPrefix starts the button id of a code not in the table when Learn
// is on: "rf:A1B2C3".
const LearnPrefix = "rf:"

// ParseCodes parses a code table such as "A1B2C3=hall-1,A1B2C8=toilet-2"
// (items separated by commas, semicolons or new lines) into code -> button
// id. A code listed twice is an error.
func ParseCodes(s string) (map[Code]string, error) {
	table := map[Code]string{}
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		k, v, ok := strings.Cut(it, "=")
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return nil, fmt.Errorf("rf433: code table item %q is not CODE=button", it)
		}
		c, err := ParseCode(k)
		if err != nil {
			return nil, err
		}
		if old, dup := table[c]; dup {
			return nil, fmt.Errorf("rf433: code %s listed twice (%s, %s)", c, old, v)
		}
		table[c] = v
	}
	return table, nil
}

// Config configures a Receiver.
type Config struct {
	Name string // device name for status, default "rf433"
	Path string // serial device, e.g. /dev/ttyUSB0
	Baud int    // default 9600

	Format Format          // default FormatFD
	Codes  map[Code]string // code -> button id
	// Learn delivers codes that are not in Codes as button "rf:<code>"
	// (for `eldergate-gateway probe` while enrolling pendants). Off, they
	// are only logged and shown in the status.
	Learn bool
	// Reports maps the codes of periodic supervision reports (a pendant's
	// "I am here" transmission) to button ids: never a press, only a
	// button.Alive signal. Battery maps the codes a pendant sends when its
	// battery is low to button ids: a button.BatteryLow signal. The
	// EV1527 frame has no battery bit of its own: pendants that report it
	// use a key (data bits) of their own, so the installer lists that code
	// here. A code may be in only one of Codes, Reports and Battery.
	Reports map[Code]string
	Battery map[Code]string
	Lockout time.Duration // repeats closer than this are one press; default 500 ms
	Long    time.Duration // held this long is a long press; 0 means 3 s, negative disables
	// FrameGap: a partial frame followed by silence longer than this is
	// dropped as truncated; default 60 ms, negative disables.
	FrameGap time.Duration

	MinBackoff, MaxBackoff time.Duration // reopen backoff, serialport defaults when 0

	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

// Receiver is a serial 433 MHz receiver board. It implements button.Source.
type Receiver struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	tracker *drivers.Tracker
	keeper  *serialport.Keeper
	signal  atomic.Pointer[func(button.Signal)]
}

var (
	_ button.Source     = (*Receiver)(nil)
	_ button.Supervised = (*Receiver)(nil)
)

// SetSignals implements button.Supervised: fn hears button.Alive at the
// first frame of every burst of a known button's code (press or
// supervision report) and button.BatteryLow for a low-battery code.
func (r *Receiver) SetSignals(fn func(button.Signal)) { r.signal.Store(&fn) }

func (r *Receiver) emit(id string, k button.SignalKind, at time.Time) {
	if fn := r.signal.Load(); fn != nil && *fn != nil {
		(*fn)(button.Signal{Button: id, Kind: k, At: at})
	}
}

// New returns a receiver on cfg.Path; Run opens it.
func New(cfg Config) (*Receiver, error) {
	if cfg.Path == "" {
		return nil, errors.New("rf433: no serial device path")
	}
	if cfg.Name == "" {
		cfg.Name = "rf433"
	}
	if cfg.Format == "" {
		cfg.Format = FormatFD
	}
	if _, err := NewDecoder(cfg.Format, 0); err != nil {
		return nil, err
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = 500 * time.Millisecond
	}
	if cfg.Long == 0 {
		cfg.Long = 3 * time.Second
	}
	if cfg.Long > 0 && cfg.Long <= cfg.Lockout {
		return nil, fmt.Errorf("rf433: long press time %v must be longer than the lockout %v", cfg.Long, cfg.Lockout)
	}
	if cfg.FrameGap == 0 {
		cfg.FrameGap = 60 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	codes := make(map[Code]string, len(cfg.Codes))
	for c, id := range cfg.Codes {
		if c > MaxCode || strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("rf433: bad code table entry %s=%q", c, id)
		}
		codes[c] = strings.TrimSpace(id)
	}
	cfg.Codes = codes
	for name, table := range map[string]*map[Code]string{"supervision report": &cfg.Reports, "low battery": &cfg.Battery} {
		clean := make(map[Code]string, len(*table))
		for c, id := range *table {
			if c > MaxCode || strings.TrimSpace(id) == "" {
				return nil, fmt.Errorf("rf433: bad %s code entry %s=%q", name, c, id)
			}
			if _, dup := codes[c]; dup {
				return nil, fmt.Errorf("rf433: code %s is both a press and a %s code", c, name)
			}
			clean[c] = strings.TrimSpace(id)
		}
		*table = clean
	}
	for c := range cfg.Reports {
		if _, dup := cfg.Battery[c]; dup {
			return nil, fmt.Errorf("rf433: code %s is both a supervision report and a low battery code", c)
		}
	}
	r := &Receiver{cfg: cfg, now: cfg.Now, log: cfg.Log.With("device", cfg.Name, "driver", "rf433")}
	r.tracker = drivers.NewTracker(cfg.Name, "rf433", cfg.Now, cfg.OnStatus)
	r.keeper = serialport.NewKeeper(serialport.Config{
		Path: cfg.Path, Baud: cfg.Baud, MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff,
	}, r.tracker)
	return r, nil
}

// Run implements button.Source: it keeps the device open (reopening it
// after an unplug) and calls fn for every press of a known code (and, with
// Learn, of unknown codes). A press still in progress when the device goes
// away or Run ends is delivered as a short press before the session
// ends: a pendant tap is never dropped. It returns ctx.Err() or
// drivers.ErrClosed.
func (r *Receiver) Run(ctx context.Context, fn func(button.Press)) error {
	return r.keeper.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return r.session(ctx, port, fn)
	})
}

// Status implements button.Source.
func (r *Receiver) Status() drivers.Status { return r.tracker.Status() }

// Close implements button.Source.
func (r *Receiver) Close() error { return r.keeper.Close() }

// session decodes one open port until it fails or ctx ends. A reader
// goroutine owned by the session feeds it bytes, so that the session can
// also end bursts on a timer; the session returns only once that reader
// has returned (the port's Read ends with ctx or the device).
func (r *Receiver) session(ctx context.Context, port io.Reader, fn func(button.Press)) error {
	gap := r.cfg.FrameGap
	if gap < 0 {
		gap = 0
	}
	dec, _ := NewDecoder(r.cfg.Format, gap)
	col := &Collapser{Lockout: r.cfg.Lockout, Long: r.cfg.Long}

	chunks := make(chan []byte)
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 256)
		for {
			n, err := port.Read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	defer wg.Wait()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Stop()
		if next, ok := col.Next(); ok {
			timer.Reset(max(next.Sub(r.now()), time.Millisecond))
		}
		select {
		case <-ctx.Done():
			r.deliver(col.Flush(), fn)
			return ctx.Err()
		case err := <-readErr:
			r.deliver(col.Flush(), fn)
			return err
		case <-timer.C:
			r.deliver(col.Expire(r.now()), fn)
		case b := <-chunks:
			at := r.now()
			for _, res := range dec.Feed(b, at) {
				if res.Err != nil {
					if errors.Is(res.Err, ErrGarbage) {
						r.log.Debug("rf433: skipped bytes", "err", res.Err)
					} else {
						r.log.Warn("rf433: bad frame skipped", "err", res.Err)
					}
					continue
				}
				if r.supervision(res.Code, at) {
					continue
				}
				evs, started := col.Add(res.Code, at)
				if started {
					r.began(res.Code, at)
				}
				r.deliver(evs, fn)
			}
		}
	}
}

// began reports the first frame of a burst: unknown codes are logged and
// shown in the status so an installer can see them; a known code clears
// that note.
func (r *Receiver) began(c Code, at time.Time) {
	if id, ok := r.cfg.Codes[c]; ok {
		r.log.Debug("rf433: code received", "code", c.String(), "button", id)
		r.tracker.Set(true, nil)
		r.emit(id, button.Alive, at)
		return
	}
	r.log.Warn("rf433: unknown code received", "code", c.String(), "learn", r.cfg.Learn)
	r.tracker.Set(true, fmt.Errorf("rf433: unknown code %s (not in the code table)", c))
}

// supervision handles a frame of a supervision report or low-battery
// code and reports whether c was one. Repeats of a frame are signalled
// again: the signals are idempotent for their listener.
func (r *Receiver) supervision(c Code, at time.Time) bool {
	if id, ok := r.cfg.Reports[c]; ok {
		r.log.Debug("rf433: supervision report", "code", c.String(), "button", id)
		r.emit(id, button.Alive, at)
		return true
	}
	if id, ok := r.cfg.Battery[c]; ok {
		r.log.Warn("rf433: low battery reported", "code", c.String(), "button", id)
		r.emit(id, button.BatteryLow, at) // a sign of life as well
		return true
	}
	return false
}

func (r *Receiver) deliver(evs []Event, fn func(button.Press)) {
	for _, ev := range evs {
		id, ok := r.cfg.Codes[ev.Code]
		if !ok {
			if !r.cfg.Learn {
				continue
			}
			id = LearnPrefix + ev.Code.String()
		}
		fn(button.Press{Button: id, Kind: ev.Kind, At: ev.At})
	}
}
