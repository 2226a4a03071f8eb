package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/jackc/pgx/v5"
)

// BenchmarkIngestBatches: one IngestBatches call with a group of the
// shape the ingester builds under load (batches of several gateways), on
// one connection, against a real PostgreSQL (fsync off, as in the tests).
// Batch k of a group is gateway k mod gateways's. statements/call is what
// the server ran per call (pg_stat_statements: BEGIN, queries, COPY,
// COMMIT), the figure that grows with the gateways of a group.
func BenchmarkIngestBatches(b *testing.B) {
	pg := testenv.StartPostgres(b)
	ctx := context.Background()
	statStatements(b, pg)
	for _, c := range []struct{ gateways, batches, batchSize int }{
		{25, 500, 1},  // 500 one-event messages of 25 gateways (live taps)
		{100, 170, 1}, // the LIVE group: 170 one-event messages of 100 gateways (bench-fleet LIVE)
		{1, 1, 500},   // one 500-event batch (a drained outbox)
		{8, 8, 500},   // 8 such batches of 8 gateways
	} {
		b.Run(fmt.Sprintf("gateways=%d/batches=%d/size=%d", c.gateways, c.batches, c.batchSize), func(b *testing.B) {
			dsn, err := pg.NewDatabase(ctx)
			if err != nil {
				b.Fatal(err)
			}
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			counter := statementCounter(b, dsn)
			at := time.Now().UTC()
			seq := uint64(0)
			group := func() []domain.GatewayBatch {
				var g []domain.GatewayBatch
				seq++
				for k := 0; k < c.batches; k++ {
					gw := fmt.Sprintf("gw-%03d", k%c.gateways)
					n := k / c.gateways // the gateway's batch number in the group
					evs := make([]eldergate.Envelope, c.batchSize)
					for j := range evs {
						evs[j] = storetest.Meal(b, gw, seq*1_000_000+uint64(n*c.batchSize+j), "E1", at)
					}
					g = append(g, domain.GatewayBatch{GW: gw, Events: evs})
				}
				return g
			}
			// The gateways exist and are online (two calls: the first
			// creates their rows, the second brings them online), as in a
			// running fleet.
			for range 2 {
				if _, err := st.IngestBatches(ctx, group(), at); err != nil {
					b.Fatal(err)
				}
			}
			events := c.batches * c.batchSize
			var stored time.Duration
			var statements int64
			cpu0 := serverCPU(b, pg)
			for b.Loop() {
				b.StopTimer()
				g := group()
				before := counter()
				b.StartTimer()
				t0 := time.Now()
				if _, err := st.IngestBatches(ctx, g, at); err != nil {
					b.Fatal(err)
				}
				stored += time.Since(t0)
				b.StopTimer()
				statements += counter() - before - 1 // the counter's own query
				b.StartTimer()
			}
			cpu := serverCPU(b, pg) - cpu0
			b.ReportMetric(float64(events*b.N)/stored.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(events*b.N), "server-cpu-µs/event")
			b.ReportMetric(float64(statements)/float64(b.N), "statements/call")
		})
	}
}

// serverCPU is the CPU time (user and system) the server's processes
// have used so far: the postmaster's and its children's, from /proc (10 ms
// ticks; the counter's queries are included, a small part).
func serverCPU(b *testing.B, pg *testenv.Postgres) time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(pg.Dir, "data", "postmaster.pid"))
	if err != nil {
		b.Fatal(err)
	}
	master, _, _ := strings.Cut(string(pidFile), "\n")
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, f := range stats {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue // exited
		}
		// pid (comm) state ppid … utime(14) stime(15): fields after the comm.
		_, rest, ok := strings.Cut(string(raw), ") ")
		if !ok {
			continue
		}
		fs := strings.Fields(rest)
		pid := strings.TrimSuffix(filepath.Base(filepath.Dir(f)), "/")
		if len(fs) < 13 || pid != master && fs[1] != master {
			continue
		}
		u, _ := strconv.ParseInt(fs[11], 10, 64)
		st, _ := strconv.ParseInt(fs[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ = 100 on Linux
}

// statStatements restarts pg with pg_stat_statements loaded.
func statStatements(b *testing.B, pg *testenv.Postgres) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	_, err = c.Exec(ctx, `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`)
	c.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := pg.StopImmediate(); err != nil {
		b.Fatal(err)
	}
	if err := pg.Restart(); err != nil {
		b.Fatal(err)
	}
}

// statementCounter returns a function that reads how many statements
// the server has run in the database of dsn (its own query included).
func statementCounter(b *testing.B, dsn string) func() int64 {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(ctx) })
	if _, err := c.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		b.Fatal(err)
	}
	return func() int64 {
		var n int64
		if err := c.QueryRow(ctx, `SELECT COALESCE(sum(calls), 0)::int8 FROM pg_stat_statements
			WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
}

// BenchmarkCareList: the visit list of a district of 100 sites × 100
// elders with 180 days of meals (docs/care.md, "Cost").
func BenchmarkCareList(b *testing.B) {
	pg := testenv.StartPostgres(b)
	ctx := context.Background()
	dsn, err := pg.NewDatabase(ctx)
	if err != nil {
		b.Fatal(err)
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	storetest.BenchCareList(b, st, 100, 100, 180)
}
