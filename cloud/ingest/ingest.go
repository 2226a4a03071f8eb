// Package ingest is the cloud's ingester: it reads gateway batches from
// the broker, commits them to the store and answers each with an
// application ack naming the committed and the rejected events.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// StateFilter is the subscription for gateway birth and will messages.
const StateFilter = eldergate.TopicPrefix + "+/state"

// PrefixBytes is how much of a refused payload the dead-letter row keeps.
const PrefixBytes = 512

// Config configures an Ingester.
type Config struct {
	BrokerURL string // "tcp://127.0.0.1:1883"
	Username  string
	Password  string
	ClientID  string // unique per ingester; a random one when empty
	Store     domain.Store
	Logger    *slog.Logger
	Now       func() time.Time
	QueueSize int // messages waiting for each worker; default 64
	// Workers is how many batches are committed at once; default
	// DefaultWorkers. A gateway's messages always go to the same worker,
	// so one ingester handles each gateway's batches in order.
	Workers int
	// OnBirth, when set, runs after a birth (online state) of gw was
	// applied, on the gateway's worker (cloud: re-publish its pending
	// commands).
	OnBirth func(ctx context.Context, gw string)
	// OnCommandResult, when set, runs after the result of a command of gw
	// was stored, on the gateway's worker. A result may arrive twice (fast
	// path and outbox): it must be idempotent.
	OnCommandResult func(ctx context.Context, gw string, r eldergate.CommandResult)
}

// DefaultWorkers is the default Config.Workers: commits overlap the
// decoding of the next batches and the store's round trips (docs/PERFORMANCE.md).
const DefaultWorkers = 4

// Ingester owns one MQTT client and Config.Workers worker goroutines.
type Ingester struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	client paho.Client
	queues []chan paho.Message // one per worker; a gateway's always the same

	gapsMu    sync.Mutex
	gaps      map[string]int64     // seq gaps last logged per gateway
	gapsAt    map[string]time.Time // when they were last counted
	committed atomic.Int64         // events acknowledged as committed
	batches   atomic.Int64         // up batches handled

	ready     chan struct{}
	readyOnce sync.Once

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// New returns an ingester; Start connects it.
func New(cfg Config) (*Ingester, error) {
	if cfg.Store == nil {
		return nil, errors.New("ingest: no store")
	}
	if cfg.BrokerURL == "" {
		return nil, errors.New("ingest: no broker URL")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 64
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.ClientID == "" {
		tok, err := domain.RandomToken(6)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		cfg.ClientID = "eg-cloud-ingest-" + tok
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &Ingester{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "ingest"),
		now:    cfg.Now,
		queues: make([]chan paho.Message, cfg.Workers),
		gaps:   map[string]int64{},
		gapsAt: map[string]time.Time{},
		ready:  make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
	}
	opts := paho.NewClientOptions().
		AddBroker(cfg.BrokerURL).
		SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetProtocolVersion(4).    // MQTT 3.1.1
		SetCleanSession(true).    // gateways resend until acked
		SetStore(newCopyStore()). // see store.go
		SetOrderMatters(false).
		SetAutoAckDisabled(true). // PUBACK after the commit
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetOnConnectHandler(in.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			in.log.Warn("ingest: connection lost", "err", err)
		})
	for i := range in.queues {
		in.queues[i] = make(chan paho.Message, cfg.QueueSize)
	}
	in.client = paho.NewClient(opts)
	return in, nil
}

// Start connects to the broker, starts the worker and returns once the
// subscriptions are in place. ctx bounds the start only; Close stops.
func (in *Ingester) Start(ctx context.Context) error {
	for _, q := range in.queues {
		in.wg.Add(1)
		go in.work(q)
	}
	tok := in.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("ingest: connect %s: %w", in.cfg.BrokerURL, err)
		}
	case <-ctx.Done():
		return fmt.Errorf("ingest: connect %s: %w", in.cfg.BrokerURL, ctx.Err())
	}
	select {
	case <-in.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: subscribe: %w", ctx.Err())
	}
}

// onConnect runs on every (re)connection, in its own goroutine.
func (in *Ingester) onConnect(c paho.Client) {
	filters := map[string]byte{eldergate.SharedIngestFilter: 1, StateFilter: 1}
	tok := c.SubscribeMultiple(filters, in.enqueue)
	if !tok.WaitTimeout(10 * time.Second) {
		in.log.Error("ingest: subscribe timed out")
		return
	}
	if err := tok.Error(); err != nil {
		in.log.Error("ingest: subscribe", "err", err)
		return
	}
	for f, code := range tok.(*paho.SubscribeToken).Result() {
		if code > 2 {
			in.log.Error("ingest: subscription refused", "filter", f, "code", code)
			return
		}
	}
	in.log.Info("ingest: subscribed", "filters", []string{eldergate.SharedIngestFilter, StateFilter})
	in.readyOnce.Do(func() { close(in.ready) })
}

// enqueue is paho's message callback: it only hands the message to the
// worker of its gateway (a hash of the topic, which names the gateway), so
// paho's router never waits for a database commit.
func (in *Ingester) enqueue(_ paho.Client, m paho.Message) {
	h := fnv.New32a()
	h.Write([]byte(m.Topic()))
	q := in.queues[h.Sum32()%uint32(len(in.queues))]
	select {
	case q <- received{Message: m, at: in.now().UTC()}:
	case <-in.ctx.Done():
	}
}

// received is a message stamped with its receipt time before it waits in
// the queue: gateway states are ordered by it (see
// domain.Store.ApplyGatewayState), so processing order does not matter.
type received struct {
	paho.Message
	at time.Time
}

// receivedAt is m's receipt time, or now for an unstamped message.
func (in *Ingester) receivedAt(m paho.Message) time.Time {
	if r, ok := m.(received); ok {
		return r.at
	}
	return in.now().UTC()
}

func (in *Ingester) work(queue <-chan paho.Message) {
	defer in.wg.Done()
	for {
		select {
		case <-in.ctx.Done():
			return
		case m := <-queue:
			if in.handle(m) {
				m.Ack()
			}
		}
	}
}

// handle processes one message and reports whether it may be PUBACKed.
func (in *Ingester) handle(m paho.Message) (ack bool) {
	defer func() {
		if r := recover(); r != nil {
			in.log.Error("ingest: panic on message", "topic", m.Topic(), "panic", r, "stack", string(debug.Stack()))
			ack = true // never loop on a poison message
		}
	}()
	gw, ch, err := eldergate.ParseTopic(m.Topic())
	if err != nil {
		in.log.Warn("ingest: unexpected topic", "topic", m.Topic(), "err", err)
		return true
	}
	switch ch {
	case eldergate.ChannelUp:
		return in.handleUp(gw, m.Payload())
	case eldergate.ChannelState:
		return in.handleState(gw, m.Payload(), in.receivedAt(m))
	}
	return true
}

func prefix(b []byte) []byte {
	if len(b) > PrefixBytes {
		return b[:PrefixBytes]
	}
	return b
}

// handleUp processes one up payload of gw.
func (in *Ingester) handleUp(gw string, payload []byte) bool {
	ctx := in.ctx
	now := in.now().UTC()
	batch, rejected, err := eldergate.DecodeBatch(payload, gw)
	if err != nil {
		reason := err.Error()
		in.log.Warn("ingest: batch refused", "gw", gw, "bytes", len(payload), "reason", reason)
		if err := in.cfg.Store.RecordRejection(ctx, gw, reason, "", prefix(payload), now); err != nil {
			in.log.Error("ingest: dead letter", "gw", gw, "err", err)
			return false
		}
		in.publishAck(gw, eldergate.Ack{IDs: []string{}, Rejected: []eldergate.Rejection{{Reason: reason}}})
		return true
	}
	committed := []string{}
	if len(batch.Events) > 0 {
		committed, err = in.cfg.Store.IngestBatch(ctx, gw, batch.Events, now)
		if err != nil {
			// No ack: the gateway keeps the events and sends them again.
			in.log.Error("ingest: commit", "gw", gw, "events", len(batch.Events), "err", err)
			return false
		}
	}
	done := make(map[string]bool, len(committed))
	for _, id := range committed {
		done[id] = true
	}
	for _, e := range batch.Events {
		if !done[e.ID] {
			rejected = append(rejected, eldergate.Rejection{ID: e.ID, Reason: "id: already used by another gateway's event"})
		}
	}
	for _, r := range rejected {
		if err := in.cfg.Store.RecordRejection(ctx, gw, r.Reason, r.ID, prefix(payload), now); err != nil {
			in.log.Error("ingest: dead letter", "gw", gw, "err", err)
		}
	}
	if len(rejected) > 0 {
		in.log.Warn("ingest: events refused", "gw", gw, "count", len(rejected), "first", rejected[0].Reason)
	}
	if len(committed) > 0 {
		in.trackSeq(gw)
		in.recordCommandResults(ctx, gw, batch.Events, done, now)
	}
	in.committed.Add(int64(len(committed)))
	in.batches.Add(1)
	in.log.Debug("ingest: batch committed", "gw", gw, "committed", len(committed), "rejected", len(rejected))
	in.publishAck(gw, eldergate.Ack{IDs: committed, Rejected: rejected})
	return true
}

func (in *Ingester) publishAck(gw string, a eldergate.Ack) {
	body, err := json.Marshal(a)
	if err != nil {
		in.log.Error("ingest: encode ack", "gw", gw, "err", err)
		return
	}
	tok := in.client.Publish(eldergate.Topic(gw, eldergate.ChannelAck), 1, false, body)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			in.log.Error("ingest: publish ack", "gw", gw, "err", err)
		}
	case <-time.After(10 * time.Second):
		in.log.Error("ingest: publish ack timed out", "gw", gw)
	case <-in.ctx.Done():
	}
}

func (in *Ingester) handleState(gw string, payload []byte, now time.Time) bool {
	st, err := eldergate.DecodeState(payload)
	if err != nil {
		reason := "state: " + err.Error()
		in.log.Warn("ingest: state refused", "gw", gw, "reason", reason)
		if err := in.cfg.Store.RecordRejection(in.ctx, gw, reason, "", prefix(payload), now); err != nil {
			in.log.Error("ingest: dead letter", "gw", gw, "err", err)
			return false
		}
		return true
	}
	applied, err := in.cfg.Store.ApplyGatewayState(in.ctx, gw, st, now)
	if err != nil {
		in.log.Error("ingest: gateway state", "gw", gw, "err", err)
		return false
	}
	in.log.Info("ingest: gateway state", "gw", gw, "online", st.Online, "boot", st.Boot, "applied", applied)
	if applied && st.Online && in.cfg.OnBirth != nil {
		in.cfg.OnBirth(in.ctx, gw)
	}
	return true
}

// Close stops the worker, waits for it and disconnects.
func (in *Ingester) Close() error {
	in.closed.Do(func() {
		in.cancel()
		in.wg.Wait()
		in.client.Disconnect(250)
	})
	return nil
}

// SeqCheckEvery bounds how often one ingester counts a gateway's sequence
// gaps: the count reads the gateway's whole history, so it is not done for
// every batch.
const SeqCheckEvery = 10 * time.Second

// trackSeq logs a change of gateway gw's sequence gaps. The count comes
// from the store, so it is right with several ingesters sharing the
// gateways' batches; each ingester logs the changes it sees, at most once
// every SeqCheckEvery per gateway.
func (in *Ingester) trackSeq(gw string) {
	now := in.now()
	in.gapsMu.Lock()
	last, checked := in.gapsAt[gw]
	if checked && now.Sub(last) < SeqCheckEvery {
		in.gapsMu.Unlock()
		return
	}
	in.gapsAt[gw] = now
	in.gapsMu.Unlock()
	st, err := in.cfg.Store.GatewaySeq(in.ctx, gw)
	if err != nil {
		in.log.Error("ingest: sequence tracking", "gw", gw, "err", err)
		return
	}
	in.gapsMu.Lock()
	prev, seen := in.gaps[gw]
	in.gaps[gw] = st.Gaps
	in.gapsMu.Unlock()
	if st.Gaps == prev && (seen || st.Gaps == 0) {
		return
	}
	if st.Gaps > 0 {
		in.log.Warn("ingest: sequence gap", "gw", gw, "missing", st.Gaps, "seq_min", st.Min, "seq_max", st.Max)
	} else {
		in.log.Info("ingest: sequence gaps filled", "gw", gw, "seq_max", st.Max)
	}
}

// Committed is the number of events this ingester acknowledged as
// committed (resends of stored events included).
func (in *Ingester) Committed() int64 { return in.committed.Load() }

// Batches is the number of up batches this ingester handled.
func (in *Ingester) Batches() int64 { return in.batches.Load() }
