package eldergate

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkDecodeBatch decodes a batch of valid meal events: one event,
// as the ingester receives live taps, and 500, as when a gateway drains
// its outbox. path=scan is DecodeBatch (the hand-written scanner,
// batchscan.go), path=json the same one-pass check with encoding/json
// reading the batch (what DecodeBatch did before issue 15's scanner, and
// still does for unusual payloads), path=careful the event-by-event
// decoder invalid batches take. ns/event and allocs/event divide by the
// events decoded.
func BenchmarkDecodeBatch(b *testing.B) {
	viaJSON := func(payload []byte, gw string) (Batch, []Rejection, error) {
		raw, err := unmarshalBatch(payload)
		if err != nil {
			return Batch{}, nil, err
		}
		if bt, ok := checkBatchFast(raw, gw); ok {
			return bt, nil, nil
		}
		return decodeBatchCareful(payload, gw)
	}
	for _, n := range []int{1, 500} {
		evs := make([]Envelope, n)
		for i := range evs {
			evs[i] = validEvent(b, KindMeal, meal())
			evs[i].Seq = uint64(i + 1)
		}
		payload, err := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: evs})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			decode func([]byte, string) (Batch, []Rejection, error)
		}{{"scan", DecodeBatch}, {"json", viaJSON}, {"careful", decodeBatchCareful}} {
			b.Run(fmt.Sprintf("events=%d/path=%s", n, c.name), func(b *testing.B) {
				b.SetBytes(int64(len(payload)))
				b.ReportAllocs()
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				for b.Loop() {
					got, rej, err := c.decode(payload, "gw-1")
					if err != nil || len(rej) != 0 || len(got.Events) != n {
						b.Fatalf("decoded %d events, %v, %v", len(got.Events), rej, err)
					}
				}
				runtime.ReadMemStats(&ms1)
				events := float64(b.N * n)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/events, "allocs/event")
			})
		}
	}
}
