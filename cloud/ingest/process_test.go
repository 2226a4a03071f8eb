package ingest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// TestProcessWithoutMQTT drives the transport-neutral core (NewCore +
// Process) with a real store: what it commits, what it answers, and which
// messages it reports settled.
func TestProcessWithoutMQTT(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "gw-a", "gw-b")
	births := 0
	in, err := ingest.NewCore(ingest.Config{Store: st, OnBirth: func(context.Context, string) { births++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.Start(ctx); err == nil {
		t.Error("Start of a core without MQTT: no error")
	}
	at := time.Now().UTC()
	a1, a2 := storetest.Meal(t, "gw-a", 1, "E1", at), storetest.Meal(t, "gw-a", 2, "E2", at)
	b1 := storetest.Meal(t, "gw-b", 1, "E3", at)
	u1 := storetest.Meal(t, "gw-u", 1, "E4", at)
	state, _ := json.Marshal(eldergate.State{Online: true, Boot: 1})
	up := func(gw string, body []byte) ingest.Up {
		return ingest.Up{Topic: eldergate.Topic(gw, eldergate.ChannelUp), Payload: body, ReceivedAt: at}
	}
	ups := []ingest.Up{
		up("gw-a", batchOf(t, "gw-a", a1)),
		up("gw-b", batchOf(t, "gw-b", b1)),
		up("gw-u", batchOf(t, "gw-u", u1)), // no registered site: left unacked
		{Topic: eldergate.Topic("gw-a", eldergate.ChannelState), Payload: state},
		up("gw-a", batchOf(t, "gw-a", a2)),
		up("gw-b", []byte(`{"v":1,"gw":"gw-b"`)), // refused whole
		{Topic: "not/a/gateway/topic", Payload: []byte("x")},
	}
	out, settled, err := in.Process(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, false, true, true, true, true}; !slices.Equal(settled, want) {
		t.Errorf("settled %v, want %v", settled, want)
	}
	if births != 1 {
		t.Errorf("OnBirth ran %d times, want 1", births)
	}
	acks := map[string]eldergate.Ack{}
	for _, o := range out {
		gw, ch, err := eldergate.ParseTopic(o.Topic)
		if err != nil || ch != eldergate.ChannelAck || o.QoS != ingest.AckQoS {
			t.Fatalf("outbound %s qos %d: want an ack at QoS %d", o.Topic, o.QoS, ingest.AckQoS)
		}
		var a eldergate.Ack
		if err := json.Unmarshal(o.Payload, &a); err != nil {
			t.Fatal(err)
		}
		if _, dup := acks[gw]; dup {
			t.Errorf("two acks for %s in one call", gw)
		}
		acks[gw] = a
	}
	if got := acks["gw-a"].IDs; !slices.Equal(got, []string{a1.ID, a2.ID}) {
		t.Errorf("gw-a acked %v, want both of its events (one ack over the state between them)", got)
	}
	if got := acks["gw-b"]; !slices.Equal(got.IDs, []string{b1.ID}) || len(got.Rejected) != 1 || got.Rejected[0].ID != "" {
		t.Errorf("gw-b ack %+v, want its event and the refused payload", got)
	}
	if _, ok := acks["gw-u"]; ok {
		t.Error("the unregistered gateway got an ack")
	}
	if n, err := st.CountEvents(ctx); err != nil || n != 3 {
		t.Errorf("store holds %d events, %v; want 3", n, err)
	}
	// The same messages again (a resend after lost acks): acked again as
	// committed, stored once.
	out, _, err = in.Process(ctx, ups[:2])
	if err != nil || len(out) != 2 {
		t.Fatalf("resend: %d acks, %v", len(out), err)
	}
	if n, _ := st.CountEvents(ctx); n != 3 {
		t.Errorf("after the resend the store holds %d events, want 3", n)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := in.Process(cancelled, ups[:1]); err == nil {
		t.Error("Process with an ended context: no error")
	}
}

// TestBatchBeforeWillStaysOffline: a batch that reached the broker before
// its gateway's will but is committed after the will was applied (it
// waited behind other work) must not show the gateway online again: the
// group is stored as received at its messages' arrival, not at the commit.
func TestBatchBeforeWillStaysOffline(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "gw-a")
	in, err := ingest.NewCore(ingest.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	t0 := time.Now().UTC().Add(-time.Minute)
	born, _ := json.Marshal(eldergate.State{Online: true, Boot: 1})
	will, _ := json.Marshal(eldergate.State{Online: false, Boot: 1})
	stateAt := func(body []byte, at time.Time) ingest.Up {
		return ingest.Up{Topic: eldergate.Topic("gw-a", eldergate.ChannelState), Payload: body, ReceivedAt: at}
	}
	if _, _, err := in.Process(ctx, []ingest.Up{stateAt(born, t0)}); err != nil {
		t.Fatal(err)
	}
	// The will arrived at t0+2s and is applied first; the batch arrived at
	// t0+1s and is committed now.
	if _, _, err := in.Process(ctx, []ingest.Up{stateAt(will, t0.Add(2*time.Second))}); err != nil {
		t.Fatal(err)
	}
	m := storetest.Meal(t, "gw-a", 1, "E1", t0)
	late := ingest.Up{Topic: eldergate.Topic("gw-a", eldergate.ChannelUp), Payload: batchOf(t, "gw-a", m), ReceivedAt: t0.Add(time.Second)}
	if _, settled, err := in.Process(ctx, []ingest.Up{late}); err != nil || !settled[0] {
		t.Fatalf("late batch: settled %v, err %v", settled, err)
	}
	g, err := st.Gateway(ctx, "gw-a")
	if err != nil {
		t.Fatal(err)
	}
	if g.Online {
		t.Error("a batch received before the will showed the gateway online again after it")
	}
	// A batch that arrives after the will (the gateway is back without a
	// birth seen yet) does bring it online.
	m2 := storetest.Meal(t, "gw-a", 2, "E2", t0)
	news := ingest.Up{Topic: eldergate.Topic("gw-a", eldergate.ChannelUp), Payload: batchOf(t, "gw-a", m2), ReceivedAt: t0.Add(3 * time.Second)}
	if _, _, err := in.Process(ctx, []ingest.Up{news}); err != nil {
		t.Fatal(err)
	}
	if g, err = st.Gateway(ctx, "gw-a"); err != nil || !g.Online {
		t.Errorf("a batch received after the will: online %v (err %v), want online", g.Online, err)
	}
}
