package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// SerialConfig configures a Serial printer.
type SerialConfig struct {
	Name string // device name for status, default "printer"
	Path string // e.g. /dev/ttyUSB0
	Baud int    // default 9600 (check the printer's self-test page)

	Timeout  time.Duration // status reply timeout, default 1 s
	NoStatus bool          // print without status checks (no back channel)
	// Poll is how often the status is asked while idle, so that paper out
	// shows before a ticket fails; default 30 s, negative disables (then
	// the status is only read when printing).
	Poll time.Duration

	MinBackoff, MaxBackoff time.Duration // reopen backoff, serialport defaults when 0

	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

// Serial is an ESC/POS printer on a serial line (RS-232 or a USB serial
// adapter), kept open by a serialport.Keeper across unplug and replug. It
// implements printer.Printer. The keeper runs in a goroutine owned by
// Serial from NewSerial until Close.
//
// tarm/serial sets no flow control: a ticket (well under 1 KB) fits in
// the receive buffer of any ESC/POS printer, but long jobs would need the
// printer's DTR/DSR or XON/XOFF handshake.
type Serial struct {
	cfg     SerialConfig
	log     *slog.Logger
	tracker *drivers.Tracker
	keeper  *serialport.Keeper

	mu     sync.Mutex
	live   *live // the running session, nil while disconnected
	closed bool

	cancel context.CancelFunc
	done   chan struct{}
}

// live is one open session of the device.
type live struct {
	jobs chan job
	done chan struct{} // closed when the session ends
}

type job struct {
	ctx    context.Context
	ticket []byte // nil: status query only
	res    chan jobResult
}

type jobResult struct {
	st  Status
	err error
}

var _ printer.Printer = (*Serial)(nil)

// NewSerial starts keeping the printer at cfg.Path open.
func NewSerial(cfg SerialConfig) (*Serial, error) {
	if cfg.Path == "" {
		return nil, errors.New("escpos: no serial device path")
	}
	if cfg.Name == "" {
		cfg.Name = "printer"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Poll == 0 {
		cfg.Poll = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Serial{cfg: cfg, log: cfg.Log.With("device", cfg.Name, "driver", "escpos")}
	s.tracker = drivers.NewTracker(cfg.Name, "escpos", cfg.Now, cfg.OnStatus)
	s.keeper = serialport.NewKeeper(serialport.Config{
		Path: cfg.Path, Baud: cfg.Baud, MinBackoff: cfg.MinBackoff, MaxBackoff: cfg.MaxBackoff,
	}, s.tracker)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		s.keeper.Run(ctx, s.session)
	}()
	return s, nil
}

// Print implements printer.Printer. It fails at once with
// printer.ErrNotConnected while the device is unplugged.
func (s *Serial) Print(ctx context.Context, ticket []byte) error {
	if ticket == nil {
		ticket = []byte{}
	}
	_, err := s.do(ctx, ticket)
	return err
}

// QueryStatus asks the printer for its status now.
func (s *Serial) QueryStatus(ctx context.Context) (Status, error) {
	return s.do(ctx, nil)
}

func (s *Serial) do(ctx context.Context, ticket []byte) (Status, error) {
	s.mu.Lock()
	l, closed := s.live, s.closed
	s.mu.Unlock()
	if closed {
		return Status{}, drivers.ErrClosed
	}
	if l == nil {
		return Status{}, fmt.Errorf("escpos: %s: %w", s.cfg.Path, printer.ErrNotConnected)
	}
	j := job{ctx: ctx, ticket: ticket, res: make(chan jobResult, 1)}
	select {
	case l.jobs <- j:
	case <-l.done:
		return Status{}, fmt.Errorf("escpos: %s: %w", s.cfg.Path, printer.ErrNotConnected)
	case <-ctx.Done():
		return Status{}, fmt.Errorf("escpos: %w", ctx.Err())
	}
	r := <-j.res // the session answers every job it takes, bounded by Timeout
	return r.st, r.err
}

// Status implements printer.Printer.
func (s *Serial) Status() drivers.Status { return s.tracker.Status() }

// Close implements printer.Printer: it stops the keeper and waits for it.
func (s *Serial) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.keeper.Close()
	s.cancel()
	<-s.done
	return nil
}

// session serves one open port: print and status jobs, and the idle
// status poll. A reader goroutine owned by the session forwards what the
// printer sends; the session returns only after it has returned (the
// port's Read ends with ctx or the device).
func (s *Serial) session(ctx context.Context, port io.ReadWriter) error {
	chunks := make(chan []byte)
	dead := make(chan struct{})
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(dead)
		buf := make([]byte, 64)
		for {
			n, err := port.Read(buf)
			if n > 0 {
				select {
				case chunks <- append([]byte(nil), buf[:n]...):
				case <-ctx.Done():
					readErr = ctx.Err()
					return
				}
			}
			if err != nil {
				readErr = err
				return
			}
		}
	}()
	defer wg.Wait()

	in := &chanReader{chunks: chunks, dead: dead}
	pr := &proto{w: port, in: in, timeout: s.cfg.Timeout, noStatus: s.cfg.NoStatus}
	l := &live{jobs: make(chan job), done: make(chan struct{})}
	s.mu.Lock()
	s.live = l
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.live = nil
		s.mu.Unlock()
		close(l.done)
	}()

	var tick <-chan time.Time
	if s.cfg.Poll > 0 && !s.cfg.NoStatus {
		s.poll(ctx, pr)
		t := time.NewTicker(s.cfg.Poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dead:
			return readErr
		case b := <-chunks:
			s.log.Debug("escpos: unsolicited bytes dropped", "bytes", fmt.Sprintf("% X", b))
		case <-tick:
			s.poll(ctx, pr)
		case j := <-l.jobs:
			var r jobResult
			var ok bool
			if j.ticket == nil {
				r.st, r.err = pr.status(j.ctx)
				ok = r.err == nil
			} else {
				r.st, ok, r.err = pr.print(j.ctx, j.ticket)
			}
			report(s.tracker, s.log, r.st, ok, r.err)
			j.res <- r
		}
	}
}

func (s *Serial) poll(ctx context.Context, pr *proto) {
	st, err := pr.status(ctx)
	report(s.tracker, s.log, st, err == nil, err)
}

// chanReader reads replies forwarded by a session's reader goroutine.
type chanReader struct {
	chunks  <-chan []byte
	dead    <-chan struct{}
	pending []byte
}

func (c *chanReader) drain() {
	c.pending = nil
	for {
		select {
		case <-c.chunks:
		default:
			return
		}
	}
}

func (c *chanReader) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	if len(c.pending) == 0 {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case b := <-c.chunks:
			c.pending = b
		case <-c.dead:
			return 0, serialport.ErrDisconnected
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
			return 0, errNoReply
		}
	}
	b := c.pending[0]
	c.pending = c.pending[1:]
	return b, nil
}
