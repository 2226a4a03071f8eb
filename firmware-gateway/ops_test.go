package gateway_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// startWith starts a gateway with extra options.
func startWith(t *testing.T, cfg config.Config, c *clock, opts ...gateway.Option) *gateway.Gateway {
	t.Helper()
	opts = append([]gateway.Option{gateway.WithLogger(logger()), gateway.WithClock(c.now)}, opts...)
	g, err := gateway.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	})
	return g
}

func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// storedEvent is an outbox row read straight from the database.
type storedEvent struct {
	eldergate.Envelope
	Delivered bool
}

func storedEvents(t *testing.T, dir string) []storedEvent {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gateway.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT payload, delivered_at IS NOT NULL FROM outbox ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var p string
		var e storedEvent
		if err := rows.Scan(&p, &e.Delivered); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(p), &e.Envelope); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func tapResult(t *testing.T, g *gateway.Gateway, events <-chan sse, card string) tapdesk.TapEvent {
	t.Helper()
	tap(t, g, card)
	var ev tapdesk.TapEvent
	next(t, events, "tap", &ev)
	return ev
}

func alwaysSynced() bool { return true }

// A backward jump of the clock does not reopen a day's or a window's
// limit, and events keep increasing seq and time.
func TestClockBackwardJumpKeepsLimits(t *testing.T) {
	t.Run("same window", func(t *testing.T) {
		c := &clock{t: lunch.Add(time.Hour)} // 13:00 in Shanghai
		dir := t.TempDir()
		g := startWith(t, testConfig(t, dir, deadBroker(t)), c, gateway.WithClockSync(alwaysSynced))
		events := subscribe(t, g.HTTPURL())
		if ev := tapResult(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
			t.Fatalf("first meal = %+v", ev)
		}
		c.add(-time.Hour) // 12:00, same window
		ev := tapResult(t, g, events, "04A1B2C3")
		if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonAlreadyServed {
			t.Fatalf("second meal after the clock jumped back an hour = %+v, want refused already_served", ev)
		}
		evs := storedEvents(t, dir)
		if len(evs) != 2 || evs[1].Seq <= evs[0].Seq || evs[1].At.Before(evs[0].At) {
			t.Fatalf("events after the jump: %+v", evs)
		}
		if evs[0].Clock != eldergate.ClockSynced || evs[1].Clock != eldergate.ClockUnsynced {
			t.Fatalf("clock states = %s, %s; want synced, then unsynced (behind the highest time seen)", evs[0].Clock, evs[1].Clock)
		}
	})
	t.Run("across midnight", func(t *testing.T) {
		// An all-day window: without the floor, jumping back from 00:30 to
		// 23:30 the day before would give a new day and a second meal.
		cfg := testConfig(t, t.TempDir(), deadBroker(t))
		cfg.Policy = policy.MustFlat("p1", "Asia/Shanghai", policy.FlatWindow{Name: "day", Start: "00:00", End: "24:00", PriceFen: 1500, SubsidyFen: 1000})
		halfPastMidnight := time.Date(2025, 3, 3, 16, 30, 0, 0, time.UTC) // 2025-03-04 00:30 in Shanghai
		c := &clock{t: halfPastMidnight}
		g := startWith(t, cfg, c, gateway.WithClockSync(alwaysSynced))
		events := subscribe(t, g.HTTPURL())
		if ev := tapResult(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
			t.Fatalf("first meal = %+v", ev)
		}
		c.add(-time.Hour)
		ev := tapResult(t, g, events, "04A1B2C3")
		if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonAlreadyServed {
			t.Fatalf("meal after jumping back over midnight = %+v, want refused already_served", ev)
		}
		if !ev.At.After(halfPastMidnight.Add(-time.Second)) {
			t.Fatalf("decided at %v, want at least the highest time seen %v", ev.At, halfPastMidnight)
		}
	})
	t.Run("floor survives a restart", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(t, dir, deadBroker(t))
		cfg.Policy = policy.MustFlat("p1", "Asia/Shanghai", policy.FlatWindow{Name: "day", Start: "00:00", End: "24:00", PriceFen: 1500, SubsidyFen: 1000})
		halfPastMidnight := time.Date(2025, 3, 3, 16, 30, 0, 0, time.UTC)
		c := &clock{t: halfPastMidnight}
		g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now), gateway.WithClockSync(alwaysSynced))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		events := subscribe(t, g.HTTPURL())
		if ev := tapResult(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
			t.Fatalf("first meal = %+v", ev)
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		c.add(-2 * time.Hour) // rebooted without an RTC: the clock is behind
		g2 := startWith(t, cfg, c, gateway.WithClockSync(alwaysSynced))
		events2 := subscribe(t, g2.HTTPURL())
		ev := tapResult(t, g2, events2, "04A1B2C3")
		if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonAlreadyServed {
			t.Fatalf("meal after a restart with the clock 2 h behind = %+v, want refused already_served", ev)
		}
	})
}

// Events are marked unsynced when the sync source says so, or when the
// time is before the build time.
func TestClockUnsyncedMarking(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	var synced atomic.Bool
	synced.Store(true)
	g := startWith(t, testConfig(t, dir, deadBroker(t)), c,
		gateway.WithClockSync(synced.Load), gateway.WithMinValidTime(lunch.Add(-24*time.Hour)))
	events := subscribe(t, g.HTTPURL())
	tapResult(t, g, events, "04A1B2C3")
	synced.Store(false)
	c.add(10 * time.Second)
	tapResult(t, g, events, "04D5E6F7")
	synced.Store(true)
	c.add(10 * time.Second)
	tapResult(t, g, events, "440303194501011234")
	evs := storedEvents(t, dir)
	var states []string
	for _, e := range evs {
		states = append(states, e.Clock)
	}
	if strings.Join(states, ",") != "synced,unsynced,synced" {
		t.Fatalf("clock states = %v, want synced,unsynced,synced", states)
	}

	// A clock before the build time (a Pi booted at 1970) is unsynced
	// even when the source claims otherwise.
	dir2 := t.TempDir()
	c2 := &clock{t: time.Date(1970, 1, 1, 4, 0, 0, 0, time.UTC)}
	g2 := startWith(t, testConfig(t, dir2, deadBroker(t)), c2, gateway.WithClockSync(alwaysSynced))
	if err := g2.Heartbeat(t.Context()); err != nil {
		t.Fatal(err)
	}
	evs = storedEvents(t, dir2)
	if len(evs) != 1 || evs[0].Clock != eldergate.ClockUnsynced {
		t.Fatalf("heartbeat stamped in 1970: %+v", evs)
	}
}

// An undelivered heartbeat is replaced by the next one: heartbeats never
// grow the outbox while offline.
func TestHeartbeatReplacesUndelivered(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	g := startWith(t, testConfig(t, dir, deadBroker(t)), c, gateway.WithClockSync(alwaysSynced))
	events := subscribe(t, g.HTTPURL())
	tapResult(t, g, events, "04A1B2C3")
	for range 5 {
		c.add(time.Minute)
		if err := g.Heartbeat(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	evs := storedEvents(t, dir)
	if len(evs) != 2 || evs[0].Kind != eldergate.KindMeal || evs[1].Kind != eldergate.KindHeartbeat {
		t.Fatalf("outbox after 5 heartbeats offline: %d events %+v, want the meal and one heartbeat", len(evs), evs)
	}
	var hb gateway.HeartbeatData
	if err := json.Unmarshal(evs[1].Data, &hb); err != nil {
		t.Fatal(err)
	}
	if hb.OutboxDepth != 1 || hb.OldestUndeliveredS != 300 || hb.Clock != eldergate.ClockSynced || hb.Boot != 1 ||
		hb.Version != gateway.DefaultVersion || len(hb.Devices) != 3 || hb.DiskFreeBytes == 0 || hb.UplinkConnected || hb.HeartbeatsReplaced != 4 {
		t.Fatalf("heartbeat data = %+v", hb)
	}
	if eldergate.KindHeartbeat.Priority() >= eldergate.KindMeal.Priority() {
		t.Fatal("heartbeats must have the lowest priority")
	}

	// The loop records them on its own.
	dir2 := t.TempDir()
	cfg := testConfig(t, dir2, deadBroker(t))
	cfg.Heartbeat = time.Second
	startWith(t, cfg, c)
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := storedEvents(t, dir2)
		if len(evs) == 1 && evs[0].Kind == eldergate.KindHeartbeat {
			break
		}
		if time.Now().After(deadline) || len(evs) > 1 {
			t.Fatalf("heartbeat loop: outbox %+v", evs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}

// metric returns the value of one sample line of the exposition.
func metric(t *testing.T, body, sample string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("metric %s missing in:\n%s", sample, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMetrics(t *testing.T) {
	c := &clock{t: lunch}
	g := startWith(t, testConfig(t, t.TempDir(), deadBroker(t)), c, gateway.WithClockSync(alwaysSynced))
	events := subscribe(t, g.HTTPURL())
	tapResult(t, g, events, "04A1B2C3")
	c.add(10 * time.Second)
	tapResult(t, g, events, "04A1B2C3")
	tapResult(t, g, events, "FFFFFFFF")
	c.add(50 * time.Second)
	body := getText(t, g.HTTPURL()+"/metrics")
	for sample, want := range map[string]float64{
		`eldergate_taps_total{decision="approved",reason="ok"}`:            1,
		`eldergate_taps_total{decision="refused",reason="already_served"}`: 1,
		`eldergate_taps_total{decision="refused",reason="unknown_card"}`:   1,
		`eldergate_tap_commit_seconds_count`:                               3,
		`eldergate_tap_commit_seconds_bucket{le="+Inf"}`:                   3,
		`eldergate_outbox_depth`:                                           3,
		`eldergate_outbox_oldest_undelivered_seconds`:                      60,
		`eldergate_uplink_connected`:                                       0,
		`eldergate_device_connected{device="card",driver="sim"}`:           1,
		`eldergate_clock_synced`:                                           1,
		`eldergate_disk_full`:                                              0,
		`eldergate_boot`:                                                   1,
		`eldergate_build_info{version="` + gateway.DefaultVersion + `"}`:   1,
		`eldergate_outbox_dead_letters`:                                    0,
		`eldergate_clock_jumps_total{direction="backward"}`:                0,
	} {
		if got := metric(t, body, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if !strings.Contains(body, "# TYPE eldergate_tap_commit_seconds histogram") {
		t.Error("histogram TYPE line missing")
	}
}

func TestHTTPBindLoopbackOnly(t *testing.T) {
	base := minimal // config_test.go
	for addr, ok := range map[string]bool{
		"127.0.0.1:8081": true, "localhost:8081": true, "[::1]:8081": true,
		"0.0.0.0:8081": false, ":8081": false, "192.168.1.5:8081": false, "[::]:8081": false,
	} {
		_, err := config.Parse([]byte(base + "http_addr: \"" + addr + "\"\n"))
		if (err == nil) != ok {
			t.Errorf("http_addr %s: err = %v, want ok = %v", addr, err, ok)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "http_public")) {
			t.Errorf("http_addr %s: error %v should name http_public", addr, err)
		}
		if _, err := config.Parse([]byte(base + "http_public: true\nhttp_addr: \"" + addr + "\"\n")); err != nil {
			t.Errorf("http_addr %s with http_public: %v", addr, err)
		}
	}
	cfg, err := config.Parse([]byte(base))
	if err != nil || cfg.HTTPAddr != "127.0.0.1:8081" {
		t.Fatalf("default http_addr = %q, %v", cfg.HTTPAddr, err)
	}
}

// staffConfig adds a staff member with PIN 2468 and card ST0001.
func staffConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("2468"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.Staff = []config.StaffConfig{{ID: "S1", Name: "王小红", PinHash: string(h), Card: "ST0001"}}
	return cfg
}

func staffCall(t *testing.T, method, url, token, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

func TestStaffLoginLockout(t *testing.T) {
	c := &clock{t: lunch}
	g := startWith(t, staffConfig(t, t.TempDir()), c)
	url := g.HTTPURL() + "/api/staff/login"
	for i := 1; i <= 4; i++ {
		if code := staffCall(t, "POST", url, "", `{"pin":"0000"}`, nil); code != http.StatusUnauthorized {
			t.Fatalf("wrong PIN %d: %d, want 401", i, code)
		}
	}
	if code := staffCall(t, "POST", url, "", `{"pin":"1111"}`, nil); code != http.StatusTooManyRequests {
		t.Fatalf("5th wrong PIN: %d, want 429 (locked)", code)
	}
	if code := staffCall(t, "POST", url, "", `{"pin":"2468"}`, nil); code != http.StatusTooManyRequests {
		t.Fatalf("right PIN while locked: %d, want 429", code)
	}
	c.add(4*time.Minute + 59*time.Second)
	if code := staffCall(t, "POST", url, "", `{"pin":"2468"}`, nil); code != http.StatusTooManyRequests {
		t.Fatalf("right PIN 1 s before the lockout ends: %d, want 429", code)
	}
	c.add(2 * time.Second)
	var s struct {
		Token   string `json:"token"`
		StaffID string `json:"staff_id"`
		Name    string `json:"name"`
	}
	if code := staffCall(t, "POST", url, "", `{"pin":"2468"}`, &s); code != http.StatusOK || s.Token == "" || s.StaffID != "S1" || s.Name != "王*红" {
		t.Fatalf("right PIN after the lockout: %d %+v", code, s)
	}
	if code := staffCall(t, "POST", url, "", `{"card":"ST0001"}`, &s); code != http.StatusOK {
		t.Fatalf("staff card login: %d", code)
	}
	if code := staffCall(t, "POST", url, "", `{"pin":"2468","card":"ST0001"}`, nil); code != http.StatusBadRequest {
		t.Fatalf("pin and card: %d, want 400", code)
	}
	// Sessions expire (staff_session, default 10 min).
	c.add(11 * time.Minute)
	if code := staffCall(t, "GET", g.HTTPURL()+"/api/staff/meals", s.Token, "", nil); code != http.StatusUnauthorized {
		t.Fatalf("expired session: %d, want 401", code)
	}
}

// Staff record a meal by hand and void it; the void gives the usage
// back in the same transaction, both are audited with the staff id.
func TestStaffManualMealAndVoid(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	g := startWith(t, staffConfig(t, dir), c, gateway.WithClockSync(alwaysSynced))
	base := g.HTTPURL()
	events := subscribe(t, base)

	if code := staffCall(t, "POST", base+"/api/staff/meal", "", `{"elder_id":"E2"}`, nil); code != http.StatusUnauthorized {
		t.Fatalf("manual meal without login: %d, want 401", code)
	}
	// A staff card tapped on the reader opens a session for the kiosk.
	tap(t, g, "ST0001")
	var sess struct {
		Token   string `json:"token"`
		StaffID string `json:"staff_id"`
	}
	next(t, events, gateway.EventStaff, &sess)
	if sess.Token == "" || sess.StaffID != "S1" {
		t.Fatalf("staff event = %+v", sess)
	}
	tok := sess.Token

	var found []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if code := staffCall(t, "GET", base+"/api/staff/elders?q=%E7%A7%80", tok, "", &found); code != http.StatusOK || len(found) != 1 || found[0].ID != "E2" || found[0].Name != "李*英" {
		t.Fatalf("search 秀: %d %+v", code, found)
	}

	var meal tapdesk.TapEvent
	if code := staffCall(t, "POST", base+"/api/staff/meal", tok, `{"elder_id":"E2"}`, &meal); code != http.StatusOK ||
		meal.Decision != eldergate.DecisionApproved || meal.EventID == "" {
		t.Fatalf("manual meal: %d %+v", code, meal)
	}
	var shown tapdesk.TapEvent
	next(t, events, "tap", &shown)
	if shown.EventID != meal.EventID {
		t.Fatalf("kiosk shown %+v", shown)
	}
	if code := staffCall(t, "POST", base+"/api/staff/meal", "", `{"elder_id":"NOPE"}`, nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code := staffCall(t, "POST", base+"/api/staff/meal", tok, `{"elder_id":"NOPE"}`, nil); code != http.StatusNotFound {
		t.Fatalf("unknown elder: %d, want 404", code)
	}
	// The limit applies to manual meals too.
	c.add(10 * time.Second)
	if ev := tapResult(t, g, events, "04D5E6F7"); ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("card tap after the manual meal = %+v, want already_served", ev)
	}

	var void gateway.VoidResult
	if code := staffCall(t, "POST", base+"/api/staff/void", tok, `{"event_id":"`+meal.EventID+`"}`, &void); code != http.StatusOK ||
		void.MealEventID != meal.EventID || void.ElderID != "E2" || void.EventID == "" {
		t.Fatalf("void: %d %+v", code, void)
	}
	if code := staffCall(t, "POST", base+"/api/staff/void", tok, `{"event_id":"`+meal.EventID+`"}`, nil); code != http.StatusConflict {
		t.Fatalf("second void: %d, want 409", code)
	}
	// The usage is given back: the elder may eat this window again.
	c.add(10 * time.Second)
	again := tapResult(t, g, events, "04D5E6F7")
	if again.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap after the void = %+v, want approved", again)
	}
	// Only within void_window (default 15 min).
	c.add(16 * time.Minute)
	if code := staffCall(t, "POST", base+"/api/staff/login", "", `{"pin":"2468"}`, &sess); code != http.StatusOK {
		t.Fatal(code)
	}
	if code := staffCall(t, "POST", base+"/api/staff/void", sess.Token, `{"event_id":"`+again.EventID+`"}`, nil); code != http.StatusConflict {
		t.Fatalf("void after void_window: %d, want 409", code)
	}

	var sawManual, sawVoid, sawLogin bool
	for _, e := range storedEvents(t, dir) {
		switch e.Kind {
		case eldergate.KindMeal:
			var m eldergate.MealData
			json.Unmarshal(e.Data, &m)
			if e.ID == meal.EventID {
				sawManual = m.Manual && m.Staff == "S1" && m.ElderID == "E2"
			} else if m.Manual {
				t.Errorf("card tap marked manual: %+v", m)
			}
		case eldergate.KindAudit:
			var a gateway.StaffAuditData
			json.Unmarshal(e.Data, &a)
			switch a.Type {
			case gateway.AuditMealVoid:
				sawVoid = a.Staff == "S1" && a.MealEventID == meal.EventID && a.ElderID == "E2" && a.SubsidyFen == 1000 && e.ID == void.EventID
			case gateway.AuditStaffLogin:
				sawLogin = sawLogin || (a.Staff == "S1" && a.Method == "reader")
			case gateway.AuditManualMeal:
				if a.MealEventID != meal.EventID || a.Staff != "S1" {
					t.Errorf("manual meal audit = %+v", a)
				}
			}
		}
		if err := e.Validate(); err != nil {
			t.Errorf("event %s does not pass the cloud's validation: %v", e.ID, err)
		}
	}
	if !sawManual || !sawVoid || !sawLogin {
		t.Fatalf("manual meal %v, void audit %v, login audit %v", sawManual, sawVoid, sawLogin)
	}
}

// A corrupted database stops the start with a clear error, and the file
// stays as it was for diagnosis.
func TestStartRefusesCorruptStore(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	events := subscribe(t, g.HTTPURL())
	for _, card := range []string{"04A1B2C3", "04D5E6F7"} {
		tapResult(t, g, events, card)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gateway.db")
	corruptFile(t, path)
	before, _ := os.ReadFile(path)

	g2, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	err = g2.Start(t.Context())
	g2.Close()
	if err == nil || !strings.Contains(err.Error(), "integrity check") || !strings.Contains(err.Error(), "kept for diagnosis") {
		t.Fatalf("start on a corrupt store: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("the corrupt file was changed")
	}
}

// corruptFile scribbles over the b-tree page header of every page but
// the first.
func corruptFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 2*4096 {
		t.Fatalf("database file: %v, %d bytes", err, fi.Size())
	}
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 3))
	for off := int64(4096); off < fi.Size(); off += 4096 {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
}
