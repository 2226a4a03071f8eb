package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	cloudsqlite "github.com/eldergate/eldergate/cloud/sqlite"
)

const (
	crashTaps  = 1000
	crashKills = 20
)

// TestCrashDuringTaps: the gateway process is killed with SIGKILL at random
// moments, 20 times during 1,000 taps, and restarted on the same data
// directory each time; the cloud (embedded broker) keeps running. Every tap
// the kiosk was told "approved" (the SSE tap event) must be in the gateway's
// store after the restarts and in the cloud exactly once; the cloud holds no
// event the gateway does not; PRAGMA integrity_check is ok after every kill.
//
// CRASH_SEED=N replays a run (the seed is logged).
func TestCrashDuringTaps(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (CRASH_SEED=%d replays this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))

	bin := buildGateway(t)
	env := startCloud(t, cloudConfig(t, ""))
	dir := t.TempDir()
	cfgPath := writeProcConfig(t, dir, env.c.BrokerURL(), roster(crashTaps))
	dbPath := filepath.Join(dir, "data", "gateway.db")

	// The taps after which the process is killed, and how long after the
	// tap was handed to the reader: 0-3 ms, while earlier taps of the
	// pipeline are being decided, committed and shown (a tap takes well
	// under a millisecond of the gateway's time here).
	kills := map[int]time.Duration{}
	for len(kills) < crashKills {
		kills[1+rng.IntN(crashTaps-2)] = time.Duration(rng.IntN(3000)) * time.Microsecond
	}

	start := time.Now()
	told := map[string]string{} // event id -> decision shown at the kiosk
	var approved []string
	notTold, refusedRetry := 0, 0
	// Taps are pipelined: up to `window` wait for their SSE event, so a
	// kill finds the gateway deciding, committing and publishing. The
	// cards in the pipeline at a kill that the kiosk said nothing about are
	// tapped again after the restart, as the elder would: approved if the
	// first tap was lost, refused already_served if it had been committed.
	const window = 8
	queue := make([]string, 0, crashTaps)
	for i := 1; i <= crashTaps; i++ {
		queue = append(queue, fmt.Sprintf("C%04d", i))
	}
	pending := map[string]string{} // masked card -> card, posted and not shown
	retry := map[string]bool{}     // cards tapped again after a kill
	record := func(data json.RawMessage, strict bool) {
		t.Helper()
		var r tapResult
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("tap event %s: %v", data, err)
		}
		if r.EventID == "" {
			t.Fatalf("tap event without an event id: %s", data)
		}
		if _, dup := told[r.EventID]; dup {
			t.Fatalf("event %s shown twice", r.EventID)
		}
		card, ok := pending[r.Card]
		if !ok {
			t.Fatalf("tap event for card %s that is not in the pipeline", r.Card)
		}
		delete(pending, r.Card)
		told[r.EventID] = r.Decision
		switch {
		case r.Decision == eldergate.DecisionApproved:
			approved = append(approved, r.EventID)
		case retry[card] && r.Reason == eldergate.ReasonAlreadyServed:
			refusedRetry++ // its first tap was committed but never shown
		case strict:
			t.Fatalf("tap %s = %s/%s, want approved (or already_served on a retap)", card, r.Decision, r.Reason)
		}
	}

	p := startProc(t, bin, cfgPath)
	events := subscribe(t, p.URL)
	client := &http.Client{Timeout: 5 * time.Second}
	for n := 0; len(queue) > 0 || len(pending) > 0; n++ {
		for len(pending) >= window || (len(queue) == 0 && len(pending) > 0) {
			record(next(t, events, "tap", 10*time.Second), true)
		}
		if len(queue) == 0 {
			break
		}
		card := queue[0]
		queue = queue[1:]
		body, _ := json.Marshal(map[string]string{"card": card})
		resp, err := client.Post(p.URL+"/api/sim/tap", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("tap %s: %v\n%s", card, err, p.Logs())
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("tap %s: status %d", card, resp.StatusCode)
		}
		pending[eldergate.MaskID(card)] = card
		delay, kill := kills[n]
		if !kill {
			continue
		}
		time.Sleep(delay)
		p.Kill()
		// Whatever reached the kiosk before the kill was shown to the elder.
		for ev := range events {
			if ev.Name == "tap" {
				record(ev.Data, true)
			}
		}
		notTold += len(pending)
		for _, c := range pending {
			retry[c] = true
			queue = append([]string{c}, queue...)
		}
		clear(pending)
		if bad := p.BadLines(); len(bad) > 0 {
			t.Fatalf("gateway log: %v", bad)
		}
		integrityCheck(t, dbPath)
		p = startProc(t, bin, cfgPath)
		events = subscribe(t, p.URL)
	}
	tapsDone := time.Since(start)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var boot uint64
	eventually(t, 60*time.Second, "the outbox drained to the cloud", func() bool {
		n, b, err := p.Status(ctx)
		boot = b
		return err == nil && n == 0
	})
	if boot != crashKills+1 {
		t.Errorf("boot counter %d after %d kills, want %d", boot, crashKills, crashKills+1)
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop gateway: %v\n%s", err, p.Logs())
	}
	if bad := p.BadLines(); len(bad) > 0 {
		t.Fatalf("gateway log: %v", bad)
	}
	if err := env.c.Close(); err != nil {
		t.Fatal(err)
	}

	// The gateway's store, read-only after the final stop.
	integrityCheck(t, dbPath)
	gdb := openRO(t, dbPath)
	gwMeals := map[string]string{}
	for _, row := range queryStrings(t, gdb, `SELECT event_id || ' ' || decision FROM meals`) {
		id, decision, _ := strings.Cut(row, " ")
		gwMeals[id] = decision
	}
	gwEvents := queryStrings(t, gdb, `SELECT id FROM outbox ORDER BY seq`)
	undelivered := queryStrings(t, gdb, `SELECT id FROM outbox WHERE delivered_at IS NULL`)
	if len(undelivered) > 0 {
		t.Errorf("%d events never delivered (or dead-lettered), e.g. %s", len(undelivered), undelivered[0])
	}
	for _, id := range approved {
		if gwMeals[id] != eldergate.DecisionApproved {
			t.Errorf("tap %s was shown approved but the gateway store has %q", id, gwMeals[id])
		}
	}
	for id, d := range told {
		if _, ok := gwMeals[id]; !ok {
			t.Errorf("tap %s was shown (%s) but is not in the gateway store", id, d)
		}
	}

	// The cloud's store, read directly: ListMeals stops at 500 rows.
	cdb := openRO(t, filepath.Join(env.cfg.DataDir, cloudsqlite.FileName))
	integrityCheck(t, filepath.Join(env.cfg.DataDir, cloudsqlite.FileName))
	cloudEvents := queryStrings(t, cdb, `SELECT id FROM events WHERE gw = ?`, gwID)
	cloudMeals := map[string]int{}
	for _, id := range queryStrings(t, cdb, `SELECT event_id FROM meals WHERE gw = ?`, gwID) {
		cloudMeals[id]++
	}
	inCloud := map[string]int{}
	for _, id := range cloudEvents {
		inCloud[id]++
	}
	inGW := map[string]bool{}
	for _, id := range gwEvents {
		inGW[id] = true
		if inCloud[id] != 1 {
			t.Errorf("gateway event %s is %d times in the cloud", id, inCloud[id])
		}
	}
	for id := range inCloud {
		if !inGW[id] {
			t.Errorf("the cloud holds event %s that the gateway does not have", id)
		}
	}
	for _, id := range approved {
		if cloudMeals[id] != 1 {
			t.Errorf("approved tap %s is %d times in the cloud's meals", id, cloudMeals[id])
		}
	}
	if len(cloudMeals) != len(gwMeals) {
		t.Errorf("cloud holds %d meals of the gateway, the gateway %d", len(cloudMeals), len(gwMeals))
	}
	committedNotTold := 0
	for id := range gwMeals {
		if _, ok := told[id]; !ok {
			committedNotTold++
		}
	}
	// Every elder ate exactly once: no meal lost, none twice across kills.
	var elders, approvedMeals int
	if err := gdb.QueryRow(`SELECT COUNT(DISTINCT elder_id), COUNT(*) FROM meals WHERE decision = ?`, eldergate.DecisionApproved).Scan(&elders, &approvedMeals); err != nil {
		t.Fatal(err)
	}
	if elders != crashTaps || approvedMeals != crashTaps {
		t.Errorf("gateway store: %d approved meals for %d elders, want %d for %d", approvedMeals, elders, crashTaps, crashTaps)
	}
	if len(approved)+refusedRetry != crashTaps {
		t.Errorf("%d shown approved + %d retaps refused already_served != %d elders", len(approved), refusedRetry, crashTaps)
	}
	t.Logf("%d taps, %d kills in %v (drained and checked in %v): %d shown approved, %d taps in the pipeline at a kill never shown "+
		"(%d of them committed: their retap was refused already_served), %d committed but not shown, %d meals and %d events at the gateway, %d events in the cloud",
		crashTaps, crashKills, tapsDone.Round(time.Millisecond), time.Since(start).Round(time.Millisecond),
		len(approved), notTold, refusedRetry, committedNotTold, len(gwMeals), len(gwEvents), len(cloudEvents))
}
