package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sigkill is SIGKILL for proc.signal.
const sigkill = syscall.SIGKILL

// smallDisk mounts a tmpfs of size (e.g. "8m") for a gateway's data; it
// is unmounted when the test ends.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs (the disk-full fault needs root): %v: %s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	small := buf[:512]
	for {
		if _, err := f.Write(small); err != nil {
			return
		}
	}
}

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
	disk := smallDisk(t, "64m")
	r := newRig(t, "disk", rigOpts{gateways: 1, dataDir: func(int) string { return filepath.Join(disk, "data") },
		store: map[string]any{"disk_check": "1s"}})
	g := r.gws[0]
	res.reps = 3
	filler := filepath.Join(disk, "filler")
	refusedBefore := 0
	for rep := 0; rep < res.reps; rep++ {
		r.bursts(rng, 200, 0, 0, 1, nil)
		time.Sleep(300 * time.Millisecond)
		fillDisk(t, filler)
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
