package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/firmware-gateway/metrics"
)

func TestWriteCountersHistogramAndGauges(t *testing.T) {
	m := metrics.New()
	m.Tap("approved", "")
	m.Tap("approved", "ok")
	m.Tap("refused", "disk_full")
	m.TapSeconds(0.004)
	m.TapSeconds(3)
	m.Voided()
	m.Heartbeat()
	if n := m.HeartbeatsReplaced(2); n != 2 {
		t.Fatalf("replaced total %d", n)
	}
	m.Pruned(7)
	var b strings.Builder
	err := m.Write(&b, metrics.Gauges{
		Outbox:   &metrics.Outbox{Pending: 3, OldestAge: 90 * time.Second, DeadLetters: 1},
		Devices:  []drivers.Status{{Name: `card "A"`, Driver: "sim", Connected: true}},
		DiskFull: true, Boot: 4, Version: "1.2.3", JumpsBackward: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`eldergate_taps_total{decision="approved",reason="ok"} 2`,
		`eldergate_taps_total{decision="refused",reason="disk_full"} 1`,
		`eldergate_tap_commit_seconds_bucket{le="0.005"} 1`,
		`eldergate_tap_commit_seconds_bucket{le="2.5"} 1`,
		`eldergate_tap_commit_seconds_bucket{le="+Inf"} 2`,
		`eldergate_tap_commit_seconds_count 2`,
		`eldergate_meal_voids_total 1`,
		`eldergate_heartbeats_replaced_total 2`,
		`eldergate_pruned_rows_total 7`,
		`eldergate_outbox_depth 3`,
		`eldergate_outbox_oldest_undelivered_seconds 90`,
		`eldergate_device_connected{device="card \"A\"",driver="sim"} 1`,
		`eldergate_clock_jumps_total{direction="backward"} 1`,
		`eldergate_disk_full 1`,
		`eldergate_build_info{version="1.2.3"} 1`,
		"# TYPE eldergate_tap_commit_seconds histogram",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Without the store's answer the outbox gauges are left out.
	b.Reset()
	if err := m.Write(&b, metrics.Gauges{}); err != nil || strings.Contains(b.String(), "eldergate_outbox_depth") {
		t.Fatalf("outbox gauges written without an answer: %v", err)
	}
}

func TestOldestAge(t *testing.T) {
	now := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	if a := metrics.OldestAge(now, time.Time{}); a != 0 {
		t.Fatalf("no event: %v", a)
	}
	if a := metrics.OldestAge(now, now.Add(time.Second)); a != 0 {
		t.Fatalf("future: %v", a)
	}
	if a := metrics.OldestAge(now, now.Add(-time.Minute)); a != time.Minute {
		t.Fatalf("a minute: %v", a)
	}
}
