package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
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
