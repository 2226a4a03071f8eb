package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
	"github.com/eldergate/eldergate/firmware-gateway/uplink/uplinktest"
)

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
				b.StartTimer()
				total += uplinktest.Drain(b, uplink.Config{URL: m.URL, GW: gwID, Username: gwID, Password: gwSecret, Version: "bench",
					BatchSize: c.batch, MaxInFlight: c.inflight, BatchWait: 20 * time.Millisecond, AckTimeout: 10 * time.Second}, siteID, n)
				b.StopTimer()
				env.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "events/s")
		})
	}
}

// BenchmarkGatewayProcess runs the real eldergate-gateway binary with
// simulated devices, a roster of 1,000 elders and its uplink connected to
// the cloud's broker (an acking cloud), and reports from /proc:
//   - idle-RSS-MB: VmRSS after 5 s of idling (target ≤ 20 MB);
//   - idle-CPU-%: user+system CPU over the next idleFor seconds of
//     idling, in % of one core;
//   - busy-RSS-MB: the largest VmRSS sampled (every 20 ms) during a
//     burst of 2,000 taps (8 in flight, as fast as the kiosk API takes
//     them) and the drain of their meals to the cloud, and HWM-MB, the
//     process's peak (VmHWM) at the end;
//   - burst-taps/s: the burst's rate, taps shown on the SSE stream.
func BenchmarkGatewayProcess(b *testing.B) {
	const taps, window = 2000, 8
	idleFor := 30 * time.Second
	if d, err := time.ParseDuration(os.Getenv("EG_BENCH_IDLE")); err == nil && d > 0 {
		idleFor = d // a shorter idle for a quick look; make bench uses 30 s
	}
	bin := buildGateway(b)
	env := startCloudB(b, "")
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfg := writeProcConfig(b, dir, env.BrokerURL(), roster(1000))
		p := startProc(b, bin, cfg)
		pid := p.Cmd.Process.Pid
		waitDrained(b, p, 20*time.Second) // connected: its boot events are delivered
		time.Sleep(5 * time.Second)
		idleRSS, _ := procMemory(b, pid)
		cpu0, t0 := procCPU(b, pid), time.Now()
		time.Sleep(idleFor)
		idleCPU := (procCPU(b, pid) - cpu0).Seconds() / time.Since(t0).Seconds() * 100

		events := subscribe(b, p.URL)
		var peak atomic.Int64
		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				if body, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
					if rss := statusKB(string(body), "VmRSS:"); rss > peak.Load() {
						peak.Store(rss)
					}
				}
				select {
				case <-stopSampling:
					return
				case <-tick.C:
				}
			}
		}()
		client := &http.Client{Timeout: 10 * time.Second}
		start := time.Now()
		inFlight := 0
		for n := 0; n < taps; n++ {
			if inFlight == window {
				next(b, events, "tap", 10*time.Second)
				inFlight--
			}
			body := fmt.Sprintf(`{"card":"C%04d"}`, n%1000+1) // the second round is refused already_served, still committed
			resp, err := client.Post(p.URL+"/api/sim/tap", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatalf("tap %d: %v\n%s", n, err, p.Logs())
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Fatalf("tap %d: status %d", n, resp.StatusCode)
			}
			inFlight++
		}
		for ; inFlight > 0; inFlight-- {
			next(b, events, "tap", 10*time.Second)
		}
		burst := time.Since(start)
		waitDrained(b, p, time.Minute)
		close(stopSampling)
		<-sampled
		_, hwm := procMemory(b, pid)
		if bad := p.BadLines(); len(bad) > 0 {
			b.Fatalf("gateway log: %q", bad)
		}
		if err := p.Stop(10 * time.Second); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(idleRSS)/1024, "idle-RSS-MB")
		b.ReportMetric(idleCPU, "idle-CPU-%")
		b.ReportMetric(float64(peak.Load())/1024, "busy-RSS-MB")
		b.ReportMetric(float64(hwm)/1024, "HWM-MB")
		b.ReportMetric(taps/burst.Seconds(), "burst-taps/s")
	}
}

// waitDrained waits until the gateway's outbox has nothing pending.
func waitDrained(b *testing.B, p *gwProc, d time.Duration) {
	b.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pending, _, err := p.Status(ctx)
		cancel()
		if err == nil && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("gateway outbox not drained within %v (pending %d, %v)\n%s", d, pending, err, p.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procCPU reads the user+system CPU time of process pid.
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	t, err := statTicks(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(t) * 10 * time.Millisecond
}

// statusKB reads one "Key: N kB" line of /proc/PID/status.
func statusKB(status, key string) int64 {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

// procMemory reads VmRSS and VmHWM (kB) of a process.
func procMemory(b *testing.B, pid int) (rss, hwm int64) {
	b.Helper()
	body, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	rss, hwm = statusKB(string(body), "VmRSS:"), statusKB(string(body), "VmHWM:")
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
	c := runCloudB(b, cfg)
	b.Cleanup(func() { c.Close() })
	return c
}

// runCloudB starts a cloud of cfg; the caller closes it.
func runCloudB(b *testing.B, cfg cloud.Config) *cloud.Cloud {
	b.Helper()
	c, err := cloud.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkAlarmBehindBacklog (ADR 0012): a gateway comes back with
// 100,000 meal events sent but not acknowledged (their resend due in an
// hour) and then one alarm in its outbox; the broker (Mosquitto,
// production ACL) and the cloud are up. Each iteration measures from the
// uplink's connection to the alarm committed in the cloud's store and
// reports the median (ms-p50) and the slowest (ms-max). An iteration's
// set-up (fresh outbox, fresh cloud) runs with the timer stopped.
func BenchmarkAlarmBehindBacklog(b *testing.B) {
	const meals = 100_000
	m := testenv.StartMosquitto(b, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := cloud.Config{
			DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", AdminToken: token,
			BrokerURL: m.URL, BrokerUser: "eldergate-cloud", BrokerPassword: cloudPW,
			IngestClientID: "eg-cloud-bench",
			Gateways:       []cloud.GatewaySeed{{ID: gwID, Site: siteID, Secret: gwSecret}},
			Logger:         benchLog("cloud"),
		}
		c := runCloudB(b, cfg)

		path := filepath.Join(b.TempDir(), "gw.db")
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		uplinktest.Prefill(b, path, gwID, siteID, s.Boot(), meals)
		markAllSent(b, path, time.Now().Add(time.Hour))
		alarm := uuid.Must(uuid.NewV7()).String()
		data, _ := json.Marshal(eldergate.AlertData{AlertID: uuid.NewString(), Action: eldergate.AlertRaised, Type: "emergency", Button: "bench"})
		if _, err := s.Commit(context.Background(), eldergate.Envelope{ID: alarm, Kind: eldergate.KindAlert, GW: gwID, Site: siteID,
			Boot: s.Boot(), At: time.Now().UTC(), Clock: eldergate.ClockSynced, Data: data}, nil); err != nil {
			b.Fatal(err)
		}
		u, err := uplink.New(uplink.Config{URL: m.URL, GW: gwID, Username: gwID, Password: gwSecret, Version: "bench", Boot: s.Boot(),
			BatchWait: 20 * time.Millisecond}, s, benchLog("gateway"))
		if err != nil {
			b.Fatal(err)
		}
		runCtx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- u.Run(runCtx) }()
		for !u.Connected() {
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
		start := time.Now()
		for !alertCommitted(b, c, "bench") {
			if time.Since(start) > time.Minute {
				b.Fatal("the alarm is not in the cloud a minute after the gateway connected")
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
		b.StopTimer()
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		s.Close()
		c.Close()
		// The next iteration starts without the batches this one left
		// queued in the ingester's persistent session. (A session per
		// iteration instead would leave offline sessions in the shared
		// group, and Mosquitto hands them their share: ADR 0012.)
		testenv.DropSession(b, m.URL, "eldergate-cloud", cloudPW, "eg-cloud-bench")
		b.StartTimer()
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms-max")
}

// markAllSent makes every outbox row of the gateway store at path look
// sent once and unacknowledged, its resend due at due.
func markAllSent(b *testing.B, path string, due time.Time) {
	b.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE outbox SET attempts = 1, next_attempt_at = ?`, due.UnixMilli()); err != nil {
		b.Fatal(err)
	}
}

// alertCommitted reports whether the cloud holds an alert of button.
func alertCommitted(b *testing.B, c *cloud.Cloud, button string) bool {
	b.Helper()
	alerts, err := c.Store().ListAlerts(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range alerts {
		if a.Button == button && a.GW == gwID {
			return true
		}
	}
	return false
}

// benchLog is a debug logger for side when EG_BENCH_DEBUG is set, else nil
// (discard).
func benchLog(side string) *slog.Logger {
	if os.Getenv("EG_BENCH_DEBUG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("side", side)
}
