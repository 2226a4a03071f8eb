package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkIngestBatches: one IngestBatches call with a group of the
// shape the ingester builds under load (batches of several gateways), on
// one connection, against a real PostgreSQL (fsync off, as in the tests).
func BenchmarkIngestBatches(b *testing.B) {
	pg := testenv.StartPostgres(b)
	ctx := context.Background()
	for _, c := range []struct{ gateways, perGW, batchSize int }{
		{25, 20, 1}, // 500 one-event messages of 25 gateways (live taps)
		{1, 1, 500}, // one 500-event batch (a drained outbox)
		{8, 1, 500}, // 8 such batches of 8 gateways
	} {
		b.Run(fmt.Sprintf("gateways=%d/batches=%d/size=%d", c.gateways, c.gateways*c.perGW, c.batchSize), func(b *testing.B) {
			dsn, err := pg.NewDatabase(ctx)
			if err != nil {
				b.Fatal(err)
			}
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			at := time.Now().UTC()
			seq := uint64(0)
			group := func() []domain.GatewayBatch {
				var g []domain.GatewayBatch
				seq++
				for k := 0; k < c.perGW; k++ {
					for gi := 0; gi < c.gateways; gi++ {
						gw := fmt.Sprintf("gw-%03d", gi)
						evs := make([]eldergate.Envelope, c.batchSize)
						for j := range evs {
							evs[j] = storetest.Meal(b, gw, seq*1_000_000+uint64(k*c.batchSize+j), "E1", at)
						}
						g = append(g, domain.GatewayBatch{GW: gw, Events: evs})
					}
				}
				return g
			}
			events := c.gateways * c.perGW * c.batchSize
			var stored time.Duration
			for b.Loop() {
				b.StopTimer()
				g := group()
				b.StartTimer()
				t0 := time.Now()
				if _, err := st.IngestBatches(ctx, g, at); err != nil {
					b.Fatal(err)
				}
				stored += time.Since(t0)
			}
			b.ReportMetric(float64(events*b.N)/stored.Seconds(), "events/s")
		})
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
