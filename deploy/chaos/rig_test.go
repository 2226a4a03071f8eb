package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/sqlstore"
	"github.com/eldergate/eldergate/deploy/benchdoc"
	"github.com/eldergate/eldergate/deploy/testenv"
	"github.com/eldergate/eldergate/policy"
)

const (
	cloudPW  = "chaos-cloud-password"
	tokenEnv = "chaos-admin-token"
	zone     = "Asia/Shanghai"
	elders   = 4000 // per gateway: more than it is tapped, so a card is never within the dedupe time twice
)

// bins are the two commands, built once per run.
var bins struct {
	once      sync.Once
	gw, cloud string
}

func buildBins(t *testing.T) {
	t.Helper()
	bins.once.Do(func() {
		bins.gw = testenv.BuildGateway(t)
		bins.cloud = testenv.BuildCloud(t)
	})
	if bins.gw == "" || bins.cloud == "" {
		t.Fatal("the commands were not built")
	}
}

// proc is the cloud's serve process owned by a test (the separate
// ingester is a testenv.IngestProc).
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	mu   sync.Mutex
	tail []string
}

// startCloudProc runs the cloud command with args and returns once a line
// of its output contains ready.
func startCloudProc(t *testing.T, ready string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bins.cloud, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "EG_ADMIN_TOKEN="+tokenEnv)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start eldergate-cloud %s: %v", args[0], err)
	}
	go func() {
		p.err = p.cmd.Wait()
		pw.Close()
	}()
	up := make(chan struct{})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.tail = append(p.tail, line)
			if len(p.tail) > 40 {
				p.tail = p.tail[len(p.tail)-40:]
			}
			p.mu.Unlock()
			if strings.Contains(line, ready) {
				once.Do(func() { close(up) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() { p.signal(syscall.SIGKILL) })
	select {
	case <-up:
		return p
	case <-p.done:
		t.Fatalf("eldergate-cloud %s exited before %q: %v\n%s", args[0], ready, p.err, p.logs())
	case <-time.After(60 * time.Second):
		p.signal(syscall.SIGKILL)
		t.Fatalf("eldergate-cloud %s: no %q after 60 s\n%s", args[0], ready, p.logs())
	}
	return nil
}

// signal sends sig and waits for the process to be gone (SIGKILL after 15 s).
func (p *proc) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// gw is one simulated gateway: its configuration, data directory and
// process; its HTTP port is fixed so that a restarted process is reached
// at the same address.
type gw struct {
	id, site, secret string
	dir, cfg, data   string
	url              string
	wrap             []string // command line the gateway runs under (ip netns exec NS)
	p                *testenv.GatewayProc
	taps             atomic.Int64 // taps handed to the reader (HTTP 202)
	missed           atomic.Int64 // taps the reader did not take (process down, or its buffer full: 503)
	mu               sync.Mutex   // guards p across restarts
}

// rig is one fault's world: Mosquitto (persistent), the cloud (SQLite, or
// PostgreSQL with a separate ingester) and its gateways.
type rig struct {
	t        *testing.T
	name     string
	m        *testenv.Restartable
	pg       *testenv.Postgres
	dsn      string // PostgreSQL store; "" for SQLite in cloudDir
	cloudDir string
	serve    *proc
	ing      *testenv.IngestProc // the separate ingester (PostgreSQL rigs); nil: serve ingests
	gws      []*gw
}

// rigOpts shape a rig.
type rigOpts struct {
	gateways int
	postgres bool                    // PostgreSQL store and a separate `eldergate-cloud ingest`
	dataDir  func(i int) string      // the gateway's data directory (default a temp dir)
	httpHost string                  // the gateways' HTTP host (default 127.0.0.1)
	broker   func(url string) string // the broker URL the gateways use (default Mosquitto's)
	wrap     func(i int) []string    // command line prefix of gateway i
	mqtt     func(m map[string]any)  // changes to the gateways' mqtt section
	store    map[string]any          // the gateways' store section (full-disk guard)
}

func newRig(t *testing.T, name string, o rigOpts) *rig {
	t.Helper()
	buildBins(t)
	r := &rig{t: t, name: name, cloudDir: t.TempDir()}
	users := map[string]string{"eldergate-cloud": cloudPW}
	for i := 0; i < o.gateways; i++ {
		g := &gw{id: fmt.Sprintf("gw-%s-%d", name, i+1), site: fmt.Sprintf("site-%s-%d", name, i+1),
			secret: fmt.Sprintf("secret-%s-%d", name, i+1), dir: t.TempDir()}
		users[g.id] = g.secret
		r.gws = append(r.gws, g)
	}
	r.m = testenv.StartRestartableMosquitto(t, users, testenv.ACLFile())
	if o.postgres {
		r.pg = testenv.StartPostgresWith(t, testenv.PostgresOptions{Durable: true}) // as production runs it
		r.dsn = r.pg.Database(t)
	}
	seeds := []map[string]string{}
	for _, g := range r.gws {
		seeds = append(seeds, map[string]string{"id": g.id, "site": g.site, "secret": g.secret})
	}
	ccfg := map[string]any{"broker_url": r.m.URL, "broker_user": "eldergate-cloud", "broker_password": cloudPW,
		"gateways": seeds, "no_ingest": o.postgres}
	if r.dsn != "" {
		ccfg["store_dsn"] = r.dsn
	} else {
		ccfg["data_dir"] = r.cloudDir
	}
	cpath := writeYAML(t, filepath.Join(r.cloudDir, "cloud.yaml"), ccfg)
	r.serve = startCloudProc(t, "console at", "serve", "--config", cpath, "--http", "127.0.0.1:0", "--client-id", "chaos-serve-"+name)
	if o.postgres {
		r.startIngester()
	}
	host := o.httpHost
	if host == "" {
		host = "127.0.0.1"
	}
	for i, g := range r.gws {
		if o.dataDir != nil {
			g.data = o.dataDir(i)
		} else {
			g.data = filepath.Join(g.dir, "data")
		}
		if o.wrap != nil {
			g.wrap = o.wrap(i)
		}
		brokerURL := r.m.URL
		if o.broker != nil {
			brokerURL = o.broker(r.m.URL)
		}
		addr := fmt.Sprintf("%s:%d", host, testenv.FreePort(t))
		g.url = "http://" + addr
		g.cfg = writeGatewayConfig(t, g, i, addr, brokerURL, o)
		g.start(t)
	}
	return r
}

// startIngester runs `eldergate-cloud ingest` on the rig's PostgreSQL
// store, with the same client id each time (its persistent session keeps
// what arrives while it is away).
func (r *rig) startIngester() {
	r.t.Helper()
	r.ing = testenv.StartIngestProc(r.t, bins.cloud, "--broker", r.m.URL, "--broker-password", cloudPW,
		"--store", r.dsn, "--client-id", "chaos-ingest-"+r.name, "--stats", "0")
}

func writeYAML(t *testing.T, path string, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// gatewayPolicy is a policy covering the whole day, so the suite does not
// depend on the hour; each gateway its own prices, so that a meal counted
// at the wrong site would change two sites' totals.
func gatewayPolicy(i int) policy.Policy {
	price, subsidy := eldergate.Fen(1500+100*i), eldergate.Fen(1000-50*i)
	return policy.MustFlat(fmt.Sprintf("chaos-%d", i+1), zone, []policy.FlatWindow{
		{Name: "am", Start: "00:00", End: "12:00", PriceFen: price, SubsidyFen: subsidy},
		{Name: "pm", Start: "12:00", End: "24:00", PriceFen: price, SubsidyFen: subsidy},
	}...)
}

func writeGatewayConfig(t *testing.T, g *gw, i int, httpAddr, brokerURL string, o rigOpts) string {
	t.Helper()
	roster := make([]eldergate.Elder, elders)
	for k := range roster {
		roster[k] = eldergate.Elder{ID: fmt.Sprintf("E%05d", k+1), Name: "张三明", Card: fmt.Sprintf("C%05d", k+1), Active: true}
	}
	writeYAML(t, filepath.Join(g.dir, "roster.yaml"), roster)
	mq := map[string]any{"url": brokerURL, "password": g.secret, "batch_wait": "20ms", "ack_timeout": "2s",
		"keepalive": "5s", "max_reconnect": "1s"}
	if o.mqtt != nil {
		o.mqtt(mq)
	}
	cfg := map[string]any{
		"gateway_id": g.id, "site": g.site, "data_dir": g.data, "http_addr": httpAddr,
		"http_public": !strings.HasPrefix(httpAddr, "127."), "simulation": true, "tap_dedupe": "1s",
		"policy": gatewayPolicy(i), "roster_file": "roster.yaml", "mqtt": mq,
	}
	if o.store != nil {
		cfg["store"] = o.store
	}
	return writeYAML(t, filepath.Join(g.dir, "gateway.yaml"), cfg)
}

// start runs the gateway's process (again) on its data directory.
func (g *gw) start(t *testing.T) {
	t.Helper()
	args := append(append([]string{}, g.wrap...), bins.gw, "run", "--config", g.cfg, "--log-level", "info")
	p := testenv.StartGatewayCmd(t, exec.Command(args[0], args[1:]...))
	g.mu.Lock()
	g.p = p
	g.mu.Unlock()
}

func (g *gw) proc() *testenv.GatewayProc {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.p
}

var tapClient = &http.Client{Timeout: 5 * time.Second}

// burst hands n taps to the gateway's reader one after the other, each
// card a new elder's (none is tapped twice within the dedupe time). A
// tap the process cannot take (killed, restarting, or the simulated
// reader's buffer full: 503) is counted as missed: decided by nobody, the
// elder would tap again.
func (g *gw) burst(n int, gap time.Duration) {
	for k := 0; k < n; k++ {
		card := fmt.Sprintf("C%05d", int(g.taps.Load()+g.missed.Load())%elders+1)
		body, _ := json.Marshal(map[string]string{"card": card})
		resp, err := tapClient.Post(g.url+"/api/sim/tap", "application/json", bytes.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		if err != nil || resp.StatusCode != http.StatusAccepted {
			g.missed.Add(1)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		g.taps.Add(1)
		if gap > 0 {
			time.Sleep(gap)
		}
	}
}

// bursts runs a burst of n taps on every gateway at once and calls fault
// (when not nil) after a random delay in [from, to) from the start.
func (r *rig) bursts(rng *rand.Rand, n int, gap time.Duration, from, to time.Duration, fault func()) {
	var wg sync.WaitGroup
	for _, g := range r.gws {
		wg.Go(func() { g.burst(n, gap) })
	}
	if fault != nil {
		time.Sleep(from + time.Duration(rng.Int64N(int64(to-from))))
		fault()
	}
	wg.Wait()
}

// drain waits until every gateway's outbox is delivered (acknowledged by
// the cloud), within d.
func (r *rig) drain(d time.Duration) time.Duration {
	r.t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	for _, g := range r.gws {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			n, _, err := g.proc().Status(ctx)
			cancel()
			if err == nil && n == 0 {
				break
			}
			if time.Now().After(deadline) {
				r.t.Fatalf("%s: %d events not delivered %v after the last fault (err %v)\n%s", g.id, n, d, err, g.proc().Logs())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// result is one fault's line in docs/RELIABILITY.md.
type result struct {
	fault, section string
	reps           int
	taps, missed   int64
	sent           int // meals the gateways decided (in their stores)
	committed      int // of them, in the cloud
	lost           int
	duplicated     int // cloud meal rows beyond one per gateway meal, and cloud meals no gateway decided
	settleEqual    bool
	settleNote     string
	elapsed        time.Duration
	notes          []string
}

// finish stops everything and counts: every gateway's meals against the
// cloud's, and the cloud's settlement (cloud/sqlstore SettlementRows and
// cloud/reports Settlement, as the console's report computes it) per site
// against the gateways' own sums.
func (r *rig) finish(res *result) {
	t := r.t
	t.Helper()
	for _, g := range r.gws {
		p := g.proc()
		if err := p.Stop(15 * time.Second); err != nil {
			t.Errorf("%s: stop: %v\n%s", g.id, err, p.Logs())
		}
		if bad := p.BadLines(); len(bad) > 0 {
			t.Errorf("%s log: %v", g.id, bad)
		}
		res.taps += g.taps.Load()
		res.missed += g.missed.Load()
	}
	if r.ing != nil {
		if _, _, err := r.ing.Stop(15 * time.Second); err != nil {
			t.Logf("the ingester's stop: %v", err)
		}
	}
	r.serve.signal(syscall.SIGTERM)

	type meal struct {
		site                string
		decision            string
		price, subsidy, pay int64
		at                  time.Time
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	gwMeals := map[string]meal{}
	months := map[string]bool{}
	for _, g := range r.gws {
		path := filepath.Join(g.data, "gateway.db")
		testenv.IntegrityCheck(t, path)
		db := testenv.OpenRO(t, path)
		rows, err := db.Query(`SELECT event_id, decision, price_fen, subsidy_fen, pay_fen, at FROM meals`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, at string
			m := meal{site: g.site}
			if err := rows.Scan(&id, &m.decision, &m.price, &m.subsidy, &m.pay, &at); err != nil {
				t.Fatal(err)
			}
			if m.at, err = time.Parse(time.RFC3339Nano, at); err != nil {
				t.Fatalf("%s: meal %s at %q: %v", g.id, id, at, err)
			}
			months[m.at.In(loc).Format("2006-01")] = true
			gwMeals[id] = m
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if und := testenv.QueryStrings(t, db, `SELECT id FROM outbox WHERE delivered_at IS NULL`); len(und) > 0 {
			t.Errorf("%s: %d events never delivered, e.g. %s", g.id, len(und), und[0])
		}
	}
	res.sent = len(gwMeals)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var st *sqlstore.Store
	if r.dsn != "" {
		ps, err := postgres.Open(ctx, r.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close()
		st = ps.Store
	} else {
		ss, err := sqlite.Open(ctx, r.cloudDir)
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close()
		st = ss
	}
	cloudCount := map[string]int{}
	rows, err := st.DB.QueryContext(ctx, `SELECT event_id FROM meals`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		cloudCount[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for id := range gwMeals {
		switch n := cloudCount[id]; {
		case n == 0:
			res.lost++
		default:
			res.committed++
			res.duplicated += n - 1
		}
	}
	for id, n := range cloudCount {
		if _, ok := gwMeals[id]; !ok {
			res.duplicated += n // a meal no gateway decided
		}
	}

	// The settlement: per site meals, price, subsidy and pay as the
	// gateways decided them, against the cloud's report for each month.
	type sums struct{ meals, price, subsidy, pay int64 }
	want, got := map[string]sums{}, map[string]sums{}
	for _, m := range gwMeals {
		if m.decision == eldergate.DecisionRefused {
			continue
		}
		s := want[m.site]
		s.meals++
		s.price += m.price
		s.subsidy += m.subsidy
		s.pay += m.pay
		want[m.site] = s
	}
	monthList := make([]string, 0, len(months))
	for mo := range months {
		monthList = append(monthList, mo)
	}
	sort.Strings(monthList)
	for _, mo := range monthList {
		from, to, err := reports.ParseMonth(mo, loc)
		if err != nil {
			t.Fatal(err)
		}
		meals, funding, err := st.SettlementRows(ctx, "", from, to)
		if err != nil {
			t.Fatal(err)
		}
		adj, err := st.SettlementAdjustments(ctx, "", mo)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := reports.Settlement(mo, loc, []domain.OrgUnit{}, meals, funding, adj)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rep.Rows {
			if row.Level != domain.LevelSite {
				continue
			}
			s := got[row.Unit]
			s.meals += row.Meals
			s.price += row.PriceFen
			s.subsidy += row.SubsidyFen
			s.pay += row.PayFen
			got[row.Unit] = s
		}
	}
	res.settleEqual = len(want) == len(got)
	var parts []string
	for _, g := range r.gws {
		w, c := want[g.site], got[g.site]
		if w != c {
			res.settleEqual = false
			t.Errorf("settlement of %s: gateway decided %d meals, %d fen subsidy, %d fen paid; the cloud's settlement %d, %d, %d",
				g.site, w.meals, w.subsidy, w.pay, c.meals, c.subsidy, c.pay)
		}
		parts = append(parts, fmt.Sprintf("%s %d meals, subsidy %d fen, paid %d fen", g.site, c.meals, c.subsidy, c.pay))
	}
	res.settleNote = strings.Join(parts, "; ")
	if res.lost != 0 || res.duplicated != 0 {
		t.Errorf("%s: %d meals decided, %d committed, %d lost, %d duplicated", res.fault, res.sent, res.committed, res.lost, res.duplicated)
	}
	if res.sent == 0 {
		t.Errorf("%s: no meal decided at all", res.fault)
	}
	t.Logf("%s: %d reps, %d taps (%d not taken by the reader), %d meals decided, %d committed, %d lost, %d duplicated, settlement equal %v (%s)",
		res.fault, res.reps, res.taps, res.missed, res.sent, res.committed, res.lost, res.duplicated, res.settleEqual, res.settleNote)
}

// write puts res into its section of docs/RELIABILITY.md.
func write(t *testing.T, res *result) {
	_, file, _, _ := runtime.Caller(0)
	doc := filepath.Join(filepath.Dir(file), "..", "..", "docs", "RELIABILITY.md")
	yes := "yes"
	if !res.settleEqual {
		yes = "**no**"
	}
	notes := append([]string{
		fmt.Sprintf("Taps handed to the gateways' readers: %d (and %d the reader did not take: its process was down, or the simulated reader's buffer was full during a burst (HTTP 503), as a real reader drops a tap; decided by nobody, the elder taps again). "+
			"Sent = meals the gateways decided (rows in their own stores); committed = of them, in the cloud's meals table; "+
			"duplicated = cloud rows beyond one per decided meal plus cloud meals no gateway decided. "+
			"Settlement: the cloud's monthly settlement per site (cloud/sqlstore SettlementRows → cloud/reports Settlement) against the gateways' own sums: %s.",
			res.taps, res.missed, res.settleNote),
		fmt.Sprintf("Load average at the end: %s.", benchdoc.LoadAverage()),
	}, res.notes...)
	tbl := benchdoc.Table{
		Title:   "Chaos: " + res.fault,
		Command: "make chaos (go test -tags chaos -count=1 -run 'TestChaos/" + strings.TrimPrefix(res.section, "chaos-") + "' -v ./deploy/chaos)",
		Header:  []string{"fault", "repetitions", "sent", "committed", "lost", "duplicated", "settlement equal", "time"},
		Rows: [][]string{{res.fault, strconv.Itoa(res.reps), strconv.Itoa(res.sent), strconv.Itoa(res.committed),
			strconv.Itoa(res.lost), strconv.Itoa(res.duplicated), yes, res.elapsed.Round(100 * time.Millisecond).String()}},
		Notes: notes,
	}
	if err := benchdoc.Write(doc, res.section, tbl.Markdown(time.Now())); err != nil {
		t.Error(err)
	}
}
