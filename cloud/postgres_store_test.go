package cloud_test

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestPostgresStoreEndToEnd: the cloud started with a PostgreSQL store
// (StoreDSN, no data directory) authenticates a seeded gateway on the
// embedded broker from the PostgreSQL device table, commits a published
// batch, acknowledges exactly its ids, and a resend is acknowledged again
// without storing anything twice.
func TestPostgresStoreEndToEnd(t *testing.T) {
	pg := testenv.StartPostgres(t)
	c, err := cloud.New(cloud.Config{
		StoreDSN: pg.Database(t), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, ok := c.Store().(*postgres.Store); !ok {
		t.Fatalf("store is %T, want *postgres.Store", c.Store())
	}
	if _, err := connect(t, c.BrokerURL(), "gw-a", "wrong", clientID("gw-a"), nil); err == nil {
		t.Fatal("gw-a connected with a wrong secret")
	}
	gw := mustConnect(t, c, "gw-a", "secret-a")
	acks := subscribeAcks(t, gw, "gw-a")
	now := time.Now().UTC().Truncate(time.Millisecond)
	events := []eldergate.Envelope{
		storetest.Meal(t, "gw-a", 1, "E1", now),
		storetest.Meal(t, "gw-a", 2, "E2", now),
		storetest.Alert(t, "gw-a", 3, "al-1", eldergate.AlertRaised, "btn-1", now),
	}
	for round := 1; round <= 2; round++ {
		if err := publish(t, gw, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", events...)); err != nil {
			t.Fatal(err)
		}
		if ack := waitAck(t, acks); !sameIDs(ack.IDs, events...) || len(ack.Rejected) != 0 {
			t.Fatalf("round %d: ack %+v, want ids of %d events", round, ack, len(events))
		}
		n, err := c.Store().CountEvents(ctx)
		if err != nil || n != 3 {
			t.Fatalf("round %d: CountEvents = %d, %v, want 3", round, n, err)
		}
	}
	if !hasMeal(t, c, events[0].ID) || !hasMeal(t, c, events[1].ID) {
		t.Fatal("meals not listed")
	}
	alerts, err := c.Store().ListAlerts(ctx, "")
	if err != nil || len(alerts) != 1 || alerts[0].ID != events[2].ID || alerts[0].Presses != 1 {
		t.Fatalf("alerts = %+v, %v", alerts, err)
	}
}
