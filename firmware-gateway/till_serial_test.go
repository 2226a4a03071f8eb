package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// TestSerialTillPricesMeal (issue 11): a POS on a serial line (a pty
// behind the configured port, opened through tarm/serial) drives what it
// takes for its customer display; the total it shows is the meal's
// amount. The elder taps the simulated reader: the Shenzhen 2025 policy
// (price from the till) decides the meal with the till's amount, and the
// meal event records price source till and the till's id. A line-protocol
// till on a second port is told OK for an amount, busy for a second one
// while the first waits; both tills show in /api/status devices with
// their last amount.
func TestSerialTillPricesMeal(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	display, line := serialtest.New(t), serialtest.New(t)
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.Policy = loadPolicy(t, "../docs/policies/shenzhen-2025.yaml")
	cfg.Roster = []eldergate.Elder{
		// 75, local hukou, 低保: the larger of 15 and 5 yuan.
		{ID: "SZ75", Name: "王福寿", Card: "04A1B2C3", Birth: "1950-01-15", Active: true, Categories: []string{"低保"}, HukouLocal: true},
		// 72, local hukou: 5 yuan.
		{ID: "SZ72", Name: "李寿康", Card: "04D5E6F7", Birth: "1953-06-01", Active: true, HukouLocal: true},
	}
	cfg.Till.Devices = []config.TillDevice{
		{ID: "till-2", Driver: "serial", Port: display.Path(), Baud: 9600, Protocol: "customer_display", Settings: map[string]string{"settle": "50ms"}},
		{ID: "till-3", Driver: "serial", Port: line.Path(), Protocol: "line"},
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	tillStatus := func(id string) drivers.Status {
		t.Helper()
		var st struct{ Devices []drivers.Status }
		getJSON(t, g.HTTPURL()+"/api/status", &st)
		for _, d := range st.Devices {
			if d.Name == id {
				return d
			}
		}
		t.Fatalf("till %s not in /api/status devices: %+v", id, st.Devices)
		return drivers.Status{}
	}
	waitFor(t, "both tills connected", func() bool { return tillStatus("till-2").Connected && tillStatus("till-3").Connected })

	// The POS rings up two dishes and shows the total (light first), then
	// noise on the line: the total is the amount, the noise is skipped.
	display.Write([]byte("\x1b@\x1bs1\x1bQA12.00\r\x1bs1\x1bQA8.00\r\x1bs2\x1bQA20.00\r\xff\xfe"))
	var pending tapdesk.TillEvent
	next(t, events, tapdesk.EventTill, &pending)
	if pending.State != "pending" || pending.AmountFen != 2000 || pending.Source != eldergate.PriceSourceTill {
		t.Fatalf("till event after the total = %+v", pending)
	}
	waitFor(t, "till-2's last amount in its status", func() bool { return tillStatus("till-2").Last == "20.00" })
	if st := tillStatus("till-2"); st.Driver != "serialtill" || st.LastAt == nil {
		t.Fatalf("till-2 status = %+v", st)
	}

	// A line-protocol till while that amount waits: busy.
	line.Write([]byte("AMT 1200 SZ-0002\r\n"))
	if got, err := line.ReadUntil([]byte("\r\n"), 3*time.Second); err != nil || !strings.HasPrefix(string(got), "ERR busy till: an amount already waits for a tap: 20.00") {
		t.Fatalf("line till answer while an amount waits: %q, %v", got, err)
	}

	var ev tapdesk.TapEvent
	tap(t, g, "04A1B2C3")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.PriceFen != 2000 || ev.SubsidyFen != 1500 || ev.PayFen != 500 {
		t.Fatalf("tap priced by the serial till = %+v", ev)
	}
	m := mealData(t, dir, ev.EventID)
	if m.PriceSource != eldergate.PriceSourceTill || m.Till != "till-2" || m.TillRef != "" || m.PriceFen != 2000 ||
		m.SubsidyFen != 1500 || m.Rule != "priority-60" || m.PolicyVer != "shenzhen-2025.1" {
		t.Fatalf("meal event = %+v", m)
	}

	// Above till.max_fen (200 yuan): refused, in words.
	line.Write([]byte("AMT 30000\r\n"))
	if got, err := line.ReadUntil([]byte("\r\n"), 3*time.Second); err != nil || !strings.HasPrefix(string(got), "ERR refused till: amount refused: amount_fen 30000 is above the most") {
		t.Fatalf("line till answer above max_fen: %q, %v", got, err)
	}

	// Now the line till's amount is taken, and the next tap uses it.
	c.add(time.Minute)
	line.Write([]byte("AMT 1200 SZ-0002\r\n"))
	if got, err := line.ReadUntil([]byte("\r\n"), 3*time.Second); err != nil || string(got) != "OK\r\n" {
		t.Fatalf("line till answer: %q, %v", got, err)
	}
	next(t, events, tapdesk.EventTill, &pending)
	tap(t, g, "04D5E6F7")
	next(t, events, tapdesk.EventTap, &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.PriceFen != 1200 || ev.SubsidyFen != 500 || ev.PayFen != 700 {
		t.Fatalf("tap priced by the line till = %+v", ev)
	}
	if m := mealData(t, dir, ev.EventID); m.PriceSource != eldergate.PriceSourceTill || m.Till != "till-3" || m.TillRef != "SZ-0002" || m.Rule != "local-70-99" {
		t.Fatalf("meal event = %+v", m)
	}
	waitFor(t, "till-3's last amount in its status", func() bool { return tillStatus("till-3").Last == "12.00 ref SZ-0002" })
	if st := tillStatus("till-3"); st.Err != "" {
		t.Fatalf("till-3 status = %+v", st)
	}

	// The POS shows the paid amount and the change: no amount; unplugged,
	// the till is shown disconnected.
	display.Write([]byte("\x1bs3\x1bQA50.00\r\x1bs4\x1bQA30.00\r"))
	time.Sleep(200 * time.Millisecond)
	display.Unplug()
	waitFor(t, "till-2 disconnected", func() bool { return !tillStatus("till-2").Connected })
	if resp := post(t, g.HTTPURL()+"/api/sim/tap", `{"card":"04A1B2C3"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatal(resp.Status)
	}
	var waiting tapdesk.TillEvent
	next(t, events, tapdesk.EventTill, &waiting)
	if waiting.State != "waiting" {
		t.Fatalf("after paid and change, a tap waits for an amount: %+v", waiting)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within 5s", what)
}

// TestSimTill: the demo's simulated till (driver sim) rings an amount
// through POST /api/sim/till; it takes the same path as a serial till's.
func TestSimTill(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	cfg.Policy = loadPolicy(t, "../docs/policies/shenzhen-2025.yaml")
	cfg.Roster = []eldergate.Elder{{ID: "SZ72", Name: "李寿康", Card: "04D5E6F7", Birth: "1953-06-01", Active: true, HukouLocal: true}}
	cfg.Till.Devices = []config.TillDevice{{ID: "till-sim", Driver: "sim"}}
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	if resp := post(t, g.HTTPURL()+"/api/sim/till", `{"till":"till-9","amount_fen":1200}`); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ring on an unknown till: %s", resp.Status)
	}
	if resp := post(t, g.HTTPURL()+"/api/sim/till", `{"till":"till-sim","amount_fen":1200,"ref":"D-1"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ring: %s", resp.Status)
	}
	var pending tapdesk.TillEvent
	next(t, events, tapdesk.EventTill, &pending)
	var ev tapdesk.TapEvent
	tap(t, g, "04D5E6F7")
	next(t, events, tapdesk.EventTap, &ev)
	if m := mealData(t, dir, ev.EventID); ev.PriceFen != 1200 || ev.SubsidyFen != 500 || m.Till != "till-sim" || m.TillRef != "D-1" || m.PriceSource != eldergate.PriceSourceTill {
		t.Fatalf("tap %+v, meal %+v", ev, m)
	}
}
