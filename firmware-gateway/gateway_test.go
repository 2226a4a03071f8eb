package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	_ "github.com/mattn/go-sqlite3"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lunch is 12:00 in Shanghai.
var lunch = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

func testPolicy() policy.Policy {
	return policy.MustFlat("p1", "Asia/Shanghai", []policy.FlatWindow{
		{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1500, SubsidyFen: 1000},
	}...)
}

// deadBroker returns a broker URL on which nothing listens.
func deadBroker(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "tcp://" + addr
}

func testConfig(t *testing.T, dir, broker string) config.Config {
	return config.Config{
		GatewayID:  "gw-t1",
		Site:       "测试饭堂",
		DataDir:    dir,
		HTTPAddr:   "127.0.0.1:0",
		MQTT:       config.MQTTConfig{URL: broker, AckTimeout: time.Second, BatchWait: 20 * time.Millisecond},
		Simulation: true,
		Policy:     testPolicy(),
		Roster: []eldergate.Elder{
			{ID: "E1", Name: "张三明", Card: "04A1B2C3", Active: true},
			{ID: "E2", Name: "李秀英", Card: "04D5E6F7", Active: true},
			{ID: "E3", Name: "陈大文", Card: "440303194501011234", Active: true},
		},
	}
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func start(t *testing.T, cfg config.Config, c *clock) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
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

type sse struct {
	Event string
	Data  json.RawMessage
}

// subscribe opens the event stream and returns its events.
func subscribe(t *testing.T, base string) <-chan sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	ch := make(chan sse, 100)
	br := bufio.NewReader(resp.Body)
	// Wait for the greeting: the stream is subscribed.
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": connected") {
			break
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		testenv.ReadSSE(br, func(event, data string) {
			if event != "" {
				ch <- sse{Event: event, Data: json.RawMessage(data)}
			}
		})
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return ch
}

func next(t *testing.T, ch <-chan sse, event string, v any) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("event stream closed")
		}
		if ev.Event != event {
			t.Fatalf("got %s event %s, want %s", ev.Event, ev.Data, event)
		}
		if err := json.Unmarshal(ev.Data, v); err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s event", event)
	}
}

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func tap(t *testing.T, g *gateway.Gateway, card string) {
	t.Helper()
	if resp := post(t, g.HTTPURL()+"/api/sim/tap", `{"card":"`+card+`"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("sim tap: %s", resp.Status)
	}
}

func TestTapsDecidedWithoutBroker(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.SiteName = "测试长者饭堂" // what the kiosk shows instead of the site id
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	var ev tapdesk.TapEvent
	tap(t, g, "04A1B2C3")
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.Reason != eldergate.ReasonOK || ev.Window != "lunch" ||
		ev.PriceFen != 1500 || ev.SubsidyFen != 1000 || ev.PayFen != 500 {
		t.Fatalf("first tap = %+v", ev)
	}
	if ev.ElderName != "张*明" || ev.Card != "****B2C3" || strings.Contains(string(mustJSON(ev)), "张三明") {
		t.Fatalf("personal data not masked: %+v", ev)
	}
	if !ev.At.Equal(lunch) || ev.EventID == "" {
		t.Fatalf("at %v id %q", ev.At, ev.EventID)
	}
	firstID := ev.EventID

	c.add(10 * time.Second)
	tap(t, g, "04A1B2C3")
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("second tap = %+v", ev)
	}

	tap(t, g, "DEADBEEF")
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonUnknownCard || ev.EventID == "" {
		t.Fatalf("unknown card = %+v", ev)
	}

	// Dedupe: the same card twice within tap_dedupe is one tap.
	c.add(10 * time.Second)
	tap(t, g, "04D5E6F7")
	c.add(time.Second)
	tap(t, g, "04D5E6F7")
	tap(t, g, "FFFF0000") // a different card: its event comes next
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.ElderName != "李*英" {
		t.Fatalf("E2 tap = %+v", ev)
	}
	next(t, events, "tap", &ev)
	if ev.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("the duplicate read was not ignored: %+v", ev)
	}
	c.add(4 * time.Second)
	tap(t, g, "04D5E6F7")
	next(t, events, "tap", &ev)
	if ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("tap after the dedupe window = %+v", ev)
	}

	// A stable weight goes with the next meal.
	if resp := post(t, g.HTTPURL()+"/api/sim/weight", `{"grams":350,"stable":true}`); resp.StatusCode != http.StatusAccepted {
		t.Fatal(resp.Status)
	}
	var w tapdesk.WeightEvent
	next(t, events, "weight", &w)
	if w.Grams != 350 || w.State != "stable" {
		t.Fatalf("weight = %+v", w)
	}
	tap(t, g, "440303194501011234")
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.WeightG != 350 || ev.Card != "440303********1234" {
		t.Fatalf("E3 tap = %+v", ev)
	}

	// The alarm.
	if resp := post(t, g.HTTPURL()+"/api/sim/button", `{"button":"bed-3"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatal(resp.Status)
	}
	var al alarms.AlertEvent
	next(t, events, "alert", &al)
	if al.Button != "bed-3" || al.Action != eldergate.AlertRaised || al.AlertID == "" || al.EventID == "" {
		t.Fatalf("alert = %+v", al)
	}

	out, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, e := range out {
		kinds += string(e.Kind) + " "
		if e.Delivered {
			t.Fatalf("%s delivered with no broker", e.ID)
		}
	}
	if kinds != "meal meal audit meal audit meal meal alert " {
		t.Fatalf("outbox kinds = %q", kinds)
	}
	if out[0].ID != firstID || out[7].ID != al.EventID {
		t.Fatal("SSE event ids do not match the outbox")
	}

	var st struct {
		GatewayID       string `json:"gateway_id"`
		UplinkConnected bool   `json:"uplink_connected"`
		OutboxPending   int    `json:"outbox_pending"`
		Simulation      bool   `json:"simulation"`
		SiteName        string `json:"site_name"`
		ResultSeconds   int    `json:"result_seconds"`
	}
	getJSON(t, g.HTTPURL()+"/api/status", &st)
	if st.GatewayID != "gw-t1" || st.UplinkConnected || st.OutboxPending != 8 || !st.Simulation ||
		st.SiteName != "测试长者饭堂" || st.ResultSeconds != 8 {
		t.Fatalf("status = %+v", st)
	}

	// Every meal event has its meal row, committed together.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gateway.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var meals, joined int
	db.QueryRow(`SELECT COUNT(*) FROM meals`).Scan(&meals)
	db.QueryRow(`SELECT COUNT(*) FROM meals m JOIN outbox o ON o.id = m.event_id WHERE o.kind = 'meal'`).Scan(&joined)
	if meals != 5 || joined != 5 {
		t.Fatalf("meals = %d, joined with outbox = %d", meals, joined)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	c := &clock{t: lunch}
	g := start(t, testConfig(t, t.TempDir(), deadBroker(t)), c)
	base := g.HTTPURL()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("HTTPURL = %s", base)
	}

	var roster []struct{ Name, Card string }
	getJSON(t, base+"/api/sim/roster", &roster)
	if len(roster) != 3 || roster[0].Name != "张*明" || roster[0].Card != "04A1B2C3" {
		t.Fatalf("roster = %+v", roster)
	}

	for _, tc := range []struct {
		path, ctype, body string
		want              int
	}{
		{"/api/sim/tap", "text/plain", `{"card":"04A1B2C3"}`, http.StatusUnsupportedMediaType},
		{"/api/sim/tap", "application/json", `{"card":`, http.StatusBadRequest},
		{"/api/sim/tap", "application/json", `{"card":""}`, http.StatusBadRequest},
		{"/api/sim/tap", "application/json", `{"card":"` + strings.Repeat("A", 8000) + `"}`, http.StatusBadRequest},
		{"/api/sim/weight", "application/json", `{"stable":true}`, http.StatusBadRequest},
		{"/api/sim/weight", "application/json", `{"grams":120,"stable":false}`, http.StatusAccepted},
		{"/api/sim/button", "application/json", `{"button":"b1"}`, http.StatusAccepted},
	} {
		resp, err := http.Post(base+tc.path, tc.ctype, bytes.NewBufferString(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST %s %.40s: %d, want %d", tc.path, tc.body, resp.StatusCode, tc.want)
		}
	}
	if resp, _ := http.Get(base + "/api/sim/tap"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET sim/tap = %s", resp.Status)
	}

	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, hook := range []string{`data-testid="tap-result"`, `data-testid="alert-banner"`, `data-testid="sim-button"`, `app.js`} {
		if !bytes.Contains(page, []byte(hook)) {
			t.Errorf("kiosk page lacks %s", hook)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("security headers missing")
	}
}

func TestNoSimEndpointsOutsideSimulation(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	cfg.Simulation = false
	g := start(t, cfg, &clock{t: lunch})
	resp := post(t, g.HTTPURL()+"/api/sim/tap", `{"card":"04A1B2C3"}`)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("sim tap outside simulation: %s", resp.Status)
	}
	r2, err := http.Get(g.HTTPURL() + "/api/sim/roster")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotFound {
		t.Fatalf("sim roster outside simulation: %s", r2.Status)
	}
}

func TestBootIncrementsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	for want := uint64(1); want <= 2; want++ {
		g, err := gateway.New(testConfig(t, dir, deadBroker(t)))
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if g.Boot() != want {
			t.Fatalf("boot = %d, want %d", g.Boot(), want)
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeliveredThroughBroker runs a gateway against an in-process broker
// and a fake cloud that acks what it receives.
func TestDeliveredThroughBroker(t *testing.T) {
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.AddHook(new(auth.AllowHook), nil)
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	broker := "tcp://" + l.Address()

	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("cloud"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe(eldergate.Topic("gw-t1", eldergate.ChannelUp), 1, func(c mqtt.Client, m mqtt.Message) {
		b, _, err := eldergate.DecodeBatch(m.Payload(), "gw-t1")
		if err != nil {
			t.Errorf("batch: %v", err)
			return
		}
		var a eldergate.Ack
		for _, e := range b.Events {
			a.IDs = append(a.IDs, e.ID)
		}
		p, _ := json.Marshal(a)
		c.Publish(eldergate.Topic("gw-t1", eldergate.ChannelAck), 1, false, p)
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	g := start(t, testConfig(t, t.TempDir(), broker), &clock{t: lunch})
	events := subscribe(t, g.HTTPURL())
	tap(t, g, "04A1B2C3")
	var ev tapdesk.TapEvent
	next(t, events, "tap", &ev)
	post(t, g.HTTPURL()+"/api/sim/button", `{"button":"b1"}`)
	var al alarms.AlertEvent
	next(t, events, "alert", &al)

	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := g.Outbox(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 2 && out[0].Delivered && out[1].Delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var st struct {
		UplinkConnected bool `json:"uplink_connected"`
		OutboxPending   int  `json:"outbox_pending"`
	}
	getJSON(t, g.HTTPURL()+"/api/status", &st)
	if !st.UplinkConnected || st.OutboxPending != 0 {
		t.Fatalf("status = %+v", st)
	}
}
