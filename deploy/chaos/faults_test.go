package chaos

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// gatewayKill: five SIGKILLs of a gateway process (the two alternate)
// during bursts of taps on both; each is restarted 200 ms later on the
// same data directory, as systemd's Restart=always does.
func gatewayKill(t *testing.T, rng *rand.Rand, res *result) {
	r := newRig(t, "kill", rigOpts{gateways: 2})
	res.reps = 5
	for rep := 0; rep < res.reps; rep++ {
		g := r.gws[rep%len(r.gws)]
		r.bursts(rng, 400, 0, 20*time.Millisecond, 300*time.Millisecond, func() {
			g.proc().Kill()
			time.Sleep(200 * time.Millisecond)
			g.start(t)
		})
	}
	d := r.drain(2 * time.Minute)
	r.finish(res)
	res.notes = append(res.notes, fmt.Sprintf("Drained %v after the last burst. %d taps the reader had taken were not yet decided at a kill "+
		"(the reader's buffer dies with the process): no decision, nothing shown, the elder taps again; every decided meal is in the cloud once. "+
		"That a decision shown at the kiosk is always in the store is TestCrashDuringTaps (deploy/e2e, make test).",
		d.Round(10*time.Millisecond), res.taps-int64(res.sent)))
}

// brokerRestart: Mosquitto brought down and started again 1 s later on
// the same port, four times during bursts of taps: stopped (SIGTERM: it
// saves its persistence file, as systemd's restart does) and killed
// (SIGKILL: the queued messages since its last autosave are gone, as in a
// crash) in turn. The cloud (SQLite, its ingester in serve) and the
// gateways reconnect by themselves; what the broker dropped the gateways
// send again from their outboxes.
func brokerRestart(t *testing.T, rng *rand.Rand, res *result) {
	r := newRig(t, "broker", rigOpts{gateways: 2})
	res.reps = 4
	for rep := 0; rep < res.reps; rep++ {
		r.bursts(rng, 500, 0, 50*time.Millisecond, 400*time.Millisecond, func() {
			if rep%2 == 0 {
				r.m.Stop()
			} else {
				r.m.Kill()
			}
			time.Sleep(time.Second)
			if err := r.m.Start(); err != nil {
				t.Fatal(err)
			}
		})
	}
	d := r.drain(2 * time.Minute)
	res.notes = append(res.notes, fmt.Sprintf("Two stops (SIGTERM) and two kills (SIGKILL) in turn. Drained %v after the last burst.", d.Round(10*time.Millisecond)))
	r.finish(res)
}

// ingesterKill: three times, the separate ingester (PostgreSQL store) is
// SIGKILLed, a burst of taps piles up in its persistent session and in
// the gateways' outboxes, the ingester is started and SIGKILLed again in
// the middle of the drain, and started once more.
func ingesterKill(t *testing.T, rng *rand.Rand, res *result) {
	r := newRig(t, "ingest", rigOpts{gateways: 2, postgres: true})
	res.reps = 3
	for rep := 0; rep < res.reps; rep++ {
		r.ing.Kill()
		r.bursts(rng, 800, 0, 0, 1, nil)
		time.Sleep(time.Second) // the gateways' batches reach the broker
		r.startIngester()
		time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		r.ing.Kill()
		time.Sleep(200 * time.Millisecond)
		r.startIngester()
	}
	d := r.drain(2 * time.Minute)
	res.notes = append(res.notes, fmt.Sprintf("Drained %v after the last restart.", d.Round(10*time.Millisecond)))
	r.finish(res)
}

// postgresRestart: PostgreSQL stopped with `pg_ctl stop -m immediate`
// and started again 1 s later, three times, during bursts of taps while
// the separate ingester commits them.
func postgresRestart(t *testing.T, rng *rand.Rand, res *result) {
	r := newRig(t, "pg", rigOpts{gateways: 2, postgres: true})
	res.reps = 3
	restarts := 0
	for rep := 0; rep < res.reps; rep++ {
		r.bursts(rng, 600, 0, 50*time.Millisecond, 400*time.Millisecond, func() {
			if err := r.pg.StopImmediate(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if err := r.pg.Restart(); err != nil {
				t.Fatal(err)
			}
		})
		select {
		case <-r.ing.Done(): // exited on the outage: systemd would restart it
			restarts++
			t.Logf("the ingester exited during the outage: %v\n%s", r.ing.Err(), r.ing.Logs())
			r.startIngester()
		default:
		}
	}
	d := r.drain(2 * time.Minute)
	res.notes = append(res.notes, fmt.Sprintf("Drained %v after the last burst; the ingester process exited %d times on the outage and was restarted.",
		d.Round(10*time.Millisecond), restarts))
	r.finish(res)
}
