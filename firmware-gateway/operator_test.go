package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/escpos/escpostest"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// operatorConfig is staffConfig with an operator (PIN 1357) beside the
// staff member (PIN 2468).
func operatorConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	cfg := staffConfig(t, dir)
	h, err := bcrypt.GenerateFromPassword([]byte("1357"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Staff = append(cfg.Staff, config.StaffConfig{ID: "OP1", Name: "李工", PinHash: string(h), Role: config.RoleOperator})
	return cfg
}

func login(t *testing.T, base, pin string) httpapi.StaffSession {
	t.Helper()
	var s httpapi.StaffSession
	if code := staffCall(t, "POST", base+"/api/staff/login", "", `{"pin":"`+pin+`"}`, &s); code != http.StatusOK {
		t.Fatalf("login %s: %d", pin, code)
	}
	return s
}

// TestOperatorRoutesNeedTheOperatorRole: a staff session gets 403 from
// every operator route, no session 401; the staff board is open to both.
func TestOperatorRoutesNeedTheOperatorRole(t *testing.T) {
	g := start(t, operatorConfig(t, t.TempDir()), &clock{t: lunch})
	base := g.HTTPURL()
	st := login(t, base, "2468")
	if st.Role != config.RoleStaff {
		t.Fatalf("staff role = %q", st.Role)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/operator/status"}, {"POST", "/api/operator/test/beep"}, {"POST", "/api/operator/test/ticket"},
		{"POST", "/api/operator/test/scale"}, {"POST", "/api/operator/test/card"},
	} {
		if code := staffCall(t, r.method, base+r.path, st.Token, "", nil); code != http.StatusForbidden {
			t.Errorf("staff %s %s = %d, want 403", r.method, r.path, code)
		}
		if code := staffCall(t, r.method, base+r.path, "", "", nil); code != http.StatusUnauthorized {
			t.Errorf("no session %s %s = %d, want 401", r.method, r.path, code)
		}
	}
	op := login(t, base, "1357")
	if op.Role != config.RoleOperator {
		t.Fatalf("operator role = %q", op.Role)
	}
	if code := staffCall(t, "GET", base+"/api/operator/status", op.Token, "", nil); code != http.StatusOK {
		t.Fatalf("operator status = %d", code)
	}
	if code := staffCall(t, "POST", base+"/api/operator/test/siren", op.Token, "", nil); code != http.StatusNotFound {
		t.Fatalf("unknown test = %d", code)
	}
	for _, tok := range []string{st.Token, op.Token} {
		if code := staffCall(t, "GET", base+"/api/staff/today", tok, "", nil); code != http.StatusOK {
			t.Fatalf("staff today = %d", code)
		}
	}
}

// TestOperatorScreen runs each device test against real parts: the beep
// drives gpiotest pins, the test ticket's ESC/POS bytes go over a pty,
// the scale test reads the simulated scale, and the card test takes the
// next card read, which is never a meal. Every test is an audit event;
// the status tells the gateway's state; the staff board counts meals.
func TestOperatorScreen(t *testing.T) {
	buzzer, led := registerPin(t, "GWTEST_OP_BUZZER"), registerPin(t, "GWTEST_OP_LED")
	dev := serialtest.New(t)
	dir := t.TempDir()
	cfg := operatorConfig(t, dir)
	cfg.Outputs = config.OutputsConfig{
		Buzzer:  config.DeviceConfig{Driver: "gpio", Settings: map[string]string{"pin": "GWTEST_OP_BUZZER"}},
		LED:     config.DeviceConfig{Driver: "gpio", Settings: map[string]string{"pin": "GWTEST_OP_LED"}},
		Siren:   config.DeviceConfig{Driver: config.DriverNone},
		Printer: config.DeviceConfig{Driver: "escpos", Port: dev.Path(), Settings: map[string]string{"poll": "0", "timeout": "500ms"}},
		Patterns: map[string]config.ResultPatterns{
			config.ResultApproved: {Buzzer: "50ms", LED: "100ms"},
		},
	}
	g := start(t, cfg, &clock{t: lunch})
	base := g.HTTPURL()
	events := subscribe(t, base)
	op := login(t, base, "1357")
	test := func(name string) httpapi.OperatorTest {
		t.Helper()
		var res httpapi.OperatorTest
		if code := staffCall(t, "POST", base+"/api/operator/test/"+name, op.Token, "", &res); code != http.StatusOK {
			t.Fatalf("test %s: %d", name, code)
		}
		if res.Test != name || res.EventID == "" {
			t.Fatalf("test %s = %+v", name, res)
		}
		return res
	}
	status := func() httpapi.OperatorStatus {
		t.Helper()
		var st httpapi.OperatorStatus
		if code := staffCall(t, "GET", base+"/api/operator/status", op.Token, "", &st); code != http.StatusOK {
			t.Fatalf("status: %d", code)
		}
		return st
	}
	device := func(st []httpapi.DeviceState, kind string) httpapi.DeviceState {
		for _, d := range st {
			if d.Kind == kind {
				return d
			}
		}
		t.Fatalf("no %s device in %+v", kind, st)
		return httpapi.DeviceState{}
	}
	waitUntil(t, "printer connected", func() bool { return device(status().Devices, "printer").State == httpapi.DeviceOK })

	st := status()
	if st.Enrollment.GatewayID != "gw-t1" || st.Enrollment.Site != "测试饭堂" || st.Enrollment.Credentials ||
		st.Roster.Elders != 3 || st.Policy.Version != "p1" || st.Policy.TimeZone != "Asia/Shanghai" ||
		st.Network.UplinkConnected || st.Network.Broker == "" || len(st.Network.Addresses) == 0 || st.Boot != 1 || st.Version == "" ||
		st.Clock.State == "" || (st.Clock.State == eldergate.ClockUnsynced) != (st.Clock.Reason != "") {
		t.Fatalf("status = %+v", st)
	}
	// The login is an audit event waiting for a broker that is not there.
	if st.Outbox.Pending < 1 || st.Outbox.OldestPending.IsZero() || st.Outbox.OldestAgeSeconds < 0 {
		t.Fatalf("outbox = %+v", st.Outbox)
	}
	for _, k := range []string{"card", "scale", "button", "buzzer", "led", "printer", "voice", "uplink"} {
		d := device(st.Devices, k)
		if d.State == "" || (k == "uplink" && d.State != httpapi.DeviceDisconnected) {
			t.Errorf("%s = %+v", k, d)
		}
	}

	// Beep: the buzzer and the LED play the approved pattern.
	if res := test("beep"); res.Result != httpapi.TestBeeped || !slices.Equal(res.Played, []string{"buzzer", "led"}) {
		t.Fatalf("beep = %+v", res)
	}
	waitUntil(t, "the beep", func() bool { return buzzer.written() == "Low High Low" })
	waitUntil(t, "the LED", func() bool { return led.written() == "Low High Low" })

	// Ticket: the printer's status is asked, then the ticket printed.
	done := make(chan httpapi.OperatorTest, 1)
	go func() {
		var res httpapi.OperatorTest
		staffCall(t, "POST", base+"/api/operator/test/ticket", op.Token, "", &res)
		done <- res
	}()
	escpostest.Answer(t, dev, 0x12, 0x12)
	ticket, err := dev.ReadUntil([]byte{escpos.GS, 'V', 66, 0}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{{escpos.ESC, '@'}, escpostest.GB18030(t, "测试小票"), []byte("TEST TICKET"), escpostest.GB18030(t, "测试饭堂"), []byte("gw-t1"), []byte("2025-03-03 12:00")} {
		if !bytes.Contains(ticket, want) {
			t.Errorf("test ticket lacks %q: % X", want, ticket)
		}
	}
	if res := <-done; res.Result != httpapi.TestPrinted || res.EventID == "" {
		t.Fatalf("ticket = %+v", res)
	}
	// Out of paper: the test says so, and so does the printer's state.
	go func() {
		var res httpapi.OperatorTest
		staffCall(t, "POST", base+"/api/operator/test/ticket", op.Token, "", &res)
		done <- res
	}()
	escpostest.Answer(t, dev, 0x1A, 0x72)
	if res := <-done; res.Result != httpapi.TestPaperOut {
		t.Fatalf("ticket without paper = %+v", res)
	}
	var fault struct{ Type, Reason, Button string }
	next(t, events, "alert", &fault)
	if fault.Type != eldergate.AlertTypeSupervision || fault.Reason != eldergate.SupervisePaperOut || fault.Button != "printer" {
		t.Fatalf("paper out alert = %+v", fault)
	}
	if d := device(status().Devices, "printer"); d.State != httpapi.DevicePaperOut {
		t.Fatalf("printer without paper = %+v", d)
	}

	// Scale: the weight the simulated scale sends now.
	post(t, base+"/api/sim/weight", `{"grams":350,"stable":true}`)
	var weight struct{ Grams int64 }
	next(t, events, "weight", &weight)
	if res := test("scale"); res.Result != httpapi.TestWeight || res.Grams == nil || *res.Grams != 350 || !res.Stable {
		t.Fatalf("scale = %+v", res)
	}

	// Card: the next read is the test's, masked, and records no meal.
	go func() {
		var res httpapi.OperatorTest
		staffCall(t, "POST", base+"/api/operator/test/card", op.Token, "", &res)
		done <- res
	}()
	time.Sleep(500 * time.Millisecond) // the test is waiting
	tap(t, g, "04A1B2C3")
	select {
	case res := <-done:
		if res.Result != httpapi.TestCardRead || res.Card != eldergate.MaskID("04A1B2C3") || res.Card == "04A1B2C3" {
			t.Fatalf("card = %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the card test did not end")
	}
	select {
	case ev := <-events:
		t.Fatalf("the card test's read reached the kiosk: %s %s", ev.Event, ev.Data)
	case <-time.After(300 * time.Millisecond):
	}
	today := func() sqlite.DayCounts {
		var b struct {
			Day    string           `json:"day"`
			Counts sqlite.DayCounts `json:"counts"`
		}
		if code := staffCall(t, "GET", base+"/api/staff/today", op.Token, "", &b); code != http.StatusOK {
			t.Fatalf("today: %d", code)
		}
		if b.Day != "2025-03-03" {
			t.Fatalf("today's day = %q", b.Day)
		}
		return b.Counts
	}
	if c := today(); c.Total.Served != 0 {
		t.Fatalf("the card test recorded a meal: %+v", c)
	}
	// The same card tapped after the test is a meal.
	if ev := tapResult(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap after the card test = %+v", ev)
	}
	if c := today(); c.Total.Served != 1 || c.Total.Subsidised != 1 || c.Total.SubsidyFen != 1000 || c.Total.PayFen != 500 || len(c.Windows) != 1 || c.Windows[0].Window != "lunch" {
		t.Fatalf("today after a meal = %+v", c)
	}

	// Each test is an audit event of the operator.
	var tests []string
	for _, e := range storedEvents(t, dir) {
		if e.Kind != eldergate.KindAudit {
			continue
		}
		var d struct{ Type, Staff, Test, Result string }
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Type == "operator_test" {
			if d.Staff != "OP1" || d.Result == "" {
				t.Errorf("audit = %+v", d)
			}
			tests = append(tests, d.Test)
		}
	}
	if !slices.Equal(tests, []string{"beep", "ticket", "ticket", "scale", "card"}) {
		t.Fatalf("audited tests = %v", tests)
	}
}
