package gateway_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// On a full disk, meals are refused with disk_full, alarms are still
// recorded, and no undelivered event is lost; meals come back once there
// is space again.
func TestFullDisk(t *testing.T) {
	dir := testenv.SmallDisk(t, "2m")
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.Store = config.StoreConfig{ReserveBytes: 256 << 10, MinFreeBytes: 128 << 10, DiskCheck: time.Second}
	g := startWith(t, cfg, c)
	base := g.HTTPURL()
	events := subscribe(t, base)
	if _, err := os.Stat(filepath.Join(dir, "reserve.space")); err != nil {
		t.Fatalf("reserve file: %v", err)
	}

	first := tapResult(t, g, events, "04A1B2C3")
	if first.Decision != eldergate.DecisionApproved {
		t.Fatalf("meal before the disk fills = %+v", first)
	}
	press := func() alarms.AlertEvent {
		t.Helper()
		post(t, base+"/api/sim/button", `{"button":"hall"}`)
		var a alarms.AlertEvent
		next(t, events, "alert", &a)
		return a
	}
	before := press()

	filler := filepath.Join(dir, "filler")
	testenv.FillDisk(t, filler)
	// The disk check (every second) or the next failed write notices.
	deadline := time.Now().Add(10 * time.Second)
	var refused tapdesk.TapEvent
	for {
		c.add(5 * time.Second) // past the dedupe window
		refused = tapResult(t, g, events, "04D5E6F7")
		if refused.Reason == tapdesk.ReasonDiskFull {
			break
		}
		if refused.Decision != eldergate.DecisionApproved || time.Now().After(deadline) {
			t.Fatalf("meal on a full disk = %+v, want refused disk_full", refused)
		}
		// Approved: SQLite still had free pages; the meal is recorded,
		// which is fine. Fill again and retry.
		testenv.FillDisk(t, filler+time.Now().Format("150405.000000"))
		time.Sleep(200 * time.Millisecond)
	}
	if refused.Decision != eldergate.DecisionRefused || refused.EventID != "" {
		t.Fatalf("disk_full tap = %+v: refused and not recorded", refused)
	}
	if body := getText(t, base+"/metrics"); metric(t, body, "eldergate_disk_full") != 1 ||
		metric(t, body, `eldergate_taps_total{decision="refused",reason="disk_full"}`) < 1 {
		t.Fatalf("metrics on a full disk:\n%s", body)
	}

	// An alarm is still recorded (the reserve was released for it).
	alertIDs := []string{before.EventID}
	for range 3 {
		a := press()
		if a.EventID == "" {
			t.Fatalf("alarm on a full disk not recorded: %+v", a)
		}
		alertIDs = append(alertIDs, a.EventID)
	}

	// Nothing undelivered was lost.
	out, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range out {
		if e.Delivered {
			t.Fatalf("%s delivered without a broker", e.ID)
		}
		have[e.ID] = true
	}
	for _, id := range append([]string{first.EventID}, alertIDs...) {
		if !have[id] {
			t.Fatalf("undelivered event %s lost on a full disk", id)
		}
	}

	// Space again: meals are accepted and the reserve is back.
	matches, _ := filepath.Glob(filler + "*")
	for _, m := range matches {
		os.Remove(m)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		c.add(5 * time.Second)
		ev := tapResult(t, g, events, "440303194501011234")
		if ev.Decision == eldergate.DecisionApproved {
			break
		}
		if ev.Reason != tapdesk.ReasonDiskFull || time.Now().After(deadline) {
			t.Fatalf("meal after the disk was freed = %+v", ev)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "reserve.space")); err != nil {
		t.Fatalf("reserve not allocated again: %v", err)
	}
}
