package toledo

import (
	"bufio"
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

// Frame bytes.
const (
	STX = 0x02
	CR  = 0x0d
	// FrameLen is the length of a frame without checksum; with checksum
	// it is FrameLen+1.
	FrameLen = 17
)

// Status word bits.
const (
	swaAlways1 = 1 << 5
	swaAlways0 = 1 << 6

	SWBNet        = 1 << 0
	SWBNegative   = 1 << 1
	SWBOutOfRange = 1 << 2
	SWBMotion     = 1 << 3
	SWBKilograms  = 1 << 4
	swbAlways1    = 1 << 5
	SWBPowerUp    = 1 << 6

	SWCPrint    = 1 << 3
	SWCExpanded = 1 << 4
	swcAlways1  = 1 << 5
	swcAlways0  = 1 << 6
)

// Errors wrapped by Parse.
var (
	ErrLength   = errors.New("toledo: wrong frame length")
	ErrFrame    = errors.New("toledo: malformed frame")
	ErrChecksum = errors.New("toledo: wrong checksum")
	ErrExpanded = errors.New("toledo: expanded x10 display, not a trade weight")
)

// Frame is one decoded frame.
type Frame struct {
	Weight    scale.Weight // Grams, State, Net
	TareGrams int64        // the tare field, in grams
	Increment int          // 1, 2 or 5 (0 when SWA says none)
	Print     bool         // print request (SWC bit 3)
	PowerUp   bool         // power-up zero not captured (SWB bit 6)
}

// Checksum returns the checksum byte for the bytes of a frame before it.
func Checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return (-s) & 0x7f
}

// decimal exponent of the weight fields for SWA bits 2..0.
var dpExp = [8]int{2, 1, 0, -1, -2, -3, -4, -5}

// Parse parses one frame starting with STX: FrameLen bytes, or
// FrameLen+1 with checksum when checksum is true.
func Parse(b []byte, checksum bool) (Frame, error) {
	n := FrameLen
	if checksum {
		n++
	}
	if len(b) != n {
		return Frame{}, fmt.Errorf("%w: %d bytes, want %d: %q", ErrLength, len(b), n, b)
	}
	if b[0] != STX || b[16] != CR {
		return Frame{}, fmt.Errorf("%w: no STX ... CR: %q", ErrFrame, b)
	}
	if checksum {
		if want := Checksum(b[:FrameLen]); b[FrameLen] != want {
			return Frame{}, fmt.Errorf("%w: 0x%02x, want 0x%02x: %q", ErrChecksum, b[FrameLen], want, b)
		}
	}
	swa, swb, swc := b[1], b[2], b[3]
	if swa&(swaAlways1|swaAlways0|0x80) != swaAlways1 || swb&(swbAlways1|0x80) != swbAlways1 || swc&(swcAlways1|swcAlways0|0x80) != swcAlways1 {
		return Frame{}, fmt.Errorf("%w: status words 0x%02x 0x%02x 0x%02x: %q", ErrFrame, swa, swb, swc, b)
	}
	var f Frame
	f.Increment = [4]int{0, 1, 2, 5}[swa>>3&3]
	f.Print = swc&SWCPrint != 0
	f.PowerUp = swb&SWBPowerUp != 0
	f.Weight.Net = swb&SWBNet != 0
	if swc&SWCExpanded != 0 {
		return Frame{}, fmt.Errorf("%w: %q", ErrExpanded, b)
	}
	var unit weight.Unit
	switch swc & 7 {
	case 0:
		if swb&SWBKilograms == 0 {
			return Frame{}, fmt.Errorf("toledo: %w: lb", weight.ErrUnsupportedUnit)
		}
		unit = weight.Kilogram
	case 1:
		unit = weight.Gram
	default:
		names := [8]string{2: "t", 3: "oz", 4: "ozt", 5: "dwt", 6: "ton", 7: "custom"}
		return Frame{}, fmt.Errorf("toledo: %w: %s", weight.ErrUnsupportedUnit, names[swc&7])
	}
	exp := dpExp[swa&7]
	wd, err := digits(b[4:10])
	if err != nil {
		return Frame{}, fmt.Errorf("%w: weight field: %v: %q", ErrFrame, err, b)
	}
	td, err := digits(b[10:16])
	if err != nil {
		return Frame{}, fmt.Errorf("%w: tare field: %v: %q", ErrFrame, err, b)
	}
	if f.TareGrams, err = weight.Grams(td, exp, unit); err != nil {
		return Frame{}, fmt.Errorf("toledo: tare: %w", err)
	}
	switch {
	case swb&SWBOutOfRange != 0 && swb&SWBNegative != 0:
		f.Weight.State = scale.Underload
		return f, nil
	case swb&SWBOutOfRange != 0:
		f.Weight.State = scale.Overload
		return f, nil
	case swb&SWBMotion != 0 || f.PowerUp:
		f.Weight.State = scale.Unstable
	default:
		f.Weight.State = scale.Stable
	}
	if swb&SWBNegative != 0 {
		wd = -wd
	}
	if f.Weight.Grams, err = weight.Grams(wd, exp, unit); err != nil {
		return Frame{}, fmt.Errorf("toledo: weight: %w", err)
	}
	return f, nil
}

// digits parses a 6-character field of digits; leading spaces count as
// zeros, an all-space field is an error.
func digits(f []byte) (int64, error) {
	var v int64
	seen := false
	for _, c := range f {
		switch {
		case c == ' ' && !seen:
		case c >= '0' && c <= '9':
			seen = true
			v = v*10 + int64(c-'0')
		default:
			return 0, fmt.Errorf("byte 0x%02x in %q", c, f)
		}
	}
	if !seen {
		return 0, fmt.Errorf("no digits in %q", f)
	}
	return v, nil
}

// Split returns a bufio.SplitFunc that cuts frames out of the byte
// stream: bytes before an STX are dropped; from an STX, FrameLen bytes
// (plus the checksum byte when checksum is true) are a frame when byte 17
// is CR; otherwise the bytes up to the next STX are returned as one
// (malformed) token so that Parse reports them, and the split
// resynchronises on that next STX.
func Split(checksum bool) bufio.SplitFunc {
	n := FrameLen
	if checksum {
		n++
	}
	return func(data []byte, atEOF bool) (int, []byte, error) {
		// Noise before an STX is dropped in the same call that returns the
		// frame after it: bufio.Scanner reads more input after a call
		// that returns no token, even when a whole frame is buffered.
		i := bytes.IndexByte(data, STX)
		if i < 0 {
			return len(data), nil, nil // noise
		}
		d := data[i:]
		if len(d) >= FrameLen && d[FrameLen-1] == CR {
			if len(d) >= n {
				return i + n, d[:n], nil
			}
		} else if j := bytes.IndexByte(d[1:min(len(d), FrameLen)], STX); j >= 0 {
			return i + 1 + j, d[:1+j], nil // cut frame, a new one starts
		} else if len(d) >= FrameLen {
			return i + FrameLen, d[:FrameLen], nil // no CR where it belongs
		}
		if atEOF {
			return len(data), d, nil
		}
		return i, nil, nil
	}
}

// Config configures a Scale.
type Config struct {
	Name     string            // scale name in readings and status (default "toledo")
	Serial   serialport.Config // device path; 9600 8N1 by default (many terminals default to 7E1: set DataBits and Parity)
	Checksum bool              // the terminal sends the checksum byte (and it is verified)
	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

// Scale is a terminal sending Toledo continuous output. It implements
// scale.Scale.
type Scale struct {
	b        *serialscale.Base
	checksum bool
}

var _ scale.Scale = (*Scale)(nil)

// New returns a Scale for cfg.
func New(cfg Config) (*Scale, error) {
	b, err := serialscale.New(serialscale.Config{Driver: "toledo", Name: cfg.Name, Serial: cfg.Serial, Now: cfg.Now, OnStatus: cfg.OnStatus, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return &Scale{b: b, checksum: cfg.Checksum}, nil
}

// Run implements scale.Scale: it calls fn for every frame the terminal
// sends until ctx ends or Close. It returns ctx.Err() or
// drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	parse := func(b []byte) (scale.Weight, error) {
		f, err := Parse(b, s.checksum)
		return f.Weight, err
	}
	return s.b.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return s.b.Stream(ctx, port, Split(s.checksum), parse, fn)
	})
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.b.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.b.Close() }
