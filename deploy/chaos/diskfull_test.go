package chaos

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/deploy/testenv"
)

// refusedDiskFull reads the gateway's eldergate_taps_total for
// refused/disk_full from its /metrics.
func refusedDiskFull(t *testing.T, g *gw) int {
	t.Helper()
	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "eldergate_taps_total{") && strings.Contains(l, `reason="disk_full"`) {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return int(v)
		}
	}
	return 0
}

// diskFull: one gateway's data directory is a 64 MiB tmpfs, its
// full-disk guard as shipped (8 MiB reserve, full below 16 MiB free)
// checked every second instead of every 10 s. Three times:
// a burst of taps, the disk filled to the last byte, a burst of taps
// (refused disk_full, as the product does: nothing half-recorded), the
// filler removed, a burst of taps; then everything drains.
func diskFull(t *testing.T, rng *rand.Rand, res *result) {
	disk := testenv.SmallDisk(t, "64m")
	r := newRig(t, "disk", rigOpts{gateways: 1, dataDir: func(int) string { return filepath.Join(disk, "data") },
		store: map[string]any{"disk_check": "1s"}})
	g := r.gws[0]
	res.reps = 3
	filler := filepath.Join(disk, "filler")
	refusedBefore := 0
	for rep := 0; rep < res.reps; rep++ {
		r.bursts(rng, 200, 0, 0, 1, nil)
		time.Sleep(300 * time.Millisecond)
		testenv.FillDisk(t, filler)
		g.burst(100, 2*time.Millisecond)
		time.Sleep(500 * time.Millisecond)
		refused := refusedDiskFull(t, g)
		if refused <= refusedBefore {
			t.Errorf("rep %d: no tap refused disk_full while the disk was full (%d before, %d after)", rep+1, refusedBefore, refused)
		}
		refusedBefore = refused
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // the guard's next check sees the space
		r.bursts(rng, 200, 0, 0, 1, nil)
	}
	d := r.drain(2 * time.Minute)
	res.notes = append(res.notes, fmt.Sprintf("%d taps refused disk_full while the disk was full (not meals: the elder is told to ask staff); drained %v after the last burst.",
		refusedBefore, d.Round(10*time.Millisecond)))
	r.finish(res)
}
