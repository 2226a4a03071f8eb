package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// prefillOutbox writes n meal events into the outbox of the gateway store
// at path in one transaction (Store.Commit pays an fsync per event).
func prefillOutbox(b *testing.B, path string, boot uint64, n int) {
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
		env := eldergate.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Kind: eldergate.KindMeal, GW: gwID, Site: siteID,
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

// BenchmarkDrainToCloud drains an outbox of 20,000 meal events through a
// local Mosquitto (production ACL) to the real cloud ingester, which
// commits each batch to its SQLite store (synchronous=FULL) before it
// sends the application ack.
func BenchmarkDrainToCloud(b *testing.B) {
	const n = 20_000
	for _, c := range []struct{ batch, inflight int }{{100, 4}, {500, 4}} {
		b.Run(fmt.Sprintf("batch=%d/inflight=%d", c.batch, c.inflight), func(b *testing.B) {
			m := testenv.StartMosquitto(b, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				env := startCloudB(b, m.URL)
				path := filepath.Join(b.TempDir(), "gw.db")
				s, err := sqlite.Open(context.Background(), path)
				if err != nil {
					b.Fatal(err)
				}
				prefillOutbox(b, path, s.Boot(), n)
				u, err := uplink.New(uplink.Config{URL: m.URL, GW: gwID, Username: gwID, Password: gwSecret, Boot: s.Boot(), Version: "bench",
					BatchSize: c.batch, MaxInFlight: c.inflight, BatchWait: 20 * time.Millisecond, AckTimeout: 10 * time.Second}, s, nil)
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
				total += time.Since(start)
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				s.Close()
				env.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "events/s")
		})
	}
}

// BenchmarkIdleRSS starts the gateway binary with simulated devices, a
// roster of 1,000 elders and a connected uplink, lets it idle, and reports
// its resident memory (VmRSS) and its peak (VmHWM) from /proc.
func BenchmarkIdleRSS(b *testing.B) {
	bin := buildGateway(b)
	env := startCloudB(b, "")
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfg := writeProcConfig(b, dir, env.BrokerURL(), roster(1000))
		p := startProc(b, bin, cfg)
		time.Sleep(5 * time.Second)
		rss, hwm := procMemory(b, p.cmd.Process.Pid)
		if err := p.stop(10 * time.Second); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rss)/1024, "RSS-MB")
		b.ReportMetric(float64(hwm)/1024, "HWM-MB")
	}
}

// procMemory reads VmRSS and VmHWM (kB) of a process.
func procMemory(b *testing.B, pid int) (rss, hwm int64) {
	b.Helper()
	body, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	if rss == 0 {
		b.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	return rss, hwm
}

// startCloudB starts a cloud for a benchmark: with its embedded broker when
// brokerURL is empty, else on that broker as eldergate-cloud.
func startCloudB(b *testing.B, brokerURL string) *cloud.Cloud {
	b.Helper()
	cfg := cloud.Config{
		DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: token,
		Gateways: []cloud.GatewaySeed{{ID: gwID, Site: siteID, Secret: gwSecret}},
	}
	if brokerURL != "" {
		cfg.BrokerURL, cfg.BrokerUser, cfg.BrokerPassword = brokerURL, "eldergate-cloud", cloudPW
	}
	c, err := cloud.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
