// Package serialscale is the part every serial scale driver shares: a
// status tracker and a serialport.Keeper that keeps the device open
// across unplug/replug, the scale.Scale methods on top of them, a
// continuous-stream session (frames split from the byte stream, parsed,
// bad ones logged and skipped) and a line splitter for CR/LF protocols.
package serialscale

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
	"github.com/eldergate/eldergate/drivers/serialport"
)

// Config configures a Base.
type Config struct {
	Driver   string // driver name in the status, e.g. "and"
	Name     string // scale name in readings and status; default Driver
	Serial   serialport.Config
	Now      func() time.Time     // default time.Now
	OnStatus func(drivers.Status) // may be nil
	Log      *slog.Logger         // default discards
}

// Base implements the scale.Scale plumbing of a serial scale on top of a
// serialport.Device (Status, Close and its Tracker).
type Base struct {
	*serialport.Device
	Name string
	Now  func() time.Time
	Log  *slog.Logger
}

// New returns a Base for cfg.
func New(cfg Config) (*Base, error) {
	if cfg.Name == "" {
		cfg.Name = cfg.Driver
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dev, err := serialport.NewDevice(cfg.Driver, cfg.Name, cfg.Serial, cfg.Now, cfg.OnStatus)
	if err != nil {
		return nil, err
	}
	return &Base{
		Device: dev,
		Name:   cfg.Name,
		Now:    cfg.Now,
		Log:    cfg.Log.With("driver", cfg.Driver, "scale", cfg.Name),
	}, nil
}

// Run runs session inside the keeper until ctx ends or Close; it returns
// ctx.Err() or drivers.ErrClosed.
func (b *Base) Run(ctx context.Context, session serialport.Session) error {
	return b.RunPort(ctx, session)
}

// Stamp fills the scale name and time of w.
func (b *Base) Stamp(w scale.Weight) scale.Weight {
	w.Scale = b.Name
	w.At = b.Now()
	return w
}

// MaxFrame bounds the bytes the stream session buffers while looking for
// the end of a frame; splitters must return a token before that.
const MaxFrame = 256

// Stream is the session of a continuously sending scale: it splits the
// bytes read from port into frames with split, parses each with parse,
// and calls fn with every good reading (stamped). A frame that parse
// rejects is logged with its error and skipped; the stream carries on
// with the next frame. Stream returns the read error that ended it.
func (b *Base) Stream(ctx context.Context, port io.Reader, split bufio.SplitFunc, parse func([]byte) (scale.Weight, error), fn func(scale.Weight)) error {
	sc := bufio.NewScanner(port)
	sc.Buffer(make([]byte, 0, MaxFrame), MaxFrame)
	sc.Split(split)
	for sc.Scan() {
		frame := sc.Bytes()
		w, err := parse(frame)
		if errors.Is(err, ErrSkip) {
			b.Log.Debug("frame skipped", "frame", fmt.Sprintf("%q", frame), "err", err)
			continue
		}
		if err != nil {
			b.Log.Warn("bad frame skipped", "frame", fmt.Sprintf("%q", frame), "err", err)
			continue
		}
		fn(b.Stamp(w))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return io.EOF
}

// ErrSkip is wrapped by the error a parse function returns for a frame
// that is valid but not for this driver (e.g. another device's ID): it
// is skipped and logged at debug level only.
var ErrSkip = errors.New("frame skipped")

// SplitLines is a bufio.SplitFunc for protocols whose frames end with CR,
// LF or CR LF: it returns each non-empty line without its terminator.
// A run of more than max bytes without a terminator is returned as one
// token (so that it is reported and dropped, not buffered forever).
func SplitLines(max int) bufio.SplitFunc {
	return func(data []byte, atEOF bool) (int, []byte, error) {
		// skip leading terminators
		start := 0
		for start < len(data) && (data[start] == '\r' || data[start] == '\n') {
			start++
		}
		rest := data[start:]
		if i := bytes.IndexAny(rest, "\r\n"); i >= 0 {
			if i > max {
				return start + max, rest[:max], nil
			}
			return start + i + 1, rest[:i], nil
		}
		if len(rest) >= max {
			return start + max, rest[:max], nil
		}
		if atEOF && len(rest) > 0 {
			return len(data), rest, nil
		}
		return start, nil, nil
	}
}
