package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	cloudsqlite "github.com/eldergate/eldergate/cloud/sqlite"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

// simClock is the injected clock of the drain test.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// threeMeals is a policy with breakfast, lunch and dinner.
func threeMeals() policy.Policy {
	return policy.MustFlat("drain-1", "Asia/Shanghai", []policy.FlatWindow{
		{Name: "breakfast", Start: "07:00", End: "09:00", PriceFen: 600, SubsidyFen: 300},
		{Name: "lunch", Start: "11:00", End: "13:30", PriceFen: 1500, SubsidyFen: 1000},
		{Name: "dinner", Start: "17:00", End: "19:00", PriceFen: 1200, SubsidyFen: 800},
	}...)
}

// TestDrainAfterADayOffline: the broker (the cloud with its embedded
// broker) is down for a whole simulated day of taps and alarms; the
// gateway's clock is injected and walks through the day. Then the cloud
// comes up on the address the gateway has been trying: everything drains,
// the alarms are the first events the cloud commits, and nothing is
// duplicated in the cloud.
func TestDrainAfterADayOffline(t *testing.T) {
	const elders = 150
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := ln.Addr().String()
	ln.Close() // nothing listens there until the cloud starts

	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 3, 10, 0, 0, 0, 0, loc)
	clock := &simClock{t: day.Add(6 * time.Hour)}

	cfg := config.Config{
		GatewayID: gwID, Site: siteID, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Simulation: true, Policy: threeMeals(), Roster: roster(elders), TapDedupe: 3 * time.Second,
	}
	cfg.MQTT.URL = "tcp://" + brokerAddr
	cfg.MQTT.Password = gwSecret
	cfg.MQTT.BatchWait = 20 * time.Millisecond
	cfg.MQTT.AckTimeout = 2 * time.Second
	cfg.MQTT.KeepAlive = 5 * time.Second
	g, err := gateway.New(cfg, gateway.WithLogger(logger(t).With("side", "gateway")), gateway.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	events := subscribe(t, g.HTTPURL())

	var alertIDs []string
	press := func(button string) {
		t.Helper()
		post(t, g.HTTPURL()+"/api/sim/button", map[string]string{"button": button})
		alertIDs = append(alertIDs, pressEvent(t, events, button))
	}
	served := map[string]bool{}
	meals := func(window string, from time.Duration, n int) {
		t.Helper()
		clock.set(day.Add(from))
		for i := 1; i <= n; i++ {
			r := tap(t, g, events, fmt.Sprintf("C%04d", i))
			if r.Decision != eldergate.DecisionApproved || r.EventID == "" {
				t.Fatalf("%s tap %d at %v = %+v, want approved", window, i, clock.now(), r)
			}
			served[r.EventID] = true
			clock.add(4 * time.Second)
		}
	}

	meals("breakfast", 7*time.Hour+30*time.Minute, elders)
	clock.set(day.Add(10 * time.Hour))
	press("hall-1")
	clock.add(5 * time.Minute)
	press("hall-2")
	meals("lunch", 11*time.Hour+30*time.Minute, elders)
	// Ten elders come back for a second lunch: refused, and recorded.
	refused := map[string]bool{}
	for i := 1; i <= 10; i++ {
		r := tap(t, g, events, fmt.Sprintf("C%04d", i))
		if r.Decision != eldergate.DecisionRefused || r.Reason != eldergate.ReasonAlreadyServed {
			t.Fatalf("second lunch = %+v, want refused already_served", r)
		}
		refused[r.EventID] = true
		clock.add(4 * time.Second)
	}
	clock.set(day.Add(15 * time.Hour))
	press("hall-3")
	meals("dinner", 17*time.Hour+30*time.Minute, elders)
	clock.set(day.Add(21 * time.Hour))
	press("hall-4")

	rows, err := g.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := 3*elders + len(refused) + len(alertIDs)
	if len(rows) < want {
		t.Fatalf("outbox holds %d events, want at least %d", len(rows), want)
	}
	for _, r := range rows {
		if r.Delivered {
			t.Fatalf("event %s delivered while the broker is down", r.ID)
		}
	}

	// The broker comes up.
	ccfg := cloudConfig(t, "")
	ccfg.BrokerAddr = brokerAddr
	upAt := time.Now()
	env := startCloud(t, ccfg)
	eventually(t, 60*time.Second, "the outbox drained", func() bool {
		rows, err := g.Outbox(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !r.Delivered {
				return false
			}
		}
		return true
	})
	drained := time.Since(upAt)
	rows, err = g.Outbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.c.Close(); err != nil {
		t.Fatal(err)
	}

	dbPath := filepath.Join(ccfg.DataDir, cloudsqlite.FileName)
	integrityCheck(t, dbPath)
	db := openRO(t, dbPath)
	// The ingester commits batches one at a time in the order they arrive,
	// so the rowid order of the events table is the order of arrival.
	order := queryStrings(t, db, `SELECT id || ' ' || kind FROM events WHERE gw = ? ORDER BY rowid`, gwID)
	count := map[string]int{}
	var kinds []string
	for _, row := range order {
		id, kind, _ := strings.Cut(row, " ")
		count[id]++
		kinds = append(kinds, kind)
	}
	for i := range alertIDs {
		if i >= len(kinds) || kinds[i] != string(eldergate.KindAlert) {
			t.Fatalf("arrival order starts %v, want the %d alarms first", kinds[:min(len(kinds), len(alertIDs)+3)], len(alertIDs))
		}
	}
	for _, id := range alertIDs {
		if count[id] != 1 {
			t.Errorf("alarm %s is %d times in the cloud", id, count[id])
		}
	}
	if len(order) != len(rows) {
		t.Errorf("cloud holds %d events of the gateway, the gateway %d", len(order), len(rows))
	}
	for _, r := range rows {
		if count[r.ID] != 1 {
			t.Errorf("event %s (%s) is %d times in the cloud", r.ID, r.Kind, count[r.ID])
		}
	}
	mealDays := queryStrings(t, db, `SELECT DISTINCT day FROM meals WHERE gw = ?`, gwID)
	if len(mealDays) != 1 || mealDays[0] != "2025-03-10" {
		t.Errorf("meal days in the cloud = %v, want the simulated day 2025-03-10", mealDays)
	}
	var approvedN, refusedN int
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE decision = 'approved'), COUNT(*) FILTER (WHERE decision = 'refused') FROM meals WHERE gw = ?`, gwID).Scan(&approvedN, &refusedN); err != nil {
		t.Fatal(err)
	}
	if approvedN != len(served) || refusedN != len(refused) {
		t.Errorf("cloud meals: %d approved, %d refused; want %d and %d", approvedN, refusedN, len(served), len(refused))
	}
	var alerts int
	if err := db.QueryRow(`SELECT COUNT(*) FROM alerts WHERE gw = ?`, gwID).Scan(&alerts); err != nil {
		t.Fatal(err)
	}
	if alerts != len(alertIDs) {
		t.Errorf("cloud alerts = %d, want %d", alerts, len(alertIDs))
	}
	t.Logf("a day offline: %d events (%d alarms) drained in %v after the broker came up; arrival starts %v",
		len(rows), len(alertIDs), drained.Round(time.Millisecond), kinds[:len(alertIDs)+1])
}
