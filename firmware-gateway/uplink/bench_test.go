package uplink_test

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
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// drainEvents is how many events each drain starts with.
const drainEvents = 20_000

// prefill writes n meal events into the outbox of the store file at path
// in one transaction (Store.Commit pays an fsync per event, which would
// make the set-up slower than the measurement).
func prefill(b *testing.B, path string, boot uint64, n int) {
	b.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO outbox (id, seq, priority, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		data, _ := json.Marshal(eldergate.MealData{ElderID: fmt.Sprintf("E%06d", i), Credential: "****0001", Window: "lunch", Day: "2025-03-03",
			Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1500, SubsidyFen: 1000, PayFen: 500, PolicyVer: "bench"})
		env := eldergate.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Kind: eldergate.KindMeal, GW: gw, Site: "site",
			Seq: uint64(i), Boot: boot, At: at.Add(time.Duration(i) * time.Second), Clock: eldergate.ClockSynced, Data: data}
		payload, _ := json.Marshal(env)
		if _, err := st.Exec(env.ID, env.Seq, env.Kind.Priority(), string(env.Kind), string(payload), env.At.Format(time.RFC3339Nano)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.Exec(`UPDATE meta SET value = ? WHERE key = 'seq'`, n); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

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
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "gw.db")
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		prefill(b, path, s.Boot(), drainEvents)
		u, err := uplink.New(uplink.Config{URL: m.URL, GW: gw, Username: gw, Password: "gw-secret", Boot: s.Boot(), Version: "bench",
			BatchSize: batch, MaxInFlight: inflight, BatchWait: 20 * time.Millisecond, AckTimeout: 10 * time.Second}, s, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- u.Run(ctx) }()
		for {
			n, err := s.PendingCount(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("%d events still pending after 2 minutes", n)
			}
			time.Sleep(2 * time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(drainEvents*b.N)/total.Seconds(), "events/s")
}
