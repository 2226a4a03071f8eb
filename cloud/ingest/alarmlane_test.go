package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
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
	b := embeddedBroker(t)
	real := openStore(t, "gw-a")
	st := &mealGate{Store: real, gate: make(chan struct{})}
	alerted := make(chan struct{}, 10)
	user, pw := b.ServiceCredentials()
	startIngester(t, ingest.Config{BrokerURL: b.URL(), Username: user, Password: pw, ClientID: "eg-cloud-ingest-lane",
		Store: st, Workers: 1, OnAlert: func() { alerted <- struct{}{} }})
	g := connectGateway(t, b.URL(), "gw-a")
	at := time.Now().UTC()
	for i := 1; i <= 5; i++ {
		g.publish(t, batchOf(t, "gw-a", storetest.Meal(t, "gw-a", uint64(i), "E1", at)))
	}
	alert := storetest.Alert(t, "gw-a", 6, "6f1c1a52-3a5e-4c1e-9d4b-0a4b8f0c2d11", eldergate.AlertRaised, "btn-1", at)
	g.publish(t, batchOf(t, "gw-a", alert, storetest.Meal(t, "gw-a", 7, "E2", at)))
	select {
	case a := <-g.acks:
		if len(a.IDs) != 2 || a.IDs[0] != alert.ID {
			t.Fatalf("first ack names %v, want the alarm batch's 2 events, the alert %s first", a.IDs, alert.ID)
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
		case a := <-g.acks:
			got += len(a.IDs)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of 7 events acked after the meals were released", got)
		}
	}
	if n, err := real.CountEvents(context.Background()); err != nil || n != 7 {
		t.Fatalf("store holds %d events, %v; want 7", n, err)
	}
}
