package natscluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/natsingest"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/deploy/benchdoc"
	"github.com/eldergate/eldergate/deploy/loadgen"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkNATSCluster measures, in one run, what sizes a city-scale
// deployment (docs/city-scale.md): the drain rate of the same backlog
// (gateways × backlog meals, batches of 500) through a three-node NATS
// cluster (MQTT on every node, R3 stream, one ingester reading the shared
// consumer) and through one Mosquitto with the MQTT ingester, both into
// the same durable PostgreSQL (fsync on); and the nats-server memory per
// connected gateway. It runs once whatever b.N (make bench: block
// bench-nats).
func BenchmarkNATSCluster(b *testing.B) {
	const (
		gateways = 60
		backlog  = 500
		idle     = 900 // gateways only connected, for the memory figure
	)
	gws := loadgen.Generate("nb", "", gateways)
	idleGws := loadgen.Generate("ni", "", idle)
	users := map[string]string{"eldergate-cloud": "cloud-pw"}
	for _, g := range append(append([]loadgen.Gateway{}, gws...), idleGws...) {
		users[g.User] = g.Pass
	}
	pg := testenv.StartPostgresWith(b, testenv.PostgresOptions{Durable: true})
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	openStore := func() *postgres.Store {
		st, err := postgres.Open(ctx, pg.Database(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		if err := loadgen.Register(ctx, st, gws); err != nil {
			b.Fatal(err)
		}
		return st
	}
	drain := func(brokers []string) loadgen.Result {
		var (
			mu  sync.Mutex
			sum loadgen.Result
			wg  sync.WaitGroup
		)
		per := len(gws) / len(brokers)
		for i, br := range brokers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := loadgen.Fleet{Broker: br, Gateways: gws[i*per : (i+1)*per], Backlog: backlog, BatchSize: 500,
					StartTogether: true, Duration: time.Second, Settle: 3 * time.Minute, AckTimeout: 30 * time.Second}
				r, err := f.Run(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				sum.Sent += r.Sent
				sum.Acked += r.Acked
				sum.Resent += r.Resent
				sum.Unacked += r.Unacked
				sum.DuplicateAcks += r.DuplicateAcks
				sum.Seconds = max(sum.Seconds, r.Seconds)
			}()
		}
		wg.Wait()
		if sum.Seconds > 0 {
			sum.AckedPerSec = float64(sum.Acked) / sum.Seconds
		}
		return sum
	}

	// NATS: three nodes, gateways spread over them, one ingester.
	cluster := testenv.StartNATSCluster(b, testenv.NATSOptions{Users: users})
	rssBefore := int64(0)
	for _, n := range cluster.Nodes {
		rssBefore += n.RSSKB()
	}
	natsStore := openStore()
	core, err := ingest.NewCore(ingest.Config{Store: natsStore})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	src, err := natsingest.Start(ctx, natsingest.Config{URLs: cluster.ClientURLs(), User: cluster.User, Password: cluster.Pass, Processor: core})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	load0 := benchdoc.LoadAverage()
	natsR := drain(cluster.MQTTURLs())

	// Memory: idle gateways connected to node 1 (heartbeats only).
	n1 := cluster.Nodes[0].RSSKB()
	idleFleet := loadgen.Fleet{Broker: cluster.Nodes[0].MQTTURL, Gateways: idleGws, HeartbeatEvery: 30 * time.Second,
		Duration: 2 * time.Minute, ConnectPerSec: 300}
	run, err := idleFleet.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for run.Connected() < idle && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	connected := run.Connected()
	time.Sleep(2 * time.Second)
	n1After := cluster.Nodes[0].RSSKB()
	run.Stop()
	src.Close()
	for _, n := range cluster.Nodes {
		n.Kill()
	}

	// Mosquitto: one broker, the MQTT ingester, a fresh database.
	m := testenv.StartMosquitto(b, users, testenv.ACLFile())
	mqStore := openStore()
	in, err := ingest.New(ingest.Config{BrokerURL: m.URL, Username: "eldergate-cloud", Password: "cloud-pw", Store: mqStore, ClientID: "bench-ingest"})
	if err != nil {
		b.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	mqR := drain([]string{m.URL, m.URL, m.URL})
	load1 := benchdoc.LoadAverage()

	kbPerGW := float64(n1After-n1) / float64(max(connected, 1))
	b.ReportMetric(natsR.AckedPerSec, "nats_events/s")
	b.ReportMetric(mqR.AckedPerSec, "mosquitto_events/s")
	b.ReportMetric(kbPerGW, "nats_KB/gateway")
	for name, r := range map[string]loadgen.Result{"nats": natsR, "mosquitto": mqR} {
		if r.Acked != int64(gateways*backlog) || r.Unacked != 0 {
			b.Errorf("%s: acked %d of %d, unacked %d", name, r.Acked, gateways*backlog, r.Unacked)
		}
	}
	b.Logf("%d gateways × %d meals, batches of 500, a third of the gateways on each node: NATS %.0f events/s (resent %d, duplicate acks %d), Mosquitto %.0f (resent %d, duplicate acks %d), ratio %.2f; nats-server %.1f KB per idle gateway (%d connected); load average %s at the start, %s at the end; cluster RSS before the load %d KB",
		gateways, backlog, natsR.AckedPerSec, natsR.Resent, natsR.DuplicateAcks, mqR.AckedPerSec, mqR.Resent, mqR.DuplicateAcks,
		natsR.AckedPerSec/max(mqR.AckedPerSec, 1), kbPerGW, connected, load0, load1, rssBefore)
}
