//go:build chaos

package chaos

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// fault is one line of the suite: it builds its rig, runs its
// repetitions and fills res (finish counts).
type fault struct {
	section string // docs/RELIABILITY.md section, "chaos-" + the subtest's name
	name    string // the fault in words
	run     func(t *testing.T, rng *rand.Rand, res *result)
}

var faults = []fault{
	{"chaos-gateway-kill", "SIGKILL of the gateway during bursts of taps, restarted at once (systemd Restart=always)", gatewayKill},
	{"chaos-broker-restart", "Mosquitto (persistence on) stopped or killed and restarted during bursts of taps", brokerRestart},
	{"chaos-ingester-kill", "SIGKILL of `eldergate-cloud ingest` during a drain, restarted", ingesterKill},
	{"chaos-postgres-restart", "PostgreSQL stopped with `pg_ctl stop -m immediate` during ingest, started again", postgresRestart},
	{"chaos-network-cut", "the gateways cut off from the broker for 60 s of taps (network namespace), twice, then reconnected and drained", networkCut},
	{"chaos-disk-full", "the gateway's disk full (its data directory on a small tmpfs) during taps", diskFull},
}

// TestChaos runs every fault of `make chaos` (build tag chaos), each on its own
// real processes, and writes one section of docs/RELIABILITY.md per fault.
// CHAOS_SEED=N replays the random moments of a run (the seed is logged).
func TestChaos(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (CHAOS_SEED=%d replays the fault moments)", seed, seed)
	buildBins(t)
	for i, f := range faults {
		t.Run(f.section[len("chaos-"):], func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			res := &result{fault: f.name, section: f.section}
			start := time.Now()
			f.run(t, rng, res)
			res.elapsed = time.Since(start)
			write(t, res)
		})
	}
}
