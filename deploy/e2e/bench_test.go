package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
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
		c, err := cloud.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()

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
		dropSession(b, m.URL, "eldergate-cloud", cloudPW, "eg-cloud-bench")
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

// dropSession ends the persistent session of client id on the broker: a
// connection with clean session true under the same id.
func dropSession(b *testing.B, url, user, password, id string) {
	b.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetUsername(user).SetPassword(password).
		SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatalf("drop the session of %s: %v", id, tok.Error())
	}
	c.Disconnect(100)
}
