package cloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

const benchGateways = 100

// benchShape is how the events travel: the same number of events from
// the same gateways, in a few large batches (an outbox drained after an
// outage) or one event per message (taps as they happen).
type benchShape struct {
	name    string
	batches int // per gateway
	size    int // events per batch
}

var benchShapes = []benchShape{
	{"drain", 2, 500}, // 100 × 2 × 500 = 100,000 events in 200 messages of 169 kB
	{"live", 500, 1},  // 100 × 500 × 1 = 50,000 events in 50,000 messages of 0.4 kB
}

// BenchmarkIngest is acceptance 5 of issue 5. One real Mosquitto (the
// production ACL), 100 simulated gateways (one MQTT client each, already
// connected) and their meal events in QoS 1 batches, in two shapes (see
// benchShape). Each iteration runs two phases on the same broker with the
// same payloads:
//
//   - phase A: mosquitto_sub (QoS 1, as the cloud's user, on
//     eg/v1/gw/+/up) receives every batch; the clock runs from the first
//     publish until mosquitto_sub printed the last one (sub-events/s);
//   - phase B: ONE ingester (shared subscription, a fresh database) takes
//     every batch; the clock runs from the first publish until every
//     gateway holds the application ack of every one of its events, i.e.
//     every event is committed and acknowledged (ingest-events/s).
//
// ratio = ingest-events/s ÷ sub-events/s (target ≥ 0.8). After phase B
// the store must hold exactly the events sent.
func BenchmarkIngest(b *testing.B) {
	users := map[string]string{"eldergate-cloud": "cloud-pw"}
	gws := make([]string, benchGateways)
	for i := range gws {
		gws[i] = fmt.Sprintf("gw-%03d", i)
		users[gws[i]] = "pw-" + gws[i]
	}
	m := testenv.StartMosquitto(b, users, testenv.ACLFile())
	pg := testenv.StartPostgres(b)

	at := time.Now().UTC().Add(-time.Minute)
	pubs := make([]*benchGateway, len(gws))
	for g, gw := range gws {
		pubs[g] = newBenchGateway(b, m.URL, gw, users[gw])
	}

	openPG := func(ctx context.Context, b *testing.B) domain.Store {
		st, err := postgres.Open(ctx, pg.Database(b))
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	stores := []struct {
		name string
		open func(ctx context.Context, b *testing.B) domain.Store
	}{
		{"postgres", openPG},
		{"sqlite", func(ctx context.Context, b *testing.B) domain.Store {
			st, err := sqlite.OpenFile(ctx, filepath.Join(b.TempDir(), sqlite.FileName))
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, shape := range benchShapes {
		for _, p := range pubs {
			p.build(b, shape, at)
		}
		total := benchGateways * shape.batches * shape.size
		for _, sc := range stores {
			b.Run(fmt.Sprintf("shape=%s/store=%s", shape.name, sc.name), func(b *testing.B) {
				var subDur, inDur time.Duration
				for i := 0; i < b.N; i++ {
					subDur += benchPhaseSub(b, m, pubs)
					inDur += benchPhaseIngest(b, m, pubs, int64(total), sc.open)
				}
				sub := float64(total*b.N) / subDur.Seconds()
				in := float64(total*b.N) / inDur.Seconds()
				b.ReportMetric(sub, "sub-events/s")
				b.ReportMetric(in, "ingest-events/s")
				b.ReportMetric(in/sub, "ratio")
				b.ReportMetric(float64(len(pubs[0].batches[0]))/1000, "kB/msg")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// benchPhaseSub runs phase A and returns its duration.
func benchPhaseSub(b *testing.B, m *testenv.Mosquitto, pubs []*benchGateway) time.Duration {
	b.Helper()
	msgs := benchGateways * len(pubs[0].batches)
	sub := testenv.StartRawSubscriber(b, m, "eldergate-cloud", "cloud-pw", eldergate.TopicPrefix+"+/up", msgs)
	start := time.Now()
	publishAll(b, pubs)
	end := sub.Last(b)
	return end.Sub(start)
}

// benchPhaseIngest runs phase B with a fresh store and returns its duration.
func benchPhaseIngest(b *testing.B, m *testenv.Mosquitto, pubs []*benchGateway, want int64,
	open func(context.Context, *testing.B) domain.Store) time.Duration {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st := open(ctx, b)
	defer st.Close()
	for _, p := range pubs { // registered at the sites their events name
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: p.gw, Site: "site-" + p.gw}); err != nil {
			b.Fatal(err)
		}
	}
	in, err := ingest.New(ingest.Config{BrokerURL: m.URL, Username: "eldergate-cloud", Password: "cloud-pw",
		ClientID: "bench-ingest", Store: st})
	if err != nil {
		b.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() {
		in.Close()
		// Its session is persistent: gone, or the next phase A's messages
		// queue for it and reach the next phase B's fresh store.
		testenv.DropSession(b, m.URL, "eldergate-cloud", "cloud-pw", "bench-ingest")
	}()
	for _, p := range pubs {
		p.reset()
	}
	start := time.Now()
	publishAll(b, pubs)
	for _, p := range pubs {
		select {
		case <-p.done:
		case <-ctx.Done():
			b.Fatalf("%s: %d events never acknowledged", p.gw, p.left.Load())
		}
	}
	d := time.Since(start)
	b.ReportMetric(float64(in.Batches())/float64(max(in.Groups(), 1)), "msgs/group")
	n, err := st.CountEvents(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n != want {
		b.Fatalf("store holds %d events, sent %d", n, want)
	}
	return d
}

// publishAll publishes every gateway's batches at QoS 1, all gateways at
// once, and waits for every PUBACK.
func publishAll(b *testing.B, pubs []*benchGateway) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(pubs))
	for _, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			up := eldergate.Topic(p.gw, eldergate.ChannelUp)
			toks := make([]paho.Token, 0, len(p.batches))
			for _, body := range p.batches {
				toks = append(toks, p.c.Publish(up, 1, false, body))
			}
			for _, tok := range toks {
				if !tok.WaitTimeout(time.Minute) || tok.Error() != nil {
					errs <- fmt.Errorf("%s: publish: %v", p.gw, tok.Error())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchGateway is one simulated gateway: its connected client, its
// prepared batches and the acks it still waits for.
type benchGateway struct {
	gw      string
	c       paho.Client
	batches [][]byte
	ids     []string

	mu      sync.Mutex
	pending map[string]bool
	left    atomic.Int64
	done    chan struct{}
}

func newBenchGateway(b *testing.B, url, gw, password string) *benchGateway {
	b.Helper()
	p := &benchGateway{gw: gw, done: make(chan struct{})}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(gw).SetUsername(gw).SetPassword(password).
		SetProtocolVersion(4).SetCleanSession(true).SetOrderMatters(false).SetConnectTimeout(10 * time.Second)
	p.c = paho.NewClient(opts)
	if tok := p.c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		b.Fatalf("%s: connect: %v", gw, tok.Error())
	}
	b.Cleanup(func() { p.c.Disconnect(50) })
	tok := p.c.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, p.onAck)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("%s: subscribe: %v", gw, tok.Error())
	}
	return p
}

// build prepares the gateway's batches in the given shape.
func (p *benchGateway) build(b *testing.B, shape benchShape, at time.Time) {
	b.Helper()
	p.batches, p.ids = nil, nil
	for k := 0; k < shape.batches; k++ {
		evs := make([]eldergate.Envelope, shape.size)
		for j := range evs {
			seq := uint64(k*shape.size + j + 1)
			evs[j] = storetest.Meal(b, p.gw, seq, fmt.Sprintf("E%d", seq%50), at)
			p.ids = append(p.ids, evs[j].ID)
		}
		body, err := json.Marshal(eldergate.Batch{V: 1, GW: p.gw, Boot: 1, Events: evs})
		if err != nil {
			b.Fatal(err)
		}
		p.batches = append(p.batches, body)
	}
}

// reset makes every event of the gateway pending again.
func (p *benchGateway) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = make(map[string]bool, len(p.ids))
	for _, id := range p.ids {
		p.pending[id] = true
	}
	p.left.Store(int64(len(p.ids)))
	p.done = make(chan struct{})
}

func (p *benchGateway) onAck(_ paho.Client, msg paho.Message) {
	var a eldergate.Ack
	if err := json.Unmarshal(msg.Payload(), &a); err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending == nil || len(p.pending) == 0 {
		return
	}
	for _, id := range a.IDs {
		if p.pending[id] {
			delete(p.pending, id)
		}
	}
	p.left.Store(int64(len(p.pending)))
	if len(p.pending) == 0 {
		close(p.done)
	}
}
