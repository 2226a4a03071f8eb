// Package uplinktest is the outbox drain that the uplink's benchmark and
// the end-to-end benchmark share: an outbox pre-filled with meal events,
// an uplink run until it is empty, the time it took.
package uplinktest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// Prefill writes n meal events of gateway gw at site into the outbox of
// the store file at path in one transaction (Store.Commit pays an fsync
// per event, which would make the set-up slower than the measurement).
func Prefill(tb testing.TB, path, gw, site string, boot uint64, n int) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO outbox (id, seq, priority, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		data, _ := json.Marshal(eldergate.MealData{ElderID: fmt.Sprintf("E%06d", i), Credential: "****0001", Window: "lunch", Day: "2025-03-03",
			Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1500, SubsidyFen: 1000, PayFen: 500, PolicyVer: "bench"})
		env := eldergate.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Kind: eldergate.KindMeal, GW: gw, Site: site,
			Seq: uint64(i), Boot: boot, At: at.Add(time.Duration(i) * time.Second), Clock: eldergate.ClockSynced, Data: data}
		payload, _ := json.Marshal(env)
		if _, err := st.Exec(env.ID, env.Seq, env.Kind.Priority(), string(env.Kind), string(payload), env.At.Format(time.RFC3339Nano)); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := tx.Exec(`UPDATE meta SET value = ? WHERE key = 'seq'`, n); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// Drain makes a fresh gateway store with n meal events of cfg.GW (at
// site) in its outbox, runs an uplink with cfg (cfg.Boot is set from the
// store) until the outbox is empty, and returns how long that took. Only
// the drain runs with b's timer on. It fails b after two minutes.
func Drain(b *testing.B, cfg uplink.Config, site string, n int) time.Duration {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	path := filepath.Join(b.TempDir(), "gw.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	Prefill(b, path, cfg.GW, site, s.Boot(), n)
	cfg.Boot = s.Boot()
	u, err := uplink.New(cfg, s, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	go func() { done <- u.Run(ctx) }()
	for {
		k, err := s.PendingCount(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			break
		}
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("%d events still pending after 2 minutes", k)
		}
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return d
}
