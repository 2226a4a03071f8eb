package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/benchdoc"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestFleetSmall runs the bench's whole sequence with 300 gateways, so
// that make test checks its logic: every gateway enrolls through the bulk
// path and connects, comes back after a restart of the cloud, alarms
// reach the console's board during the storm and after it with none
// lost, and after a mass disconnect every gateway is shown offline
// within 1.5 × keepalive. Times are not asserted beyond these bounds
// (the bench measures them).
func TestFleetSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the cloud twice with 300 gateways (~15 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Bin: testenv.BuildCloud(t), Dir: t.TempDir(), Gateways: 300, Steady: 3 * time.Second,
		AlarmEvery: 50 * time.Millisecond, MealsPerSec: 20, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if rep.Storm.Lost+rep.Steady.Lost != 0 || rep.Steady.N == 0 {
		t.Errorf("alarms: storm %v, steady %v", rep.Storm, rep.Steady)
	}
	if rep.OfflineAll == 0 || rep.OnlineAtBudget != 0 {
		t.Errorf("mass disconnect: all offline after %v, %d online at 1.5 × keepalive", rep.OfflineAll, rep.OnlineAtBudget)
	}
	if rep.Meals == 0 {
		t.Error("no meal committed in the steady state")
	}
}

// BenchmarkFleet10k is issue 15's "10,000 gateways on one cloud"; it
// writes docs/PERFORMANCE.md's section bench-fleet (FLEET_DOC=path
// elsewhere; FLEET_GATEWAYS=n for another size). One iteration is the
// whole sequence (~5 min). FLEET_PROFILES=dir keeps the cloud's CPU
// profile of the storm and its heap in the steady state there.
func BenchmarkFleet10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("FLEET_GATEWAYS")); err == nil && v > 0 {
		n = v
	}
	bin := testenv.BuildCloud(b)
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		rep, err := Run(ctx, Options{Bin: bin, Dir: b.TempDir(), Gateways: n, Steady: 60 * time.Second, Logf: b.Logf,
			ProfileDir: os.Getenv("FLEET_PROFILES")})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.Enroll.Seconds(), "enroll-s")
		b.ReportMetric(rep.Reconnect.Seconds(), "reconnect-s")
		b.ReportMetric(float64(rep.PerGateway())/1024, "KB/gateway")
		b.ReportMetric(float64(rep.Storm.P99.Microseconds())/1000, "storm-p99-ms")
		b.ReportMetric(float64(rep.Steady.P99.Microseconds())/1000, "steady-p99-ms")
		b.ReportMetric(rep.OfflineAll.Seconds(), "offline-s")
		b.ReportMetric(float64(rep.OnlineAtBudget), "online-at-budget")
		doc := os.Getenv("FLEET_DOC")
		if doc == "" {
			doc = filepath.Join("..", "..", "..", "docs", "PERFORMANCE.md")
		}
		cmd := "make bench (deploy/scripts/bench.sh, block bench-fleet: go test -run='^$' -bench='^BenchmarkFleet10k$' -benchtime=1x ./deploy/bench/fleet)"
		if err := benchdoc.Write(doc, "bench-fleet", rep.Table(cmd).Markdown(time.Now())); err != nil {
			b.Fatal(err)
		}
	}
}
