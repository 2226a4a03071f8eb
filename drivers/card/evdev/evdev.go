package evdev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int) in linux/input.h.
const eviocgrab = 0x40044590

// DefaultGap is the default Config.Gap: wedge readers type a whole
// number within a few tens of milliseconds.
const DefaultGap = 500 * time.Millisecond

// OpenGrabbed opens an evdev device read-only and grabs it, so that its
// keystrokes reach no other reader of the device (the kiosk's browser,
// a console). The grab ends when the file is closed.
func OpenGrabbed(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("evdev: open: %w", err)
	}
	if err := grab(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func grab(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("evdev: grab %s: %w", f.Name(), err)
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = unix.IoctlSetInt(int(fd), eviocgrab, 1) }); err != nil {
		return fmt.Errorf("evdev: grab %s: %w", f.Name(), err)
	}
	if ierr != nil {
		return fmt.Errorf("evdev: grab %s (EVIOCGRAB; is it an input event device, and not grabbed by another process?): %w", f.Name(), ierr)
	}
	return nil
}

// Config configures a Reader.
type Config struct {
	Name   string      // reader name for reads and status; default "evdev"
	Path   string      // e.g. /dev/input/by-id/usb-...-event-kbd; required
	Format card.Format // how the reader types the card; default hex, big-endian
	// Gap rejects a partial credential after a pause between keys longer
	// than this; zero means DefaultGap, negative means no limit.
	Gap time.Duration
	// EventSize is the size of struct input_event, 16 or 24; 0 means the
	// size of this build (NativeEventSize).
	EventSize int
	// Open opens the device; default OpenGrabbed. Tests inject one.
	Open func(path string) (io.ReadCloser, error)
	// MinBackoff and MaxBackoff bound the wait between reopen attempts;
	// defaults 200 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration

	Now      func() time.Time     // default time.Now
	Log      *slog.Logger         // default discards
	OnStatus func(drivers.Status) // may be nil
}

// Stats counts what the reader saw since it was made.
type Stats struct {
	Delivered int // credentials delivered
	Rejected  int // key sequences rejected
}

// Reader is a keyboard-wedge card reader. It implements card.Reader.
type Reader struct {
	cfg     Config
	tracker *drivers.Tracker

	stats drivers.Counters[Stats]

	mu      sync.Mutex
	closed  bool
	running bool
	cancel  context.CancelFunc
	done    chan struct{}
}

var _ card.Reader = (*Reader)(nil)

// New returns a reader for the device at cfg.Path.
func New(cfg Config) (*Reader, error) {
	if cfg.Path == "" {
		return nil, errors.New("evdev: no device path")
	}
	if cfg.Name == "" {
		cfg.Name = "evdev"
	}
	f, err := card.ParseFormat(string(cfg.Format.Input), string(cfg.Format.Order))
	if err != nil {
		return nil, fmt.Errorf("evdev: %w", err)
	}
	f.WiegandBits = cfg.Format.WiegandBits
	cfg.Format = f
	switch cfg.EventSize {
	case 0:
		cfg.EventSize = NativeEventSize
	case EventSize32, EventSize64:
	default:
		return nil, fmt.Errorf("evdev: event size %d is not 16 or 24", cfg.EventSize)
	}
	if cfg.Gap == 0 {
		cfg.Gap = DefaultGap
	}
	if cfg.Gap < 0 {
		cfg.Gap = 0
	}
	if cfg.Open == nil {
		cfg.Open = OpenGrabbed
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Reader{cfg: cfg, tracker: drivers.NewTracker(cfg.Name, "evdev", cfg.Now, cfg.OnStatus)}, nil
}

// Run implements card.Reader: it reads the device until ctx ends or the
// reader is closed, reopening it with backoff after it vanished.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return drivers.ErrClosed
	}
	if r.running {
		r.mu.Unlock()
		return errors.New("evdev: already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	r.running, r.cancel, r.done = true, cancel, make(chan struct{})
	done := r.done
	r.mu.Unlock()
	defer close(done)
	defer cancel()

	backoff := r.cfg.MinBackoff
	for {
		dev, err := r.cfg.Open(r.cfg.Path)
		if err == nil {
			r.tracker.Set(true, nil)
			start := time.Now()
			// A new decoder: a credential cut by an unplug is lost.
			err = r.readDevice(ctx, dev, &Decoder{Format: r.cfg.Format, Gap: r.cfg.Gap}, fn)
			if time.Since(start) > 5*time.Second {
				backoff = r.cfg.MinBackoff
			}
		}
		if ctx.Err() != nil {
			return r.stopped(ctx)
		}
		r.tracker.Set(false, err)
		r.cfg.Log.Warn("evdev: device unavailable", "reader", r.cfg.Name, "err", err)
		t := time.NewTimer(backoff + rand.N(backoff/4+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return r.stopped(ctx)
		case <-t.C:
		}
		backoff = min(backoff*2, r.cfg.MaxBackoff)
	}
}

func (r *Reader) stopped(ctx context.Context) error {
	r.tracker.Set(false, nil)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return drivers.ErrClosed
	}
	return ctx.Err()
}

// readDevice reads events until the device fails or ctx ends; a watcher
// goroutine closes the device when ctx ends so that a blocked read
// returns. It closes dev and waits for the watcher.
func (r *Reader) readDevice(ctx context.Context, dev io.ReadCloser, dec *Decoder, fn func(card.Read)) error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			dev.Close()
		case <-stop:
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
		dev.Close()
	}()
	size := r.cfg.EventSize
	buf := make([]byte, 64*size)
	var pending []byte
	for {
		n, err := dev.Read(buf)
		pending = append(pending, buf[:n]...)
		for len(pending) >= size {
			e, _ := ParseEvent(pending[:size]) // size is 16 or 24: no error
			pending = pending[size:]
			cred, ok, derr := dec.Feed(e)
			if derr != nil {
				r.stats.Add(func(s *Stats) { s.Rejected++ })
				r.cfg.Log.Warn("evdev: keys rejected", "reader", r.cfg.Name, "err", derr)
			}
			if ok {
				r.stats.Add(func(s *Stats) { s.Delivered++ })
				fn(card.Read{Credential: cred, Reader: r.cfg.Name, At: r.cfg.Now()})
			}
		}
		pending = append([]byte(nil), pending...)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return errors.New("evdev: device closed (end of file)")
			}
			return fmt.Errorf("evdev: read: %w", err)
		}
	}
}

// Stats returns the counters.
func (r *Reader) Stats() Stats { return r.stats.Get() }

// Status implements card.Reader.
func (r *Reader) Status() drivers.Status { return r.tracker.Status() }

// Close implements card.Reader: it stops Run and waits for it. It is safe
// to call more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	r.closed = true
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}
