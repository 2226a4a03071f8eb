package uplink_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
	"github.com/eldergate/eldergate/firmware-gateway/uplink/uplinktest"
)

// drainEvents is how many events each drain starts with.
const drainEvents = 20_000

// BenchmarkDrainToMosquitto drains an outbox of 20,000 meal events to a
// local Mosquitto, answered by a consumer that acks every batch at once:
// the gateway's side of store-and-forward (read, publish, mark sent, mark
// delivered, all on the one SQLite writer with synchronous=FULL).
func BenchmarkDrainToMosquitto(b *testing.B) {
	for _, c := range []struct{ batch, inflight int }{{100, 4}, {500, 4}, {1000, 4}} {
		b.Run(fmt.Sprintf("batch=%d/inflight=%d", c.batch, c.inflight), func(b *testing.B) {
			benchDrain(b, c.batch, c.inflight)
		})
	}
}

func benchDrain(b *testing.B, batch, inflight int) {
	m := testenv.StartMosquitto(b, map[string]string{gw: "gw-secret", "acker": "acker-secret"}, "")
	testenv.StartAcker(b, m.URL, "acker", "acker-secret")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += uplinktest.Drain(b, uplink.Config{URL: m.URL, GW: gw, Username: gw, Password: "gw-secret", Version: "bench",
			BatchSize: batch, MaxInFlight: inflight, BatchWait: 20 * time.Millisecond, AckTimeout: 10 * time.Second}, "site", drainEvents)
	}
	b.ReportMetric(float64(drainEvents*b.N)/total.Seconds(), "events/s")
}
