package mtsics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/internal/serialscale"
	"github.com/eldergate/eldergate/drivers/scale/internal/weight"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// More errors of the driver.
var (
	ErrNoReply      = errors.New("mtsics: no reply from the balance")
	ErrNotConnected = errors.New("mtsics: balance not connected (Run not running or device unplugged)")
)

// Config configures a Scale.
type Config struct {
	Name   string            // scale name in readings and status (default "mtsics")
	Serial serialport.Config // device path; 9600 8N1 by default
	// Command polls the weight: "SI" (immediate, stable or dynamic;
	// default) or "S" (stable weight only; the balance answers when the
	// weight is stable or with "S I" after its own timeout).
	Command string
	// Interval between two polls; default 200 ms.
	Interval time.Duration
	// Timeout for the reply to a poll; default 1 s (use more with "S").
	Timeout time.Duration
	// CommandTimeout for the replies to Z, T and TAC, which wait for a
	// stable weight; default 10 s.
	CommandTimeout time.Duration
	// MaxMissed polls without a reply mark the balance disconnected;
	// default 3.
	MaxMissed int
	Now       func() time.Time
	OnStatus  func(drivers.Status)
	Log       *slog.Logger
}

// Scale is a balance speaking MT-SICS. It implements scale.Scale.
type Scale struct {
	b   *serialscale.Base
	cfg Config
	req chan request
}

var _ scale.Scale = (*Scale)(nil)

type request struct {
	cmd   string
	reply chan result // buffered, 1
}

type result struct {
	r   Reply
	err error
}

// New returns a Scale for cfg.
func New(cfg Config) (*Scale, error) {
	switch cfg.Command {
	case "":
		cfg.Command = "SI"
	case "S", "SI":
	default:
		return nil, fmt.Errorf("mtsics: poll command %q: want S or SI", cfg.Command)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 200 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 10 * time.Second
	}
	if cfg.MaxMissed <= 0 {
		cfg.MaxMissed = 3
	}
	b, err := serialscale.New(serialscale.Config{Driver: "mtsics", Name: cfg.Name, Serial: cfg.Serial, Now: cfg.Now, OnStatus: cfg.OnStatus, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return &Scale{b: b, cfg: cfg, req: make(chan request)}, nil
}

// Status implements scale.Scale.
func (s *Scale) Status() drivers.Status { return s.b.Status() }

// Close implements scale.Scale.
func (s *Scale) Close() error { return s.b.Close() }

// Run implements scale.Scale: it polls the weight and calls fn with every
// reading, and executes Zero, Tare and ClearTare between polls, until ctx
// ends or Close. It returns ctx.Err() or drivers.ErrClosed.
func (s *Scale) Run(ctx context.Context, fn func(scale.Weight)) error {
	return s.b.Run(ctx, func(ctx context.Context, port io.ReadWriter) error {
		return s.session(ctx, port, fn)
	})
}

// Zero sets the balance to zero (command Z; the balance waits for a
// stable weight).
func (s *Scale) Zero(ctx context.Context) error {
	_, err := s.do(ctx, "Z")
	return err
}

// Tare tares the balance with the weight on it (command T) and returns
// the tare weight in grams.
func (s *Scale) Tare(ctx context.Context) (int64, error) {
	r, err := s.do(ctx, "T")
	if err != nil {
		return 0, err
	}
	if r.Value == "" {
		return 0, fmt.Errorf("%w: tare reply without weight", ErrReply)
	}
	g, err := weight.Parse(r.Value, r.Unit)
	if err != nil {
		return 0, fmt.Errorf("mtsics: tare: %w", err)
	}
	return g, nil
}

// ClearTare clears the tare memory (command TAC).
func (s *Scale) ClearTare(ctx context.Context) error {
	_, err := s.do(ctx, "TAC")
	return err
}

// do hands cmd to the Run loop and waits for the balance's reply.
func (s *Scale) do(ctx context.Context, cmd string) (Reply, error) {
	if !s.Status().Connected {
		return Reply{}, fmt.Errorf("%s: %w", cmd, ErrNotConnected)
	}
	rq := request{cmd: cmd, reply: make(chan result, 1)}
	select {
	case s.req <- rq:
	case <-ctx.Done():
		return Reply{}, fmt.Errorf("mtsics: %s: %w", cmd, ctx.Err())
	}
	select {
	case res := <-rq.reply:
		if res.err != nil {
			return res.r, fmt.Errorf("%s: %w", cmd, res.err)
		}
		return res.r, nil
	case <-ctx.Done():
		return Reply{}, fmt.Errorf("mtsics: %s: %w", cmd, ctx.Err())
	}
}

// line is what the reader goroutine hands to the session.
type line struct {
	b   []byte
	err error
}

func (s *Scale) session(ctx context.Context, port io.ReadWriter, fn func(scale.Weight)) (err error) {
	lines := make(chan line)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by this session: it ends when the port read fails or ctx ends
		defer wg.Done()
		sc := bufio.NewScanner(port)
		sc.Buffer(make([]byte, 0, serialscale.MaxFrame), serialscale.MaxFrame)
		sc.Split(serialscale.SplitLines(128))
		for sc.Scan() {
			select {
			case lines <- line{b: append([]byte(nil), sc.Bytes()...)}:
			case <-stop:
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		select {
		case lines <- line{err: err}:
		case <-stop:
		}
	}()
	readerDone := false
	defer func() {
		close(stop)
		if !readerDone {
			if c, ok := port.(io.Closer); ok && ctx.Err() == nil {
				c.Close() // unblocks the reader's Read; the keeper closes it again, harmlessly
			}
		}
		wg.Wait()
	}()

	// exchange sends cmd and waits for its reply, skipping unrelated lines.
	exchange := func(cmd string, timeout time.Duration) (Reply, error) {
		// Drop lines that arrived since the last exchange (a late reply
		// to a poll that timed out, unsolicited output), so that replies
		// are not taken for the next command.
	drain:
		for {
			select {
			case l := <-lines:
				if l.err != nil {
					readerDone = true
					return Reply{}, l.err
				}
				s.b.Log.Debug("stale line dropped", "line", fmt.Sprintf("%q", l.b))
			default:
				break drain
			}
		}
		if _, err := io.WriteString(port, cmd+"\r\n"); err != nil {
			return Reply{}, fmt.Errorf("mtsics: write %s: %w", cmd, err)
		}
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		want := replyID(cmd)
		for {
			select {
			case <-ctx.Done():
				return Reply{}, ctx.Err()
			case <-timer.C:
				return Reply{}, fmt.Errorf("%w to %s within %v", ErrNoReply, cmd, timeout)
			case l := <-lines:
				if l.err != nil {
					readerDone = true
					return Reply{}, l.err
				}
				r, err := ParseReply(trimNoise(l.b))
				if err != nil {
					s.b.Log.Warn("bad frame skipped", "frame", fmt.Sprintf("%q", l.b), "err", err)
					continue
				}
				if r.ID != want && r.ID != "ES" && r.ID != "ET" && r.ID != "EL" {
					s.b.Log.Debug("unrelated line skipped", "line", fmt.Sprintf("%q", l.b), "waiting for", want)
					continue
				}
				return r, nil
			}
		}
	}
	missed := 0
	noReply := func(err error) {
		missed++
		s.b.Log.Debug("no reply", "err", err, "missed", missed)
		if missed >= s.cfg.MaxMissed {
			s.b.Tracker.Set(false, err)
		}
	}
	answered := func() {
		missed = 0
		s.b.Tracker.Set(true, nil)
	}

	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case rq := <-s.req:
			r, err := exchange(rq.cmd, s.cfg.CommandTimeout)
			switch {
			case err == nil:
				answered()
				rq.reply <- result{r: r, err: r.Err()}
			case errors.Is(err, ErrNoReply):
				noReply(err)
				rq.reply <- result{err: err}
			default: // the port failed or ctx ended: the session is over
				rq.reply <- result{err: err}
				return err
			}
		case <-tick.C:
			r, err := exchange(s.cfg.Command, s.cfg.Timeout)
			switch {
			case errors.Is(err, ErrNoReply):
				noReply(err)
				continue
			case err != nil: // the port failed or ctx ended: the session is over
				return err
			}
			answered()
			w, err := replyWeight(r)
			if err != nil {
				level := slog.LevelWarn
				if errors.Is(err, ErrNotExecutable) {
					level = slog.LevelDebug // busy balance, e.g. "S I" while adjusting
				}
				s.b.Log.Log(ctx, level, "bad frame skipped", "command", s.cfg.Command, "err", err)
				continue
			}
			fn(s.b.Stamp(w))
		}
	}
}

// trimNoise drops line noise before a reply: everything up to the last
// byte that is not printable ASCII.
func trimNoise(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0x20 || b[i] > 0x7e {
			return b[i+1:]
		}
	}
	return b
}
