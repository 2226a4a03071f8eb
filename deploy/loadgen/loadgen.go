// Package loadgen simulates a fleet of eldergate gateways against a real
// broker and cloud: each gateway is its own MQTT connection with its own
// credentials, sends a birth and leaves a will like the real uplink
// (firmware-gateway/uplink), and publishes valid batches (the contract of
// the root package) of meals, alarms and heartbeats at given rates, with an
// optional backlog to drain; it counts the cloud's application acks per
// event id and resends what is not acknowledged in time, as the gateway's
// outbox does.
//
// The API (stable; later versions add fields and methods, they do not
// change these):
//
//	f := loadgen.Fleet{
//		Broker:   "tcp://127.0.0.1:1883", // loopback only unless AllowRemote
//		TLS:      nil,                    // for ssl:// brokers
//		Gateways: loadgen.Generate("gw", "site", 1000), // or ReadGateways(file)
//		MealsPerSec: 20, AlarmsPerSec: 0.1, HeartbeatEvery: 60 * time.Second,
//		Backlog: 0, BatchSize: 500,
//		Duration: 30 * time.Second, MaxEvents: 100000, ConnectPerSec: 500,
//		OnAck: func(a loadgen.AckInfo) { ... }, // every first ack of an event
//		OnSend: func(e loadgen.SentInfo) { ... }, // every event's first publish
//	}
//	res, err := f.Run(ctx) // or r, err := f.Start(ctx); r.Alarm(i); r.Wait()
//
// Rates are for the whole fleet: MealsPerSec meals a second spread over
// the gateways in turn, each sent as it happens (a one-event batch, the
// live shape). HeartbeatEvery is per gateway (the gateway's `heartbeat`
// setting). Backlog events per gateway are queued before the gateway
// connects and drained in batches of BatchSize (the drain shape). Alarms
// go before anything queued, as the gateway's outbox orders them.
//
// Run stops by itself: after Duration no new event is made, then it waits
// up to Settle for the acks still due and disconnects every gateway
// cleanly (DISCONNECT: the broker drops the will; the gateways publish an
// offline state first, as a gateway does on a clean stop). MaxEvents
// bounds the events made. A gateway costs one goroutine and about 17 KB
// of RSS here (a lean MQTT 3.1.1 client, mqtt.go, ADR 0038; measured by
// BenchmarkFleetMemory with 10,000 gateways), not paho's ~100 KB.
//
// The command: eldergate-load (deploy/loadgen/cmd/eldergate-load; Main and
// ParseFlags here) runs a fleet from flags and prints Result as one JSON
// line, e.g.
//
//	eldergate-load -broker tcp://127.0.0.1:1883 -gateways 100 -register postgres://… \
//	    -meals 200 -alarms 1 -heartbeat 60s -duration 30s
//
// Bounded: -gateways ≤ 20,000, -duration ≤ 1h, -events; a broker that is
// not on a loopback address is refused without -allow-remote.
package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
)

// Hard limits of one fleet.
const (
	MaxGateways = 20000
	MaxDuration = time.Hour
	MaxEvents   = 10_000_000
)

// Gateway is one simulated gateway: its id (also its MQTT client id), the
// site it is registered at, and its broker credentials.
type Gateway struct {
	ID   string `json:"id"`
	Site string `json:"site"`
	User string `json:"user"`
	Pass string `json:"pass"`
}

// Fleet describes a load. The zero values of the optional fields are
// documented beside them.
type Fleet struct {
	Broker      string      // tcp://host:port, ssl://host:port (also mqtt://, mqtts://, tls://)
	TLS         *tls.Config // for ssl:// (nil: the system's roots)
	AllowRemote bool        // allow a broker that is not on a loopback address

	Gateways []Gateway

	MealsPerSec    float64       // meals a second, the whole fleet
	AlarmsPerSec   float64       // alarms (alert raised) a second, the whole fleet
	HeartbeatEvery time.Duration // per gateway; 0: no heartbeats
	Backlog        int           // meals queued per gateway before it connects
	BatchSize      int           // events per batch when draining; default 500 (the gateway's)
	InFlight       int           // unacknowledged events per gateway before it waits; 0: no limit
	// StartTogether: no gateway publishes before every gateway has
	// connected, so that a clock started at the first publish (OnSend)
	// measures the load, not the connects.
	StartTogether bool

	Duration      time.Duration // how long events are made; required, ≤ MaxDuration
	MaxEvents     int           // events made at most (all kinds); 0: MaxEvents
	Settle        time.Duration // after Duration, wait this long at most for acks; default 10 s
	ConnectPerSec float64       // connections (and reconnections) a second at most; 0: no limit
	AckTimeout    time.Duration // resend an event unacknowledged this long; default 10 s
	KeepAlive     time.Duration // MQTT keepalive; default 30 s (the gateway's)
	Boot          uint64        // boot counter in births and events; default 1
	Version       string        // in births and heartbeats; default "loadgen"

	// Hooks, called from the gateways' goroutines (they must be quick and
	// safe for concurrent use).
	OnSend    func(SentInfo)                             // an event's first publish
	OnAck     func(AckInfo)                              // an event's first ack (committed or rejected)
	OnConnect func(gw int, d time.Duration, err error)   // each connect attempt (d: dial to CONNACK)
	OnMessage func(gw int, topic string, payload []byte) // anything else the gateway receives (commands, cloud state)
}

// SentInfo describes an event at its first publish.
type SentInfo struct {
	Gateway int // index in Fleet.Gateways
	ID      string
	Kind    eldergate.Kind
	AlertID string // alarms
	At      time.Time
}

// AckInfo describes the cloud's first answer about an event.
type AckInfo struct {
	Gateway  int
	ID       string
	Kind     eldergate.Kind
	AlertID  string
	Rejected bool
	Reason   string
	Latency  time.Duration // first publish -> ack
}

// Result is what a run measured; it marshals to one JSON line.
type Result struct {
	Gateways      int     `json:"gateways"`
	Connected     int     `json:"connected"`       // gateways connected at the end
	EverConnected int     `json:"ever_connected"`  // gateways that connected at least once
	ConnectErrors int64   `json:"connect_errors"`  // failed attempts
	Reconnects    int64   `json:"reconnects"`      // connects after a lost connection
	ConnectP50Ms  float64 `json:"connect_p50_ms"`  // dial to CONNACK
	ConnectP99Ms  float64 `json:"connect_p99_ms"`  //
	ConnectMaxMs  float64 `json:"connect_max_ms"`  //
	AllConnectedS float64 `json:"all_connected_s"` // start to the last first connect

	Sent          int64 `json:"sent"` // distinct events published
	Meals         int64 `json:"meals"`
	Alarms        int64 `json:"alarms"`
	Heartbeats    int64 `json:"heartbeats"`
	Messages      int64 `json:"messages"`       // up batches published, resends included
	Acked         int64 `json:"acked"`          // distinct events committed
	Rejected      int64 `json:"rejected"`       // distinct events rejected
	Resent        int64 `json:"resent"`         // event publishes after the first
	DuplicateAcks int64 `json:"duplicate_acks"` // ack entries for events already answered
	Unacked       int64 `json:"unacked"`        // sent, never answered
	Unsent        int64 `json:"unsent"`         // made, never sent (the gateway was not connected)

	AckP50Ms float64 `json:"ack_p50_ms"` // first publish -> ack
	AckP99Ms float64 `json:"ack_p99_ms"`
	AckMaxMs float64 `json:"ack_max_ms"`

	Seconds      float64 `json:"seconds"`        // start to the last ack (or the end)
	AckedPerSec  float64 `json:"acked_per_s"`    // acked / seconds
	MaxEventsHit bool    `json:"max_events_hit"` // MaxEvents stopped the load
	OK           bool    `json:"ok"`             // every sent event acked or rejected
	Note         string  `json:"note,omitempty"`
}

// CheckBroker parses a broker URL and refuses one that is not on a
// loopback address unless allowRemote. It returns host:port and whether
// the URL asks for TLS.
func CheckBroker(raw string, allowRemote bool) (addr string, useTLS bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("loadgen: broker URL %q: %v", raw, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		useTLS = true
	default:
		return "", false, fmt.Errorf("loadgen: broker URL %q: scheme must be tcp://, mqtt://, ssl://, tls:// or mqtts://", raw)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", false, fmt.Errorf("loadgen: broker URL %q has no host", raw)
	}
	if port == "" {
		port = "1883"
		if useTLS {
			port = "8883"
		}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", false, fmt.Errorf("loadgen: broker URL %q: port %q is not 1-65535", raw, port)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("loadgen: broker URL %q: only scheme://host:port (credentials are per gateway)", raw)
	}
	if !allowRemote && !isLoopback(host) {
		return "", false, fmt.Errorf("loadgen: broker %q is not on a loopback address; refusing to send load there without -allow-remote", host)
	}
	return net.JoinHostPort(host, port), useTLS, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validate checks f and fills in the defaults.
func (f *Fleet) validate() (string, *tls.Config, error) {
	addr, useTLS, err := CheckBroker(f.Broker, f.AllowRemote)
	if err != nil {
		return "", nil, err
	}
	var tc *tls.Config
	if useTLS {
		tc = f.TLS
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc = tc.Clone()
			tc.ServerName, _, _ = net.SplitHostPort(addr)
		}
	}
	switch {
	case len(f.Gateways) == 0:
		return "", nil, errors.New("loadgen: no gateways")
	case len(f.Gateways) > MaxGateways:
		return "", nil, fmt.Errorf("loadgen: %d gateways is above the limit of %d", len(f.Gateways), MaxGateways)
	case f.Duration <= 0 || f.Duration > MaxDuration:
		return "", nil, fmt.Errorf("loadgen: duration %v must be above 0 and at most %v", f.Duration, MaxDuration)
	case f.MaxEvents < 0 || f.MaxEvents > MaxEvents:
		return "", nil, fmt.Errorf("loadgen: max events %d must be 0 (the limit) to %d", f.MaxEvents, MaxEvents)
	case f.MealsPerSec < 0 || f.AlarmsPerSec < 0 || f.ConnectPerSec < 0:
		return "", nil, errors.New("loadgen: rates must not be negative")
	case f.MealsPerSec > 1e6 || f.AlarmsPerSec > 1e6:
		return "", nil, errors.New("loadgen: rates above 1,000,000 a second are refused")
	case f.HeartbeatEvery < 0 || (f.HeartbeatEvery > 0 && f.HeartbeatEvery < 100*time.Millisecond):
		return "", nil, fmt.Errorf("loadgen: heartbeat interval %v must be 0 (none) or at least 100ms", f.HeartbeatEvery)
	case f.Backlog < 0 || f.BatchSize < 0 || f.InFlight < 0:
		return "", nil, errors.New("loadgen: backlog, batch size and in-flight must not be negative")
	case f.BatchSize > 5000:
		return "", nil, fmt.Errorf("loadgen: batch size %d is above 5000", f.BatchSize)
	case f.Settle < 0 || f.AckTimeout < 0 || f.KeepAlive < 0:
		return "", nil, errors.New("loadgen: settle, ack timeout and keepalive must not be negative")
	}
	if f.KeepAlive > 0 && f.KeepAlive < time.Second {
		return "", nil, fmt.Errorf("loadgen: keepalive %v is below 1s", f.KeepAlive)
	}
	if f.Backlog*len(f.Gateways) > MaxEvents {
		return "", nil, fmt.Errorf("loadgen: a backlog of %d on %d gateways is above %d events", f.Backlog, len(f.Gateways), MaxEvents)
	}
	seen := make(map[string]bool, len(f.Gateways))
	for i, g := range f.Gateways {
		if err := eldergate.ValidateGatewayID(g.ID); err != nil {
			return "", nil, fmt.Errorf("loadgen: gateway %d: %v", i+1, err)
		}
		if seen[g.ID] {
			return "", nil, fmt.Errorf("loadgen: gateway %q listed twice", g.ID)
		}
		seen[g.ID] = true
		if g.Site == "" {
			return "", nil, fmt.Errorf("loadgen: gateway %q has no site", g.ID)
		}
	}
	return addr, tc, nil
}

// Generate makes n gateways prefix-00001 … at sites site-prefix-00001 …
// (the convention of the cloud's tests: site "site-"+id when site is ""),
// each with user = id and a random 48-character password.
func Generate(prefix, site string, n int) []Gateway {
	gws := make([]Gateway, n)
	for i := range gws {
		id := fmt.Sprintf("%s-%05d", prefix, i+1)
		s := site
		if s == "" {
			s = "site-" + id
		}
		gws[i] = Gateway{ID: id, Site: s, User: id, Pass: randomSecret()}
	}
	return gws
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- running -------------------------------------------------------------------

// Running is a fleet being run (Start).
type Running struct {
	f      *Fleet
	addr   string
	tls    *tls.Config
	gws    []*simGW
	start  time.Time
	ctx    context.Context
	cancel context.CancelFunc
	limit  *limiter

	firstConnects atomic.Int64  // gateways connected at least once
	released      chan struct{} // closed when all have connected (StartTogether)

	made      atomic.Int64 // events made (MaxEvents)
	maxEvents int64
	maxHit    atomic.Bool
	stopping  atomic.Bool // Duration over: no new events

	stats stats
	done  chan struct{}
	res   Result
	err   error
}

type stats struct {
	sent, meals, alarms, heartbeats, messages atomic.Int64
	acked, rejected, resent, dupAcks          atomic.Int64
	connectErrors, reconnects                 atomic.Int64
	lastAck                                   atomic.Int64 // unix ns

	mu         sync.Mutex
	ackLat     []time.Duration
	connectLat []time.Duration
	lastFirst  time.Time // last first connect
}

// Start connects the fleet and starts the load; Wait returns its result.
func (f *Fleet) Start(ctx context.Context) (*Running, error) {
	addr, tc, err := f.validate()
	if err != nil {
		return nil, err
	}
	g := *f
	if g.BatchSize == 0 {
		g.BatchSize = 500
	}
	if g.Settle == 0 {
		g.Settle = 10 * time.Second
	}
	if g.AckTimeout == 0 {
		g.AckTimeout = 10 * time.Second
	}
	if g.KeepAlive == 0 {
		g.KeepAlive = 30 * time.Second
	}
	if g.Boot == 0 {
		g.Boot = 1
	}
	if g.Version == "" {
		g.Version = "loadgen"
	}
	r := &Running{f: &g, addr: addr, tls: tc, start: time.Now(), done: make(chan struct{}), released: make(chan struct{}),
		limit: newLimiter(g.ConnectPerSec), maxEvents: int64(g.MaxEvents)}
	if r.maxEvents == 0 {
		r.maxEvents = MaxEvents
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	r.gws = make([]*simGW, len(g.Gateways))
	for i := range g.Gateways {
		s := &simGW{r: r, i: i, g: g.Gateways[i], pending: map[string]*event{}, answered: map[string]bool{}}
		for k := 0; k < g.Backlog; k++ {
			if e := s.newMeal(time.Now()); e != nil {
				s.queue = append(s.queue, e)
			}
		}
		r.gws[i] = s
	}
	go r.run()
	return r, nil
}

// Run runs the fleet until it stops by itself (Duration, then Settle) or
// ctx ends, and returns what it measured.
func (f *Fleet) Run(ctx context.Context) (Result, error) {
	r, err := f.Start(ctx)
	if err != nil {
		return Result{}, err
	}
	return r.Wait()
}

// Wait waits for the end of the run.
func (r *Running) Wait() (Result, error) {
	<-r.done
	return r.res, r.err
}

// Stop ends the load early (as if Duration were over) and waits.
func (r *Running) Stop() (Result, error) {
	r.cancel()
	return r.Wait()
}

// Connected is the number of gateways connected now.
func (r *Running) Connected() int {
	n := 0
	for _, s := range r.gws {
		if s.connected.Load() {
			n++
		}
	}
	return n
}

// Alarm makes gateway i raise an emergency alarm now (before anything it
// has queued) and returns the event id and alert id; OnAck tells when the
// cloud committed it.
func (r *Running) Alarm(i int) (eventID, alertID string, err error) {
	if i < 0 || i >= len(r.gws) {
		return "", "", fmt.Errorf("loadgen: no gateway %d", i)
	}
	e := r.gws[i].newAlarm(time.Now())
	if e == nil {
		return "", "", errors.New("loadgen: the event limit is reached")
	}
	r.gws[i].enqueue(e)
	return e.id, e.alertID, nil
}

// Disconnect drops gateway i's connection without a DISCONNECT (the broker
// publishes its will); it reconnects after a second, within the connect
// rate. For the chaos suite's mass disconnects.
func (r *Running) Disconnect(i int) {
	if i >= 0 && i < len(r.gws) {
		r.gws[i].drop()
	}
}

func (r *Running) run() {
	defer close(r.done)
	var wg sync.WaitGroup
	for _, s := range r.gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop()
		}()
	}
	loadCtx, loadCancel := context.WithTimeout(r.ctx, r.f.Duration)
	defer loadCancel()
	gen := make(chan struct{})
	go func() { defer close(gen); r.generate(loadCtx) }()
	swept := make(chan struct{})
	go func() { defer close(swept); r.sweep(r.ctx) }()
	<-loadCtx.Done()
	r.stopping.Store(true)
	// The generator may be in the middle of a tick when Duration ends:
	// what it makes then is sent, so wait for it to return before counting
	// what is outstanding, or the settle below can find nothing due, stop
	// the fleet and leave those last events unacknowledged.
	<-gen
	// Settle: wait for the acks still due.
	deadline := time.Now().Add(r.f.Settle)
	for time.Now().Before(deadline) && r.ctx.Err() == nil && r.outstanding() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	r.cancel()
	<-swept
	for _, s := range r.gws {
		s.stop()
	}
	wg.Wait()
	r.res = r.result()
}

func (r *Running) isReleased() bool {
	select {
	case <-r.released:
		return true
	default:
		return false
	}
}

// sendAll lets every gateway send what it has queued (StartTogether),
// all at once.
func (r *Running) sendAll() {
	for _, s := range r.gws {
		go func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.sendLocked()
		}()
	}
}

// outstanding counts events made and not yet answered.
func (r *Running) outstanding() int {
	n := 0
	for _, s := range r.gws {
		s.mu.Lock()
		n += len(s.pending) + len(s.queue)
		s.mu.Unlock()
	}
	return n
}

// generate makes meals, alarms and heartbeats at their rates until ctx ends.
func (r *Running) generate(ctx context.Context) {
	f := r.f
	tick := 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	var mealAcc, alarmAcc float64
	nextMeal, nextAlarm := 0, 0
	nextBeat := make([]time.Time, len(r.gws))
	if f.HeartbeatEvery > 0 {
		// Spread the first heartbeats over one interval.
		for i := range nextBeat {
			nextBeat[i] = r.start.Add(time.Duration(int64(f.HeartbeatEvery) * int64(i) / int64(len(r.gws))))
		}
	}
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if ctx.Err() != nil {
				return // select picks at random when both are ready: no event after Duration
			}
			dt := now.Sub(last).Seconds()
			last = now
			mealAcc += f.MealsPerSec * dt
			alarmAcc += f.AlarmsPerSec * dt
			for ; alarmAcc >= 1; alarmAcc-- {
				s := r.gws[nextAlarm%len(r.gws)]
				nextAlarm++
				if e := s.newAlarm(now); e != nil {
					s.enqueue(e)
				}
			}
			for ; mealAcc >= 1; mealAcc-- {
				s := r.gws[nextMeal%len(r.gws)]
				nextMeal++
				if e := s.newMeal(now); e != nil {
					s.enqueue(e)
				}
			}
			if f.HeartbeatEvery > 0 {
				for i, s := range r.gws {
					if !now.Before(nextBeat[i]) {
						nextBeat[i] = nextBeat[i].Add(f.HeartbeatEvery)
						if e := s.newHeartbeat(now); e != nil {
							s.enqueue(e)
						}
					}
				}
			}
		}
	}
}

// sweep resends what waited longer than AckTimeout and keeps idle
// connections alive, until ctx ends.
func (r *Running) sweep(ctx context.Context) {
	every := min(r.f.AckTimeout/4, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range r.gws {
				s.resendDue(now)
				s.keepAlive()
			}
		}
	}
}

func (r *Running) result() Result {
	st := &r.stats
	res := Result{
		Gateways: len(r.gws), Connected: r.Connected(),
		ConnectErrors: st.connectErrors.Load(), Reconnects: st.reconnects.Load(),
		Sent: st.sent.Load(), Meals: st.meals.Load(), Alarms: st.alarms.Load(), Heartbeats: st.heartbeats.Load(),
		Messages: st.messages.Load(), Acked: st.acked.Load(), Rejected: st.rejected.Load(),
		Resent: st.resent.Load(), DuplicateAcks: st.dupAcks.Load(), MaxEventsHit: r.maxHit.Load(),
	}
	var unacked []gwEvent
	for _, s := range r.gws {
		if s.everConnected.Load() {
			res.EverConnected++
		}
		s.mu.Lock()
		res.Unacked += int64(len(s.pending))
		for _, e := range s.pending {
			unacked = append(unacked, gwEvent{s.g.ID, e})
		}
		res.Unsent += int64(len(s.queue))
		s.mu.Unlock()
	}
	st.mu.Lock()
	res.AckP50Ms, res.AckP99Ms, res.AckMaxMs = quantilesMs(st.ackLat)
	res.ConnectP50Ms, res.ConnectP99Ms, res.ConnectMaxMs = quantilesMs(st.connectLat)
	if res.EverConnected == res.Gateways {
		res.AllConnectedS = st.lastFirst.Sub(r.start).Seconds()
	}
	st.mu.Unlock()
	end := time.Now()
	if la := st.lastAck.Load(); la != 0 {
		end = time.Unix(0, la)
	}
	res.Seconds = end.Sub(r.start).Seconds()
	if res.Seconds > 0 {
		res.AckedPerSec = float64(res.Acked) / res.Seconds
	}
	res.OK = res.Unacked == 0 && res.Unsent == 0 && res.Acked+res.Rejected == res.Sent && res.EverConnected == res.Gateways
	var notes []string
	if res.EverConnected < res.Gateways {
		notes = append(notes, fmt.Sprintf("%d gateways never connected", res.Gateways-res.EverConnected))
	}
	if res.Unacked > 0 {
		notes = append(notes, fmt.Sprintf("%d events never acknowledged (%s)", res.Unacked, r.describe(unacked, 5)))
	}
	if res.Unsent > 0 {
		notes = append(notes, fmt.Sprintf("%d events made but never sent", res.Unsent))
	}
	res.Note = strings.Join(notes, "; ")
	return res
}

// gwEvent is an event with the id of its gateway.
type gwEvent struct {
	gw string
	e  *event
}

// describe names the first n of evs in the order they were first sent:
// kind, id, gateway and when it was first sent after the start.
func (r *Running) describe(evs []gwEvent, n int) string {
	slices.SortFunc(evs, func(a, b gwEvent) int { return a.e.first.Compare(b.e.first) })
	var parts []string
	for _, x := range evs[:min(n, len(evs))] {
		parts = append(parts, fmt.Sprintf("%s %s from %s sent at +%.3fs", x.e.kind, x.e.id, x.gw, x.e.first.Sub(r.start).Seconds()))
	}
	if len(evs) > n {
		parts = append(parts, fmt.Sprintf("and %d more", len(evs)-n))
	}
	return strings.Join(parts, ", ")
}

// quantilesMs returns p50, p99 and max of ds in milliseconds (it sorts ds).
func quantilesMs(ds []time.Duration) (p50, p99, mx float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q*float64(len(ds))+0.5) - 1
		i = max(0, min(i, len(ds)-1))
		return float64(ds[i]) / 1e6
	}
	return at(0.5), at(0.99), float64(ds[len(ds)-1]) / 1e6
}

// limiter spaces connects ConnectPerSec apart.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newLimiter(perSec float64) *limiter {
	if perSec <= 0 {
		return &limiter{}
	}
	return &limiter{every: time.Duration(float64(time.Second) / perSec)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l.every == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return ctx.Err()
}

// ---- one gateway -----------------------------------------------------------------

// event is one event of a gateway: its envelope (JSON) and its fate.
type event struct {
	id, alertID string
	kind        eldergate.Kind
	raw         []byte
	first, last time.Time // first and last publish; zero: not yet sent
}

type simGW struct {
	r *Running
	i int
	g Gateway

	connected     atomic.Bool
	everConnected atomic.Bool

	mu       sync.Mutex
	conn     *mqttConn
	seq      uint64
	queue    []*event          // made, not yet sent (alarms first)
	pending  map[string]*event // sent, not answered
	answered map[string]bool   // answered (for duplicate acks)
	stopped  bool
}

// take counts one event made against MaxEvents.
func (s *simGW) take() bool {
	if s.r.made.Add(1) > s.r.maxEvents {
		s.r.maxHit.Store(true)
		return false
	}
	return true
}

func (s *simGW) envelope(kind eldergate.Kind, at time.Time, data any) *event {
	if !s.take() {
		return nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err) // our own types
	}
	id, err := uuid.NewV7()
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	e := eldergate.Envelope{ID: id.String(), Kind: kind, GW: s.g.ID, Site: s.g.Site, Seq: seq, Boot: s.r.f.Boot,
		At: at.UTC(), Clock: eldergate.ClockSynced, Data: raw}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return &event{id: e.ID, kind: kind, raw: b}
}

// newMeal makes an approved meal like the cloud's tests (storetest.Meal).
func (s *simGW) newMeal(at time.Time) *event {
	s.mu.Lock()
	n := s.seq + 1
	s.mu.Unlock()
	day := at.UTC().Add(8 * time.Hour).Format(time.DateOnly) // the halls' local day (UTC+8)
	return s.envelope(eldergate.KindMeal, at, eldergate.MealData{ElderID: fmt.Sprintf("E%d", n%50), Window: "lunch",
		Day: day, Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1200, SubsidyFen: 500,
		PayFen: 700, PolicyVer: "p1"})
}

func (s *simGW) newAlarm(at time.Time) *event {
	alertID, _ := uuid.NewV7()
	e := s.envelope(eldergate.KindAlert, at, eldergate.AlertData{AlertID: alertID.String(), Action: eldergate.AlertRaised,
		Type: eldergate.AlertTypeEmergency, Button: "btn-1", ButtonName: "loadgen button", Place: "hall"})
	if e != nil {
		e.alertID = alertID.String()
	}
	return e
}

func (s *simGW) newHeartbeat(at time.Time) *event {
	s.mu.Lock()
	depth := len(s.pending) + len(s.queue)
	s.mu.Unlock()
	return s.envelope(eldergate.KindHeartbeat, at, gateway.HeartbeatData{Version: s.r.f.Version, Boot: s.r.f.Boot,
		UptimeS: int64(time.Since(s.r.start).Seconds()), Clock: eldergate.ClockSynced, Devices: []drivers.Status{},
		OutboxDepth: depth, DiskFreeBytes: 1 << 30, UplinkConnected: s.connected.Load()})
}

// enqueue queues e (an alarm before everything else) and sends what it can.
func (s *simGW) enqueue(e *event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.kind == eldergate.KindAlert {
		s.queue = slices.Insert(s.queue, 0, e)
	} else {
		s.queue = append(s.queue, e)
	}
	s.sendLocked()
}

// sendLocked publishes queued events in batches while connected and
// within InFlight.
func (s *simGW) sendLocked() {
	f := s.r.f
	if f.StartTogether && !s.r.isReleased() {
		return
	}
	for s.conn != nil && len(s.queue) > 0 {
		n := min(len(s.queue), f.BatchSize)
		if f.InFlight > 0 {
			n = min(n, f.InFlight-len(s.pending))
			if n <= 0 {
				return
			}
		}
		batch := s.queue[:n]
		if err := s.publishLocked(batch); err != nil {
			return
		}
		now := time.Now()
		for _, e := range batch {
			e.first, e.last = now, now
			s.pending[e.id] = e
			s.r.stats.sent.Add(1)
			switch e.kind {
			case eldergate.KindMeal:
				s.r.stats.meals.Add(1)
			case eldergate.KindAlert:
				s.r.stats.alarms.Add(1)
			case eldergate.KindHeartbeat:
				s.r.stats.heartbeats.Add(1)
			}
			if f.OnSend != nil {
				f.OnSend(SentInfo{Gateway: s.i, ID: e.id, Kind: e.kind, AlertID: e.alertID, At: now})
			}
		}
		clear(s.queue[:n]) // not kept alive by the array
		s.queue = s.queue[n:]
	}
}

// publishLocked publishes evs as one batch; on a write error it drops the
// connection (the reader reconnects).
func (s *simGW) publishLocked(evs []*event) error {
	size := 64 + len(s.g.ID)
	for _, e := range evs {
		size += len(e.raw) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"v":1,"gw":`...)
	b = strconv.AppendQuote(b, s.g.ID)
	b = append(b, `,"boot":`...)
	b = strconv.AppendUint(b, s.r.f.Boot, 10)
	b = append(b, `,"events":[`...)
	for k, e := range evs {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, e.raw...)
	}
	b = append(b, "]}"...)
	if err := s.conn.publish(eldergate.Topic(s.g.ID, eldergate.ChannelUp), b, 1, false); err != nil {
		s.conn.close()
		s.conn = nil
		s.connected.Store(false)
		return err
	}
	s.r.stats.messages.Add(1)
	return nil
}

// resendDue republishes the pending events older than AckTimeout.
func (s *simGW) resendDue(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return
	}
	var due []*event
	for _, e := range s.pending {
		if now.Sub(e.last) >= s.r.f.AckTimeout {
			due = append(due, e)
		}
	}
	s.resendLocked(due, now)
}

// resendLocked republishes evs in batches, in their order of making.
func (s *simGW) resendLocked(evs []*event, now time.Time) {
	slices.SortFunc(evs, func(a, b *event) int { return a.first.Compare(b.first) })
	for len(evs) > 0 && s.conn != nil {
		n := min(len(evs), s.r.f.BatchSize)
		if err := s.publishLocked(evs[:n]); err != nil {
			return
		}
		for _, e := range evs[:n] {
			e.last = now
		}
		s.r.stats.resent.Add(int64(n))
		evs = evs[n:]
	}
}

func (s *simGW) keepAlive() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		if err := c.pingIfIdle(s.r.f.KeepAlive / 2); err != nil {
			c.close()
		}
	}
}

// onAck applies one ack message.
func (s *simGW) onAck(payload []byte) {
	a, err := eldergate.DecodeAck(payload)
	if err != nil {
		return
	}
	now := time.Now()
	var infos []AckInfo
	s.mu.Lock()
	answer := func(id string, rejected bool, reason string) {
		e := s.pending[id]
		if e == nil {
			if s.answered[id] {
				s.r.stats.dupAcks.Add(1)
			}
			return
		}
		delete(s.pending, id)
		s.answered[id] = true
		lat := now.Sub(e.first)
		if rejected {
			s.r.stats.rejected.Add(1)
		} else {
			s.r.stats.acked.Add(1)
		}
		s.r.stats.mu.Lock()
		s.r.stats.ackLat = append(s.r.stats.ackLat, lat)
		s.r.stats.mu.Unlock()
		if s.r.f.OnAck != nil {
			infos = append(infos, AckInfo{Gateway: s.i, ID: id, Kind: e.kind, AlertID: e.alertID, Rejected: rejected,
				Reason: reason, Latency: lat})
		}
	}
	for _, id := range a.IDs {
		answer(id, false, "")
	}
	for _, rj := range a.Rejected {
		if rj.ID != "" {
			answer(rj.ID, true, rj.Reason)
		}
	}
	s.r.stats.lastAck.Store(now.UnixNano())
	s.sendLocked() // room in the window
	s.mu.Unlock()
	for _, in := range infos {
		s.r.f.OnAck(in)
	}
}

// loop connects, reads and reconnects until the run ends.
func (s *simGW) loop() {
	ctx := s.r.ctx
	f := s.r.f
	first := true
	for ctx.Err() == nil {
		if err := s.r.limit.wait(ctx); err != nil {
			return
		}
		t0 := time.Now()
		willBody, _ := json.Marshal(eldergate.State{Online: false, Boot: f.Boot})
		stateTopic := eldergate.Topic(s.g.ID, eldergate.ChannelState)
		c, err := dialMQTT(ctx, s.r.addr, s.r.tls, s.g.ID, s.g.User, s.g.Pass, f.KeepAlive,
			&will{topic: stateTopic, payload: willBody, qos: 1, retain: true})
		d := time.Since(t0)
		if f.OnConnect != nil {
			f.OnConnect(s.i, d, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.r.stats.connectErrors.Add(1)
			sleepCtx(ctx, time.Second)
			continue
		}
		st := &s.r.stats
		st.mu.Lock()
		st.connectLat = append(st.connectLat, d)
		if first {
			st.lastFirst = time.Now()
		}
		st.mu.Unlock()
		if !first {
			st.reconnects.Add(1)
		} else if r := s.r; r.firstConnects.Add(1) == int64(len(r.gws)) {
			close(r.released)
			go r.sendAll()
		}
		first = false
		// Subscribe before the birth, as the uplink does.
		birth, _ := json.Marshal(eldergate.State{Online: true, Boot: f.Boot, Version: f.Version})
		err = c.subscribe(eldergate.Topic(s.g.ID, eldergate.ChannelAck), eldergate.Topic(s.g.ID, eldergate.ChannelCmd))
		if err == nil {
			err = c.publish(stateTopic, birth, 1, true)
		}
		if err != nil {
			c.close()
			sleepCtx(ctx, time.Second)
			continue
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			c.disconnect()
			return
		}
		s.conn = c
		s.connected.Store(true)
		s.everConnected.Store(true)
		var again []*event
		for _, e := range s.pending {
			again = append(again, e)
		}
		s.resendLocked(again, time.Now()) // after a lost connection, as the outbox does
		s.sendLocked()
		s.mu.Unlock()
		s.read(c)
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
			s.connected.Store(false)
		}
		stopped := s.stopped
		s.mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		sleepCtx(ctx, time.Second)
	}
}

// read handles incoming packets until the connection ends.
func (s *simGW) read(c *mqttConn) {
	ackTopic := eldergate.Topic(s.g.ID, eldergate.ChannelAck)
	idle := s.r.f.KeepAlive * 3 / 2
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(idle))
		h, body, err := readPacket(c.r)
		if err != nil {
			c.close()
			return
		}
		if h>>4 != pktPublish {
			continue // PUBACK, SUBACK, PINGRESP
		}
		topic, id, payload, err := parsePublish(h, body)
		if err != nil {
			c.close()
			return
		}
		if (h>>1)&3 == 1 {
			if err := c.write(encodePuback(id)); err != nil {
				c.close()
				return
			}
		}
		if topic == ackTopic {
			s.onAck(payload)
		} else if s.r.f.OnMessage != nil {
			s.r.f.OnMessage(s.i, topic, payload)
		}
	}
}

// drop closes the connection without DISCONNECT.
func (s *simGW) drop() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// stop publishes the offline state and disconnects cleanly.
func (s *simGW) stop() {
	s.mu.Lock()
	s.stopped = true
	c := s.conn
	s.conn = nil
	s.connected.Store(false)
	s.mu.Unlock()
	if c != nil {
		off, _ := json.Marshal(eldergate.State{Online: false, Boot: s.r.f.Boot})
		_ = c.publish(eldergate.Topic(s.g.ID, eldergate.ChannelState), off, 1, true)
		c.disconnect()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
