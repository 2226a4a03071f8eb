package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrQueueFull is returned by Send when the channel's queue is full.
var ErrQueueFull = errors.New("notify: queue full")

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("notify: dispatcher closed")

const (
	userAgent   = "eldergate-cloud"
	maxResponse = 64 << 10 // bytes of a response body read
	maxWeCom    = 4000     // bytes of WeCom markdown content (the API allows 4096)
)

// idleExit is how long a worker with nothing to do lives (a variable for
// the tests).
var idleExit = 5 * time.Minute

// Delivery is the outcome of one attempt to deliver a message to a channel.
type Delivery struct {
	AlertID, ChannelID string
	Kind               Kind
	Step, Level        string
	// Attempt is the 1-based number of the request. A Delivery that made
	// no request carries the number of requests made so far: 0 when the
	// queue was full or the dispatcher shut down before the first try, the
	// last attempt's number when the retry after it was abandoned.
	Attempt int
	OK      bool
	// Error is what went wrong, in words, e.g. "HTTP 500: ..." or
	// "wecom errcode 93000: invalid webhook url".
	Error string
	At    time.Time
	// Final is true when no more attempts follow (success or gave up).
	Final bool
}

// Config configures a Dispatcher. Zero fields take the defaults.
type Config struct {
	// Client sends the requests; default: one with Timeout that does not
	// follow redirects.
	Client *http.Client
	// Timeout bounds every request (default 10 s).
	Timeout time.Duration
	// Attempts is how many requests Send makes for one message (default 5).
	Attempts int
	// Backoff is the wait after the failed attempt number attempt
	// (default 1 s, 2 s, 4 s, ... capped at 60 s, with ±20% jitter).
	Backoff func(attempt int) time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits d or until ctx is done (default a timer honouring ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Record is called after every attempt (may be nil); it must not
	// block long, as it runs on the channel's worker.
	Record func(Delivery)
	// QueueLen is the per-channel queue length (default 256).
	QueueLen int
	// Log is the logger (default discards).
	Log *slog.Logger
}

// Dispatcher delivers messages to channels: one worker goroutine per
// destination (kind and URL), in order, with retries.
type Dispatcher struct {
	c         Config
	ownClient bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	workers map[string]*worker
}

type job struct {
	ch Channel
	m  Message
}

type worker struct {
	key string
	q   chan job
}

// New returns a Dispatcher with c's zero fields defaulted. Close it.
func New(c Config) *Dispatcher {
	d := &Dispatcher{workers: map[string]*worker{}}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Client == nil {
		d.ownClient = true
		c.Client = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:   c.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.Attempts <= 0 {
		c.Attempts = 5
	}
	if c.Backoff == nil {
		c.Backoff = backoff
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 256
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	d.c = c
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

// backoff is 1 s doubling per attempt, capped at 60 s, with ±20% jitter.
func backoff(attempt int) time.Duration {
	b := 60 * time.Second
	if attempt >= 1 && attempt <= 6 {
		b = time.Second << (attempt - 1)
	}
	return time.Duration(float64(b) * (0.8 + 0.4*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Send queues m for channel ch and returns at once; it never waits on the
// network. The channel's worker delivers its messages in order, retrying
// transient failures. It returns ch's Check error, ErrClosed after Close,
// or ErrQueueFull (after recording a failed final Delivery) when the
// channel's queue is full.
func (d *Dispatcher) Send(ch Channel, m Message) error {
	if err := ch.Check(); err != nil {
		return err
	}
	key := string(ch.Kind) + " " + ch.URL
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	w := d.workers[key]
	if w == nil {
		w = &worker{key: key, q: make(chan job, d.c.QueueLen)}
		d.workers[key] = w
		d.wg.Add(1)
		go d.run(w)
	}
	select {
	case w.q <- job{ch, m}:
		d.mu.Unlock()
		return nil
	default:
	}
	d.mu.Unlock()
	d.record(job{ch, m}, 0, "queue full", true)
	return ErrQueueFull
}

// Close stops the workers and waits for them. A request in flight is
// cancelled; pending retries and queued messages are abandoned, each with
// a final failed Delivery "shutting down".
func (d *Dispatcher) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	if d.ownClient {
		d.c.Client.CloseIdleConnections()
	}
}

// run is a worker: it delivers its queue's jobs until Close, or exits
// when idle for idleExit with an empty queue.
func (d *Dispatcher) run(w *worker) {
	defer d.wg.Done()
	idle := time.NewTimer(idleExit)
	defer idle.Stop()
	for {
		select {
		case <-d.ctx.Done():
			for {
				select {
				case j := <-w.q:
					d.record(j, 0, "shutting down", true)
				default:
					return
				}
			}
		case j := <-w.q:
			d.deliver(j)
			idle.Reset(idleExit)
		case <-idle.C:
			d.mu.Lock()
			if len(w.q) == 0 { // Send enqueues under mu: nothing can be lost
				delete(d.workers, w.key)
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			idle.Reset(idleExit)
		}
	}
}

// deliver makes up to Attempts requests for j, recording each.
func (d *Dispatcher) deliver(j job) {
	if d.ctx.Err() != nil {
		d.record(j, 0, "shutting down", true)
		return
	}
	for attempt := 1; ; attempt++ {
		err := d.Deliver(d.ctx, j.ch, j.m)
		if err == nil {
			d.record(j, attempt, "", true)
			return
		}
		var de *deliverError
		if !errors.As(err, &de) {
			de = &deliverError{msg: err.Error()}
		}
		if d.ctx.Err() != nil {
			d.record(j, attempt, "shutting down: "+de.msg, true)
			return
		}
		final := !de.retry || attempt >= d.c.Attempts
		d.record(j, attempt, de.msg, final)
		if final {
			return
		}
		if d.c.Sleep(d.ctx, d.c.Backoff(attempt)) != nil {
			d.record(j, attempt, "shutting down", true)
			return
		}
	}
}

// record reports one Delivery to Record and the log; msg "" is success.
func (d *Dispatcher) record(j job, attempt int, msg string, final bool) {
	r := Delivery{AlertID: j.m.AlertID, ChannelID: j.ch.ID, Kind: j.ch.Kind, Step: j.m.Step,
		Level: j.m.Level, Attempt: attempt, OK: msg == "", Error: msg, At: d.c.Now(), Final: final}
	lvl := slog.LevelDebug
	if !r.OK {
		lvl = slog.LevelInfo
		if final {
			lvl = slog.LevelWarn
		}
	}
	d.c.Log.Log(context.Background(), lvl, "notify: delivery", "alert", r.AlertID, "channel", r.ChannelID,
		"kind", r.Kind, "step", r.Step, "level", r.Level, "attempt", attempt, "ok", r.OK, "error", msg, "final", final)
	if d.c.Record != nil {
		d.c.Record(r)
	}
}

// deliverError is a failed delivery: msg in words (without the package
// prefix, for Delivery.Error), whether a retry may succeed, and the
// network error if any.
type deliverError struct {
	msg   string
	retry bool
	err   error
}

func (e *deliverError) Error() string { return "notify: " + e.msg }
func (e *deliverError) Unwrap() error { return e.err }

// Deliver sends m to ch once, synchronously (the workers use it, and so
// can a "test this channel" button). The error says in words what went
// wrong; it never contains the URL, which holds the robot's key.
func (d *Dispatcher) Deliver(ctx context.Context, ch Channel, m Message) error {
	if err := ch.Check(); err != nil {
		return err
	}
	now := d.c.Now()
	target, body, hdr, err := d.request(ch, m, now)
	if err != nil {
		return &deliverError{msg: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, d.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &deliverError{msg: "bad request: " + err.Error()}
	}
	req.Header = hdr
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.c.Client.Do(req)
	if err != nil {
		inner := err
		var ue *url.Error
		if errors.As(err, &ue) { // its text holds the URL, and so the key
			inner = ue.Err
		}
		msg := "request failed: " + inner.Error()
		if errors.Is(err, context.DeadlineExceeded) || (ue != nil && ue.Timeout()) {
			msg = fmt.Sprintf("no answer within %s", d.c.Timeout)
		}
		return &deliverError{msg: msg, retry: true, err: inner}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode/100 != 2 {
		return &deliverError{msg: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, snippet(b)),
			retry: resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests}
	}
	if ch.Kind == KindWebhook {
		return nil
	}
	var r struct {
		Errcode *int   `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Errcode == nil {
		return &deliverError{msg: fmt.Sprintf("%s: unexpected answer: %s", ch.Kind, snippet(b))}
	}
	if c := *r.Errcode; c != 0 {
		return &deliverError{msg: fmt.Sprintf("%s errcode %d: %s", ch.Kind, c, snippet([]byte(r.Errmsg))),
			retry: ch.Kind == KindWeCom && c == 45009 || ch.Kind == KindDingTalk && c == 130101}
	}
	return nil
}

// request builds the URL, body and headers of m for ch at now.
func (d *Dispatcher) request(ch Channel, m Message, now time.Time) (string, []byte, http.Header, error) {
	hdr := http.Header{}
	target := ch.URL
	var v any
	switch ch.Kind {
	case KindWeCom:
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{
			"content": truncate(strings.Join(m.lines(ch.Lang, true), "\n"), maxWeCom)}}
	case KindDingTalk:
		// DingTalk markdown needs a blank line to break lines.
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{
			"title": m.title(ch.Lang), "text": strings.Join(m.lines(ch.Lang, true), "\n\n")}}
		if ch.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			mac := hmac.New(sha256.New, []byte(ch.Secret))
			mac.Write([]byte(ts + "\n" + ch.Secret))
			q := "timestamp=" + ts + "&sign=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
			if u, _ := url.Parse(target); u.RawQuery != "" {
				target += "&" + q
			} else {
				target += "?" + q
			}
		}
	case KindWebhook:
		v = map[string]string{"alert_id": m.AlertID, "step": m.Step, "type": m.Type, "site": m.Site,
			"place": m.Place, "button": m.Button, "level": m.Level,
			"at": m.At.UTC().Format(time.RFC3339), "link": m.Link, "text": m.Text(ch.Lang)}
	default:
		return "", nil, nil, fmt.Errorf("unknown kind %q", ch.Kind)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return "", nil, nil, err
	}
	if ch.Kind == KindWebhook {
		ts := strconv.FormatInt(now.Unix(), 10)
		mac := hmac.New(sha256.New, []byte(ch.Secret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		hdr.Set("X-Eldergate-Timestamp", ts)
		hdr.Set("X-Eldergate-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		hdr.Set("Idempotency-Key", m.AlertID+":"+m.Step+":"+m.Level+":"+ch.ID)
	}
	return target, body, hdr, nil
}

// snippet is the start of a response body, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return "(empty body)"
	}
	return truncate(s, 200)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
