package loadgen_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/loadgen"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// BenchmarkFleetMemory: the simulator's own memory per connected gateway
// (Go heap and stacks, and the process's RSS growth), with 10,000
// gateways connected to Mosquitto and sending heartbeats. The gateways
// share one broker user here (no ACL) so that the broker's password file
// stays small; each still has its own client id and topics.
func BenchmarkFleetMemory(b *testing.B) {
	const n = 10000
	m := testenv.StartMosquitto(b, map[string]string{"lg": "lg-password"}, "")
	gws := loadgen.Generate("mem", "", n)
	for i := range gws {
		gws[i].User, gws[i].Pass = "lg", "lg-password"
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rss0 := rssKB()
	for i := 0; i < b.N; i++ {
		f := loadgen.Fleet{Broker: m.URL, Gateways: gws, HeartbeatEvery: 10 * time.Second, Duration: time.Minute,
			Settle: time.Millisecond, ConnectPerSec: 2000}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		r, err := f.Start(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		for r.Connected() < n && time.Since(t0) < 90*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		connected := r.Connected()
		took := time.Since(t0)
		time.Sleep(2 * time.Second) // the first heartbeats
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		rss1 := rssKB()
		res, _ := r.Stop()
		cancel()
		if connected < n || res.EverConnected < n {
			b.Fatalf("%d of %d gateways connected", connected, n)
		}
		heap := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
		b.ReportMetric(float64(heap)/n/1024, "heap+stack-KB/gw")
		b.ReportMetric(float64(rss1-rss0)/n, "RSS-KB/gw")
		b.ReportMetric(took.Seconds(), "s-to-connect")
		b.ReportMetric(0, "ns/op")
	}
}

// rssKB is the process's resident set in KB.
func rssKB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
