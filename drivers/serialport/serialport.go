// Package serialport opens serial devices through github.com/tarm/serial
// and keeps them open across a USB adapter being unplugged and plugged
// back: a Keeper reports the device disconnected, retries with backoff and
// resumes the protocol session without a restart of the gateway.
//
// Protocol drivers (card, scale and button readers on a serial line) write
// a Session: a function that speaks the protocol over an io.ReadWriter
// until the port fails or the context ends.
package serialport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/tarm/serial"

	"github.com/eldergate/eldergate/drivers"
)

// Parity of the line.
type Parity byte

// Parities, as tarm/serial names them.
const (
	ParityNone Parity = 'N'
	ParityOdd  Parity = 'O'
	ParityEven Parity = 'E'
)

// Config says which device to open and how.
type Config struct {
	Path     string // e.g. /dev/ttyUSB0 or /dev/serial/by-id/...
	Baud     int    // default 9600
	DataBits byte   // default 8
	Parity   Parity // default none
	StopBits byte   // default 1

	// ReadTimeout bounds one read on the device so that a session notices
	// a cancelled context or a vanished device; default 100 ms.
	ReadTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reopen attempts;
	// defaults 200 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
}

func (c *Config) defaults() {
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if c.DataBits == 0 {
		c.DataBits = 8
	}
	if c.Parity == 0 {
		c.Parity = ParityNone
	}
	if c.StopBits == 0 {
		c.StopBits = 1
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 100 * time.Millisecond
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 200 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Second
	}
}

// ErrDisconnected is returned by a Port's Read once the device is gone.
var ErrDisconnected = errors.New("serialport: device disconnected")

// Port is an open serial device. Its Read blocks until at least one byte
// arrives, the context ends (ctx.Err()) or the device fails
// (ErrDisconnected or the OS error): the read timeouts of the line are
// hidden, so a Port works with bufio and io.ReadFull.
type Port struct {
	ctx  context.Context
	path string
	f    *serial.Port
}

// Open opens cfg.Path through tarm/serial. The Port's reads end when ctx
// ends.
func Open(ctx context.Context, cfg Config) (*Port, error) {
	cfg.defaults()
	if cfg.Path == "" {
		return nil, errors.New("serialport: no device path")
	}
	sc := &serial.Config{
		Name:        cfg.Path,
		Baud:        cfg.Baud,
		Size:        cfg.DataBits,
		Parity:      serial.Parity(cfg.Parity),
		StopBits:    serial.StopBits(cfg.StopBits),
		ReadTimeout: cfg.ReadTimeout,
	}
	f, err := serial.OpenPort(sc)
	if err != nil {
		return nil, fmt.Errorf("serialport: open %s: %w", cfg.Path, err)
	}
	return &Port{ctx: ctx, path: cfg.Path, f: f}, nil
}

// Read implements io.Reader; see Port.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if err := p.ctx.Err(); err != nil {
			return 0, err
		}
		n, err := p.f.Read(b)
		if n > 0 {
			return n, nil
		}
		// tarm/serial reports a read timeout as io.EOF (zero bytes).
		// A vanished device node (USB unplug) or a real error ends the port.
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: %v", ErrDisconnected, err)
		}
		if _, serr := os.Stat(p.path); serr != nil {
			return 0, fmt.Errorf("%w: %v", ErrDisconnected, serr)
		}
	}
}

// Write implements io.Writer.
func (p *Port) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	if err != nil {
		return n, fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	return n, nil
}

// Flush discards bytes received but not read.
func (p *Port) Flush() error { return p.f.Flush() }

// Close closes the device.
func (p *Port) Close() error { return p.f.Close() }

// Session speaks a protocol over an open port until the port fails or ctx
// ends. It returns the error that ended it.
type Session func(ctx context.Context, port io.ReadWriter) error

// Keeper keeps one serial device open for a driver: it opens the port,
// runs the session, and when the device goes away reports it
// disconnected, waits with exponential backoff and jitter, and opens it
// again.
type Keeper struct {
	cfg     Config
	tracker *drivers.Tracker

	mu     sync.Mutex
	closed bool
	cancel context.CancelFunc
	done   chan struct{}
}

// NewKeeper returns a keeper for cfg that reports status changes to
// tracker.
func NewKeeper(cfg Config, tracker *drivers.Tracker) *Keeper {
	cfg.defaults()
	return &Keeper{cfg: cfg, tracker: tracker}
}

// Config returns the effective configuration.
func (k *Keeper) Config() Config { return k.cfg }

// Run runs session over the device until ctx ends or Close is called,
// reopening the device as often as needed. It returns ctx.Err() or
// drivers.ErrClosed. A session that returns without error is restarted
// as well (after the minimum backoff) as long as the keeper runs.
func (k *Keeper) Run(ctx context.Context, session Session) error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return drivers.ErrClosed
	}
	if k.done != nil {
		k.mu.Unlock()
		return errors.New("serialport: keeper already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	k.cancel, k.done = cancel, make(chan struct{})
	done := k.done
	k.mu.Unlock()
	defer close(done)
	defer cancel()

	backoff := k.cfg.MinBackoff
	for {
		port, err := Open(ctx, k.cfg)
		if err == nil {
			k.tracker.Set(true, nil)
			start := time.Now()
			err = session(ctx, port)
			port.Close()
			if time.Since(start) > 5*time.Second {
				backoff = k.cfg.MinBackoff // it ran fine for a while
			}
			if err == nil {
				err = errors.New("serialport: session ended")
			}
		}
		if ctx.Err() != nil {
			k.tracker.Set(false, nil)
			if k.isClosed() {
				return drivers.ErrClosed
			}
			return ctx.Err()
		}
		k.tracker.Set(false, err)
		wait := backoff + rand.N(backoff/4+1)
		select {
		case <-ctx.Done():
			k.tracker.Set(false, nil)
			if k.isClosed() {
				return drivers.ErrClosed
			}
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(backoff*2, k.cfg.MaxBackoff)
	}
}

func (k *Keeper) isClosed() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.closed
}

// Close stops Run and waits for it. It is safe to call more than once.
func (k *Keeper) Close() error {
	k.mu.Lock()
	k.closed = true
	cancel, done := k.cancel, k.done
	k.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}
