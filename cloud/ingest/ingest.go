// Package ingest is the cloud's ingester: it reads gateway batches from
// the broker, commits them to the store and answers each with an
// application ack naming the committed and the rejected events.
//
// Its core is transport-neutral: Ingester.Process takes a group of
// messages of the gateways' topics (Up: topic, payload, receipt time),
// validates and commits them (one transaction per group of up batches,
// the site check, dead letters, states, command results, OnAlert) and
// returns the acks to publish (Outbound) and which messages are settled.
// The caller acknowledges the messages to its transport only after
// Process returned. New builds an ingester on an MQTT broker (paho,
// shared subscription $share/ingest/..., persistent session), whose
// workers call Process and then PUBACK; NewCore builds one without MQTT
// for another transport (e.g. JetStream), which calls Process itself
// (docs/adr/0037-ingest-transport-core.md).
package ingest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"golang.org/x/sync/semaphore"
)

// StateFilter is the subscription for gateway birth and will messages.
// It is not shared: every ingester applies every state (the store orders
// them) and drops its cached site of a gateway on its birth.
const StateFilter = eldergate.TopicPrefix + "+/state"

// SharedResultFilter is the shared subscription for the quick copy of
// each command result (eg/v1/gw/{gw}/cmdres): one ingester gets each
// copy, stores the result and runs the follow-up at once, without waiting
// for the result's outbox event (docs/adr/0009-command-follow-ups.md).
const SharedResultFilter = "$share/ingest/" + eldergate.TopicPrefix + "+/" + string(eldergate.ChannelCmdRes)

// PrefixBytes is how much of a refused payload the dead-letter row keeps.
const PrefixBytes = 512

// Config configures an Ingester.
type Config struct {
	BrokerURL string // "tcp://127.0.0.1:1883"
	Username  string
	Password  string
	// TLS configures ssl:// connections (BrokerTLS); nil: paho's default.
	TLS *tls.Config
	// ClientID is the ingester's MQTT client id: stable across restarts
	// (its persistent session holds what gateways publish while it is
	// away) and unique per ingester process. Empty: DefaultClientID("ingest").
	ClientID string
	Store    Store
	Logger   *slog.Logger
	Now      func() time.Time
	// QueueSize is how many messages may wait for each worker; default
	// DefaultQueueSize. A full queue stops the session's reader, and with
	// it an alarm behind the backlog; QueueBytes bounds the memory, and a
	// queue takes memory only for what waits in it.
	QueueSize int
	// QueueBytes bounds the payload bytes taken from the broker and not
	// yet handled, over all workers; default DefaultQueueBytes. When it is
	// reached the ingester stops reading from the broker (backpressure).
	QueueBytes int64
	// Sessions is how many MQTT sessions (client connections) this
	// ingester reads with; default 1. Session 0 has ClientID, session i
	// ClientID-s<i> (SessionClientID). With several, session 0 takes the
	// states only (StateFilter: births and wills reach the store in the
	// broker's order; spread over sessions a will overtook its birth and
	// left the gateway shown online), the others are in the shared ingest
	// group (batches, results) and feed the same workers, so a gateway's
	// batches still go to one worker whichever session brought them.
	// Several sessions keep each session's unacknowledged messages at the
	// broker a fraction of the whole: one session of 10,000 gateways held
	// tens of thousands, and mochi-mqtt's per-client packet-id search and
	// in-flight lock became the bottleneck (docs/adr/0045-ingest-sessions.md).
	// Only session 0 carries the cloud's will and publishes its state and
	// the commands.
	Sessions int
	// Workers is how many batches are committed at once; default
	// DefaultWorkers. A gateway's messages always go to the same worker,
	// so one ingester handles each gateway's batches in order.
	Workers int
	// OnBirth, when set, runs after a birth (online state) of gw was
	// applied, on the gateway's worker (cloud: re-publish its pending
	// commands).
	OnBirth func(ctx context.Context, gw string)
	// OnCommandResult, when set, runs after the result of a command of gw
	// was stored, on a worker. A result arrives twice (its quick copy on
	// cmdres and its outbox event), maybe at two ingesters at once: it
	// must be idempotent (cloud/followup).
	OnCommandResult func(ctx context.Context, gw string, r eldergate.CommandResult)
	// OnAlert, when set, runs after a commit that stored alert events
	// (cloud: wake the alarm runner and the board's feed). It must not
	// block.
	OnAlert func()
}

// Store is what the ingester uses of the cloud's store (domain.Store has
// it all; the ingester depends on these methods only).
type Store interface {
	// GatewayCredential gives the site a gateway is registered at
	// (fileUnderSite, site.go).
	GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error)
	IngestBatches(ctx context.Context, batches []domain.GatewayBatch, receivedAt time.Time) ([][]string, error)
	RecordRejection(ctx context.Context, gw, reason, eventID string, payloadPrefix []byte, at time.Time) error
	ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error)
	ApplyGatewayStates(ctx context.Context, states []domain.GatewayStateAt) ([]bool, error)
	GatewaySeq(ctx context.Context, gw string) (domain.SeqStats, error)
	RecordCommandResult(ctx context.Context, gw, id string, ok bool, errText string, body []byte, at time.Time) error
}

// DefaultQueueBytes is the default Config.QueueBytes.
const DefaultQueueBytes = 64 << 20

// StateWorkers is how many workers apply the gateways' states (births,
// wills), apart from the workers of their batches: a storm of births
// applied one transaction each no longer holds the meals and alarms up
// (docs/adr/0045-ingest-sessions.md). A gateway's states always go to the
// same one, in order.
const StateWorkers = 2

// DefaultQueueSize is the default Config.QueueSize.
const DefaultQueueSize = 2048

// DefaultWorkers is the default Config.Workers: commits overlap the
// decoding of the next batches and the store's round trips (docs/PERFORMANCE.md).
const DefaultWorkers = 4

// Ingester owns Config.Sessions MQTT clients and Config.Workers worker
// goroutines.
type Ingester struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	client   paho.Client // session 0: the will, the cloud state, Publish
	sessions []*session
	queues   []*workQueue // one per worker; a gateway's always the same (nil: NewCore)
	alarms   *workQueue   // up batches carrying an alert: the alarm lane's worker
	states   []*workQueue // births and wills, a gateway's always the same: the state workers

	gapsMu         sync.Mutex
	gaps           map[string]int64     // seq gaps last logged per gateway
	gapsAt         map[string]time.Time // when they were last counted
	committed      atomic.Int64         // events acknowledged as committed
	sites          siteCache            // registered site of each gateway (site.go)
	siteMismatches atomic.Int64         // events refused for naming another site
	unregistered   atomic.Int64         // batches left unacked: gateway without a site
	batches        atomic.Int64         // up batches handled
	groups         atomic.Int64         // groups committed (handleGroup calls)
	bytes          *semaphore.Weighted  // payload bytes queued or being handled (QueueBytes)
	queuedBytes    atomic.Int64         // the same, for Bytes

	ready   chan struct{} // closed when every session subscribed once
	pending atomic.Int32  // sessions not yet subscribed

	boot  string        // this process's part of CloudState.Boot
	conns atomic.Uint64 // connections so far: the other part

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once
}

// New returns an ingester reading the gateways' messages from the MQTT
// broker at Config.BrokerURL; Start connects it.
func New(cfg Config) (*Ingester, error) {
	if cfg.BrokerURL == "" {
		return nil, errors.New("ingest: no broker URL")
	}
	return newIngester(cfg, true)
}

// NewCore returns an ingester without an MQTT connection, for another
// transport: it only commits what the transport gives Process (Start,
// Publish and Queued have nothing to do; Close releases nothing). Its
// Config needs no broker settings; Workers, QueueSize and QueueBytes are
// the transport's business.
func NewCore(cfg Config) (*Ingester, error) {
	return newIngester(cfg, false)
}

func newIngester(cfg Config, withMQTT bool) (*Ingester, error) {
	if cfg.Store == nil {
		return nil, errors.New("ingest: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID("ingest")
	}
	if cfg.Sessions <= 0 {
		cfg.Sessions = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &Ingester{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "ingest"),
		now:    cfg.Now,
		queues: make([]*workQueue, cfg.Workers),
		gaps:   map[string]int64{},
		gapsAt: map[string]time.Time{},
		ready:  make(chan struct{}),
		bytes:  semaphore.NewWeighted(cfg.QueueBytes),
		ctx:    ctx,
		cancel: cancel,
		boot:   fmt.Sprintf("%s.%d", cfg.ClientID, cfg.Now().UnixNano()),
	}
	if !withMQTT {
		in.queues = nil
		return in, nil
	}
	will, err := json.Marshal(eldergate.CloudState{Online: false, Boot: in.boot})
	if err != nil {
		return nil, fmt.Errorf("ingest: encode will: %w", err)
	}
	in.pending.Store(int32(cfg.Sessions))
	for i := range cfg.Sessions {
		ss := &session{in: in, index: i, id: SessionClientID(cfg.ClientID, i)}
		ss.client = paho.NewClient(in.clientOptions(ss, will))
		in.sessions = append(in.sessions, ss)
	}
	in.client = in.sessions[0].client
	for i := range in.queues {
		in.queues[i] = newWorkQueue(cfg.QueueSize)
	}
	in.alarms = newWorkQueue(cfg.QueueSize)
	for range StateWorkers {
		in.states = append(in.states, newWorkQueue(cfg.QueueSize))
	}
	return in, nil
}

// session is one of the ingester's MQTT connections (Config.Sessions).
type session struct {
	in     *Ingester
	index  int
	id     string // its client id
	client paho.Client
	ready  sync.Once    // subscribed once
	taken  atomic.Int64 // messages taken from the broker
}

// enqueue is the session's message callback (Ingester.enqueue).
func (ss *session) enqueue(c paho.Client, m paho.Message) {
	ss.taken.Add(1)
	ss.in.enqueue(c, m)
}

// SessionMessages is how many messages each session (Config.Sessions)
// took from the broker so far.
func (in *Ingester) SessionMessages() []int64 {
	n := make([]int64, len(in.sessions))
	for i, ss := range in.sessions {
		n[i] = ss.taken.Load()
	}
	return n
}

// SessionClientID is the client id of session i of an ingester whose
// Config.ClientID is id: id itself for session 0 (the session an ingester
// of one session always had), id-s<i> for the others.
func SessionClientID(id string, i int) string {
	if i == 0 {
		return id
	}
	return fmt.Sprintf("%s-s%d", id, i)
}

// clientOptions are the paho options of session ss; will is the cloud's
// offline state, carried by session 0 only.
func (in *Ingester) clientOptions(ss *session, will []byte) *paho.ClientOptions {
	cfg := in.cfg
	opts := paho.NewClientOptions().
		AddBroker(cfg.BrokerURL).
		SetClientID(ss.id).
		SetUsername(cfg.Username).
		SetPassword(cfg.Password).
		SetProtocolVersion(4). // MQTT 3.1.1
		// A persistent session: the broker queues what the shared
		// subscription gets while this ingester is away, and hands it over
		// as soon as it is back (ADR 0012).
		SetCleanSession(false).
		SetStore(newCopyStore()). // see store.go
		// enqueue runs on paho's router goroutine, not in a goroutine per
		// message (ADR 0037).
		SetOrderMatters(true).
		SetAutoAckDisabled(true). // PUBACK after the commit (work)
		// Buffered reads and coalesced writes (bufconn.go).
		SetCustomOpenConnectionFn(dialBuffered(cfg.TLS)).
		// Messages of the persistent session arrive right after CONNACK,
		// before SubscribeMultiple has registered its handler.
		SetDefaultPublishHandler(ss.enqueue).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(2 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetOnConnectHandler(func(c paho.Client) { in.onConnect(ss, c) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			in.log.Warn("ingest: connection lost", "session", ss.id, "err", err)
		})
	if ss.index == 0 {
		opts.SetBinaryWill(eldergate.CloudStateTopic, will, 1, true)
	}
	if cfg.TLS != nil {
		opts.SetTLSConfig(cfg.TLS)
	}
	return opts
}

// Start connects every session to the broker, starts the workers and
// returns once every session's subscriptions are in place. ctx bounds the
// start only; Close stops.
func (in *Ingester) Start(ctx context.Context) error {
	if in.client == nil {
		return errors.New("ingest: Start on an ingester without MQTT (NewCore): its transport calls Process")
	}
	for _, q := range append(append([]*workQueue{in.alarms}, in.states...), in.queues...) {
		in.wg.Add(1)
		go in.work(q)
	}
	toks := make([]paho.Token, len(in.sessions))
	for i, ss := range in.sessions {
		toks[i] = ss.client.Connect()
	}
	for i, tok := range toks {
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil {
				return fmt.Errorf("ingest: connect %s as %s: %w", in.cfg.BrokerURL, in.sessions[i].id, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("ingest: connect %s: %w", in.cfg.BrokerURL, ctx.Err())
		}
	}
	select {
	case <-in.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ingest: subscribe: %w", ctx.Err())
	}
}

// onConnect runs on every (re)connection of session ss, in its own
// goroutine.
func (in *Ingester) onConnect(ss *session, c paho.Client) {
	filters := map[string]byte{eldergate.SharedIngestFilter: 1, SharedResultFilter: 1}
	switch {
	case in.cfg.Sessions == 1:
		filters[StateFilter] = 1
	case ss.index == 0:
		// One session for the states: births and wills in order, and a
		// storm of births never stops the reader of the batches (alarms).
		filters = map[string]byte{StateFilter: 1}
	}
	tok := c.SubscribeMultiple(filters, ss.enqueue)
	if !tok.WaitTimeout(10 * time.Second) {
		in.log.Error("ingest: subscribe timed out", "session", ss.id)
		return
	}
	if err := tok.Error(); err != nil {
		in.log.Error("ingest: subscribe", "session", ss.id, "err", err)
		return
	}
	for f, code := range tok.(*paho.SubscribeToken).Result() {
		if code > 2 {
			in.log.Error("ingest: subscription refused", "session", ss.id, "filter", f, "code", code)
			return
		}
	}
	in.log.Info("ingest: subscribed", "session", ss.id, "filters", len(filters))
	if ss.index == 0 {
		in.publishCloudState(c)
	}
	ss.ready.Do(func() {
		if in.pending.Add(-1) == 0 {
			close(in.ready)
		}
	})
}

// publishCloudState publishes the retained online state with the boot of
// this connection: gateways seeing a boot they have not seen send again at
// once what is not acknowledged (ADR 0012). Failures are logged: gateways
// resend after their ack timeout anyway.
func (in *Ingester) publishCloudState(c paho.Client) {
	st := eldergate.CloudState{Online: true, Boot: fmt.Sprintf("%s.%d", in.boot, in.conns.Add(1)), At: in.now().UTC()}
	body, err := json.Marshal(st)
	if err != nil {
		in.log.Error("ingest: encode cloud state", "err", err)
		return
	}
	tok := c.Publish(eldergate.CloudStateTopic, 1, true, body)
	if !tok.WaitTimeout(10 * time.Second) {
		in.log.Warn("ingest: cloud state: no PUBACK within 10s")
		return
	}
	if err := tok.Error(); err != nil {
		in.log.Warn("ingest: cloud state", "err", err)
		return
	}
	in.log.Info("ingest: cloud state published", "boot", st.Boot)
}

// DefaultClientID is the default MQTT client id of an ingesting process of
// role ("serve", "ingest") on this host: "eg-cloud-ROLE-HOSTNAME". It is
// stable across restarts, so the process finds its persistent session
// again; a second ingester of the same role on the same host needs an id
// of its own (--client-id).
func DefaultClientID(role string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	b := []byte(host)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	return "eg-cloud-" + role + "-" + string(b)
}

// enqueue is paho's message callback. paho runs it on its router
// goroutine, in the order of the stream (Config: OrderMatters), so it
// must not wait long: it stamps the message and hands it to the worker of
// its gateway (a hash of the topic, which names the gateway). It does not
// PUBACK: the worker does, after Process committed the message (ADR 0037).
// Backpressure: while the byte budget (Config.QueueBytes) has no room or
// the worker's queue is full, enqueue blocks, paho stops reading and TCP
// holds the broker back.
func (in *Ingester) enqueue(c paho.Client, m paho.Message) {
	it := item{c: c, m: m, up: Up{Topic: m.Topic(), Payload: m.Payload(), ReceivedAt: in.now().UTC()}}
	q := in.queues[topicHash(it.up.Topic)%uint32(len(in.queues))]
	if carriesAlert(it.up.Topic, it.up.Payload) {
		q = in.alarms
	} else if strings.HasSuffix(it.up.Topic, "/"+string(eldergate.ChannelState)) {
		q = in.states[topicHash(it.up.Topic)%uint32(len(in.states))]
	}
	n := in.weight(it.up.Payload)
	if err := in.bytes.Acquire(in.ctx, n); err != nil {
		return // closing: not PUBACKed, the broker sends it again
	}
	in.queuedBytes.Add(n)
	if !q.push(in.ctx, it) {
		in.release(it.up.Payload)
	}
}

// alertMarker is how an alert event's kind reads in a batch (the
// gateway's envelopes are encoding/json's, eldergate.Envelope).
var alertMarker = []byte(`"kind":"` + string(eldergate.KindAlert) + `"`)

// carriesAlert reports whether the message on topic is an up batch with
// an alert event in it. Such a batch goes to the alarm lane, a worker of
// its own, instead of waiting behind its gateway's worker's backlog of
// meals and states (the gateway sends alerts first, in batches of their
// own when it can; docs/adr/0045-ingest-sessions.md). A batch whose
// other data merely contains the marker takes the lane too: harmless.
// The lane commits a gateway's alarm batch while its worker may hold an
// earlier batch of the same gateway, as two ingesters of the shared
// group may: the store takes each event once, whatever the order.
func carriesAlert(topic string, payload []byte) bool {
	return strings.HasSuffix(topic, "/"+string(eldergate.ChannelUp)) && bytes.Contains(payload, alertMarker)
}

// topicHash is FNV-1a of topic, without allocating.
func topicHash(topic string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(topic); i++ {
		h ^= uint32(topic[i])
		h *= 16777619
	}
	return h
}

// item is a message taken from the broker, waiting for its worker.
type item struct {
	c  paho.Client // the session it came through
	m  paho.Message
	up Up
}

// release returns the budget a message of payload took in enqueue.
func (in *Ingester) release(payload []byte) {
	n := in.weight(payload)
	in.queuedBytes.Add(-n)
	in.bytes.Release(n)
}

// weight is what a message of payload counts against Config.QueueBytes:
// its size, at least 1 and at most the whole budget (a larger message
// still passes, alone).
func (in *Ingester) weight(payload []byte) int64 {
	return min(max(int64(len(payload)), 1), in.cfg.QueueBytes)
}

// Bytes is the payload bytes taken from the broker and not yet handled.
func (in *Ingester) Bytes() int64 { return in.queuedBytes.Load() }

// Bounds of a group: what Process commits in one transaction, and what one
// worker takes from its queue at once when messages wait
// (docs/PERFORMANCE.md).
const (
	MaxGroupMessages = 512
	MaxGroupEvents   = 4000
)

// work handles the messages of its queue: those waiting together go to
// Process as one call (so up batches are committed as one group, one ack
// per gateway), then their acks are published and every one of them is
// PUBACKed.
func (in *Ingester) work(queue *workQueue) {
	defer in.wg.Done()
	items := make([]item, 0, MaxGroupMessages)
	ups := make([]Up, 0, MaxGroupMessages)
	for {
		items = queue.take(items[:0], MaxGroupMessages, maxGroupBytes)
		if len(items) == 0 {
			select {
			case <-in.ctx.Done():
				return
			case <-queue.ready:
			}
			continue
		}
		if in.ctx.Err() != nil {
			return
		}
		ups = ups[:0]
		for _, it := range items {
			ups = append(ups, it.up)
		}
		ctx := in.ctx
		if queue == in.alarms {
			// The alarm's commit goes before the writes waiting for the
			// store's one writer (SQLite; docs/adr/0046-alarm-first-writer-and-state-groups.md).
			ctx = domain.Urgent(ctx)
		}
		start := in.now()
		out, _, err := in.Process(ctx, ups)
		if queue == in.alarms {
			in.noteSlowAlarm(ctx, items, start)
		}
		if err == nil {
			for _, o := range out {
				items[0].c.Publish(o.Topic, o.QoS, o.Retain, o.Payload) // QoS 0: nothing to wait for
			}
			for _, it := range items {
				it.m.Ack() // settled or not: the gateway resends what no ack named
			}
		}
		for i := range items {
			in.release(items[i].up.Payload)
			items[i] = item{}
		}
	}
}

// SlowAlarm is how long an alarm may take from its receipt to its commit
// before the alarm lane logs where the time went (the target from the
// button to the console is 100 ms, issue 15).
const SlowAlarm = 50 * time.Millisecond

// noteSlowAlarm logs a group of the alarm lane whose first message was
// received more than SlowAlarm before its commit ended: how long it
// waited in the lane's queue, how long Process took, and how much of that
// it waited for its turn at the store's writer (ctx: domain.Urgent).
func (in *Ingester) noteSlowAlarm(ctx context.Context, items []item, start time.Time) {
	end := in.now()
	first := items[0].up.ReceivedAt
	if end.Sub(first) <= SlowAlarm {
		return
	}
	in.log.Warn("ingest: alarm committed late", "messages", len(items),
		"queued_ms", start.Sub(first).Milliseconds(), "commit_ms", end.Sub(start).Milliseconds(),
		"writer_wait_ms", domain.WriterWait(ctx).Milliseconds())
}

// workQueue is the messages waiting for one worker, in their order: a
// slice that takes memory only for what waits (a channel of
// DefaultQueueSize would take it for every slot at once), bounded by the
// count given to newWorkQueue.
type workQueue struct {
	room  *semaphore.Weighted // free slots
	ready chan struct{}       // a message may wait (capacity 1)
	mu    sync.Mutex
	items []item
}

func newWorkQueue(size int) *workQueue {
	return &workQueue{room: semaphore.NewWeighted(int64(size)), ready: make(chan struct{}, 1)}
}

// push queues it, waiting for room while the queue is full; false: ctx
// ended first, it is not queued.
func (q *workQueue) push(ctx context.Context, it item) bool {
	if q.room.Acquire(ctx, 1) != nil {
		return false
	}
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take appends to dst the oldest waiting messages, at most maxMessages
// and about maxBytes of payload (at least one message), and removes them.
func (q *workQueue) take(dst []item, maxMessages, maxBytes int) []item {
	q.mu.Lock()
	n, size := 0, 0
	for n < len(q.items) && n < maxMessages && (n == 0 || size < maxBytes) {
		size += len(q.items[n].up.Payload)
		n++
	}
	dst = append(dst, q.items[:n]...)
	clear(q.items[:n]) // not kept alive by the array
	q.items = q.items[n:]
	if len(q.items) == 0 {
		q.items = nil // the array of a backlog goes with it
	}
	q.mu.Unlock()
	if n > 0 {
		q.room.Release(int64(n))
	}
	return dst
}

// len is how many messages wait.
func (q *workQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// maxGroupBytes bounds the payload bytes of one Process call of a worker
// (about MaxGroupEvents meals).
const maxGroupBytes = 2 << 20

func prefix(b []byte) []byte {
	if len(b) > PrefixBytes {
		return b[:PrefixBytes]
	}
	return b
}

// upMsg is one up message of a group: decoded, then handled.
type upMsg struct {
	gw       string
	payload  []byte
	batch    eldergate.Batch
	rejected []eldergate.Rejection
	err      error     // the whole payload is refused
	ok       bool      // handled: acked to its gateway or rejected
	at       time.Time // when the transport received it (Up.ReceivedAt)
}

// commitGroup stores a group and adds its acks to acks; u.ok tells which
// messages were handled (the others are neither acked nor rejected, and
// their gateways send them again).
func (in *Ingester) commitGroup(ctx context.Context, group []*upMsg, acks *ackSet) {
	now := in.now().UTC()
	var batches []domain.GatewayBatch
	var owners []*upMsg
	for _, u := range group {
		if u.ok {
			continue
		}
		if u.err != nil {
			reason := u.err.Error()
			in.log.Warn("ingest: batch refused", "gw", u.gw, "bytes", len(u.payload), "reason", reason)
			if err := in.cfg.Store.RecordRejection(ctx, u.gw, reason, "", prefix(u.payload), now); err != nil {
				in.log.Error("ingest: dead letter", "gw", u.gw, "err", err)
				continue
			}
			acks.add(u.gw, nil, []eldergate.Rejection{{Reason: reason}})
			u.ok = true
			continue
		}
		if err := in.fileUnderSite(ctx, u, now); err != nil {
			// No ack: the gateway keeps the events and sends them again.
			if errors.Is(err, errUnregistered) {
				in.unregistered.Add(1)
				in.log.Warn("ingest: batch of a gateway without a registered site left unacknowledged", "gw", u.gw, "events", len(u.batch.Events))
			} else {
				in.log.Error("ingest: registered site", "gw", u.gw, "err", err)
			}
			continue
		}
		batches = append(batches, domain.GatewayBatch{GW: u.gw, Events: u.batch.Events})
		owners = append(owners, u)
	}
	if len(batches) == 0 {
		return
	}
	// The group is stored as received when its first message arrived,
	// not when it is committed: a batch that reached the broker before
	// its gateway's will must not count as news after it (the store
	// brings a gateway back online only for a batch received after its
	// last state), however long it waited behind other work.
	rat := now
	for _, u := range owners {
		if !u.at.IsZero() && u.at.Before(rat) {
			rat = u.at
		}
	}
	committed, err := in.ingest(ctx, batches, rat)
	if err != nil && len(batches) > 1 {
		in.log.Warn("ingest: group commit failed, committing its batches one by one", "batches", len(batches), "err", err)
		committed = make([][]string, len(batches))
		for i := range batches {
			c, err := in.ingest(ctx, batches[i:i+1], rat)
			if err != nil {
				// No ack: the gateway keeps the events and sends them again.
				in.log.Error("ingest: commit", "gw", batches[i].GW, "events", len(batches[i].Events), "err", err)
				continue
			}
			committed[i] = c[0]
		}
	} else if err != nil {
		in.log.Error("ingest: commit", "gw", batches[0].GW, "events", len(batches[0].Events), "err", err)
		committed = make([][]string, len(batches))
	}
	for i, u := range owners {
		if committed[i] == nil {
			continue // not committed: not acked; the gateway sends it again
		}
		in.finishUp(ctx, u, committed[i], now, acks)
		u.ok = true
	}
}

// ingest commits batches (those with events) and returns each one's
// committed ids; a batch without valid events commits nothing.
func (in *Ingester) ingest(ctx context.Context, batches []domain.GatewayBatch, now time.Time) ([][]string, error) {
	out := make([][]string, len(batches))
	var idx []int
	var some []domain.GatewayBatch
	for i, b := range batches {
		out[i] = []string{}
		if len(b.Events) > 0 {
			idx = append(idx, i)
			some = append(some, b)
		}
	}
	if len(some) == 0 {
		return out, nil
	}
	c, err := in.cfg.Store.IngestBatches(ctx, some, now)
	if err != nil {
		return nil, err
	}
	if in.cfg.OnAlert != nil && hasAlert(some) {
		in.cfg.OnAlert()
	}
	for k, i := range idx {
		out[i] = c[k]
	}
	return out, nil
}

func hasAlert(batches []domain.GatewayBatch) bool {
	for _, b := range batches {
		for _, e := range b.Events {
			if e.Kind == eldergate.KindAlert {
				return true
			}
		}
	}
	return false
}

// finishUp records what the commit of u's batch refused, follows up on
// what it stored, and adds u's ack to acks.
func (in *Ingester) finishUp(ctx context.Context, u *upMsg, committed []string, now time.Time, acks *ackSet) {
	gw := u.gw
	rejected := u.rejected
	done := make(map[string]bool, len(committed))
	for _, id := range committed {
		done[id] = true
	}
	for _, e := range u.batch.Events {
		if !done[e.ID] {
			rejected = append(rejected, eldergate.Rejection{ID: e.ID, Reason: "id: already used by another gateway's event"})
		}
	}
	for _, r := range rejected {
		if err := in.cfg.Store.RecordRejection(ctx, gw, r.Reason, r.ID, prefix(u.payload), now); err != nil {
			in.log.Error("ingest: dead letter", "gw", gw, "err", err)
		}
	}
	if len(rejected) > 0 {
		in.log.Warn("ingest: events refused", "gw", gw, "count", len(rejected), "first", rejected[0].Reason)
	}
	if len(committed) > 0 {
		in.trackSeq(ctx, gw)
		in.recordCommandResults(ctx, gw, u.batch.Events, done, now)
	}
	in.committed.Add(int64(len(committed)))
	in.batches.Add(1)
	in.log.Debug("ingest: batch committed", "gw", gw, "committed", len(committed), "rejected", len(rejected))
	acks.add(gw, committed, rejected)
}

// ackSet merges the acks of one Process call per gateway: one ack message
// per gateway, whatever number of its batches the call held.
type ackSet struct {
	order []string
	by    map[string]*eldergate.Ack
}

func newAckSet() *ackSet { return &ackSet{by: map[string]*eldergate.Ack{}} }

func (s *ackSet) add(gw string, ids []string, rejected []eldergate.Rejection) {
	a := s.by[gw]
	if a == nil {
		a = &eldergate.Ack{IDs: []string{}}
		s.by[gw] = a
		s.order = append(s.order, gw)
	}
	a.IDs = append(a.IDs, ids...)
	a.Rejected = append(a.Rejected, rejected...)
}

// refuseMessage keeps a message of gw that cannot be decoded (a state or
// the quick copy of a command result) in the dead letters with reason. It
// reports false when that could not be stored: the broker then keeps the
// message.
func (in *Ingester) refuseMessage(ctx context.Context, gw, reason string, payload []byte, now time.Time) bool {
	in.log.Warn("ingest: message refused", "gw", gw, "reason", reason)
	if err := in.cfg.Store.RecordRejection(ctx, gw, reason, "", prefix(payload), now); err != nil {
		in.log.Error("ingest: dead letter", "gw", gw, "err", err)
		return false
	}
	return true
}

// Close stops the worker, waits for it, publishes the offline cloud state
// (what the will says after a crash) and disconnects. The broker keeps the
// session: what arrives meanwhile waits for the next start with the same
// client id.
func (in *Ingester) Close() error {
	in.closed.Do(func() {
		in.cancel()
		in.wg.Wait()
		if in.client == nil {
			return
		}
		if in.client.IsConnectionOpen() {
			off, _ := json.Marshal(eldergate.CloudState{Online: false, Boot: in.boot, At: in.now().UTC()})
			in.client.Publish(eldergate.CloudStateTopic, 1, true, off).WaitTimeout(time.Second)
		}
		for _, ss := range in.sessions {
			ss.client.Disconnect(250)
		}
	})
	return nil
}

// SeqCheckEvery bounds how often one ingester reads a gateway's sequence
// counters to log a change of its gaps: the counters are kept by the
// ingest transaction, and the log line is for people, so one read of the
// gateway row per 10 s is enough under a backlog of many batches.
const SeqCheckEvery = 10 * time.Second

// trackSeq logs a change of gateway gw's sequence gaps. The count comes
// from the store, so it is right with several ingesters sharing the
// gateways' batches; each ingester logs the changes it sees, at most once
// every SeqCheckEvery per gateway.
func (in *Ingester) trackSeq(ctx context.Context, gw string) {
	now := in.now()
	in.gapsMu.Lock()
	last, checked := in.gapsAt[gw]
	if checked && now.Sub(last) < SeqCheckEvery {
		in.gapsMu.Unlock()
		return
	}
	in.gapsAt[gw] = now
	in.gapsMu.Unlock()
	st, err := in.cfg.Store.GatewaySeq(ctx, gw)
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

// Queued is the number of messages waiting in the workers' queues: the
// ingester's backlog.
func (in *Ingester) Queued() int {
	if in.alarms == nil {
		return 0
	}
	n := in.alarms.len()
	for _, q := range in.states {
		n += q.len()
	}
	for _, q := range in.queues {
		n += q.len()
	}
	return n
}

// Groups is the number of groups of up batches this ingester committed
// (Batches ÷ Groups is the mean group size).
func (in *Ingester) Groups() int64 { return in.groups.Load() }

// Batches is the number of up batches this ingester handled.
func (in *Ingester) Batches() int64 { return in.batches.Load() }
