// Package natsingest is the cloud ingester's transport for a NATS cluster
// (ADR 0041): gateways speak MQTT 3.1.1 to any node of the cluster; what
// they send (eg/v1/gw/{gw}/up, /state, /cmdres, as the subjects
// eg.v1.gw.*.up, ...) is captured by a replicated JetStream stream; every
// ingester process reads it through one durable pull consumer they share,
// hands the messages to cloud/ingest's transport-neutral Process (commit
// and acks), acknowledges to JetStream what was settled, and publishes the
// application acks as NATS messages the gateways receive on their MQTT
// subscription (eg/v1/gw/{gw}/ack).
//
// Nothing here commits or decides an ack: that is ingest.Process. The
// end-to-end guarantee is the gateway's outbox: an event stays there
// until an application ack names it, and a message lost anywhere (the
// broker's PUBACK does not say the stream has it) is sent again.
package natsingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/ingest"
)

// Defaults of Config.
const (
	DefaultStream   = "EG_GW"
	DefaultConsumer = "ingest"
	DefaultReplicas = 3
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultWorkers  = ingest.DefaultWorkers
	DefaultBatch    = 256
	DefaultAckWait  = 30 * time.Second
	// DefaultMaxAckPending bounds the messages handed out and not yet
	// acknowledged, over all ingesters: JetStream's backpressure.
	DefaultMaxAckPending = 20000
)

// Processor is cloud/ingest's transport-neutral core (*ingest.Ingester
// made by ingest.NewCore).
type Processor interface {
	Process(ctx context.Context, ups []ingest.Up) ([]ingest.Outbound, []bool, error)
}

// Config configures a Source.
type Config struct {
	// URLs are the cluster's client URLs, comma separated
	// (nats://n1:4222,nats://n2:4222,nats://n3:4222).
	URLs     string
	User     string
	Password string
	Name     string // connection name shown by the server; default "eldergate-ingest"

	Stream   string // default DefaultStream
	Consumer string // durable name shared by every ingester; default DefaultConsumer
	// Replicas of the stream: 3 on a three-node cluster, 1 on a single
	// server (a laptop). Default DefaultReplicas.
	Replicas int
	MaxAge   time.Duration // how long an unread message is kept; default DefaultMaxAge
	// MaxBytes bounds the stream; past it the oldest messages go (their
	// gateways send them again: they are not acknowledged). 0: unbounded
	// (the server's max_file_store bounds it).
	MaxBytes      int64
	Workers       int           // Process calls at once; a gateway's messages always go to the same worker; default DefaultWorkers
	Batch         int           // messages per Process call at most; default DefaultBatch
	AckWait       time.Duration // redelivery of a message handed out and not acknowledged; default DefaultAckWait
	MaxAckPending int           // default DefaultMaxAckPending

	Processor Processor
	Logger    *slog.Logger
}

func (c *Config) defaults() error {
	if c.URLs == "" {
		return errors.New("natsingest: no NATS URL")
	}
	if c.Processor == nil {
		return errors.New("natsingest: no processor")
	}
	if c.Name == "" {
		c.Name = "eldergate-ingest"
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Consumer == "" {
		c.Consumer = DefaultConsumer
	}
	if c.Replicas <= 0 {
		c.Replicas = DefaultReplicas
	}
	if c.Replicas > 5 {
		return fmt.Errorf("natsingest: %d replicas: JetStream allows at most 5", c.Replicas)
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// StreamConfig is the stream the gateways' messages land in: a work
// queue (a message is gone once an ingester acknowledged it), on disk,
// replicated.
func StreamConfig(c Config) jetstream.StreamConfig {
	max := c.MaxBytes
	if max <= 0 {
		max = -1
	}
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: "eldergate: what gateways send the cloud (ADR 0041)",
		Subjects:    GatewaySubjects(),
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		MaxAge:      c.MaxAge,
		MaxBytes:    max,
		Discard:     jetstream.DiscardOld,
		MaxMsgSize:  int32(eldergate.MaxBatchBytes) + 4096,
	}
}

// ConsumerConfig is the durable consumer every ingester shares.
func ConsumerConfig(c Config) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       c.Consumer,
		Description:   "eldergate ingesters (ADR 0041)",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1, // the store dedupes; never drop an event
		MaxAckPending: c.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Replicas:      c.Replicas,
	}
}

// Setup creates the stream and the consumer, or updates them to the
// configuration. Every ingester runs it at start; the same configuration
// twice changes nothing.
func Setup(ctx context.Context, js jetstream.JetStream, c Config) (jetstream.Consumer, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	if _, err := js.CreateOrUpdateStream(ctx, StreamConfig(c)); err != nil {
		return nil, fmt.Errorf("natsingest: stream %s: %w", c.Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, c.Stream, ConsumerConfig(c))
	if err != nil {
		return nil, fmt.Errorf("natsingest: consumer %s: %w", c.Consumer, err)
	}
	return cons, nil
}

// Source reads the stream through the shared consumer into a Processor.
type Source struct {
	cfg  Config
	log  *slog.Logger
	nc   *nats.Conn
	cons jetstream.Consumer
	iter jetstream.MessagesContext // nil until Run

	queues []chan jetstream.Msg

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	messages atomic.Int64 // messages handed to Process
	settled  atomic.Int64 // acknowledged to JetStream after Process settled them
	retried  atomic.Int64 // negatively acknowledged (redelivered later)
	calls    atomic.Int64 // Process calls
}

// Start is Dial then Run.
func Start(ctx context.Context, cfg Config) (*Source, error) {
	s, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Run(); err != nil {
		s.nc.Close()
		return nil, err
	}
	return s, nil
}

// Dial connects to the cluster and sets up the stream and the consumer;
// Run starts reading. Publish works from Dial on. ctx bounds the dial
// only; Close stops.
func Dial(ctx context.Context, cfg Config) (*Source, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, log: cfg.Logger.With("component", "natsingest")}
	nc, err := nats.Connect(cfg.URLs,
		nats.Name(cfg.Name),
		nats.UserInfo(cfg.User, cfg.Password),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			s.log.Warn("natsingest: disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			s.log.Info("natsingest: reconnected", "server", c.ConnectedUrlRedacted())
		}))
	if err != nil {
		return nil, fmt.Errorf("natsingest: connect %s: %w", redactURLs(cfg.URLs), err)
	}
	s.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsingest: %w", err)
	}
	for {
		// Right after the cluster starts, or while a node is away,
		// JetStream may have no leader yet: retry within ctx.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		s.cons, err = Setup(cctx, js, cfg)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			nc.Close()
			return nil, fmt.Errorf("natsingest: %w (last: %v)", ctx.Err(), err)
		}
		s.log.Warn("natsingest: setup, retrying", "err", err)
		time.Sleep(250 * time.Millisecond)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Run starts reading the consumer into the Processor.
func (s *Source) Run() error {
	cfg := s.cfg
	var err error
	s.iter, err = s.cons.Messages(jetstream.PullMaxMessages(2*cfg.Batch), jetstream.PullHeartbeat(2*time.Second), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("natsingest: consume: %w", err)
	}
	s.queues = make([]chan jetstream.Msg, cfg.Workers)
	for i := range s.queues {
		s.queues[i] = make(chan jetstream.Msg, cfg.Batch)
		s.wg.Add(1)
		go s.work(s.queues[i])
	}
	s.wg.Add(1)
	go s.dispatch()
	s.log.Info("natsingest: reading", "stream", cfg.Stream, "consumer", cfg.Consumer, "server", s.nc.ConnectedUrlRedacted())
	return nil
}

// dispatch hands each message to the worker of its gateway (a hash of the
// subject, which names the gateway), so one process gives a gateway's
// messages to Process in order.
func (s *Source) dispatch() {
	defer s.wg.Done()
	defer func() {
		for _, q := range s.queues {
			close(q)
		}
	}()
	for {
		m, err := s.iter.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || s.ctx.Err() != nil {
				return
			}
			// A node away or a leader change: the iterator asks again.
			s.log.Warn("natsingest: next message", "err", err)
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(m.Subject()))
		select {
		case s.queues[h.Sum32()%uint32(len(s.queues))] <- m:
		case <-s.ctx.Done():
			return
		}
	}
}

// work takes what its queue holds (at most Batch messages), gives it to
// Process in one call, then acknowledges and publishes.
func (s *Source) work(q chan jetstream.Msg) {
	defer s.wg.Done()
	msgs := make([]jetstream.Msg, 0, s.cfg.Batch)
	ups := make([]ingest.Up, 0, s.cfg.Batch)
	for m := range q {
		msgs = append(msgs[:0], m)
	more:
		for len(msgs) < s.cfg.Batch {
			select {
			case m, ok := <-q:
				if !ok {
					break more
				}
				msgs = append(msgs, m)
			default:
				break more
			}
		}
		ups = ups[:0]
		var bad []jetstream.Msg
		for _, m := range msgs {
			topic, err := Topic(m.Subject())
			if err != nil {
				s.log.Warn("natsingest: message on a subject no gateway topic maps to, dropped", "err", err)
				bad = append(bad, m)
				continue
			}
			up := ingest.Up{Topic: topic, Payload: m.Data()}
			if md, err := m.Metadata(); err == nil {
				up.ReceivedAt = md.Timestamp // when the stream stored it
			}
			ups = append(ups, up)
		}
		for _, m := range bad {
			_ = m.Term()
		}
		msgs = deleteAll(msgs, bad)
		s.process(msgs, ups)
	}
}

func deleteAll(msgs, bad []jetstream.Msg) []jetstream.Msg {
	if len(bad) == 0 {
		return msgs
	}
	out := msgs[:0]
	for _, m := range msgs {
		drop := false
		for _, b := range bad {
			if b == m {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, m)
		}
	}
	return out
}

func (s *Source) process(msgs []jetstream.Msg, ups []ingest.Up) {
	if len(ups) == 0 {
		return
	}
	s.calls.Add(1)
	s.messages.Add(int64(len(ups)))
	out, settled, err := s.cfg.Processor.Process(s.ctx, ups)
	if err != nil {
		// Closing: nothing acknowledged; JetStream hands them out again.
		return
	}
	for i, m := range msgs {
		if settled[i] {
			// Not waited for: a lost ack costs a redelivery, which the
			// store acks as already committed.
			if err := m.Ack(); err != nil {
				s.log.Warn("natsingest: ack", "err", err)
			}
			s.settled.Add(1)
			continue
		}
		s.retried.Add(1)
		_ = m.NakWithDelay(retryDelay(m))
	}
	for _, o := range out {
		if err := s.nc.Publish(Subject(o.Topic), o.Payload); err != nil {
			s.log.Warn("natsingest: publish", "topic", o.Topic, "err", err)
		}
	}
}

// retryDelay is how long an unsettled message waits before JetStream
// hands it out again: 1 s doubled per delivery, at most a minute.
func retryDelay(m jetstream.Msg) time.Duration {
	d := time.Second
	if md, err := m.Metadata(); err == nil {
		for i := uint64(1); i < md.NumDelivered && d < time.Minute; i++ {
			d *= 2
		}
	}
	return min(d, time.Minute)
}

// Publish publishes payload on an MQTT topic (as its NATS subject) and
// waits until the server has it: the cloud's commands to a gateway
// (cloud/followup's publisher). The gateway receives it on its MQTT
// subscription at QoS 0; a command it misses is published again on its
// next birth.
func (s *Source) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := s.nc.Publish(Subject(topic), payload); err != nil {
		return fmt.Errorf("natsingest: publish %s: %w", topic, err)
	}
	if err := s.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("natsingest: publish %s: %w", topic, err)
	}
	return nil
}

// Stats are a Source's counters.
type Stats struct {
	Messages int64 // handed to Process
	Settled  int64 // acknowledged to the stream
	Retried  int64 // handed back for a later redelivery
	Calls    int64 // Process calls
}

// Stats returns the counters so far.
func (s *Source) Stats() Stats {
	return Stats{Messages: s.messages.Load(), Settled: s.settled.Load(), Retried: s.retried.Load(), Calls: s.calls.Load()}
}

// Close stops reading, lets the workers finish the Process calls under
// way (their acks go out), and closes the connection.
func (s *Source) Close() error {
	s.closed.Do(func() {
		if s.iter == nil { // never ran
			s.cancel()
			s.nc.Close()
			return
		}
		s.iter.Drain()
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cancel()
			<-done
		}
		s.cancel()
		_ = s.nc.Drain()
	})
	return nil
}

// redactURLs drops the passwords of URLs for logs and errors.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if sch := strings.Index(p, "://"); sch >= 0 && sch < at {
				parts[i] = p[:sch+3] + "***" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}
