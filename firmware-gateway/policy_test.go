package gateway_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

func loadPolicy(t *testing.T, path string) policy.Policy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

// mealData reads the meal event of id from the store, as the cloud will
// receive it.
func mealData(t *testing.T, dir, id string) eldergate.MealData {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gateway.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var payload string
	if err := db.QueryRow(`SELECT payload FROM outbox WHERE id = ?`, id).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	e, err := eldergate.DecodeEnvelope([]byte(payload))
	if err != nil {
		t.Fatalf("the meal event does not pass the cloud's validation: %v", err)
	}
	m, err := eldergate.DecodeMealData(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTapWithZhuhaiPolicy: the gateway prices a weighed meal from the
// scale, applies the city and district shares and the hall's discount
// (a 500 g meal of 20 yuan costs the elder 12.60), records the split in
// the meal event, and serves the second meal of the day at full price
// (one subsidised meal a day).
func TestTapWithZhuhaiPolicy(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.Policy = loadPolicy(t, "../docs/policies/zhuhai-2024.yaml")
	cfg.Area = policy.Place{City: "440400", District: "440402", Street: "440402005"}
	cfg.Roster = []eldergate.Elder{{ID: "H1", Name: "张三明", Card: "04A1B2C3", Birth: "1950-05-05", Active: true,
		HukouLocal: true, HomeCity: "440400", HomeDistrict: "440402", HomeStreet: "440402001"}}
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	var ev tapdesk.TapEvent
	tap(t, g, "04A1B2C3") // nothing on the scale
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != policy.ReasonPriceUnknown {
		t.Fatalf("tap without weight = %+v", ev)
	}
	post(t, g.HTTPURL()+"/api/sim/weight", `{"grams":500,"stable":true}`)
	var w tapdesk.WeightEvent
	next(t, events, tapdesk.EventWeight, &w)
	c.add(10 * time.Second)
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.PriceFen != 2000 || ev.SubsidyFen != 600 || ev.DiscountFen != 140 || ev.PayFen != 1260 || ev.WeightG != 500 {
		t.Fatalf("weighed meal = %+v", ev)
	}
	m := mealData(t, dir, ev.EventID)
	want := []eldergate.FundingShare{{Layer: "city", Code: "440400", Fen: 300}, {Layer: "district", Code: "440402", Fen: 300}}
	if m.Rule != "zhuhai-60" || m.DiscountFen != 140 || m.DiscountBy != "hall" || len(m.Funding) != 2 || m.Funding[0] != want[0] || m.Funding[1] != want[1] || m.PolicyVer != "zhuhai-2024.1" {
		t.Fatalf("meal event = %+v", m)
	}
	c.add(6 * time.Hour) // dinner, same day
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionFullPay || ev.Reason != policy.ReasonLimitReached || ev.PayFen != 2000 || ev.SubsidyFen != 0 {
		t.Fatalf("second meal of the day = %+v", ev)
	}
	if m := mealData(t, dir, ev.EventID); m.Decision != eldergate.DecisionFullPay || len(m.Funding) != 0 || m.DiscountFen != 0 {
		t.Fatalf("full-pay meal event = %+v", m)
	}
	c.add(18 * time.Hour) // next day's lunch: the day limit is per day
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved {
		t.Fatalf("next day = %+v", ev)
	}
}

const weeklyPolicy = `
version: weekly-1
time_zone: Asia/Shanghai
match: first_match
windows:
  - {name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}
  - {name: dinner, start: "16:00", end: "20:00", price: {fixed_fen: 1500}}
rules:
  - {id: all, subsidy: {fixed_fen: 1000}}
funding:
  - {layer: district, scope: none, rest: true}
limits:
  - {period: window, count: 1, action: refuse}
  - {period: week, count: 5, action: full_pay}
stale_usage: {after: 72h, action: full_pay}
`

// TestCrossSiteWeeklyLimitAndStaleUsage: before any usage sync the
// policy's stale_usage serves at full price; after the cloud pushes four
// meals at other halls this week, the fifth meal is subsidised here and
// the sixth is at full price; rows of this gateway's own site are
// ignored; three days without a sync make usage stale again. A policy
// pushed at run time replaces the old one at once.
func TestCrossSiteWeeklyLimitAndStaleUsage(t *testing.T) {
	friday := time.Date(2025, 3, 7, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
	c := &clock{t: friday}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	p, err := policy.Parse([]byte(weeklyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Policy = *p
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	var ev tapdesk.TapEvent

	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionFullPay || ev.Reason != policy.ReasonUsageStale {
		t.Fatalf("never synced = %+v", ev)
	}
	rows := []sqlite.RemoteUsage{{ElderID: "E1", Site: cfg.Site, Day: "2025-03-06", Meals: 3, SubsidyFen: 3000}} // own site: ignored
	for _, d := range []string{"2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06"} {
		rows = append(rows, sqlite.RemoteUsage{ElderID: "E1", Site: "other-hall", Day: d, Meals: 1, SubsidyFen: 1000})
	}
	if n, err := g.ApplyRemoteUsage(t.Context(), rows); err != nil || n != 4 {
		t.Fatalf("apply remote usage = %d, %v", n, err)
	}
	c.add(10 * time.Second)
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.SubsidyFen != 1000 {
		t.Fatalf("fifth meal of the week = %+v", ev)
	}
	c.add(10 * time.Second)
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("same window = %+v", ev)
	}
	c.add(6 * time.Hour)
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionFullPay || ev.Reason != policy.ReasonLimitReached || ev.PayFen != 1500 {
		t.Fatalf("sixth meal of the week = %+v", ev)
	}
	// Another elder, four days later (next ISO week), no sync since: stale.
	c.add(4 * 24 * time.Hour)
	tap(t, g, "04D5E6F7")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionFullPay || ev.Reason != policy.ReasonUsageStale {
		t.Fatalf("after 4 days without sync = %+v", ev)
	}
	// A new policy without stale_usage applies to the next tap.
	q := *p
	q.Version, q.StaleUsage = "weekly-2", nil
	if err := g.SetPolicy(q); err != nil {
		t.Fatal(err)
	}
	bad := q
	bad.Match = "whatever"
	if err := g.SetPolicy(bad); err == nil {
		t.Fatal("an invalid policy was applied")
	}
	c.add(10 * time.Second)
	tap(t, g, "04D5E6F7")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved {
		t.Fatalf("after the new policy = %+v", ev)
	}
}
