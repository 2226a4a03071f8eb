// Package e2e holds the end-to-end tests: the cloud with its broker (the
// embedded one or a real Mosquitto) and a gateway with simulated hardware,
// wired together over MQTT on loopback exactly as in production.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

const (
	gwID     = "gw-e2e-1"
	siteID   = "site-e2e-1"
	gwSecret = "gw-e2e-secret"
	token    = "e2e-admin-token"
	cloudPW  = "e2e-cloud-password"
)

func logger(t *testing.T) *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// roster returns n active elders with cards C0001...
func roster(n int) []eldergate.Elder {
	out := make([]eldergate.Elder, n)
	for i := range out {
		out[i] = eldergate.Elder{ID: fmt.Sprintf("E%04d", i+1), Name: "张三明", Card: fmt.Sprintf("C%04d", i+1), Active: true}
	}
	return out
}

// allDay is a policy whose windows cover the whole day, so the test does not
// depend on the hour it runs at.
func allDay() policy.Policy {
	return policy.MustFlat("e2e-1", "Asia/Shanghai", []policy.FlatWindow{
		{Name: "am", Start: "00:00", End: "12:00", PriceFen: 1500, SubsidyFen: 1000},
		{Name: "pm", Start: "12:00", End: "24:00", PriceFen: 1500, SubsidyFen: 1000},
	}...)
}

type cloudEnv struct {
	cfg cloud.Config
	c   *cloud.Cloud
}

func startCloud(t *testing.T, cfg cloud.Config) *cloudEnv {
	t.Helper()
	c, err := cloud.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	env := &cloudEnv{cfg: cfg, c: c}
	t.Cleanup(func() { env.c.Close() })
	return env
}

func cloudConfig(t *testing.T, brokerURL string) cloud.Config {
	cfg := cloud.Config{
		DataDir:    t.TempDir(),
		HTTPAddr:   "127.0.0.1:0",
		BrokerAddr: "127.0.0.1:0",
		AdminToken: token,
		Gateways:   []cloud.GatewaySeed{{ID: gwID, Site: siteID, Secret: gwSecret}},
		Logger:     logger(t).With("side", "cloud"),
	}
	if brokerURL != "" {
		cfg.BrokerURL, cfg.BrokerUser, cfg.BrokerPassword = brokerURL, "eldergate-cloud", cloudPW
	}
	return cfg
}

func startGateway(t *testing.T, brokerURL string, elders []eldergate.Elder) *gateway.Gateway {
	t.Helper()
	cfg := config.Config{
		GatewayID:  gwID,
		Site:       siteID,
		DataDir:    t.TempDir(),
		HTTPAddr:   "127.0.0.1:0",
		Simulation: true,
		Policy:     allDay(),
		Roster:     elders,
		TapDedupe:  time.Second,
	}
	cfg.MQTT.URL = brokerURL
	cfg.MQTT.Password = gwSecret
	cfg.MQTT.BatchWait = 20 * time.Millisecond
	cfg.MQTT.AckTimeout = 2 * time.Second
	cfg.MQTT.KeepAlive = 5 * time.Second
	g, err := gateway.New(cfg, gateway.WithLogger(logger(t).With("side", "gateway")))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func post(t *testing.T, url string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: status %d", url, resp.StatusCode)
	}
}

// api calls the cloud's JSON API with the admin token and decodes into out.
func api(t *testing.T, method, url string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

type tapResult struct {
	EventID    string        `json:"event_id"`
	Decision   string        `json:"decision"`
	Reason     string        `json:"reason"`
	PriceFen   eldergate.Fen `json:"price_fen"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
	PayFen     eldergate.Fen `json:"pay_fen"`
	ElderName  string        `json:"elder_name"`
	Card       string        `json:"card"`
}

// tap taps card on the simulated reader and returns what the kiosk was shown.
func tap(t *testing.T, g *gateway.Gateway, events <-chan sseEvent, card string) tapResult {
	t.Helper()
	post(t, g.HTTPURL()+"/api/sim/tap", map[string]string{"card": card})
	var r tapResult
	if err := json.Unmarshal(next(t, events, "tap", 5*time.Second), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func mealsByEvent(t *testing.T, c *cloud.Cloud) map[string]int {
	t.Helper()
	meals, err := c.Store().ListMeals(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, m := range meals {
		n[m.EventID]++
	}
	return n
}

func delivered(t *testing.T, g *gateway.Gateway, id string) bool {
	t.Helper()
	rows, err := g.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == id {
			return r.Delivered
		}
	}
	return false
}

// scenario is the walking skeleton's journey: a tap reaches the cloud
// exactly once and is marked delivered at the gateway; a button press opens
// an alert that staff acknowledge through the API.
func scenario(t *testing.T, env *cloudEnv, brokerURL string) {
	g := startGateway(t, brokerURL, roster(3))
	events := subscribe(t, g.HTTPURL())

	r := tap(t, g, events, "C0001")
	if r.Decision != eldergate.DecisionApproved || r.PriceFen != 1500 || r.SubsidyFen != 1000 || r.PayFen != 500 || r.EventID == "" {
		t.Fatalf("tap shown at the kiosk = %+v, want approved 15.00 - 10.00 = 5.00", r)
	}
	if r.ElderName != "张*明" {
		t.Fatalf("kiosk shows name %q, want it masked as 张*明", r.ElderName)
	}
	eventually(t, 10*time.Second, "meal committed in the cloud and delivered at the gateway", func() bool {
		return mealsByEvent(t, env.c)[r.EventID] == 1 && delivered(t, g, r.EventID)
	})
	// Exactly once: a second tap of the same card in the same window is
	// refused, and the cloud still holds the first meal once.
	time.Sleep(1100 * time.Millisecond) // past the dedupe window
	r2 := tap(t, g, events, "C0001")
	if r2.Decision != eldergate.DecisionRefused || r2.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("second tap = %+v, want refused already_served", r2)
	}
	eventually(t, 10*time.Second, "refused tap delivered", func() bool { return delivered(t, g, r2.EventID) })
	if n := mealsByEvent(t, env.c)[r.EventID]; n != 1 {
		t.Fatalf("meal %s is %d times in the cloud store", r.EventID, n)
	}
	var apiMeals []struct {
		EventID  string `json:"event_id"`
		Decision string `json:"decision"`
		PayFen   int64  `json:"pay_fen"`
	}
	if code := api(t, "GET", env.c.HTTPURL()+"/api/v1/meals", &apiMeals); code != http.StatusOK {
		t.Fatalf("GET /api/v1/meals: %d", code)
	}
	found := 0
	for _, m := range apiMeals {
		if m.EventID == r.EventID && m.Decision == eldergate.DecisionApproved && m.PayFen == 500 {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("API lists the meal %d times: %+v", found, apiMeals)
	}
	// A tap of a card not on the roster is no meal, but the meals list
	// shows it (docs/meals.md): the gateway's tap_refused audit event,
	// card masked; and the refusal above with its reason.
	time.Sleep(1100 * time.Millisecond)
	r3 := tap(t, g, events, "FFEE0042")
	if r3.Decision != eldergate.DecisionRefused || r3.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("unknown card = %+v, want refused unknown_card", r3)
	}
	type pageRow struct {
		EventID              string `json:"event_id"`
		Kind, Card, Decision string
		Reason               string
	}
	eventually(t, 10*time.Second, "the unknown card in the meals list", func() bool {
		var p struct{ Meals []pageRow }
		api(t, "GET", env.c.HTTPURL()+"/api/v1/meals?decision=refused", &p)
		var card, refused bool
		for _, m := range p.Meals {
			card = card || m.EventID == r3.EventID && m.Kind == "card" && m.Card == "****0042" && m.Reason == eldergate.ReasonUnknownCard
			refused = refused || m.EventID == r2.EventID && m.Kind == "meal" && m.Reason == eldergate.ReasonAlreadyServed
		}
		return card && refused
	})
	if n := mealsByEvent(t, env.c)[r3.EventID]; n != 0 {
		t.Fatalf("the unknown card's tap is a meal in the cloud store (%d)", n)
	}

	// The alarm.
	post(t, g.HTTPURL()+"/api/sim/button", map[string]string{"button": "hall-1"})
	next(t, events, "alert", 5*time.Second)
	type alertRow struct {
		ID     string `json:"id"`
		GW     string `json:"gw"`
		Button string `json:"button"`
		State  string `json:"state"`
	}
	var open alertRow
	eventually(t, 10*time.Second, "open alert in the cloud", func() bool {
		var alerts []alertRow
		api(t, "GET", env.c.HTTPURL()+"/api/v1/alerts", &alerts)
		for _, a := range alerts {
			if a.GW == gwID && a.Button == "hall-1" && a.State == "open" {
				open = a
				return true
			}
		}
		return false
	})
	if code := api(t, "POST", env.c.HTTPURL()+"/api/v1/alerts/"+open.ID+"/ack", nil); code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("ack alert: status %d", code)
	}
	var alerts []alertRow
	api(t, "GET", env.c.HTTPURL()+"/api/v1/alerts", &alerts)
	for _, a := range alerts {
		if a.ID == open.ID && a.State != "acknowledged" {
			t.Fatalf("alert state after ack = %q, want acknowledged", a.State)
		}
	}
	// Without the token the API refuses.
	resp, err := http.Get(env.c.HTTPURL() + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API without token: %d, want 401", resp.StatusCode)
	}
}

func TestEndToEndEmbeddedBroker(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	scenario(t, env, env.c.BrokerURL())
}

func TestEndToEndMosquitto(t *testing.T) {
	m := testenv.StartMosquitto(t, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
	env := startCloud(t, cloudConfig(t, m.URL))
	scenario(t, env, m.URL)
}

// TestEndToEndCloudDown: the cloud (and its embedded broker) goes away
// while the gateway keeps tapping. Every tap is decided and shown at once;
// when the cloud comes back on the same address each arrives exactly once.
func TestEndToEndCloudDown(t *testing.T) {
	const n = 40
	env := startCloud(t, cloudConfig(t, ""))
	brokerURL := env.c.BrokerURL()
	g := startGateway(t, brokerURL, roster(n))
	events := subscribe(t, g.HTTPURL())

	first := tap(t, g, events, "C0001")
	eventually(t, 10*time.Second, "first meal delivered", func() bool { return delivered(t, g, first.EventID) })

	// Cloud down: same data dir and addresses are reused for the restart.
	cfg := env.cfg
	cfg.HTTPAddr = env.c.HTTPURL()[len("http://"):]
	cfg.BrokerAddr = brokerURL[len("tcp://"):]
	if err := env.c.Close(); err != nil {
		t.Fatal(err)
	}
	ids := []string{first.EventID}
	for i := 2; i <= n; i++ {
		start := time.Now()
		r := tap(t, g, events, fmt.Sprintf("C%04d", i))
		if r.Decision != eldergate.DecisionApproved || r.EventID == "" {
			t.Fatalf("tap %d while the cloud is down = %+v", i, r)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("tap %d took %v to show at the kiosk while the cloud is down", i, d)
		}
		ids = append(ids, r.EventID)
	}
	for _, id := range ids[1:] {
		if delivered(t, g, id) {
			t.Fatalf("event %s marked delivered while the cloud is down", id)
		}
	}

	c2, err := cloud.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	env.c = c2
	eventually(t, 60*time.Second, "all taps delivered after the cloud is back", func() bool {
		for _, id := range ids {
			if !delivered(t, g, id) {
				return false
			}
		}
		return true
	})
	got := mealsByEvent(t, c2)
	for _, id := range ids {
		if got[id] != 1 {
			t.Fatalf("meal %s is %d times in the cloud", id, got[id])
		}
	}
	if len(got) != n {
		t.Fatalf("cloud holds %d meals, want %d", len(got), n)
	}
}
