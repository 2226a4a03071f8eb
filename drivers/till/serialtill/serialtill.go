package serialtill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/till"
)

// Protocol chooses what the till speaks.
type Protocol string

// Protocols.
const (
	ProtocolLine    Protocol = "line"
	ProtocolDisplay Protocol = "customer_display"
)

// Protocols lists the protocols, for help and validation.
var Protocols = []Protocol{ProtocolLine, ProtocolDisplay}

// ParseProtocol checks a protocol name.
func ParseProtocol(s string) (Protocol, error) {
	for _, p := range Protocols {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("serialtill: unknown protocol %q (line or customer_display)", s)
}

// DefaultBaud is the speed of the line protocol and of most customer
// displays (some are set to 2400).
const DefaultBaud = 9600

// Config configures a Till.
type Config struct {
	Name     string            // till name, the Amount's Till; default "till"
	Port     serialport.Config // Path is required; Baud defaults to 9600
	Protocol Protocol          // required
	// Settle (customer_display): how long a total stays on the display,
	// with no other command, before it is taken; default DefaultSettle.
	Settle time.Duration

	Now      func() time.Time     // stamps amounts; default time.Now
	Log      *slog.Logger         // default discards
	OnStatus func(drivers.Status) // may be nil
}

// Stats counts what the till sent since it was made.
type Stats struct {
	Frames    int // lines or display commands, rejected ones included
	Delivered int // amounts given to the handler
	Rejected  int // lines, frames or bytes skipped
	Refused   int // amounts the handler refused
}

// Till is a till on a serial line. It implements till.Till.
type Till struct {
	*serialport.Device // Status, Close
	cfg                Config
	stats              drivers.Counters[Stats]
}

var _ till.Till = (*Till)(nil)

// New returns a till on cfg.Port.Path.
func New(cfg Config) (*Till, error) {
	if cfg.Name == "" {
		cfg.Name = "till"
	}
	if _, err := ParseProtocol(string(cfg.Protocol)); err != nil {
		return nil, err
	}
	if cfg.Port.Baud == 0 {
		cfg.Port.Baud = DefaultBaud
	}
	if cfg.Settle < 0 || cfg.Settle > 10*time.Second {
		return nil, fmt.Errorf("serialtill: settle %v: must be between 0 and 10s", cfg.Settle)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dev, err := serialport.NewDevice("serialtill", cfg.Name, cfg.Port, cfg.Now, cfg.OnStatus)
	if err != nil {
		return nil, err
	}
	return &Till{Device: dev, cfg: cfg}, nil
}

// Stats returns the counters.
func (t *Till) Stats() Stats { return t.stats.Get() }

// Run implements till.Till.
func (t *Till) Run(ctx context.Context, fn func(till.Amount) error) error {
	return t.RunPort(ctx, func(ctx context.Context, port io.ReadWriter) error {
		if t.cfg.Protocol == ProtocolLine {
			return t.lineSession(port, fn)
		}
		return t.displaySession(ctx, port, fn)
	})
}

// reject counts, logs and records a skipped frame.
func (t *Till) reject(err error) {
	t.stats.Add(func(s *Stats) { s.Rejected++ })
	t.cfg.Log.Warn("serialtill: frame skipped", "till", t.cfg.Name, "protocol", t.cfg.Protocol, "err", err)
	t.Tracker.SetLast("", err)
}

// deliver gives an amount to fn and records the outcome.
func (t *Till) deliver(fen eldergate.Fen, ref string, fn func(till.Amount) error) error {
	t.stats.Add(func(s *Stats) { s.Delivered++ })
	text := fen.String()
	if ref != "" {
		text += " ref " + ref
	}
	err := fn(till.Amount{Fen: fen, Ref: ref, Till: t.cfg.Name, At: t.cfg.Now()})
	if err != nil {
		t.stats.Add(func(s *Stats) { s.Refused++ })
		t.cfg.Log.Warn("serialtill: amount refused by the gateway", "till", t.cfg.Name, "amount", text, "err", err)
		t.Tracker.SetLast("", fmt.Errorf("amount %s refused: %w", text, err))
		return err
	}
	t.cfg.Log.Info("serialtill: amount", "till", t.cfg.Name, "amount", text)
	t.Tracker.SetLast(text, nil)
	return nil
}

func (t *Till) lineSession(port io.ReadWriter, fn func(till.Amount) error) error {
	answer := func(s string) error {
		_, err := io.WriteString(port, s)
		return err
	}
	return serialport.ReadLines(port, MaxLine, func(line string, err error) error {
		t.stats.Add(func(s *Stats) { s.Frames++ })
		var cmd Command
		if err != nil {
			err = longLine(err)
		} else {
			cmd, err = ParseLine(line)
		}
		var le *LineError
		if errors.As(err, &le) {
			t.reject(err)
			return answer(le.Answer())
		}
		if cmd.Ping {
			return answer("OK\r\n")
		}
		if err := t.deliver(cmd.Fen, cmd.Ref, fn); err != nil {
			return answer(answerError(err).Answer())
		}
		return answer("OK\r\n")
	})
}

func (t *Till) displaySession(ctx context.Context, port io.Reader, fn func(till.Amount) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	go func() { // ends when the port fails or closes (the keeper closes it after the session)
		for {
			buf := make([]byte, 256)
			n, err := port.Read(buf)
			select {
			case chunks <- chunk{buf[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var p DisplayParser
	totals := NewTotals(t.cfg.Settle)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ch := <-chunks:
			now := time.Now()
			for _, c := range ch.b {
				cmd, ok, err := p.Feed(c)
				if ok {
					t.stats.Add(func(s *Stats) { s.Frames++ })
					totals.Apply(cmd, now)
				}
				if err != nil {
					t.reject(err)
				}
			}
			if ch.err != nil {
				return ch.err
			}
		case <-timer.C:
			if fen, ok := totals.Due(time.Now()); ok {
				_ = t.deliver(fen, "", fn) // a display does not answer: the refusal is logged
			}
		}
		timer.Stop()
		if d, ok := totals.Deadline(); ok {
			timer.Reset(max(time.Until(d), 0))
		}
	}
}
