package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/printer"
)

// replies is where status replies come from: a channel fed by a session's
// reader goroutine, or a reader with deadlines.
type replies interface {
	// drain discards what arrived so far (late replies, noise).
	drain()
	// readByte waits for one byte until deadline or ctx ends.
	readByte(ctx context.Context, deadline time.Time) (byte, error)
}

// errNoReply: the printer did not answer a status request in time.
var errNoReply = errors.New("no status reply")

// proto is the ESC/POS exchange over one open device.
type proto struct {
	w        io.Writer
	in       replies
	timeout  time.Duration
	noStatus bool
}

// query sends DLE EOT n and parses the reply. Bytes that cannot be a
// status reply (noise, a late answer to something else) are skipped until
// a reply comes or the timeout passes.
func (p *proto) query(ctx context.Context, n byte) (Status, error) {
	p.in.drain()
	if err := p.write(ctx, StatusRequest(n)); err != nil {
		return Status{}, err
	}
	deadline := time.Now().Add(p.timeout)
	var bad error
	for {
		b, err := p.in.readByte(ctx, deadline)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return Status{}, fmt.Errorf("escpos: status: %w", ctx.Err())
			case bad != nil && errors.Is(err, errNoReply):
				return Status{}, bad
			}
			return Status{}, fmt.Errorf("escpos: DLE EOT %d: %w: %w", n, printer.ErrNotConnected, err)
		}
		st, err := ParseStatus(n, b)
		if err == nil {
			return st, nil
		}
		bad = err
	}
}

// status asks for the printer status (n=1) and the paper status (n=4).
func (p *proto) status(ctx context.Context) (Status, error) {
	s1, err := p.query(ctx, StatusPrinter)
	if err != nil {
		return Status{}, err
	}
	s4, err := p.query(ctx, StatusPaper)
	if err != nil {
		return Status{}, err
	}
	return s1.merge(s4), nil
}

// print checks the status (unless noStatus) and sends ticket. The status
// is returned with ok=false when it was not read.
func (p *proto) print(ctx context.Context, ticket []byte) (st Status, ok bool, err error) {
	if !p.noStatus {
		st, err = p.status(ctx)
		if err != nil {
			return st, false, err
		}
		if err := st.Err(); err != nil {
			return st, true, err
		}
	}
	return st, !p.noStatus, p.write(ctx, ticket)
}

// write sends b in chunks, stopping between chunks when ctx ends.
func (p *proto) write(ctx context.Context, b []byte) error {
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("escpos: write: %w", err)
		}
		n := min(len(b), 256)
		if _, err := p.w.Write(b[:n]); err != nil {
			return fmt.Errorf("escpos: write: %w: %w", printer.ErrNotConnected, err)
		}
		b = b[n:]
	}
	return nil
}

// Options configure a Printer.
type Options struct {
	Name string // device name for status, default "printer"
	// Timeout bounds the wait for a status reply; default 1 s.
	Timeout time.Duration
	// NoStatus prints without asking for the status first, for printers
	// without a back channel (unidirectional USB). Paper out then goes
	// unnoticed.
	NoStatus bool

	Now      func() time.Time
	OnStatus func(drivers.Status)
	Log      *slog.Logger
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = "printer"
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Printer is an ESC/POS printer on an already open device: a USB printer
// character device (/dev/usb/lp0 opened with os.OpenFile), a serial port,
// a network socket. It implements printer.Printer; one ticket at a time.
//
// Status replies are read with deadlines when rw has
// SetReadDeadline (*os.File on a character device, net.Conn); otherwise
// rw's Read must return by itself now and then (tarm/serial with a read
// timeout returns io.EOF, which counts as "nothing yet"). A Read that
// blocks for ever without a reply blocks Print.
type Printer struct {
	rw      io.ReadWriter
	opts    Options
	tracker *drivers.Tracker
	proto   *proto

	mu     sync.Mutex // one exchange at a time
	closed bool
}

var _ printer.Printer = (*Printer)(nil)

// New returns a printer speaking over rw. Close closes rw if it is an
// io.Closer.
func New(rw io.ReadWriter, o Options) *Printer {
	o.defaults()
	p := &Printer{rw: rw, opts: o, tracker: drivers.NewTracker(o.Name, "escpos", o.Now, o.OnStatus)}
	p.proto = &proto{w: rw, in: &deadlineReader{r: rw}, timeout: o.Timeout, noStatus: o.NoStatus}
	return p
}

// Print implements printer.Printer.
func (p *Printer) Print(ctx context.Context, ticket []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return drivers.ErrClosed
	}
	st, ok, err := p.proto.print(ctx, ticket)
	report(p.tracker, p.opts.Log, st, ok, err)
	return err
}

// QueryStatus asks the printer for its status now.
func (p *Printer) QueryStatus(ctx context.Context) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return Status{}, drivers.ErrClosed
	}
	st, err := p.proto.status(ctx)
	report(p.tracker, p.opts.Log, st, err == nil, err)
	return st, err
}

// Status implements printer.Printer.
func (p *Printer) Status() drivers.Status { return p.tracker.Status() }

// Close implements printer.Printer.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.tracker.Set(false, nil)
	if c, ok := p.rw.(io.Closer); ok {
		if err := c.Close(); err != nil {
			return fmt.Errorf("escpos: close: %w", err)
		}
	}
	return nil
}

// report updates the device status after an exchange: a status read
// (ok) says connected with its note; a failure to reach the printer says
// disconnected; other errors (ctx ended) change nothing.
func report(t *drivers.Tracker, log *slog.Logger, st Status, ok bool, err error) {
	switch {
	case errors.Is(err, printer.ErrNotConnected):
		log.Warn("escpos: printer not answering", "err", err)
		t.Set(false, err)
	case ok:
		if note := st.Note(); note != "" {
			log.Warn("escpos: printer status", "status", note)
			t.Set(true, errors.New(note))
		} else {
			t.Set(true, nil)
		}
	case err == nil:
		t.Set(true, nil) // printed without a status check
	}
}

// deadlineReader reads replies from an io.Reader, with read deadlines
// when it has them.
type deadlineReader struct {
	r       io.Reader
	buf     [64]byte
	pending []byte
}

type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

func (d *deadlineReader) drain() {
	d.pending = nil
	rd, ok := d.r.(readDeadliner)
	if !ok || rd.SetReadDeadline(time.Now().Add(2*time.Millisecond)) != nil {
		return
	}
	defer rd.SetReadDeadline(time.Time{})
	for i := 0; i < 64; i++ {
		if n, err := d.r.Read(d.buf[:]); n == 0 || err != nil {
			return
		}
	}
}

func (d *deadlineReader) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	rd, hasDeadline := d.r.(readDeadliner)
	if hasDeadline {
		if err := rd.SetReadDeadline(deadline); err != nil {
			hasDeadline = false // e.g. a file that cannot be polled
		} else {
			defer rd.SetReadDeadline(time.Time{})
		}
	}
	for len(d.pending) == 0 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := d.r.Read(d.buf[:])
		if n > 0 {
			d.pending = append(d.pending[:0], d.buf[:n]...)
			break
		}
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			return 0, errNoReply
		case err == nil || errors.Is(err, io.EOF):
			// Nothing yet (a serial read timeout reports io.EOF).
			if !time.Now().Before(deadline) {
				return 0, errNoReply
			}
			if !hasDeadline {
				time.Sleep(5 * time.Millisecond)
			}
		default:
			return 0, err
		}
	}
	b := d.pending[0]
	d.pending = d.pending[1:]
	return b, nil
}
