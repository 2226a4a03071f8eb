package ingest

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/benchdoc"
	"github.com/eldergate/eldergate/deploy/loadgen"
	"github.com/eldergate/eldergate/deploy/testenv"
)

var rounds = flag.Int("ingest.rounds", 2, "rounds of every measurement; the medians are reported")

const (
	gateways  = 100
	cloudUser = "eldergate-cloud"
	cloudPass = "bench-cloud-password"
)

// shape is how the events travel (as ../shared/peer and BenchmarkIngest).
type shape struct {
	name         string
	perGW, batch int
}

var shapes = []shape{
	{"live", 500, 1},     // 100 × 500 one-event messages = 50,000 events
	{"drain", 1000, 500}, // 100 × 2 messages of 500 = 100,000 events
}

// run is one measurement.
type run struct {
	events, msgs      int
	seconds           float64
	ackP50, ackP99    float64 // ms
	lost, dup, resent int64
}

func (r run) rate() float64 { return float64(r.events) / r.seconds }

// BenchmarkIngestSuite is the bench-ingest block; see the package doc.
func BenchmarkIngestSuite(b *testing.B) {
	if b.N > 1 {
		b.Skip("one run is the measurement: -benchtime 1x")
	}
	bin := testenv.BuildCloud(b)
	gws := loadgen.Generate("gw", "", gateways)
	users := map[string]string{cloudUser: cloudPass}
	for _, g := range gws {
		users[g.User] = g.Pass
	}
	m := testenv.StartMosquitto(b, users, testenv.ACLFile())
	pg := testenv.StartPostgresWith(b, testenv.PostgresOptions{Durable: true})
	ctx := context.Background()
	tmpl := makeTemplate(b, pg, gws)

	results := map[string][]run{} // shape/consumer
	n := 0
	for round := 0; round < *rounds; round++ {
		for _, sh := range shapes {
			results[sh.name+"/raw"] = append(results[sh.name+"/raw"], rawRun(b, m, gws, sh))
			for _, procs := range []int{1, 2} {
				n++
				dsn := newDB(b, pg, tmpl, n)
				results[fmt.Sprintf("%s/ingest-%d", sh.name, procs)] = append(results[fmt.Sprintf("%s/ingest-%d", sh.name, procs)],
					ingestRun(b, ctx, bin, m, dsn, gws, sh, procs, fmt.Sprintf("r%d-%s-%d", round, sh.name, procs)))
			}
			n++
			results[sh.name+"/copy"] = append(results[sh.name+"/copy"], copyRun(b, newDB(b, pg, tmpl, n), gws, sh))
			b.Logf("round %d %s done (load average %s)", round+1, sh.name, benchdoc.LoadAverage())
		}
	}
	for _, sh := range shapes {
		raw := median(results[sh.name+"/raw"])
		cp := median(results[sh.name+"/copy"])
		for _, c := range []string{"raw", "ingest-1", "ingest-2", "copy"} {
			rs := results[sh.name+"/"+c]
			b.Run(sh.name+"/"+c, func(b *testing.B) {
				med := median(rs)
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(med.rate(), "events/s")
				b.ReportMetric(minRate(rs), "min-events/s")
				b.ReportMetric(maxRate(rs), "max-events/s")
				if c == "raw" {
					b.ReportMetric(float64(med.msgs)/med.seconds, "msgs/s")
				}
				if strings.HasPrefix(c, "ingest") {
					b.ReportMetric(med.rate()/raw.rate(), "raw-ratio")
					b.ReportMetric(med.rate()/cp.rate(), "copy-ratio")
					b.ReportMetric(med.ackP50, "ack-p50-ms")
					b.ReportMetric(med.ackP99, "ack-p99-ms")
					var lost, dup, resent int64
					for _, r := range rs {
						lost, dup, resent = lost+r.lost, dup+r.dup, resent+r.resent
					}
					b.ReportMetric(float64(lost), "lost")
					b.ReportMetric(float64(dup), "duplicated")
					b.ReportMetric(float64(resent), "resent")
				}
				b.ReportMetric(float64(len(rs)), "runs")
			})
		}
	}
	b.Logf("load average at the end: %s", benchdoc.LoadAverage())
}

// median returns the run of median rate (the lower one of two).
func median(rs []run) run {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b run) int {
		switch {
		case a.rate() < b.rate():
			return -1
		case a.rate() > b.rate():
			return 1
		}
		return 0
	})
	return s[(len(s)-1)/2]
}

func minRate(rs []run) float64 {
	m := rs[0].rate()
	for _, r := range rs {
		m = min(m, r.rate())
	}
	return m
}

func maxRate(rs []run) float64 {
	m := rs[0].rate()
	for _, r := range rs {
		m = max(m, r.rate())
	}
	return m
}

// makeTemplate makes a migrated database with the gateways registered;
// every run gets a copy of it.
func makeTemplate(b *testing.B, pg *testenv.Postgres, gws []loadgen.Gateway) string {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exec1(b, pg.DSN("postgres"), "CREATE DATABASE eg_template")
	st, err := postgres.Open(ctx, pg.DSN("eg_template"))
	if err != nil {
		b.Fatal(err)
	}
	if err := loadgen.Register(ctx, st, gws); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	return "eg_template"
}

func newDB(b *testing.B, pg *testenv.Postgres, tmpl string, n int) string {
	b.Helper()
	name := fmt.Sprintf("run_%d", n)
	exec1(b, pg.DSN("postgres"), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
	return pg.DSN(name)
}

func exec1(b *testing.B, dsn, sql string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

// clock records the first publish and the last ack of a run.
type clock struct {
	first, last atomic.Int64
}

func (c *clock) sent(t time.Time) {
	n := t.UnixNano()
	for {
		f := c.first.Load()
		if f != 0 && f <= n || c.first.CompareAndSwap(f, n) {
			return
		}
	}
}

func (c *clock) acked(t time.Time) {
	n := t.UnixNano()
	for {
		l := c.last.Load()
		if l >= n || c.last.CompareAndSwap(l, n) {
			return
		}
	}
}

func (c *clock) seconds(end int64) float64 { return float64(end-c.first.Load()) / 1e9 }

func fleet(m *testenv.Mosquitto, gws []loadgen.Gateway, sh shape, c *clock) loadgen.Fleet {
	return loadgen.Fleet{Broker: m.URL, Gateways: gws, Backlog: sh.perGW, BatchSize: sh.batch, StartTogether: true,
		Duration: time.Millisecond, Settle: 3 * time.Minute, AckTimeout: 3 * time.Minute,
		OnSend: func(e loadgen.SentInfo) { c.sent(e.At) }}
}

// rawRun: mosquitto_sub (QoS 1, as the cloud's user) receives every
// batch; the clock runs from the first publish to the last message.
func rawRun(b *testing.B, m *testenv.Mosquitto, gws []loadgen.Gateway, sh shape) run {
	b.Helper()
	msgs := gateways * sh.perGW / sh.batch
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub := testenv.StartRawSubscriber(b, m, cloudUser, cloudPass, eldergate.TopicPrefix+"+/up", msgs)
	var c clock
	f := fleet(m, gws, sh, &c)
	r, err := f.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	end := sub.Last(b)
	if _, err := r.Stop(); err != nil {
		b.Fatal(err)
	}
	return run{events: gateways * sh.perGW, msgs: msgs, seconds: c.seconds(end.UnixNano())}
}

// ingestRun: procs eldergate-cloud ingest processes on database dsn take
// the load; the clock runs from the first publish to the last event
// acknowledged; then the store must hold exactly the events sent.
func ingestRun(b *testing.B, ctx context.Context, bin string, m *testenv.Mosquitto, dsn string, gws []loadgen.Gateway,
	sh shape, procs int, tag string) run {
	b.Helper()
	var ids []string
	for k := 0; k < procs; k++ {
		id := fmt.Sprintf("bench-ingest-%s-%d", tag, k)
		ids = append(ids, id)
		stop := startIngester(b, bin, m, dsn, id)
		defer stop()
	}
	var c clock
	var mu sync.Mutex
	sent := make(map[string]bool, gateways*sh.perGW)
	f := fleet(m, gws, sh, &c)
	f.OnSend = func(e loadgen.SentInfo) {
		c.sent(e.At)
		mu.Lock()
		sent[e.ID] = true
		mu.Unlock()
	}
	f.OnAck = func(loadgen.AckInfo) { c.acked(time.Now()) }
	res, err := f.Run(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if !res.OK || res.Acked != int64(gateways*sh.perGW) {
		b.Fatalf("%s: %d of %d events acknowledged, %d rejected: %s", tag, res.Acked, gateways*sh.perGW, res.Rejected, res.Note)
	}
	lost, dup := checkStore(b, dsn, sent)
	return run{events: int(res.Acked), msgs: int(res.Messages), seconds: c.seconds(c.last.Load()), ackP50: res.AckP50Ms,
		ackP99: res.AckP99Ms, lost: lost, dup: dup + res.DuplicateAcks, resent: res.Resent}
}

// checkStore compares events and meals with the events sent: it returns
// how many are missing and how many rows are extra.
func checkStore(b *testing.B, dsn string, sent map[string]bool) (lost, dup int64) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT id FROM events")
	if err != nil {
		b.Fatal(err)
	}
	seen := make(map[string]bool, len(sent))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		if seen[id] || !sent[id] {
			dup++
		}
		seen[id] = true
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	for id := range sent {
		if !seen[id] {
			lost++
		}
	}
	var meals int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM meals").Scan(&meals); err != nil {
		b.Fatal(err)
	}
	if d := meals - int64(len(sent)); d > 0 {
		dup += d
	} else if -d > lost {
		lost = -d
	}
	if lost != 0 || dup != 0 {
		b.Errorf("store: %d events lost, %d duplicated (%d meals for %d sent)", lost, dup, meals, len(sent))
	}
	return lost, dup
}

// startIngester starts `eldergate-cloud ingest` and waits for it to be
// subscribed; stop ends it and removes its broker session.
func startIngester(b *testing.B, bin string, m *testenv.Mosquitto, dsn, clientID string) (stop func()) {
	b.Helper()
	p := testenv.StartIngestProc(b, bin, "--broker", m.URL, "--broker-user", cloudUser, "--broker-password", cloudPass,
		"--store", dsn, "--client-id", clientID, "--stats", "0")
	return func() {
		if _, _, err := p.Stop(30 * time.Second); err != nil {
			b.Logf("eldergate-cloud ingest %s: %v", clientID, err)
		}
		// The ingester's session is persistent: end it, or the broker keeps
		// handing it a share of the next run's batches.
		testenv.DropSession(b, m.URL, cloudUser, cloudPass, clientID)
	}
}

// copyRun: PostgreSQL's own rate: COPY of the same rows (the meals the
// gateways send, storetest.Meal) into the same events and meals tables
// of a fresh database, in one transaction; the rows are made before the
// clock.
func copyRun(b *testing.B, dsn string, gws []loadgen.Gateway, sh shape) run {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	now := time.Now().UTC()
	at := now.Add(-time.Minute)
	var evRows, mlRows [][]any
	for _, g := range gws {
		for seq := 1; seq <= sh.perGW; seq++ {
			e := storetest.Meal(b, g.ID, uint64(seq), fmt.Sprintf("E%d", seq%50), at)
			e.Site = g.Site
			md, err := e.Meal()
			if err != nil {
				b.Fatal(err)
			}
			evRows = append(evRows, []any{e.ID, e.GW, string(e.Kind), e.Site, int64(e.Seq), int64(e.Boot), e.At, e.Clock,
				string(e.Data), now})
			mlRows = append(mlRows, []any{e.ID, e.GW, e.Site, md.ElderID, md.Window, md.Day, md.Decision, md.Reason,
				int64(md.PriceFen), int64(md.SubsidyFen), int64(md.PayFen), md.WeightG, md.PolicyVer, e.At, now})
		}
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CHECKPOINT"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tx, err := c.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "gw", "kind", "site", "seq", "boot", "at",
		"clock", "data", "received_at"}, pgx.CopyFromRows(evRows)); err != nil {
		b.Fatalf("COPY events: %v", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"meals"}, []string{"event_id", "gw", "site", "elder_id", "window", "day",
		"decision", "reason", "price_fen", "subsidy_fen", "pay_fen", "weight_g", "policy_version", "at", "received_at"},
		pgx.CopyFromRows(mlRows)); err != nil {
		b.Fatalf("COPY meals: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return run{events: len(evRows), msgs: len(evRows), seconds: time.Since(start).Seconds()}
}
