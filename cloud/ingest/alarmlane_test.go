package ingest_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/broker"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// mealGate is the real SQLite store whose commits without an alert wait
// for the gate: a gateway's worker stuck behind a backlog of meals.
type mealGate struct {
	domain.Store
	gate chan struct{}
}

func (s *mealGate) IngestBatches(ctx context.Context, bs []domain.GatewayBatch, at time.Time) ([][]string, error) {
	alert := false
	for _, b := range bs {
		for _, e := range b.Events {
			alert = alert || e.Kind == eldergate.KindAlert
		}
	}
	if !alert {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.IngestBatches(ctx, bs, at)
}

// TestAlarmLane: while a gateway's worker is held by its meals, a batch
// of the same gateway carrying an alert is committed, acked and reported
// (OnAlert) through the alarm lane; the meals follow once released, each
// event stored once.
func TestAlarmLane(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Gateways: anyGateway{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	real, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	register(t, real, "gw-a")
	st := &mealGate{Store: real, gate: make(chan struct{})}
	alerted := make(chan struct{}, 10)
	user, pw := b.ServiceCredentials()
	in, err := ingest.New(ingest.Config{BrokerURL: b.URL(), Username: user, Password: pw, ClientID: "eg-cloud-ingest-lane",
		Store: st, Workers: 1, OnAlert: func() { alerted <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("gw-a").SetUsername("gw-a").SetPassword("pw").
		SetProtocolVersion(4).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	acks := make(chan []string, 10)
	if tok := c.Subscribe(eldergate.Topic("gw-a", eldergate.ChannelAck), 1, func(_ paho.Client, msg paho.Message) {
		var a eldergate.Ack
		if json.Unmarshal(msg.Payload(), &a) == nil {
			acks <- a.IDs
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	at := time.Now().UTC()
	publish := func(evs ...eldergate.Envelope) {
		t.Helper()
		body, _ := json.Marshal(eldergate.Batch{V: 1, GW: "gw-a", Boot: 1, Events: evs})
		if tok := c.Publish(eldergate.Topic("gw-a", eldergate.ChannelUp), 1, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	for i := 1; i <= 5; i++ {
		publish(storetest.Meal(t, "gw-a", uint64(i), "E1", at))
	}
	alert := storetest.Alert(t, "gw-a", 6, "6f1c1a52-3a5e-4c1e-9d4b-0a4b8f0c2d11", eldergate.AlertRaised, "btn-1", at)
	publish(alert, storetest.Meal(t, "gw-a", 7, "E2", at))
	select {
	case ids := <-acks:
		if len(ids) != 2 || ids[0] != alert.ID {
			t.Fatalf("first ack names %v, want the alarm batch's 2 events, the alert %s first", ids, alert.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the alarm batch was not acked while the meals were held")
	}
	select {
	case <-alerted:
	case <-time.After(time.Second):
		t.Fatal("OnAlert did not run for the alarm batch")
	}
	close(st.gate)
	got := 2
	for got < 7 {
		select {
		case ids := <-acks:
			got += len(ids)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of 7 events acked after the meals were released", got)
		}
	}
	if n, err := real.CountEvents(ctx); err != nil || n != 7 {
		t.Fatalf("store holds %d events, %v; want 7", n, err)
	}
}
