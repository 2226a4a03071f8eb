package uidline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// DefaultBaud is the usual factory speed of such readers.
const DefaultBaud = 9600

// Config configures a Reader.
type Config struct {
	Name   string            // reader name for reads and status; default "uidline"
	Port   serialport.Config // Path is required; Baud defaults to 9600
	Parser Parser            // format, order, prefix, suffix

	Now      func() time.Time     // default time.Now
	Log      *slog.Logger         // default discards
	OnStatus func(drivers.Status) // may be nil
}

// Stats counts what the reader saw since it was made.
type Stats struct {
	Lines     int // non-empty lines, over-long ones included
	Delivered int // reads delivered
	Rejected  int // lines that did not parse
}

// Reader is a line-printing serial card reader. It implements card.Reader.
type Reader struct {
	*serialport.Device // Status, Close
	cfg                Config
	stats              drivers.Counters[Stats]
}

var _ card.Reader = (*Reader)(nil)

// New returns a reader for the device at cfg.Port.Path.
func New(cfg Config) (*Reader, error) {
	if cfg.Name == "" {
		cfg.Name = "uidline"
	}
	if cfg.Port.Baud == 0 {
		cfg.Port.Baud = DefaultBaud
	}
	f, err := card.ParseFormat(string(cfg.Parser.Format.Input), string(cfg.Parser.Format.Order))
	if err != nil {
		return nil, fmt.Errorf("uidline: %w", err)
	}
	f.WiegandBits = cfg.Parser.Format.WiegandBits
	if f.WiegandBits != 0 && f.WiegandBits != 26 && f.WiegandBits != 34 {
		return nil, errors.New("uidline: wiegand bits must be 26 or 34")
	}
	cfg.Parser.Format = f
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dev, err := serialport.NewDevice("uidline", cfg.Name, cfg.Port, cfg.Now, cfg.OnStatus)
	if err != nil {
		return nil, err
	}
	return &Reader{Device: dev, cfg: cfg}, nil
}

// Run implements card.Reader: it reads lines until ctx ends or the
// reader is closed, reopening the device after it vanished.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	return r.RunPort(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return r.session(port, fn)
	})
}

func (r *Reader) session(port io.Reader, fn func(card.Read)) error {
	return serialport.ReadLines(port, MaxLine, func(line string, err error) error {
		r.stats.Add(func(s *Stats) { s.Lines++ })
		var cred string
		if err != nil {
			err = longLine(err)
		} else {
			cred, err = r.cfg.Parser.Parse(line)
		}
		if err != nil {
			r.stats.Add(func(s *Stats) { s.Rejected++ })
			r.cfg.Log.Warn("uidline: line rejected", "reader", r.cfg.Name, "err", err)
			return nil
		}
		r.stats.Add(func(s *Stats) { s.Delivered++ })
		fn(card.Read{Credential: cred, Reader: r.cfg.Name, At: r.cfg.Now()})
		return nil
	})
}

// Stats returns the counters.
func (r *Reader) Stats() Stats { return r.stats.Get() }
