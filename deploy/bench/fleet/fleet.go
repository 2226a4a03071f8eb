// Package fleet is the bench of issue 15's "10,000 gateways on one cloud"
// (docs/PERFORMANCE.md, section bench-fleet): one `eldergate-cloud serve`
// process (embedded broker, SQLite) holds a fleet of simulated gateways
// (deploy/loadgen), each with its own credentials from the bulk
// enrollment path, and the bench measures the enrollment, the connect
// storm after a restart of the cloud, the cloud's CPU and memory, alarm
// latency from the gateway to the console's live board during the storm
// and in steady state, and how fast a mass disconnect shows on the
// board (docs/adr/0039-fleet-on-one-broker.md).
package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // driver "sqlite3": the online count, read beside the cloud

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/deploy/benchdoc"
	"github.com/eldergate/eldergate/deploy/loadgen"
)

// Options sizes a run.
type Options struct {
	Bin       string // the eldergate-cloud binary
	Dir       string // the cloud's data directory (empty, fresh)
	Gateways  int
	KeepAlive time.Duration // the gateways' MQTT keepalive; default 30 s
	// Steady is how long the fleet runs after the storm with alarms being
	// pressed (heartbeats every HeartbeatEvery, MealsPerSec meals).
	Steady         time.Duration
	HeartbeatEvery time.Duration // default 60 s
	MealsPerSec    float64       // the whole fleet; default 20
	AlarmEvery     time.Duration // one alarm, on a random connected gateway; default 100 ms
	EnrollWorkers  int           // gateways enrolling at once; default 32
	// ProfileDir, when set, receives the cloud's CPU profile of the
	// first 20 s after its restart (storm.cpu.pprof), where it waited
	// until then (storm.block.pprof) and its heap at the
	// end of the steady state (steady.heap.pprof; as text with the
	// runtime's MemStats: steady.heap.txt), its goroutines
	// (steady.goroutine.txt), and the restarted
	// cloud's whole log (cloud.log).
	ProfileDir string
	Logf       func(format string, args ...any)
}

// Latency is alarm latencies of one phase.
type Latency struct {
	N, Lost        int
	P50, P99, Max  time.Duration
	FromStartOfRun bool
}

// Report is what a run measured.
type Report struct {
	Gateways          int
	Enroll            time.Duration // bulk creation + every gateway enrolled
	FirstConnect      time.Duration // a fresh fleet, all connected
	Reconnect         time.Duration // cloud restart (exec) to all connected again
	CPUConnect        float64       // cloud CPU while the fleet reconnects, % of one core
	CPUSteady         float64       // cloud CPU in steady state, % of one core
	RSSEmpty          int64         // cloud RSS before any gateway connected, bytes
	RSSSteady         int64         // cloud RSS with the fleet connected, at the end of the steady state
	Storm, Steady     Latency
	Meals, Heartbeats int64 // committed during the run
	PublishErrors     int64
	KeepAlive         time.Duration
	OfflineAll        time.Duration // cut to every gateway shown offline (0: never within the wait)
	OnlineAtBudget    int           // still shown online at 1.5 × keepalive after the cut
	RestartKilled     bool          // the cloud did not stop within 20 s of SIGTERM and was killed
	LoadBefore        string
	LoadAfter         string
}

// PerGateway is the cloud's RSS per connected gateway (all of it, the
// empty cloud included).
func (r Report) PerGateway() int64 { return r.RSSSteady / int64(max(r.Gateways, 1)) }

// Run runs the bench; it stops everything it started before returning.
func Run(ctx context.Context, o Options) (rep Report, err error) {
	if o.KeepAlive == 0 {
		o.KeepAlive = 30 * time.Second
	}
	if o.HeartbeatEvery == 0 {
		o.HeartbeatEvery = 60 * time.Second
	}
	if o.MealsPerSec == 0 {
		o.MealsPerSec = 20
	}
	if o.AlarmEvery == 0 {
		o.AlarmEvery = 100 * time.Millisecond
	}
	if o.EnrollWorkers == 0 {
		o.EnrollWorkers = 32
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rep = Report{Gateways: o.Gateways, KeepAlive: o.KeepAlive, LoadBefore: benchdoc.LoadAverage()}
	if err := raiseFileLimit(uint64(o.Gateways) + 512); err != nil {
		return rep, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return rep, err
	}
	mqttAddr, err := freeAddr()
	if err != nil {
		return rep, err
	}
	base := "http://" + httpAddr
	token, err := domain.RandomToken(24)
	if err != nil {
		return rep, err
	}
	cl, err := startCloud(ctx, o.Bin, o.Dir, httpAddr, mqttAddr, token, "")
	if err != nil {
		return rep, err
	}
	defer func() {
		// A cloud still busy with the fleet's backlog may not stop within
		// 30 s of SIGTERM: it is killed, and the run's figures stand.
		if cl != nil {
			if e := cl.stop(30 * time.Second); e != nil {
				logf("fleet: at the end: %v", e)
			}
		}
	}()

	// Enrollment: a bulk creation, then every gateway enrolls.
	site, err := createSite(ctx, base, token)
	if err != nil {
		return rep, err
	}
	ids := make([]string, o.Gateways)
	for i := range ids {
		ids[i] = fmt.Sprintf("gw-fl-%05d", i)
	}
	t0 := time.Now()
	gws, err := enrollFleet(ctx, base, token, site, ids, o.EnrollWorkers)
	if err != nil {
		return rep, err
	}
	rep.Enroll = time.Since(t0)
	rep.RSSEmpty = cl.rss()
	logf("fleet: %d gateways created and enrolled in %v; cloud RSS %d MB", len(gws), rep.Enroll.Round(time.Millisecond), rep.RSSEmpty>>20)

	// The fleet connects.
	lastOK := make([]atomic.Int64, len(gws)) // unix ns of each gateway's latest successful connect
	var committed sync.Map                   // kind -> *atomic.Int64
	var alarmAcks ackTimes                   // publish -> the cloud's ack of each alarm: the ingester's part of the latency
	fleet := loadgen.Fleet{
		Broker: "tcp://" + mqttAddr, Gateways: gws, MealsPerSec: o.MealsPerSec, HeartbeatEvery: o.HeartbeatEvery,
		Duration: 15 * time.Minute, Settle: time.Second, KeepAlive: o.KeepAlive,
		OnConnect: func(i int, _ time.Duration, err error) {
			if err == nil {
				lastOK[i].Store(time.Now().UnixNano())
			}
		},
		OnAck: func(a loadgen.AckInfo) {
			if a.Kind == eldergate.KindAlert {
				alarmAcks.add(a.Latency)
			}
			if !a.Rejected {
				v, _ := committed.LoadOrStore(a.Kind, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
		},
	}
	t0 = time.Now()
	run, err := fleet.Start(ctx)
	if err != nil {
		return rep, err
	}
	defer func() {
		if run != nil {
			run.Stop()
		}
	}()
	connectedSince := func(since time.Time) int {
		n := 0
		for i := range lastOK {
			if lastOK[i].Load() >= since.UnixNano() {
				n++
			}
		}
		return n
	}
	if err := waitFor(ctx, 5*time.Minute, func() bool { return connectedSince(t0) == len(gws) }); err != nil {
		return rep, fmt.Errorf("fresh fleet: %d of %d connected: %w", connectedSince(t0), len(gws), err)
	}
	rep.FirstConnect = time.Since(t0)
	logf("fleet: %d connected in %v (fresh); load average %s", len(gws), rep.FirstConnect.Round(time.Millisecond), benchdoc.LoadAverage())
	time.Sleep(2 * time.Second) // births applied

	// The cloud restarts; the fleet comes back while alarms are pressed.
	// SIGTERM; a cloud that has not stopped 20 s later is killed (a crash
	// is a restart too) and the report says so.
	if err := cl.stop(20 * time.Second); err != nil {
		rep.RestartKilled = true
		logf("fleet: %v", err)
	}
	cl = nil
	restart := time.Now()
	var extra []string
	var pprofBase, logPath string
	var profWG sync.WaitGroup
	if o.ProfileDir != "" {
		logPath = filepath.Join(o.ProfileDir, "cloud.log") // the restarted cloud's whole log
		pa, err := freeAddr()
		if err != nil {
			return rep, err
		}
		extra, pprofBase = []string{"--pprof", pa}, "http://"+pa+"/debug/pprof/"
	}
	cl, err = startCloud(ctx, o.Bin, o.Dir, httpAddr, mqttAddr, token, logPath, extra...)
	if err != nil {
		return rep, err
	}
	if pprofBase != "" {
		profWG.Add(1)
		go func() {
			defer profWG.Done()
			if err := saveProfile(pprofBase+"profile?seconds=20", filepath.Join(o.ProfileDir, "storm.cpu.pprof")); err != nil {
				logf("fleet: storm CPU profile: %v", err)
			}
			if err := saveProfile(pprofBase+"block", filepath.Join(o.ProfileDir, "storm.block.pprof")); err != nil {
				logf("fleet: storm block profile: %v", err)
			}
		}()
	}
	b, err := openBoard(ctx, base, token)
	if err != nil {
		return rep, err
	}
	pressed := make([]atomic.Bool, len(gws))
	storm := newPresser(run, lastOK, pressed, o.AlarmEvery, restart)
	if err := waitFor(ctx, 5*time.Minute, func() bool { return connectedSince(restart) == len(gws) }); err != nil {
		storm.stop()
		b.close()
		return rep, fmt.Errorf("after the restart: %d of %d connected: %w", connectedSince(restart), len(gws), err)
	}
	presses := storm.stop()
	rep.Reconnect = time.Since(restart)
	rep.CPUConnect = pct(cl.cpu(), rep.Reconnect) // a new process: all its CPU
	logf("fleet: %d connected %v after the cloud's restart, cloud CPU %.0f%%, %d alarms pressed meanwhile", len(gws),
		rep.Reconnect.Round(time.Millisecond), rep.CPUConnect, len(presses))
	rep.Storm = latencies(ctx, b, presses)

	// Steady state.
	cpu0, t0 := cl.cpu(), time.Now()
	m0, h0 := kindCount(&committed, eldergate.KindMeal), kindCount(&committed, eldergate.KindHeartbeat)
	steady := newPresser(run, lastOK, pressed, o.AlarmEvery, restart)
	sleepCtx(ctx, o.Steady)
	presses = steady.stop()
	logf("fleet: alarms acked (publish -> the ingester's ack), storm and steady: %s", alarmAcks.summary())
	rep.CPUSteady = pct(cl.cpu()-cpu0, time.Since(t0))
	rep.RSSSteady = cl.rss()
	if pprofBase != "" {
		if err := saveProfile(pprofBase+"heap", filepath.Join(o.ProfileDir, "steady.heap.pprof")); err != nil {
			logf("fleet: heap profile: %v", err)
		}
		// The same as text, with the runtime's MemStats at its end (heap in
		// use, idle and released, goroutine stacks): what the RSS is made of.
		if err := saveProfile(pprofBase+"heap?debug=1", filepath.Join(o.ProfileDir, "steady.heap.txt")); err != nil {
			logf("fleet: heap profile: %v", err)
		}
		// The goroutines by stack, with counts: whose stacks the
		// MemStats' Stack figure is.
		if err := saveProfile(pprofBase+"goroutine?debug=1", filepath.Join(o.ProfileDir, "steady.goroutine.txt")); err != nil {
			logf("fleet: goroutine profile: %v", err)
		}
		profWG.Wait()
	}
	rep.Meals, rep.Heartbeats = kindCount(&committed, eldergate.KindMeal)-m0, kindCount(&committed, eldergate.KindHeartbeat)-h0
	rep.Steady = latencies(ctx, b, presses)
	b.close()
	logf("fleet: steady %v: cloud CPU %.0f%%, RSS %d MB (%d KB a gateway), %d meals and %d heartbeats committed, alarms p99 %v",
		o.Steady, rep.CPUSteady, rep.RSSSteady>>20, rep.PerGateway()>>10, rep.Meals, rep.Heartbeats, rep.Steady.P99)

	// A mass disconnect: every connection drops at once, none comes back.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(o.Dir, "cloud.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return rep, err
	}
	defer db.Close()
	online := func() int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM gateways WHERE online = 1`).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	if n := online(); n != len(gws) {
		logf("fleet: %d of %d shown online before the cut", n, len(gws))
	}
	cut := time.Now()
	run.Cut()
	budget := o.KeepAlive * 3 / 2
	rep.OnlineAtBudget = -1
	for time.Since(cut) < budget+15*time.Second && ctx.Err() == nil {
		n := online()
		if n == 0 && rep.OfflineAll == 0 {
			rep.OfflineAll = time.Since(cut)
			rep.OnlineAtBudget = 0
			break
		}
		if rep.OnlineAtBudget < 0 && time.Since(cut) >= budget {
			rep.OnlineAtBudget = n
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rep.OnlineAtBudget < 0 {
		rep.OnlineAtBudget = online()
	}
	logf("fleet: mass disconnect: all shown offline after %v; %d still online at 1.5 × keepalive (%v)",
		rep.OfflineAll.Round(time.Millisecond), rep.OnlineAtBudget, budget)
	res, _ := run.Stop()
	run = nil
	rep.PublishErrors = res.ConnectErrors
	rep.LoadAfter = benchdoc.LoadAverage()
	return rep, nil
}

func kindCount(m *sync.Map, kind eldergate.Kind) int64 {
	if v, ok := m.Load(kind); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func pct(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}

// press is one alarm: the alert's id and when it was raised.
type press struct {
	alert string
	at    time.Time
}

// presser raises an alarm every period on a random gateway connected for
// at least 200 ms since `since` (its birth sent) and not pressed before
// (a second press of the same button joins the open alert), until stop.
type presser struct {
	stopc   chan struct{}
	done    chan struct{}
	presses []press
}

func newPresser(run *loadgen.Running, lastOK []atomic.Int64, pressed []atomic.Bool, every time.Duration, since time.Time) *presser {
	p := &presser{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stopc:
				return
			case <-t.C:
			}
			for try := 0; try < 50; try++ {
				i := rand.IntN(len(lastOK))
				at := lastOK[i].Load()
				if at < since.UnixNano() || time.Since(time.Unix(0, at)) < 200*time.Millisecond || pressed[i].Load() {
					continue
				}
				pressed[i].Store(true)
				now := time.Now()
				if _, alert, err := run.Alarm(i); err == nil {
					p.presses = append(p.presses, press{alert: alert, at: now})
				}
				break
			}
		}
	}()
	return p
}

func (p *presser) stop() []press {
	close(p.stopc)
	<-p.done
	return p.presses
}

// latencies waits up to 10 s for the presses to show on the board and
// returns their latencies; an alarm not shown by then is lost.
func latencies(ctx context.Context, b *board, ps []press) Latency {
	_ = waitFor(ctx, 10*time.Second, func() bool {
		for _, p := range ps {
			if _, ok := b.at(p.alert); !ok {
				return false
			}
		}
		return true
	})
	var l Latency
	var ds []time.Duration
	for _, p := range ps {
		if t, ok := b.at(p.alert); ok {
			ds = append(ds, t.Sub(p.at))
		} else {
			l.Lost++
		}
	}
	l.N = len(ds)
	l.P50, _ = reports.Percentile(ds, 50)
	l.P99, _ = reports.Percentile(ds, 99)
	l.Max, _ = reports.Percentile(ds, 100)
	return l
}

func waitFor(ctx context.Context, d time.Duration, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return errors.New("not within " + d.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ackTimes collects the ack latencies of the alarms (diagnosis: the
// ingester's part of the alarm -> board latency).
type ackTimes struct {
	mu sync.Mutex
	ds []time.Duration
}

func (a *ackTimes) add(d time.Duration) {
	a.mu.Lock()
	a.ds = append(a.ds, d)
	a.mu.Unlock()
}

func (a *ackTimes) summary() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ds) == 0 {
		return "none"
	}
	p50, _ := reports.Percentile(a.ds, 50) // sorts a copy
	p99, _ := reports.Percentile(a.ds, 99)
	return fmt.Sprintf("%d, p50 %v, p99 %v", len(a.ds), p50, p99)
}
