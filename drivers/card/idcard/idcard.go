package idcard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// Defaults.
const (
	DefaultBaud    = 115200 // the SAM modules' factory speed
	DefaultPoll    = 500 * time.Millisecond
	DefaultTimeout = time.Second
)

// ErrNoAnswer is reported when the module does not answer a command in
// time (wrong speed, module without power, wrong device).
var ErrNoAnswer = errors.New("idcard: module does not answer")

// Config configures a Reader.
type Config struct {
	Name string            // reader name for reads and status; default "idcard"
	Port serialport.Config // Path is required; Baud defaults to 115200

	// Poll is the pause between two find-card attempts, and after a read.
	Poll time.Duration // default 500 ms
	// Timeout bounds the wait for one answer. The read step gets in
	// addition the time the ~1300-byte answer takes on the line.
	Timeout time.Duration // default 1 s

	Now      func() time.Time     // default time.Now
	Log      *slog.Logger         // default discards; never gets personal data in clear
	OnStatus func(drivers.Status) // may be nil
}

// Stats counts what the reader saw since it was made.
type Stats struct {
	Polls     int // find-card commands sent
	Reads     int // identities delivered
	BadFrames int // answers with a bad checksum or length
	Timeouts  int // commands without an answer in time
	SWErrors  int // answers with an error status other than "no card"
}

// Reader polls a SAM module. It implements card.Reader.
type Reader struct {
	*serialport.Device // Status, Close
	cfg                Config
	stats              drivers.Counters[Stats]
}

var _ card.Reader = (*Reader)(nil)

// New returns a reader for the module at cfg.Port.Path.
func New(cfg Config) (*Reader, error) {
	if cfg.Name == "" {
		cfg.Name = "idcard"
	}
	if cfg.Port.Baud == 0 {
		cfg.Port.Baud = DefaultBaud
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dev, err := serialport.NewDevice("idcard", cfg.Name, cfg.Port, cfg.Now, cfg.OnStatus)
	if err != nil {
		return nil, err
	}
	return &Reader{Device: dev, cfg: cfg}, nil
}

// Run implements card.Reader. The credential is the 18-character ID
// number.
func (r *Reader) Run(ctx context.Context, fn func(card.Read)) error {
	return r.RunIdentity(ctx, func(rd card.Read, _ Identity) { fn(rd) })
}

// RunIdentity is Run for callers that need the card holder's data (e.g.
// to enrol an elder): fn gets the read and the identity parsed from the
// card. The identity is personal data; handle it accordingly.
func (r *Reader) RunIdentity(ctx context.Context, fn func(card.Read, Identity)) error {
	return r.RunPort(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return r.session(ctx, port, fn)
	})
}

// Stats returns the counters.
func (r *Reader) Stats() Stats { return r.stats.Get() }

// errPortGone marks the end of a session: the port failed or ctx ended.
type errPortGone struct{ err error }

func (e errPortGone) Error() string { return e.err.Error() }
func (e errPortGone) Unwrap() error { return e.err }

// session is one open port. A goroutine reads the port and hands chunks
// to the polling loop, which owns the parse buffer; the session waits for
// the goroutine before returning. It returns only when the port fails or
// ctx ends, both of which end the goroutine's read.
func (r *Reader) session(ctx context.Context, port io.ReadWriter, fn func(card.Read, Identity)) error {
	s := &session{r: r, port: port, chunks: make(chan []byte, 16), rerr: make(chan error, 1)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.readLoop(ctx)
	}()
	defer wg.Wait()
	for {
		err := s.poll(ctx, fn)
		var gone errPortGone
		if errors.As(err, &gone) {
			return gone.err
		}
		if err := s.pause(ctx, r.cfg.Poll); err != nil {
			return err
		}
	}
}

type session struct {
	r      *Reader
	port   io.ReadWriter
	chunks chan []byte
	rerr   chan error
	buf    []byte
}

func (s *session) readLoop(ctx context.Context) {
	for {
		b := make([]byte, 512)
		n, err := s.port.Read(b)
		if n > 0 {
			select {
			case s.chunks <- b[:n]:
			case <-ctx.Done():
				s.rerr <- ctx.Err()
				return
			}
		}
		if err != nil {
			s.rerr <- err
			return
		}
	}
}

// pause waits d, dropping whatever the module sends meanwhile. It
// returns an error only when the session must end.
func (s *session) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-s.rerr:
			return err
		case <-s.chunks:
		case <-t.C:
			return nil
		}
	}
}

// poll runs find, select and read once.
func (s *session) poll(ctx context.Context, fn func(card.Read, Identity)) error {
	r := s.r
	r.stats.Add(func(st *Stats) { st.Polls++ })
	if _, err := s.step(ctx, CmdFindCard, r.cfg.Timeout); err != nil {
		return err
	}
	if _, err := s.step(ctx, CmdSelectCard, r.cfg.Timeout); err != nil {
		return err
	}
	// ~1300 bytes at 10 bits a byte on the line.
	transfer := time.Duration(int64(time.Second) * (4 + TextLen + PhotoLen + 20) * 10 / int64(r.cfg.Port.Baud))
	resp, err := s.step(ctx, CmdReadTextPhoto, r.cfg.Timeout+transfer)
	if err != nil {
		return err
	}
	id, err := ParseReadData(resp.Data)
	if err != nil {
		r.cfg.Log.Warn("idcard: card text rejected", "reader", r.cfg.Name, "err", err)
		return err
	}
	rd := card.Read{Credential: id.Number, Reader: r.cfg.Name, At: r.cfg.Now()}
	r.stats.Add(func(st *Stats) { st.Reads++ })
	r.cfg.Log.Debug("idcard: card read", "reader", r.cfg.Name, "identity", id)
	fn(rd, id)
	return nil
}

// step sends cmd and waits for its answer. Protocol failures are
// counted, logged and reported as the status' error where they say the
// module is unusable; an errPortGone ends the session.
func (s *session) step(ctx context.Context, cmd uint16, timeout time.Duration) (Response, error) {
	r := s.r
	s.buf = s.buf[:0]
	for drained := false; !drained; { // drop stale bytes
		select {
		case <-s.chunks:
		default:
			drained = true
		}
	}
	if _, err := s.port.Write(EncodeCommand(cmd, nil)); err != nil {
		// A vanished device also fails the read side, which ends the
		// session; until then this is an ordinary failed step.
		r.Tracker.Set(false, fmt.Errorf("idcard: write: %w", err))
		return Response{}, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		body, n, err := Next(s.buf)
		if n > 0 {
			s.buf = append(s.buf[:0], s.buf[n:]...)
		}
		switch {
		case err == nil:
			resp, err := ParseResponse(body)
			if err != nil {
				r.stats.Add(func(st *Stats) { st.BadFrames++ })
				r.cfg.Log.Warn("idcard: bad answer", "reader", r.cfg.Name, "cmd", fmt.Sprintf("%04X", cmd), "err", err)
				return Response{}, err
			}
			err = resp.Err()
			switch {
			case err == nil, errors.Is(err, ErrNoCard):
				r.Tracker.Set(true, nil)
			case errors.Is(err, ErrSelectFailed), errors.Is(err, ErrReadFailed):
				// The card left the field or was not read well: normal.
				r.Tracker.Set(true, nil)
				r.cfg.Log.Debug("idcard: card not read", "reader", r.cfg.Name, "cmd", fmt.Sprintf("%04X", cmd), "err", err)
			default:
				// The module answers but cannot work: show it in the status.
				r.stats.Add(func(st *Stats) { st.SWErrors++ })
				r.Tracker.Set(true, err)
				r.cfg.Log.Warn("idcard: module error", "reader", r.cfg.Name, "cmd", fmt.Sprintf("%04X", cmd), "err", err)
			}
			return resp, err
		case !errors.Is(err, ErrIncomplete):
			r.stats.Add(func(st *Stats) { st.BadFrames++ })
			r.cfg.Log.Warn("idcard: bad frame", "reader", r.cfg.Name, "cmd", fmt.Sprintf("%04X", cmd), "err", err)
			return Response{}, err
		}
		select {
		case <-ctx.Done():
			return Response{}, errPortGone{ctx.Err()}
		case err := <-s.rerr:
			return Response{}, errPortGone{err}
		case c := <-s.chunks:
			s.buf = append(s.buf, c...)
		case <-t.C:
			r.stats.Add(func(st *Stats) { st.Timeouts++ })
			err := fmt.Errorf("%w to command %04X within %v", ErrNoAnswer, cmd, timeout)
			r.Tracker.Set(false, err)
			return Response{}, err
		}
	}
}
