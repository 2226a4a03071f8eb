package uplink_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/uuid"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

const gw = "gw-test-01"

// startBroker runs a throwaway in-process broker on a random loopback port.
func startBroker(t *testing.T) string {
	t.Helper()
	s := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := s.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return "tcp://" + l.Address()
}

// cloud is a tiny fake cloud: it records the batches it receives and acks
// them when told to.
type cloud struct {
	t       *testing.T
	c       mqtt.Client
	mu      sync.Mutex
	batches []eldergate.Batch
	ack     bool
	reject  map[string]string // id -> reason
	got     chan eldergate.Batch
	states  chan eldergate.State
}

func newCloud(t *testing.T, url string) *cloud {
	t.Helper()
	c := &cloud{t: t, reject: map[string]string{}, got: make(chan eldergate.Batch, 100), states: make(chan eldergate.State, 10)}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID("fake-cloud").SetOrderMatters(true)
	c.c = mqtt.NewClient(o)
	if tok := c.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("cloud connect: %v", tok.Error())
	}
	sub := c.c.Subscribe(eldergate.Topic(gw, eldergate.ChannelUp), 1, func(_ mqtt.Client, m mqtt.Message) {
		b, rej, err := eldergate.DecodeBatch(m.Payload(), gw)
		if err != nil || len(rej) > 0 {
			t.Errorf("bad batch: %v %v", err, rej)
			return
		}
		c.mu.Lock()
		c.batches = append(c.batches, b)
		doAck := c.ack
		var a eldergate.Ack
		for _, e := range b.Events {
			if r, ok := c.reject[e.ID]; ok {
				a.Rejected = append(a.Rejected, eldergate.Rejection{ID: e.ID, Reason: r})
			} else {
				a.IDs = append(a.IDs, e.ID)
			}
		}
		c.mu.Unlock()
		if doAck {
			// Never wait on a token inside a handler with OrderMatters(true).
			p, _ := json.Marshal(a)
			c.c.Publish(eldergate.Topic(gw, eldergate.ChannelAck), 1, false, p)
		}
		c.got <- b
	})
	if !sub.WaitTimeout(5*time.Second) || sub.Error() != nil {
		t.Fatalf("cloud subscribe: %v", sub.Error())
	}
	st := c.c.Subscribe(eldergate.Topic(gw, eldergate.ChannelState), 1, func(_ mqtt.Client, m mqtt.Message) {
		s, err := eldergate.DecodeState(m.Payload())
		if err != nil {
			t.Errorf("bad state: %v", err)
			return
		}
		c.states <- s
	})
	if !st.WaitTimeout(5*time.Second) || st.Error() != nil {
		t.Fatalf("cloud subscribe: %v", st.Error())
	}
	t.Cleanup(func() { c.c.Disconnect(100) })
	return c
}

func (c *cloud) publishAck(a eldergate.Ack) {
	p, _ := json.Marshal(a)
	tok := c.c.Publish(eldergate.Topic(gw, eldergate.ChannelAck), 1, false, p)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		c.t.Errorf("ack publish: %v", tok.Error())
	}
}

func (c *cloud) setAck(on bool) {
	c.mu.Lock()
	c.ack = on
	c.mu.Unlock()
}

func (c *cloud) next(t *testing.T, d time.Duration) eldergate.Batch {
	t.Helper()
	select {
	case b := <-c.got:
		return b
	case <-time.After(d):
		t.Fatalf("no batch within %v", d)
		return eldergate.Batch{}
	}
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.UpsertElders(t.Context(), []eldergate.Elder{{ID: "E1", Name: "张三", Card: "C1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	return s
}

var base = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

func commit(t *testing.T, s *sqlite.Store, kind eldergate.Kind, i int) string {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	var data any = eldergate.MealData{ElderID: "E1", Window: "lunch", Day: "2025-03-03", Decision: eldergate.DecisionApproved, PriceFen: 1500, SubsidyFen: 1000, PayFen: 500}
	if kind == eldergate.KindAlert {
		data = eldergate.AlertData{AlertID: uuid.NewString(), Action: eldergate.AlertRaised, Type: "emergency", Button: "b1"}
	}
	raw, _ := json.Marshal(data)
	env := eldergate.Envelope{ID: id, Kind: kind, GW: gw, Site: "site", Boot: s.Boot(), At: base.Add(time.Duration(i) * time.Second), Clock: eldergate.ClockSynced, Data: raw}
	if _, err := s.Commit(t.Context(), env, nil); err != nil {
		t.Fatal(err)
	}
	return id
}

func startUplink(t *testing.T, url string, s *sqlite.Store, cfg uplink.Config) *uplink.Uplink {
	t.Helper()
	cfg.URL, cfg.GW, cfg.Boot, cfg.Version = url, gw, s.Boot(), "test"
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	u, err := uplink.New(cfg, s, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return u
}

func rowsByID(t *testing.T, s *sqlite.Store) map[string]sqlite.OutboxRow {
	t.Helper()
	rows, err := s.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]sqlite.OutboxRow{}
	for _, r := range rows {
		m[r.ID] = r
	}
	return m
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliveredOnlyAfterAckAndResentWithout(t *testing.T) {
	url := startBroker(t)
	cl := newCloud(t, url)
	s := openStore(t)
	ids := []string{commit(t, s, eldergate.KindMeal, 1), commit(t, s, eldergate.KindMeal, 2), commit(t, s, eldergate.KindMeal, 3)}
	bad := commit(t, s, eldergate.KindMeal, 4)
	cl.reject[bad] = "events[3]: test rejection"

	u := startUplink(t, url, s, uplink.Config{BatchSize: 10, BatchWait: 20 * time.Millisecond, AckTimeout: 300 * time.Millisecond, MaxBackoff: 600 * time.Millisecond})

	select {
	case st := <-cl.states:
		if !st.Online || st.Boot != s.Boot() || st.Version != "test" {
			t.Fatalf("birth = %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no birth message")
	}
	b := cl.next(t, 10*time.Second)
	if len(b.Events) != 4 || b.Boot != s.Boot() || b.V != 1 {
		t.Fatalf("first batch = %d events, boot %d", len(b.Events), b.Boot)
	}
	for i, e := range b.Events[:3] {
		if e.ID != ids[i] {
			t.Fatalf("event %d = %s, want %s (seq order)", i, e.ID, ids[i])
		}
	}
	if !u.Connected() {
		t.Fatal("not connected")
	}
	// No ack: nothing is delivered, and the batch is sent again.
	for _, r := range rowsByID(t, s) {
		if r.Delivered {
			t.Fatalf("%s delivered without an ack", r.ID)
		}
	}
	b2 := cl.next(t, 5*time.Second)
	if len(b2.Events) != 4 || b2.Events[0].ID != ids[0] {
		t.Fatalf("resend = %+v", b2.Events)
	}
	eventually(t, 5*time.Second, "second attempt recorded", func() bool {
		r := rowsByID(t, s)[ids[0]]
		return r.Attempts >= 2 && !r.Delivered
	})

	// Ack from now on: everything is delivered, the rejected one dead-lettered.
	cl.setAck(true)
	eventually(t, 10*time.Second, "delivery", func() bool {
		m := rowsByID(t, s)
		for _, id := range ids {
			if !m[id].Delivered {
				return false
			}
		}
		return m[bad].Rejected && !m[bad].Delivered
	})
	// The rejected row is never resent.
	n := len(cl.got)
	time.Sleep(1500 * time.Millisecond)
	for len(cl.got) > n {
		for _, e := range (<-cl.got).Events {
			if e.ID == bad {
				t.Fatal("rejected event resent")
			}
		}
	}
	if c, _ := s.PendingCount(t.Context()); c != 0 {
		t.Fatalf("pending = %d", c)
	}
}

func TestAlertJumpsMealBacklog(t *testing.T) {
	url := startBroker(t)
	cl := newCloud(t, url)
	s := openStore(t)
	for i := range 1000 {
		commit(t, s, eldergate.KindMeal, i)
	}
	u := startUplink(t, url, s, uplink.Config{BatchSize: 100, BatchWait: 50 * time.Millisecond, AckTimeout: time.Minute, MaxInFlight: 4})

	// Without acks exactly MaxInFlight meal batches go out, in seq order.
	var lastSeq uint64
	for range 4 {
		b := cl.next(t, 10*time.Second)
		if len(b.Events) != 100 {
			t.Fatalf("batch of %d", len(b.Events))
		}
		for _, e := range b.Events {
			if e.Kind != eldergate.KindMeal || e.Seq <= lastSeq {
				t.Fatalf("meal out of order: kind %s seq %d after %d", e.Kind, e.Seq, lastSeq)
			}
			lastSeq = e.Seq
		}
	}
	select {
	case b := <-cl.got:
		t.Fatalf("a fifth batch (%d events) went out with every slot taken", len(b.Events))
	case <-time.After(300 * time.Millisecond):
	}

	alert := commit(t, s, eldergate.KindAlert, 2000)
	queued := time.Now()
	u.Notify()
	b := cl.next(t, 5*time.Second)
	if b.Events[0].ID != alert || b.Events[0].Kind != eldergate.KindAlert {
		t.Fatalf("first batch after the alert starts with %s %s", b.Events[0].Kind, b.Events[0].ID)
	}
	if d := time.Since(queued); d > 2*time.Second {
		t.Fatalf("alert took %v", d)
	}

	// Once the cloud acks, the backlog drains after the alert.
	cl.setAck(true)
	cl.mu.Lock()
	var all eldergate.Ack
	for _, bb := range cl.batches {
		for _, e := range bb.Events {
			all.IDs = append(all.IDs, e.ID)
		}
	}
	cl.mu.Unlock()
	cl.publishAck(all)
	eventually(t, 20*time.Second, "backlog drained", func() bool {
		n, _ := s.PendingCount(t.Context())
		return n == 0
	})
	for _, r := range rowsByID(t, s) {
		if !r.Delivered {
			t.Fatalf("%s not delivered", r.ID)
		}
	}
}
