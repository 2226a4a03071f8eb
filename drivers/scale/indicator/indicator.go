package indicator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/serialscale"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// MaxLine is the longest line accepted (the usual frame is 16 bytes).
const MaxLine = 40

// ErrFrame is wrapped by the errors of malformed lines.
var ErrFrame = errors.New("indicator: malformed frame")

// Parser parses indicator lines.
type Parser struct {
	// DefaultUnit is used for lines that carry no unit; empty means such
	// lines are rejected.
	DefaultUnit string
}

// Parse parses one line without its terminator, e.g. "ST,GS,+  1.234kg".
func (p Parser) Parse(line []byte) (scale.Weight, error) {
	if len(line) > MaxLine {
		return scale.Weight{}, fmt.Errorf("%w: %d bytes, more than %d", ErrFrame, len(line), MaxLine)
	}
	for _, c := range line {
		if c < 0x20 || c > 0x7e {
			return scale.Weight{}, fmt.Errorf("%w: control or non-ASCII byte 0x%02x in %q", ErrFrame, c, line)
		}
	}
	fields := strings.Split(string(line), ",")
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	if len(fields) < 2 || len(fields) > 4 {
		return scale.Weight{}, fmt.Errorf("%w: %q", ErrFrame, line)
	}
	var w scale.Weight
	switch strings.ToUpper(fields[0]) {
	case "ST":
		w.State = scale.Stable
	case "US":
		w.State = scale.Unstable
	case "OL":
		w.State = scale.Overload
	default:
		return scale.Weight{}, fmt.Errorf("%w: unknown header %q", ErrFrame, fields[0])
	}
	rest := fields[1:]
	switch strings.ToUpper(rest[0]) {
	case "GS":
		rest = rest[1:]
	case "NT":
		w.Net = true
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return scale.Weight{}, fmt.Errorf("%w: no weight in %q", ErrFrame, line)
	}
	if w.State == scale.Overload {
		// The weight field of an OL line is not a number on every
		// indicator ("+ 99.999kg", "-------", "OL"); only its sign counts.
		if strings.HasPrefix(rest[0], "-") {
			w.State = scale.Underload
		}
		return w, nil
	}
	var num, unit string
	switch len(rest) {
	case 1:
		num, unit = splitUnit(rest[0])
	case 2:
		num, unit = rest[0], rest[1]
		if _, u := splitUnit(num); u != "" {
			return scale.Weight{}, fmt.Errorf("%w: two units %q and %q", ErrFrame, u, unit)
		}
	default:
		return scale.Weight{}, fmt.Errorf("%w: %q", ErrFrame, line)
	}
	if num == "" {
		return scale.Weight{}, fmt.Errorf("%w: no weight in %q", ErrFrame, line)
	}
	if unit == "" {
		if p.DefaultUnit == "" {
			return scale.Weight{}, fmt.Errorf("indicator: %q: %w", line, weight.ErrUnsupportedUnit)
		}
		unit = p.DefaultUnit
	}
	g, err := weight.Parse(num, unit)
	if err != nil {
		return scale.Weight{}, fmt.Errorf("indicator: %q: %w", line, err)
	}
	w.Grams = g
	return w, nil
}

// splitUnit splits "+  1.234kg" into "+  1.234" and "kg": the unit is the
// trailing run of letters (and '%').
func splitUnit(s string) (num, unit string) {
	i := len(s)
	for i > 0 {
		c := s[i-1]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '%' {
			i--
			continue
		}
		break
	}
	return strings.TrimSpace(s[:i]), s[i:]
}

// Decode parses a received line after dropping line noise before its
// header: the line is cut at the last "ST", "US" or "OL" (any case)
// followed by optional spaces and a comma.
func (p Parser) Decode(line []byte) (scale.Weight, error) {
	up := make([]byte, len(line)) // ASCII upper case, same length
	for i, c := range line {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up[i] = c
	}
	for i := len(up) - 2; i >= 0; i-- {
		h := string(up[i : i+2])
		if h != "ST" && h != "US" && h != "OL" {
			continue
		}
		j := i + 2
		for j < len(up) && up[j] == ' ' {
			j++
		}
		if j < len(up) && up[j] == ',' {
			return p.Parse(line[i:])
		}
	}
	return scale.Weight{}, fmt.Errorf("%w: no header in %q", ErrFrame, line)
}

// Config configures a Scale.
type Config struct {
	Name        string            // scale name in readings and status (default "indicator")
	Serial      serialport.Config // device path, 9600 8N1 by default
	DefaultUnit string            // unit of lines without one ("kg", "g"); empty rejects them
	Now         func() time.Time
	OnStatus    func(drivers.Status)
	Log         *slog.Logger
}

// Scale is an indicator sending its weight continuously. It implements
// scale.Scale.
type Scale struct {
	b *serialscale.Base
	p Parser
}

var _ scale.Scale = (*Scale)(nil)

// New returns a Scale for cfg.
func New(cfg Config) (*Scale, error) {
	if cfg.DefaultUnit != "" {
		if _, err := weight.ParseUnit(cfg.DefaultUnit); err != nil {
			return nil, fmt.Errorf("indicator: default unit: %w", err)
		}
	}
	b, err := serialscale.New(serialscale.Config{Driver: "indicator", Name: cfg.Name, Serial: cfg.Serial, Now: cfg.Now, OnStatus: cfg.OnStatus, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return &Scale{b: b, p: Parser{DefaultUnit: cfg.DefaultUnit}}, nil
}

// Run implements scale.Scale: it calls fn for every line the indicator
// sends until ctx ends or Close. It returns ctx.Err() or
// drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	return s.b.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return s.b.Stream(ctx, port, serialscale.SplitLines(2*MaxLine), s.p.Decode, fn)
	})
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.b.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.b.Close() }
