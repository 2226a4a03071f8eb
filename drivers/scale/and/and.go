package and

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/serialscale"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// FrameLen is the length of a weighing frame without its terminator.
const FrameLen = 15

// Errors wrapped by Parse.
var (
	ErrFrame    = errors.New("and: malformed frame")
	ErrCounting = errors.New("and: counting mode (QT), not a weight")
)

// Parse parses one A&D standard format frame without its terminator,
// e.g. "ST,+00123.45  g".
func Parse(frame []byte) (scale.Weight, error) {
	if len(frame) < 4 || frame[2] != ',' {
		return scale.Weight{}, fmt.Errorf("%w: %q", ErrFrame, frame)
	}
	var st scale.State
	switch string(frame[:2]) {
	case "ST":
		st = scale.Stable
	case "US":
		st = scale.Unstable
	case "OL":
		if len(frame) > 32 {
			return scale.Weight{}, fmt.Errorf("%w: overload frame too long: %q", ErrFrame, frame)
		}
		switch frame[3] {
		case '+':
			return scale.Weight{State: scale.Overload}, nil
		case '-':
			return scale.Weight{State: scale.Underload}, nil
		}
		return scale.Weight{}, fmt.Errorf("%w: overload without sign: %q", ErrFrame, frame)
	case "QT":
		return scale.Weight{}, fmt.Errorf("%w: %q", ErrCounting, frame)
	default:
		return scale.Weight{}, fmt.Errorf("%w: unknown header %q", ErrFrame, frame[:2])
	}
	if len(frame) != FrameLen {
		return scale.Weight{}, fmt.Errorf("%w: %d bytes, want %d: %q", ErrFrame, len(frame), FrameLen, frame)
	}
	data, unit := frame[3:12], frame[12:15]
	if data[0] != '+' && data[0] != '-' {
		return scale.Weight{}, fmt.Errorf("%w: no polarity sign: %q", ErrFrame, frame)
	}
	g, err := weight.Parse(string(data), string(unit))
	if err != nil {
		return scale.Weight{}, fmt.Errorf("and: %q: %w", frame, err)
	}
	return scale.Weight{Grams: g, State: st}, nil
}

var headers = [][]byte{[]byte("ST,"), []byte("US,"), []byte("OL,"), []byte("QT,")}

// Decode parses a received line: bytes before the last header on the
// line (line noise) are dropped, then the rest is parsed with Parse.
func Decode(line []byte) (scale.Weight, error) {
	at := -1
	for _, h := range headers {
		if i := bytes.LastIndex(line, h); i > at {
			at = i
		}
	}
	if at < 0 {
		return scale.Weight{}, fmt.Errorf("%w: no header in %q", ErrFrame, line)
	}
	return Parse(line[at:])
}

// Config configures a Scale.
type Config struct {
	Name     string            // scale name in readings and status (default "and")
	Serial   serialport.Config // device path, 9600 8N1 by default
	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

// Scale is an A&D balance sending the standard format continuously. It
// implements scale.Scale.
type Scale struct{ b *serialscale.Base }

var _ scale.Scale = (*Scale)(nil)

// New returns a Scale for cfg.
func New(cfg Config) (*Scale, error) {
	b, err := serialscale.New(serialscale.Config{Driver: "and", Name: cfg.Name, Serial: cfg.Serial, Now: cfg.Now, OnStatus: cfg.OnStatus, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return &Scale{b: b}, nil
}

// Run implements scale.Scale: it calls fn for every frame the balance
// sends until ctx ends or Close. It returns ctx.Err() or
// drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	return s.b.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return s.b.Stream(ctx, port, serialscale.SplitLines(64), Decode, fn)
	})
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.b.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.b.Close() }
