package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// BenchmarkLookupP99 times every card lookup in a roster of 100,000
// elders, half of them also with a hashed resident ID number, and reports
// the latency percentiles (BenchmarkLookup reports the mean).
func BenchmarkLookupP99(b *testing.B) {
	const n = 100_000
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "gw.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetRosterKey(context.Background(), []byte("0123456789abcdef0123456789abcdef")); err != nil {
		b.Fatal(err)
	}
	elders := make([]eldergate.RosterElder, n)
	for i := range elders {
		e := eldergate.RosterElder{Elder: eldergate.Elder{ID: fmt.Sprintf("E%06d", i), Name: "张三明", Birth: "1948-03-02", Active: true}}
		e.Credentials = []eldergate.Credential{{Kind: eldergate.CredCard, Value: fmt.Sprintf("04%06X", i)}}
		if i%2 == 0 {
			e.Credentials = append(e.Credentials, eldergate.Credential{Kind: eldergate.CredResidentID, Value: fmt.Sprintf("4403031945%08d", i)})
		}
		elders[i] = e
	}
	start := time.Now()
	if _, err := s.ApplyRoster(context.Background(), eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: elders}, time.Now()); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		card := elders[(i*7919)%n].Credentials[0].Value
		t0 := time.Now()
		_, ok, err := s.LookupCredential(context.Background(), card)
		lat = append(lat, time.Since(t0))
		if err != nil || !ok {
			b.Fatalf("%s: %v %v", card, ok, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
	b.ReportMetric(float64(load.Milliseconds()), "load-ms")
}
