package rdm6300

import (
	"bufio"
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

// DefaultBaud is the module's fixed line speed.
const DefaultBaud = 9600

// DefaultRepeatInterval is the default Config.RepeatInterval.
const DefaultRepeatInterval = 300 * time.Millisecond

// Config configures a Reader.
type Config struct {
	Name string            // reader name for reads and status; default "rdm6300"
	Port serialport.Config // Path is required; Baud defaults to 9600

	Order          card.Order // byte order of the credential; default card.BigEndian
	IncludeVersion bool       // credential of 5 bytes (version + card) instead of 4
	// RepeatInterval drops a frame identical to the last delivered one
	// within this interval. Zero means DefaultRepeatInterval; negative
	// delivers every frame.
	RepeatInterval time.Duration

	Now      func() time.Time     // default time.Now
	Log      *slog.Logger         // default discards
	OnStatus func(drivers.Status) // may be nil
}

// Stats counts what the reader saw since it was made.
type Stats struct {
	Frames    int // good frames
	Delivered int // reads delivered
	Repeats   int // good frames dropped as repeats within RepeatInterval
	BadFrames int // malformed frames and frames with a bad checksum
	Checksum  int // of BadFrames, those with a bad checksum
}

// Reader is an RDM6300 reader. It implements card.Reader.
type Reader struct {
	*serialport.Device // Status, Close
	cfg                Config
	stats              drivers.Counters[Stats]
}

var _ card.Reader = (*Reader)(nil)

// New returns a reader for the module at cfg.Port.Path.
func New(cfg Config) (*Reader, error) {
	if cfg.Name == "" {
		cfg.Name = "rdm6300"
	}
	if cfg.Port.Baud == 0 {
		cfg.Port.Baud = DefaultBaud
	}
	if cfg.Order == "" {
		cfg.Order = card.BigEndian
	}
	if cfg.Order != card.BigEndian && cfg.Order != card.LittleEndian {
		return nil, fmt.Errorf("rdm6300: byte order %q is not be or le", string(cfg.Order))
	}
	if cfg.RepeatInterval == 0 {
		cfg.RepeatInterval = DefaultRepeatInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dev, err := serialport.NewDevice("rdm6300", cfg.Name, cfg.Port, cfg.Now, cfg.OnStatus)
	if err != nil {
		return nil, err
	}
	return &Reader{Device: dev, cfg: cfg}, nil
}

// Run implements card.Reader: it reads frames until ctx ends or the
// reader is closed, reopening the device after it vanished.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	return r.RunPort(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return r.session(ctx, port, fn)
	})
}

func (r *Reader) session(ctx context.Context, port io.Reader, fn func(card.Read)) error {
	br := bufio.NewReader(port)
	var sc Scanner
	rep := repeatFilter{interval: r.cfg.RepeatInterval}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		f, ok, err := sc.Feed(c)
		if err != nil {
			r.stats.Add(func(s *Stats) {
				s.BadFrames++
				if errors.Is(err, ErrChecksum) {
					s.Checksum++
				}
			})
			r.cfg.Log.Warn("rdm6300: frame skipped", "reader", r.cfg.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		cred := r.credential(f)
		now := r.cfg.Now()
		if !rep.pass(cred, now) {
			r.stats.Add(func(s *Stats) { s.Frames++; s.Repeats++ })
			continue
		}
		r.stats.Add(func(s *Stats) { s.Frames++; s.Delivered++ })
		fn(card.Read{Credential: cred, Reader: r.cfg.Name, At: now})
	}
}

func (r *Reader) credential(f Frame) string {
	if r.cfg.IncludeVersion {
		id := f.ID()
		return card.FromUID(id[:], r.cfg.Order)
	}
	return card.FromUID(f.Card[:], r.cfg.Order)
}

// Stats returns the counters.
func (r *Reader) Stats() Stats { return r.stats.Get() }

// repeatFilter drops a credential identical to the last one passed within
// interval. A negative interval passes everything.
type repeatFilter struct {
	interval time.Duration
	last     string
	at       time.Time
}

func (f *repeatFilter) pass(cred string, now time.Time) bool {
	if f.interval < 0 {
		return true
	}
	if cred == f.last && now.Sub(f.at) < f.interval && !now.Before(f.at) {
		return false
	}
	f.last, f.at = cred, now
	return true
}
