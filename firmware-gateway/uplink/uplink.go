// Package uplink sends the gateway's outbox to the cloud over MQTT 3.1.1
// (paho, QoS 1) and marks events delivered only when the cloud's
// application ack names them. A broker PUBACK proves nothing.
//
// Rows are picked highest priority first, then in seq order; several
// batches may be in flight, and an alert never waits for a free slot, so
// an alarm raised behind a meal backlog goes out in the next batch.
//
// After an outage everything sent but not acknowledged is sent again at
// once, alarms first, without waiting for the ack timeout: on every
// (re)connection, and whenever the cloud announces a new ingester boot on
// eg/v1/cloud/state (ADR 0012) — what was published while no ingester
// was subscribed may have been dropped by the broker.
package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/outbox"
)

// Outbox is what the uplink needs from the store.
type Outbox interface {
	Pending(ctx context.Context, now time.Time, minPriority, limit int) ([]outbox.Row, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MarkSent(ctx context.Context, ids []string, retryAt time.Time) error
	MarkDelivered(ctx context.Context, ids []string, at time.Time) (int64, error)
	MarkRejected(ctx context.Context, rej []eldergate.Rejection, at time.Time) (int64, error)
	ResetDue(ctx context.Context) error
}

// Config configures the uplink.
type Config struct {
	URL string // e.g. tcp://127.0.0.1:1883; or URLs
	// URLs are the brokers of one cluster (several nodes' MQTT listeners):
	// the uplink connects to one and, when it is lost, to the next (ADR
	// 0041). Each gateway starts at its own place in the list (a hash of
	// GW), so a fleet spreads over the nodes. URL, when set, comes first.
	URLs        []string
	ClientID    string // defaults to MQTTClientID(GW)
	Username    string
	Password    string
	GW          string
	Boot        uint64
	Version     string
	BatchSize   int           // events per batch, default 500, at most eldergate.MaxBatchEvents
	BatchWait   time.Duration // how long a partial batch waits for more, default 200ms
	AckTimeout  time.Duration // default 5s
	KeepAlive   time.Duration // default 30s
	MaxInFlight int           // batches awaiting an ack, default 4
	MaxBackoff  time.Duration // cap of the resend delay, default 30s
	// MaxReconnect caps the delay between two connection attempts while
	// the broker is away, default 1s: the gateway is back (and its alarms
	// sent) within that of the broker (ADR 0012).
	MaxReconnect time.Duration

	// TLS for ssl://, tls://, mqtts:// and wss:// URLs (tls.go).
	CAFile        string // PEM CA bundle the broker's certificate must chain to; empty: system roots
	TLSServerName string // name checked in the broker's certificate; empty: the URL's host

	// OnCommand receives every payload published on the cmd topic. It runs
	// on paho's goroutine and must not block (commands.go).
	OnCommand func(payload []byte)

	// Reported, when set, returns the configuration the gateway runs
	// (ConfigSHA256, PolicyVersion, RosterVersion), sent in every birth.
	Reported func() eldergate.State
}

// maxPayload keeps a batch well under eldergate.MaxBatchBytes.
const maxPayload = eldergate.MaxBatchBytes * 9 / 10

// Uplink is the MQTT uplink. Run owns its loop; paho owns its own
// goroutines, which Run stops with a disconnect before returning.
type Uplink struct {
	cfg    Config
	ob     Outbox
	log    *slog.Logger
	now    func() time.Time
	client mqtt.Client
	// brokers is the list given to paho, in this gateway's order.
	brokers []string

	wake    chan struct{}
	acks    chan eldergate.Ack
	stop    chan struct{}
	stopped sync.Once
	connGen atomic.Uint64 // incremented on every connect
	// cloudGen is incremented when the cloud announces an ingester boot
	// not seen before (onCloudState); Run then resends at once.
	cloudGen  atomic.Uint64
	bootsMu   sync.Mutex
	seenBoots map[string]bool // cloud boots seen, bounded by maxSeenBoots

	batchSize atomic.Int64 // cfg.BatchSize, changed live by SetBatch
	batchWait atomic.Int64 // cfg.BatchWait in ns, changed live by SetBatch
	lastAck   atomic.Int64 // unix ns of the last ack (LastAck)

	birthMu sync.Mutex // one birth at a time, so the last one published is the newest
}

// Option configures an Uplink.
type Option func(*Uplink)

// WithClock sets the clock used to schedule resends (default time.Now).
func WithClock(now func() time.Time) Option { return func(u *Uplink) { u.now = now } }

// New returns an uplink; it does not connect until Run.
func New(cfg Config, ob Outbox, log *slog.Logger, opts ...Option) (*Uplink, error) {
	if err := eldergate.ValidateGatewayID(cfg.GW); err != nil {
		return nil, fmt.Errorf("uplink: %w", err)
	}
	brokers, err := Brokers(cfg.GW, cfg.URL, cfg.URLs)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		cfg.ClientID = MQTTClientID(cfg.GW)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	cfg.BatchSize = min(cfg.BatchSize, eldergate.MaxBatchEvents)
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = 200 * time.Millisecond
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.MaxReconnect <= 0 {
		cfg.MaxReconnect = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &Uplink{
		cfg:  cfg,
		ob:   ob,
		log:  log.With("component", "uplink"),
		now:  time.Now,
		wake: make(chan struct{}, 1),
		acks: make(chan eldergate.Ack, 64),
		stop: make(chan struct{}),

		seenBoots: map[string]bool{},
		brokers:   brokers,
	}
	for _, o := range opts {
		o(u)
	}
	u.batchSize.Store(int64(cfg.BatchSize))
	u.batchWait.Store(int64(cfg.BatchWait))
	will, _ := json.Marshal(eldergate.State{Online: false, Boot: cfg.Boot})
	o := mqtt.NewClientOptions()
	for _, b := range brokers {
		o.AddBroker(b)
	}
	o.SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(10*time.Second).
		SetConnectTimeout(10*time.Second).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(min(2*time.Second, cfg.MaxReconnect)).
		SetMaxReconnectInterval(cfg.MaxReconnect).
		SetStore(newCopyStore()).
		SetBinaryWill(eldergate.Topic(cfg.GW, eldergate.ChannelState), will, 1, true).
		SetOnConnectHandler(u.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			u.log.Warn("uplink: connection lost", "err", err)
		})
	if TLSScheme(brokers[0]) {
		tc, err := TLSConfig(cfg.CAFile, cfg.TLSServerName)
		if err != nil {
			return nil, err
		}
		o.SetTLSConfig(tc)
	}
	u.client = mqtt.NewClient(o)
	return u, nil
}

// Notify wakes the uplink: a row was added to the outbox.
func (u *Uplink) Notify() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Connected reports whether the MQTT connection is up.
func (u *Uplink) Connected() bool { return u.client.IsConnectionOpen() }

// LastAck is when the cloud last acknowledged events; zero: not since
// the start.
func (u *Uplink) LastAck() time.Time {
	n := u.lastAck.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (u *Uplink) onConnect(c mqtt.Client) {
	u.log.Info("uplink: connected", "brokers", u.brokers, "boot", u.cfg.Boot)
	// Subscribe before the birth: the cloud answers a birth by publishing
	// the gateway's pending commands at once, and with a clean session a
	// command published before the subscription is in place is lost.
	if !u.subscribe(c) {
		return // the connection is gone: the next one subscribes again
	}
	if err := u.publishBirth(c); err != nil {
		u.log.Warn("uplink: birth message", "err", err)
	}
	u.connGen.Add(1)
	u.Notify()
}

// subscribe subscribes to the gateway's ack and command topics and to the
// cloud state, again and again until the broker grants every filter or
// the connection is lost. Without the ack subscription every event would
// be resent forever: a broker may refuse a filter for a moment (a NATS
// node right after another died, while JetStream elects leaders, answers
// SUBACK 0x80 or late), and paho reports that as success.
func (u *Uplink) subscribe(c mqtt.Client) bool {
	filters := map[string]byte{
		eldergate.Topic(u.cfg.GW, eldergate.ChannelAck): 1,
		eldergate.Topic(u.cfg.GW, eldergate.ChannelCmd): 1,
		eldergate.CloudStateTopic:                       1,
	}
	for attempt := 1; ; attempt++ {
		st := c.SubscribeMultiple(filters, u.onMessage)
		var err error
		switch {
		case !st.WaitTimeout(10 * time.Second):
			err = fmt.Errorf("no SUBACK within 10s")
		case st.Error() != nil:
			err = st.Error()
		default:
			var refused []string
			if sub, ok := st.(*mqtt.SubscribeToken); ok {
				for f, code := range sub.Result() {
					if code > 2 {
						refused = append(refused, f)
					}
				}
			}
			if len(refused) == 0 {
				return true
			}
			err = fmt.Errorf("filters refused: %v", refused)
		}
		u.log.Error("uplink: subscribe, trying again", "attempt", attempt, "err", err)
		if !c.IsConnectionOpen() {
			return false
		}
		select {
		case <-u.stop:
			return false
		case <-time.After(min(time.Duration(attempt)*250*time.Millisecond, 5*time.Second)):
		}
	}
}

func (u *Uplink) onMessage(_ mqtt.Client, m mqtt.Message) {
	if m.Topic() == eldergate.CloudStateTopic {
		u.onCloudState(m.Payload(), m.Retained())
		return
	}
	_, ch, err := eldergate.ParseTopic(m.Topic())
	if err != nil {
		u.log.Warn("uplink: message on unexpected topic", "topic", m.Topic())
		return
	}
	switch ch {
	case eldergate.ChannelAck:
		a, err := eldergate.DecodeAck(m.Payload())
		if err != nil {
			u.log.Warn("uplink: bad ack", "err", err)
			return
		}
		select {
		case u.acks <- a:
		case <-u.stop:
		}
	case eldergate.ChannelCmd:
		u.onCommand(m.Payload())
	}
}

// maxSeenBoots bounds the cloud boots remembered; past it the memory
// starts again (a boot forgotten and announced again costs one resend).
const maxSeenBoots = 256

// onCloudState handles a payload of eg/v1/cloud/state: an online state
// with a boot not seen before makes Run send again at once what is not
// acknowledged. The retained copy delivered on subscribing is only
// remembered: the connection that subscribed resends anyway. An offline
// state is information only: with several ingesters, one going away says
// nothing of the others (ADR 0012).
func (u *Uplink) onCloudState(payload []byte, retained bool) {
	st, err := eldergate.DecodeCloudState(payload)
	if err != nil {
		u.log.Warn("uplink: bad cloud state", "err", err)
		return
	}
	if !st.Online {
		u.log.Info("uplink: a cloud ingester went offline", "boot", st.Boot)
		return
	}
	u.bootsMu.Lock()
	seen := u.seenBoots[st.Boot]
	if !seen {
		if len(u.seenBoots) >= maxSeenBoots {
			clear(u.seenBoots)
		}
		u.seenBoots[st.Boot] = true
	}
	u.bootsMu.Unlock()
	if seen || retained {
		return
	}
	u.log.Info("uplink: cloud ingester online, resending what is not acknowledged", "boot", st.Boot)
	u.cloudGen.Add(1)
	u.Notify()
}

type batch struct {
	ids      map[string]bool
	deadline time.Time
}

// Run connects and sends the outbox until ctx is done. Before returning
// it publishes the offline state and disconnects.
func (u *Uplink) Run(ctx context.Context) error {
	defer u.shutdown()
	u.client.Connect() // retries in the background until connected

	var (
		inflight     = map[int]*batch{}
		nextBatch    int
		partialSince time.Time
		lastGen      uint64
		lastCloudGen uint64
		timer        = time.NewTimer(time.Hour)
	)
	defer timer.Stop()
	for {
		now := u.now()
		var wait time.Duration = time.Hour
		soon := func(d time.Duration) { wait = max(min(wait, d), 0) }

		gen, cloudGen := u.connGen.Load(), u.cloudGen.Load()
		if gen != lastGen || cloudGen != lastCloudGen {
			// New session, or a new ingester boot: acks of the old one may
			// be lost, and what was published while no ingester was
			// subscribed may be gone. Resend now, alarms first (Pending
			// orders by priority), not after the ack timeout.
			lastGen, lastCloudGen = gen, cloudGen
			clear(inflight)
			partialSince = time.Time{}
			if gen != 0 && u.Connected() {
				// The alarms go before the reset: making a backlog of
				// 100,000 meals due takes a few hundred ms.
				if b := u.sendAlarmsNow(ctx, now); b != nil {
					inflight[nextBatch] = b
					nextBatch++
				}
			}
			if err := u.ob.ResetDue(ctx); err != nil && ctx.Err() == nil {
				u.log.Error("uplink: reset due", "err", err)
			}
		}
		for k, b := range inflight {
			if !now.Before(b.deadline) {
				u.log.Warn("uplink: no ack in time, will resend", "events", len(b.ids), "ack_timeout", u.cfg.AckTimeout)
				delete(inflight, k)
			}
		}
		// Send only once OnConnect has subscribed to the acks.
		if u.Connected() && lastGen != 0 {
			for ctx.Err() == nil {
				minPrio := 0
				if len(inflight) >= u.cfg.MaxInFlight {
					minPrio = eldergate.KindAlert.Priority() // alerts never wait for a slot
				}
				batchSize := u.batchSizeNow()
				// While a partial batch waits for more rows, only an alert
				// makes it go early: reading the whole partial batch again
				// on every tap's Notify took the writer from the taps'
				// commits (docs/PERFORMANCE.md).
				waiting := !partialSince.IsZero() && now.Sub(partialSince) < u.batchWaitNow()
				if waiting {
					minPrio = eldergate.KindAlert.Priority()
				}
				rows, err := u.ob.Pending(ctx, now, minPrio, batchSize)
				if err != nil {
					if ctx.Err() == nil {
						u.log.Error("uplink: read outbox", "err", err)
					}
					soon(time.Second)
					break
				}
				// An alarm sent by sendAlarmsNow is due again after the
				// reset that followed; it is in flight, not sent twice.
				rows = slices.DeleteFunc(rows, func(r outbox.Row) bool { return inFlight(inflight, r.ID) })
				if len(rows) == 0 && waiting {
					soon(u.batchWaitNow() - now.Sub(partialSince))
					break
				}
				if len(rows) == 0 {
					partialSince = time.Time{}
					break
				}
				if len(rows) < batchSize && rows[0].Priority < eldergate.KindAlert.Priority() {
					if partialSince.IsZero() {
						partialSince = now
					}
					if d := u.batchWaitNow() - now.Sub(partialSince); d > 0 {
						soon(d)
						break
					}
				}
				partialSince = time.Time{}
				b, err := u.send(ctx, rows, now)
				if err != nil {
					if ctx.Err() == nil {
						u.log.Warn("uplink: publish", "err", err)
					}
					soon(time.Second)
					break
				}
				inflight[nextBatch] = b
				nextBatch++
			}
			// A row already due and still here is held back on purpose
			// (a partial batch waiting, every in-flight slot taken, or in
			// flight after a reset): the batch wait, an ack or an ack
			// deadline wakes the loop. Waiting 0 for it spun the loop on
			// the outbox queries for the whole batch wait, a core of CPU
			// (BenchmarkAlarmToSSE, docs/PERFORMANCE.md).
			if due, ok, err := u.ob.NextDue(ctx); err == nil && ok && due.After(now) {
				soon(due.Sub(now))
			}
			for _, b := range inflight {
				soon(b.deadline.Sub(now))
			}
		} else {
			soon(time.Second) // paho reconnects; poll in case OnConnect raced
		}

		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-u.wake:
		case <-timer.C:
		case a := <-u.acks:
			u.handleAck(ctx, a, inflight)
		drain:
			for {
				select {
				case a := <-u.acks:
					u.handleAck(ctx, a, inflight)
				default:
					break drain
				}
			}
		}
	}
}

// sendAlarmsNow sends at once every pending alarm, due or not (a resend
// after an outage), and returns its batch; nil when there is none or on
// error (the loop sends them after the reset then).
func (u *Uplink) sendAlarmsNow(ctx context.Context, now time.Time) *batch {
	rows, err := u.ob.Pending(ctx, farFuture, eldergate.KindAlert.Priority(), u.batchSizeNow())
	if err != nil || len(rows) == 0 {
		if err != nil && ctx.Err() == nil {
			u.log.Error("uplink: read alarms", "err", err)
		}
		return nil
	}
	b, err := u.send(ctx, rows, now)
	if err != nil {
		if ctx.Err() == nil {
			u.log.Warn("uplink: publish alarms", "err", err)
		}
		return nil
	}
	u.log.Info("uplink: alarms sent again at once", "alarms", len(b.ids))
	return b
}

// farFuture is later than any row's next attempt.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// inFlight reports whether event id is in a batch awaiting its ack.
func inFlight(inflight map[int]*batch, id string) bool {
	for _, b := range inflight {
		if b.ids[id] {
			return true
		}
	}
	return false
}

// send publishes rows as one batch and records the attempt.
func (u *Uplink) send(ctx context.Context, rows []outbox.Row, now time.Time) (*batch, error) {
	events := make([]json.RawMessage, 0, len(rows))
	ids := make([]string, 0, len(rows))
	size, attempts := 0, 0
	for _, r := range rows {
		if size+len(r.Payload) > maxPayload && len(events) > 0 {
			break
		}
		size += len(r.Payload) + 1
		events = append(events, r.Payload)
		ids = append(ids, r.ID)
		attempts = max(attempts, r.Attempts)
	}
	payload, err := json.Marshal(struct {
		V      int               `json:"v"`
		GW     string            `json:"gw"`
		Boot   uint64            `json:"boot"`
		Events []json.RawMessage `json:"events"`
	}{eldergate.ProtocolVersion, u.cfg.GW, u.cfg.Boot, events})
	if err != nil {
		return nil, fmt.Errorf("uplink: encode batch: %w", err)
	}
	tok := u.client.Publish(eldergate.Topic(u.cfg.GW, eldergate.ChannelUp), 1, false, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return nil, fmt.Errorf("uplink: publish: %w", err)
		}
	default: // PUBACK pending; it proves nothing anyway
	}
	if err := u.ob.MarkSent(ctx, ids, now.Add(u.backoff(attempts))); err != nil {
		return nil, fmt.Errorf("uplink: %w", err)
	}
	u.log.Debug("uplink: batch sent", "events", len(ids), "first_kind", rows[0].Kind, "attempt", attempts+1)
	b := &batch{ids: make(map[string]bool, len(ids)), deadline: now.Add(u.cfg.AckTimeout)}
	for _, id := range ids {
		b.ids[id] = true
	}
	return b, nil
}

// backoff is the delay before a row sent now may be sent again: the ack
// timeout, doubled for every earlier attempt, capped, plus up to 20% jitter.
func (u *Uplink) backoff(attempts int) time.Duration {
	d := u.cfg.AckTimeout
	for i := 0; i < attempts && d < u.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = max(min(d, u.cfg.MaxBackoff), u.cfg.AckTimeout)
	return d + rand.N(d/5+1)
}

func (u *Uplink) handleAck(ctx context.Context, a eldergate.Ack, inflight map[int]*batch) {
	at := u.now().UTC()
	u.lastAck.Store(at.UnixNano())
	if n, err := u.ob.MarkDelivered(ctx, a.IDs, at); err != nil {
		u.log.Error("uplink: mark delivered", "err", err)
		return // rows stay pending and are resent; the cloud dedupes
	} else {
		u.log.Debug("uplink: ack", "ids", len(a.IDs), "newly_delivered", n)
	}
	for _, r := range a.Rejected {
		// Dead letter: kept in the outbox with its reason, never resent,
		// counted in /api/status (the store's DeadLetterCount).
		u.log.Warn("uplink: event rejected by the cloud, dead-lettered", "id", r.ID, "reason", r.Reason)
	}
	if len(a.Rejected) > 0 {
		if _, err := u.ob.MarkRejected(ctx, a.Rejected, at); err != nil {
			u.log.Error("uplink: mark rejected", "err", err)
		}
	}
	done := func(id string) {
		for k, b := range inflight {
			if b.ids[id] {
				delete(b.ids, id)
				if len(b.ids) == 0 {
					delete(inflight, k)
				}
				return
			}
		}
	}
	for _, id := range a.IDs {
		done(id)
	}
	for _, r := range a.Rejected {
		done(r.ID)
	}
}

func (u *Uplink) shutdown() {
	u.stopped.Do(func() { close(u.stop) })
	if u.client.IsConnectionOpen() {
		off, _ := json.Marshal(eldergate.State{Online: false, Boot: u.cfg.Boot})
		t := u.client.Publish(eldergate.Topic(u.cfg.GW, eldergate.ChannelState), 1, true, off)
		t.WaitTimeout(time.Second)
	}
	u.client.Disconnect(250)
}
