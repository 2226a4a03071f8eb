package cas

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

// FrameLen is the length of a frame including CR LF.
const FrameLen = 22

// Lamp status bits (byte 7).
const (
	LampZero    = 1 << 0
	LampTare    = 1 << 1
	LampGross   = 1 << 2
	LampPrinter = 1 << 3
	LampHold    = 1 << 4
	LampStable  = 1 << 6
	lampAlways  = 1 << 7
)

// Errors wrapped by Parse.
var (
	ErrLength = errors.New("cas: wrong frame length")
	ErrFrame  = errors.New("cas: malformed frame")
)

// Frame is one decoded frame.
type Frame struct {
	Weight   scale.Weight // Grams, State and Net
	DeviceID byte         // the indicator's device ID byte
	Lamp     byte         // lamp status byte, see the Lamp* bits
}

// Parse parses one frame of FrameLen bytes (with its CR LF) or of
// FrameLen-2 bytes (without it).
func Parse(b []byte) (Frame, error) {
	switch len(b) {
	case FrameLen:
		if b[20] != '\r' || b[21] != '\n' {
			return Frame{}, fmt.Errorf("%w: no CR LF at the end: %q", ErrFrame, b)
		}
		b = b[:20]
	case FrameLen - 2:
	default:
		return Frame{}, fmt.Errorf("%w: %d bytes, want %d: %q", ErrLength, len(b), FrameLen, b)
	}
	if b[2] != ',' || b[5] != ',' || b[8] != ',' {
		return Frame{}, fmt.Errorf("%w: separators: %q", ErrFrame, b)
	}
	f := Frame{DeviceID: b[6], Lamp: b[7]}
	if f.Lamp&lampAlways == 0 {
		return Frame{}, fmt.Errorf("%w: lamp byte 0x%02x without bit 7: %q", ErrFrame, f.Lamp, b)
	}
	if b[17] != ' ' {
		return Frame{}, fmt.Errorf("%w: no blank before the unit: %q", ErrFrame, b)
	}
	switch string(b[3:5]) {
	case "GS":
	case "NT":
		f.Weight.Net = true
	default:
		return Frame{}, fmt.Errorf("%w: unknown header2 %q", ErrFrame, b[3:5])
	}
	data, unit := string(b[9:17]), string(b[18:20])
	switch string(b[0:2]) {
	case "ST":
		f.Weight.State = scale.Stable
	case "US":
		f.Weight.State = scale.Unstable
	case "OL":
		f.Weight.State = scale.Overload
		if strings.Contains(data, "-") {
			f.Weight.State = scale.Underload
		}
		return f, nil
	default:
		return Frame{}, fmt.Errorf("%w: unknown header1 %q", ErrFrame, b[0:2])
	}
	g, err := weight.Parse(data, unit)
	if err != nil {
		return Frame{}, fmt.Errorf("cas: %q: %w", b, err)
	}
	f.Weight.Grams = g
	return f, nil
}

// Decode parses a received line (CR/LF already removed): a line longer
// than a frame keeps only its last FrameLen-2 bytes, the bytes before
// them being line noise.
func Decode(line []byte) (Frame, error) {
	if len(line) > FrameLen-2 {
		line = line[len(line)-(FrameLen-2):]
	}
	return Parse(line)
}

// Config configures a Scale.
type Config struct {
	Name     string            // scale name in readings and status (default "cas")
	Serial   serialport.Config // device path, 9600 8N1 by default
	DeviceID byte              // keep only frames of this device ID byte; 0 keeps all
	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

// Scale is a CAS indicator sending 22-byte frames continuously. It
// implements scale.Scale.
type Scale struct {
	b  *serialscale.Base
	id byte
}

var _ scale.Scale = (*Scale)(nil)

// New returns a Scale for cfg.
func New(cfg Config) (*Scale, error) {
	b, err := serialscale.New(serialscale.Config{Driver: "cas", Name: cfg.Name, Serial: cfg.Serial, Now: cfg.Now, OnStatus: cfg.OnStatus, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return &Scale{b: b, id: cfg.DeviceID}, nil
}

// errOtherDevice marks frames of another device; they are skipped.
var errOtherDevice = fmt.Errorf("cas: frame of another device ID (%w)", serialscale.ErrSkip)

func (s *Scale) decode(line []byte) (scale.Weight, error) {
	f, err := Decode(line)
	if err != nil {
		return scale.Weight{}, err
	}
	if s.id != 0 && f.DeviceID != s.id {
		return scale.Weight{}, fmt.Errorf("%w: %q, want %q", errOtherDevice, f.DeviceID, s.id)
	}
	return f.Weight, nil
}

// Run implements scale.Scale: it calls fn for every frame the indicator
// sends until ctx ends or Close. It returns ctx.Err() or
// drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	return s.b.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return s.b.Stream(ctx, port, serialscale.SplitLines(2*FrameLen), s.decode, fn)
	})
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.b.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.b.Close() }
