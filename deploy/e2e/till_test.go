package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	cloudsqlite "github.com/eldergate/eldergate/cloud/sqlite"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

const tillToken = "e2e-till-1-token-0123456789"

// lastLunch is the latest 12:00 in Shanghai not after now: a time inside
// Shenzhen's lunch window that is not in the future of the cloud's clock
// (commands expire by it).
func lastLunch(now time.Time) time.Time {
	sh := time.FixedZone("CST", 8*3600)
	l := now.In(sh)
	noon := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, sh)
	if noon.After(now) {
		noon = noon.AddDate(0, 0, -1)
	}
	return noon.UTC()
}

// postTill sends an amount as till-1 and returns the status and the body.
func postTill(t *testing.T, base, token string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/till/amount", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestTillPricedMealShenzhen (issue 11, acceptance 4): the Shenzhen 2025
// policy, whose windows take the price from the till, is assigned to the
// site in the cloud; an elder taps, then the till sends the amount: the
// gateway decides the meal, and the cloud stores it with the subsidy and
// the funding layers of the policy and the till that priced it. Then the
// other order (amount, then tap): a 12-yuan meal of a 72-year-old local
// elder outside the priority groups gets 5 yuan (local-70-99).
func TestTillPricedMealShenzhen(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	base := env.c.HTTPURL()
	clock := &simClock{t: lastLunch(time.Now())}

	cfg := config.Config{
		GatewayID: gwID, Site: siteID, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Simulation: true, Policy: allDay(), TapDedupe: time.Second,
		Roster: []eldergate.Elder{
			// 75, local hukou, 低保: both Shenzhen groups; best_match gives 15 yuan.
			{ID: "SZ75", Name: "王福寿", Card: "SZ0075", Birth: "1950-01-15", Active: true, Categories: []string{"低保"}, HukouLocal: true},
			// 72, local hukou, no priority group: 5 yuan.
			{ID: "SZ72", Name: "李寿康", Card: "SZ0072", Birth: "1953-06-01", Active: true, HukouLocal: true},
		},
		Till: config.TillConfig{Tokens: map[string]string{"till-1": tillToken}},
	}
	cfg.MQTT.URL, cfg.MQTT.Password = env.c.BrokerURL(), gwSecret
	cfg.MQTT.BatchWait, cfg.MQTT.AckTimeout, cfg.MQTT.KeepAlive = 20*time.Millisecond, 2*time.Second, 5*time.Second
	cfg.ApplyDefaults()
	g, err := gateway.New(cfg, gateway.WithLogger(logger(t).With("side", "gateway")), gateway.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	events := subscribe(t, g.HTTPURL())
	succeeded(t, base, queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 30}))

	// The Shenzhen 2025 policy, as written in docs/policies, assigned to the site.
	y, err := os.ReadFile(filepath.Join("..", "..", "docs", "policies", "shenzhen-2025.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(y)
	if err != nil {
		t.Fatal(err)
	}
	pj, _ := json.Marshal(p)
	var sp domain.StoredPolicy
	if code := send(t, http.MethodPost, base+"/api/v1/policies", "application/json", pj, &sp); code != http.StatusCreated || sp.Version != "shenzhen-2025.1" {
		t.Fatalf("policy: %d %+v", code, sp)
	}
	var ar cloudhttp.AssignPolicyResponse
	ab, _ := json.Marshal(cloudhttp.AssignPolicyRequest{Version: "shenzhen-2025.1"})
	if code := send(t, http.MethodPut, base+"/api/v1/sites/"+siteID+"/policy", "application/json", ab, &ar); code != http.StatusAccepted || len(ar.Commands) != 1 {
		t.Fatalf("assign: %d %+v", code, ar)
	}
	succeeded(t, base, ar.Commands[0])

	// Without the till's token: 401, nothing waits.
	if code, out := postTill(t, g.HTTPURL(), "", map[string]any{"amount_fen": 2000}); code != http.StatusUnauthorized {
		t.Fatalf("till without a token: %d %s", code, out)
	}

	// Tap first: the kiosk asks the cashier for the amount.
	post(t, g.HTTPURL()+"/api/sim/tap", map[string]string{"card": "SZ0075"})
	var waiting struct{ State, Reason, Card string }
	if err := json.Unmarshal(next(t, events, "till", 5*time.Second), &waiting); err != nil || waiting.State != "waiting" || waiting.Reason != "awaiting_amount" {
		t.Fatalf("tap before the amount: %+v, %v", waiting, err)
	}
	clock.add(20 * time.Second)
	code, out := postTill(t, g.HTTPURL(), tillToken, map[string]any{"amount_fen": 2000, "till": "till-1", "ref": "SZ-20250303-0001"})
	var res struct {
		State string    `json:"state"`
		Tap   tapResult `json:"tap"`
	}
	if err := json.Unmarshal(out, &res); code != http.StatusOK || err != nil || res.State != "decided" {
		t.Fatalf("till amount: %d %s", code, out)
	}
	var shown tapResult
	if err := json.Unmarshal(next(t, events, "tap", 5*time.Second), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.EventID != res.Tap.EventID || shown.Decision != eldergate.DecisionApproved || shown.PriceFen != 2000 || shown.SubsidyFen != 1500 || shown.PayFen != 500 {
		t.Fatalf("kiosk after the amount: %+v (answer %+v)", shown, res.Tap)
	}

	// Amount first, for the 72-year-old: a 12-yuan meal, 5 yuan.
	clock.add(time.Minute)
	code, out = postTill(t, g.HTTPURL(), tillToken, map[string]any{"amount_fen": 1200, "ref": "SZ-20250303-0002"})
	if err := json.Unmarshal(out, &res); code != http.StatusOK || err != nil || res.State != "pending" {
		t.Fatalf("till amount before the tap: %d %s", code, out)
	}
	second := tap(t, g, events, "SZ0072")
	if second.Decision != eldergate.DecisionApproved || second.PriceFen != 1200 || second.SubsidyFen != 500 || second.PayFen != 700 {
		t.Fatalf("tap after the amount: %+v", second)
	}

	// Both meals in the cloud, with the policy's figures and the till.
	db := openRO(t, filepath.Join(env.cfg.DataDir, cloudsqlite.FileName))
	want := map[string]struct {
		subsidy eldergate.Fen
		rule    string
		ref     string
	}{res.Tap.EventID: {1500, "priority-60", "SZ-20250303-0001"}, second.EventID: {500, "local-70-99", "SZ-20250303-0002"}}
	for id, w := range want {
		var raw string
		eventually(t, 10*time.Second, "meal "+id+" in the cloud", func() bool {
			return db.QueryRow(`SELECT data FROM events WHERE id = ?`, id).Scan(&raw) == nil
		})
		m, err := eldergate.DecodeMealData([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if m.PolicyVer != "shenzhen-2025.1" || m.SubsidyFen != w.subsidy || m.Rule != w.rule || len(m.Funding) != 1 ||
			m.Funding[0].Layer != "city" || m.Funding[0].Fen != w.subsidy ||
			m.PriceSource != eldergate.PriceSourceTill || m.Till != "till-1" || m.TillRef != w.ref {
			t.Fatalf("meal %s in the cloud: %+v", id, m)
		}
		t.Logf("cloud meal %s: price %d fen, subsidy %d fen (rule %s), pay %d fen, funding %+v, priced by %s %s ref %s",
			m.ElderID, m.PriceFen, m.SubsidyFen, m.Rule, m.PayFen, m.Funding, m.PriceSource, m.Till, m.TillRef)
	}
	meals, err := env.c.Store().ListMeals(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range meals {
		if m.EventID == res.Tap.EventID && (m.SubsidyFen != 1500 || m.PayFen != 500 || m.Site != siteID) {
			t.Fatalf("cloud meal row %+v", m)
		}
	}
}
