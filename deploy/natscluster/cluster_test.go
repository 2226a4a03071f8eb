package natscluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/natsingest"
	cloudsqlite "github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/deploy/testenv"
	gwsqlite "github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// gateway is a real gateway's outbox and uplink, configured with every
// node's MQTT URL.
type gateway struct {
	id    string
	store *gwsqlite.Store
	up    *uplink.Uplink
	sent  []string // event ids committed to the outbox
	seq   int
}

func startGateway(t *testing.T, id string, urls []string, user, pass string) *gateway {
	t.Helper()
	st, err := gwsqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gw.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	u, err := uplink.New(uplink.Config{
		URLs: urls, GW: id, Username: user, Password: pass, Boot: st.Boot(), Version: "test",
		BatchSize: 50, BatchWait: 20 * time.Millisecond, AckTimeout: time.Second,
		MaxBackoff: 2 * time.Second, MaxReconnect: 200 * time.Millisecond, KeepAlive: 5 * time.Second,
	}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &gateway{id: id, store: st, up: u}
}

// commit puts one event in the gateway's outbox, as a tap or a button
// would, and returns its id (and the alert's id for an alert).
func (g *gateway) commit(t *testing.T, kind eldergate.Kind) (id, alertID string) {
	t.Helper()
	g.seq++
	id = uuid.Must(uuid.NewV7()).String()
	var data any = eldergate.MealData{ElderID: "E1", Window: "lunch", Day: "2026-12-07", Decision: eldergate.DecisionApproved, PriceFen: 1500, SubsidyFen: 1000, PayFen: 500}
	if kind == eldergate.KindAlert {
		alertID = uuid.NewString()
		data = eldergate.AlertData{AlertID: alertID, Action: eldergate.AlertRaised, Type: "emergency", Button: "b1"}
	}
	raw, _ := json.Marshal(data)
	env := eldergate.Envelope{ID: id, Kind: kind, GW: g.id, Site: "site-" + g.id, Boot: g.store.Boot(),
		At: time.Now().UTC().Truncate(time.Millisecond), Clock: eldergate.ClockSynced, Data: raw}
	if _, err := g.store.Commit(t.Context(), env, nil); err != nil {
		t.Fatal(err)
	}
	g.up.Notify()
	g.sent = append(g.sent, id)
	return id, alertID
}

// undelivered counts the outbox rows no ack has named yet.
func (g *gateway) undelivered(t *testing.T) int {
	rows, err := g.store.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if !r.Delivered {
			n++
		}
	}
	return n
}

// TestClusterNodeKilledMidStream runs gateways and an ingester on a
// three-node NATS cluster, kills (SIGKILL) the node leading the stream
// while the gateways send, raises alarms after the kill, and counts:
// every event sent is in the store once, none is missing, the alarms
// reached the alarm path.
func TestClusterNodeKilledMidStream(t *testing.T) {
	const (
		gateways  = 6
		perGW     = 200 // meals per gateway
		killAfter = 80  // meals per gateway sent before the kill
	)
	cluster := testenv.StartNATSCluster(t, testenv.NATSOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	st, err := cloudsqlite.OpenFile(ctx, filepath.Join(t.TempDir(), cloudsqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var alertsStored atomic.Int64
	core, err := ingest.NewCore(ingest.Config{Store: st, OnAlert: func() { alertsStored.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	src, err := natsingest.Start(ctx, natsingest.Config{
		URLs: cluster.ClientURLs(), User: cluster.User, Password: cluster.Pass,
		Processor: core, AckWait: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	gws := make([]*gateway, gateways)
	for i := range gws {
		id := fmt.Sprintf("gw-%d.city", i) // a '.' in the id: "//" in the subject
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: id, Site: "site-" + id}); err != nil {
			t.Fatal(err)
		}
		gws[i] = startGateway(t, id, cluster.MQTTURLs(), cluster.User, cluster.Pass)
	}

	// The node to kill: the stream's leader, the worst case.
	nc := cluster.Connect(t)
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(ctx, natsingest.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	if info.Config.Replicas != 3 {
		t.Fatalf("stream replicas %d, want 3", info.Config.Replicas)
	}
	var victim *testenv.NATSNode
	for _, n := range cluster.Nodes {
		if n.Name == info.Cluster.Leader {
			victim = n
		}
	}
	if victim == nil {
		t.Fatalf("stream leader %q is not a node of the cluster", info.Cluster.Leader)
	}

	send := func(from, to int) {
		var wg sync.WaitGroup
		for _, g := range gws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from; i < to; i++ {
					g.commit(t, eldergate.KindMeal)
					if i%20 == 19 {
						time.Sleep(10 * time.Millisecond)
					}
				}
			}()
		}
		wg.Wait()
	}
	send(0, killAfter)
	committedBefore, _ := st.CountEvents(ctx)
	victim.Kill()
	t.Logf("killed %s (stream leader) with %d of %d events sent committed", victim.Name, committedBefore, gateways*killAfter)
	alertsBefore := alertsStored.Load()
	alarmGWs := map[string]bool{}
	for _, g := range gws[:2] {
		g.commit(t, eldergate.KindAlert)
		alarmGWs[g.id] = true
	}
	send(killAfter, perGW)

	total := 0
	for _, g := range gws {
		total += len(g.sent)
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		n, err := st.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, g := range gws {
			pending += g.undelivered(t)
		}
		if int(n) >= total && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kill: store holds %d of %d events sent, %d not acknowledged to the gateways; source %+v", n, total, pending, src.Stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
	n, _ := st.CountEvents(ctx)
	stats := src.Stats()
	t.Logf("sent %d, stored %d, lost %d, duplicated %d; messages handed to Process %d (redeliveries and resends included), settled %d, retried %d", total, n, total-int(n), int(n)-total, stats.Messages, stats.Settled, stats.Retried)
	if int(n) != total {
		t.Fatalf("store holds %d events, sent %d: lost %d, duplicated %d", n, total, max(total-int(n), 0), max(int(n)-total, 0))
	}
	if alertsStored.Load() <= alertsBefore {
		t.Fatal("no alert reached the alarm path after the kill")
	}
	alerts, err := st.ListAlerts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts { // the only alarms of the test: raised after the kill
		delete(alarmGWs, a.GW)
	}
	if len(alarmGWs) > 0 {
		t.Fatalf("alarms raised after the kill missing from the alarm list of gateways %v (list %+v)", alarmGWs, alerts)
	}
}
