package mfrc522

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/mfrc522/commands"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
)

// Clock is the driver's time source; see drivers.Clock.
type Clock = drivers.Clock

// SystemClock returns a Clock telling the time with now (time.Now if nil).
func SystemClock(now func() time.Time) Clock { return drivers.SystemClock(now) }

// Defaults of Config.
const (
	DefaultTimeout  = time.Second
	DefaultStep     = 100 * time.Millisecond
	DefaultInterval = 500 * time.Millisecond
	DefaultRetry    = 2 * time.Second
	DefaultGain     = 4
)

// Config configures a Reader. The zero value is usable.
type Config struct {
	Name string // reader name in reads and status; default "mfrc522"
	// Timeout is how long one poll waits for a card before the chip is
	// initialised again (default 1 s).
	Timeout time.Duration
	// Step is how often REQA is sent while waiting for the IRQ line
	// (default 100 ms). A poll waits Timeout/Step steps, rounded up.
	Step time.Duration
	// Interval is the pause after a read or a failed read before the
	// next poll (default 500 ms): a held card is read about twice a second.
	Interval time.Duration
	// Retry is the pause after a device error (default 2 s).
	Retry time.Duration
	// Gain is the receiver gain, RFCfgReg RxGain 1-7 (0 takes the
	// default 4, 33 dB; 7 is 48 dB).
	Gain int
	// Clock defaults to SystemClock(nil).
	Clock Clock
	// OnStatus is called on every status change; may be nil.
	OnStatus func(drivers.Status)
	// Log defaults to a discarding logger.
	Log *slog.Logger
}

// Stats counts the reader's polls.
type Stats struct {
	Polls     uint64 // poll cycles
	Reads     uint64 // UIDs read
	Failures  uint64 // cards that answered but could not be read (collision, BCC, CRC, ...)
	LastError string // the last failure or device error
}

// ErrNoCard is returned by Poll when no card answered within the timeout
// (or the card left before it could be selected).
var ErrNoCard = errors.New("mfrc522: no card")

// deviceError marks errors of the chip or the SPI bus, as opposed to a
// card that could not be read.
type deviceError struct{ err error }

func (e *deviceError) Error() string { return e.err.Error() }
func (e *deviceError) Unwrap() error { return e.err }

func devErr(format string, args ...any) error {
	return &deviceError{fmt.Errorf("mfrc522: "+format, args...)}
}

// IsDeviceError reports whether err comes from the chip or the SPI bus
// (not answering, transfer failed) rather than from a card.
func IsDeviceError(err error) bool {
	var d *deviceError
	return errors.As(err, &d)
}

// Reader reads card UIDs through an NXP MFRC522 on SPI. It implements
// card.Reader.
type Reader struct {
	ll      *commands.LowLevel
	irq     gpio.PinIn
	cfg     Config
	clock   Clock
	log     *slog.Logger
	tracker *drivers.Tracker

	busy sync.Mutex // one poll (or the power-down) at a time

	mu      sync.Mutex
	stats   Stats
	closed  bool
	running bool
	cancel  context.CancelFunc
}

var _ card.Reader = (*Reader)(nil)

// New connects to the MFRC522 on port (SPI mode 0, 10 MHz, through
// periph's mfrc522/commands low-level driver), drives reset high (out of
// hard power-down) and configures irq as an input with pull-up
// interrupting on falling edges. The chip is first touched by the first
// poll, which reports a missing chip through the status.
func New(port spi.Port, reset gpio.PinOut, irq gpio.PinIn, cfg Config) (*Reader, error) {
	if port == nil || reset == nil || irq == nil {
		return nil, errors.New("mfrc522: SPI port, reset pin and IRQ pin are required")
	}
	if cfg.Gain < 0 || cfg.Gain > 7 {
		return nil, fmt.Errorf("mfrc522: gain %d is not 0-7", cfg.Gain)
	}
	if cfg.Gain == 0 {
		cfg.Gain = DefaultGain
	}
	if cfg.Name == "" {
		cfg.Name = "mfrc522"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Step <= 0 {
		cfg.Step = DefaultStep
	}
	if cfg.Interval < 0 {
		cfg.Interval = 0
	} else if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock(nil)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ll, err := commands.NewLowLevelSPI(markedPort{port}, reset, irq)
	if err != nil {
		return nil, fmt.Errorf("mfrc522: %w", err)
	}
	ll.SetAntennaGain(cfg.Gain)
	r := &Reader{ll: ll, irq: irq, cfg: cfg, clock: cfg.Clock, log: cfg.Log}
	r.tracker = drivers.NewTracker(cfg.Name, "mfrc522", cfg.Clock.Now, cfg.OnStatus)
	return r, nil
}

// Status implements card.Reader.
func (r *Reader) Status() drivers.Status { return r.tracker.Status() }

// Stats returns the counters.
func (r *Reader) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Reader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Close stops Run (which returns drivers.ErrClosed), waits for the poll
// in progress to stop (at most about one Step) and puts the chip into
// soft power-down. Safe to call more than once.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.busy.Lock()
	defer r.busy.Unlock()
	if err := r.ll.DevWrite(commands.CommandReg, 0x10); err != nil { // PowerDown
		return fmt.Errorf("mfrc522: power down: %w", err)
	}
	return nil
}

// Poll waits up to Config.Timeout for a card and returns its UID (4, 7
// or 10 bytes, UID0 first). It returns ErrNoCard when no card answered,
// an error for which IsDeviceError is true when the chip or the bus
// failed, and another error wrapping ErrFrame when a card answered but
// could not be read.
func (r *Reader) Poll(ctx context.Context) ([]byte, error) {
	r.busy.Lock()
	defer r.busy.Unlock()
	if r.isClosed() {
		return nil, drivers.ErrClosed
	}
	uid, err := r.poll(ctx)
	r.mu.Lock()
	r.stats.Polls++
	switch {
	case err == nil:
		r.stats.Reads++
	case errors.Is(err, ErrNoCard) || ctx.Err() != nil:
	case IsDeviceError(err):
		r.stats.LastError = err.Error()
	default:
		r.stats.Failures++
		r.stats.LastError = err.Error()
	}
	r.mu.Unlock()
	return uid, err
}

// Run polls for cards and calls fn with the canonical credential (upper-
// case hex of the UID) of every card read, until ctx is done or the
// reader is closed. A held card is read again every Config.Interval.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return drivers.ErrClosed
	}
	if r.running {
		r.mu.Unlock()
		return errors.New("mfrc522: Run is already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.running, r.cancel = true, cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running, r.cancel = false, nil
		r.mu.Unlock()
	}()
	for {
		uid, err := r.Poll(ctx)
		var pause time.Duration
		switch {
		case ctx.Err() != nil || errors.Is(err, drivers.ErrClosed):
			return r.runErr(ctx)
		case err == nil:
			r.tracker.Set(true, nil)
			fn(card.Read{Credential: card.FromUID(uid, card.BigEndian), Reader: r.cfg.Name, At: r.clock.Now()})
			pause = r.cfg.Interval
		case errors.Is(err, ErrNoCard):
			r.tracker.Set(true, nil)
		case IsDeviceError(err):
			r.log.Warn("mfrc522: device error", "reader", r.cfg.Name, "err", err)
			r.tracker.Set(false, err)
			pause = r.cfg.Retry
		default:
			r.log.Info("mfrc522: card not read", "reader", r.cfg.Name, "err", err)
			r.tracker.Set(true, nil)
			pause = r.cfg.Interval
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
				return r.runErr(ctx)
			case <-r.clock.At(r.clock.Now().Add(pause)):
			}
		}
	}
}

func (r *Reader) runErr(ctx context.Context) error {
	if r.isClosed() {
		return drivers.ErrClosed
	}
	return ctx.Err()
}

// poll is one cycle; r.busy is held.
//
// Waiting for a card follows the interrupt scheme of NXP's MFRC522
// datasheet (section 9.3.1.3 ComIEnReg, 10.2 "Interrupt request"): the
// receiver interrupt is routed to the IRQ pin (inverted: active low) and
// REQA is sent every Step; a card answering ATQA raises RxIRq and pulls
// IRQ low. Then, like periph's mfrc522.Dev, the chip is initialised
// again (which also switches the field off and on, resetting the card to
// IDLE) and the card is selected.
func (r *Reader) poll(ctx context.Context) ([]byte, error) {
	v, err := r.ll.DevRead(commands.VersionReg)
	if err != nil {
		return nil, devErr("read version: %w", err)
	}
	if v == 0x00 || v == 0xFF {
		return nil, devErr("no chip answering on SPI (VersionReg %#02x)", v)
	}
	if err := r.ll.Init(); err != nil {
		return nil, devErr("init: %w", err)
	}
	// IRqInv | RxIEn: the IRQ pin goes low when a frame is received.
	if err := r.ll.DevWrite(commands.CommIEnReg, 0xA0); err != nil {
		return nil, devErr("enable IRQ: %w", err)
	}
	steps := int((r.cfg.Timeout + r.cfg.Step - 1) / r.cfg.Step)
	for i := 0; ; i++ {
		if i == steps {
			return nil, ErrNoCard
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, w := range [][2]byte{
			{commands.CommIrqReg, 0x7F},                    // clear all interrupt bits
			{commands.FIFODataReg, cmdREQA},                // REQA into the FIFO
			{commands.CommandReg, commands.PCD_TRANSCEIVE}, // transceive
			{commands.BitFramingReg, 0x87},                 // StartSend, 7 bits
		} {
			if err := r.ll.DevWrite(int(w[0]), w[1]); err != nil {
				return nil, devErr("send REQA: %w", err)
			}
		}
		if r.irq.WaitForEdge(r.cfg.Step) {
			break
		}
	}
	defer r.drainIRQ()
	if err := r.ll.Init(); err != nil {
		return nil, devErr("init: %w", err)
	}
	return r.selectCard()
}

// drainIRQ consumes IRQ edges left over from the exchange with the card,
// so that the next poll does not take them for a card.
func (r *Reader) drainIRQ() {
	for i := 0; i < 8 && r.irq.WaitForEdge(0); i++ {
	}
}

// transceive sends data to the card; errors of the bus are device errors.
func (r *Reader) transceive(what string, data []byte) ([]byte, int, error) {
	resp, bits, err := r.ll.CardWrite(commands.PCD_TRANSCEIVE, data)
	if err != nil {
		var b *busError
		if errors.As(err, &b) {
			return nil, 0, devErr("%s: %w", what, err)
		}
		return nil, 0, fmt.Errorf("mfrc522: %s: %w", what, err)
	}
	return resp, bits, nil
}

// selectCard runs REQA, then ANTICOLLISION and SELECT at each cascade
// level until SAK says the UID is complete (ISO/IEC 14443-3, type A
// "Anticollision and Select" loop and "UID contents and cascade levels"). periph's
// mfrc522.Dev reads the second level of a 7-byte UID without selecting
// it and does not check SAK, so this is done here on periph's low-level
// CardWrite, with the CRC_A computed in software.
func (r *Reader) selectCard() ([]byte, error) {
	if err := r.ll.DevWrite(commands.BitFramingReg, 0x07); err != nil { // 7-bit frame
		return nil, devErr("REQA framing: %w", err)
	}
	_, bits, err := r.transceive("REQA", []byte{cmdREQA})
	if err != nil {
		if IsDeviceError(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: no answer to REQA (%v)", ErrNoCard, err)
	}
	if bits != 16 {
		return nil, fmt.Errorf("%w: ATQA of %d bits, want 16", ErrNoCard, bits)
	}
	var c cascade
	for level, sel := range selectCodes {
		if err := r.ll.DevWrite(commands.BitFramingReg, 0x00); err != nil {
			return nil, devErr("anticollision framing: %w", err)
		}
		resp, _, err := r.transceive("anticollision", []byte{sel, nvbAnticoll})
		if err != nil {
			return nil, err
		}
		uidBCC, err := ParseAnticollision(resp)
		if err != nil {
			return nil, fmt.Errorf("cascade level %d: %w", level+1, err)
		}
		resp, bits, err := r.transceive("select", SelectFrame(sel, uidBCC))
		if err != nil {
			return nil, err
		}
		sak, err := ParseSAK(resp, bits)
		if err != nil {
			return nil, fmt.Errorf("cascade level %d: %w", level+1, err)
		}
		done, err := c.add(level, uidBCC, sak)
		if err != nil {
			return nil, err
		}
		if done {
			return c.uid, nil
		}
	}
	return nil, fmt.Errorf("%w: UID longer than 10 bytes", ErrFrame) // not reached: add checks
}

// markedPort marks the errors of SPI transfers so that they can be told
// from errors of the card protocol returned by periph's low-level driver.
type markedPort struct{ spi.Port }

func (p markedPort) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	c, err := p.Port.Connect(f, mode, bits)
	if err != nil {
		return nil, &busError{err}
	}
	return markedConn{c}, nil
}

type markedConn struct{ spi.Conn }

func (c markedConn) Tx(w, r []byte) error {
	if err := c.Conn.Tx(w, r); err != nil {
		return &busError{err}
	}
	return nil
}

type busError struct{ err error }

func (e *busError) Error() string { return "spi: " + e.err.Error() }
func (e *busError) Unwrap() error { return e.err }
