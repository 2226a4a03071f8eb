package eldergate

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeBatch decodes a batch of 500 valid meal events, as the
// ingester receives when a gateway drains its outbox, by the path
// DecodeBatch takes (one pass) and by the event-by-event one.
func BenchmarkDecodeBatch(b *testing.B) {
	evs := make([]Envelope, 500)
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
	}{{"path=fast", DecodeBatch}, {"path=careful", decodeBatchCareful}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				got, rej, err := c.decode(payload, "gw-1")
				if err != nil || len(rej) != 0 || len(got.Events) != len(evs) {
					b.Fatalf("decoded %d events, %v, %v", len(got.Events), rej, err)
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
