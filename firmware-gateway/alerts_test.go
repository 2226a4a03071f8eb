package gateway_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// alertData reads the alert event of id from the outbox, as the cloud
// will receive it (and checks that the cloud's decoder takes it).
func alertData(t *testing.T, dir, id string) (eldergate.AlertData, bool) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "gateway.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var payload string
	var delivered bool
	if err := db.QueryRow(`SELECT payload, delivered_at IS NOT NULL FROM outbox WHERE id = ?`, id).Scan(&payload, &delivered); err != nil {
		t.Fatalf("event %s not in the outbox: %v", id, err)
	}
	e, err := eldergate.DecodeEnvelope([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	a, err := eldergate.DecodeAlertData(e.Data)
	if err != nil {
		t.Fatalf("the cloud would refuse the alert event: %v", err)
	}
	return a, delivered
}

// TestStaffAlarmWorkflowOffline: with the cloud unreachable, an elder's
// press, the staff's acknowledgement and resolution at the kiosk are
// shown at once and kept in the outbox for the cloud; the staff endpoints
// need a staff session; the cloud's alert command for another gateway's
// alert is shown on the kiosk with the name of who acknowledged it.
func TestStaffAlarmWorkflowOffline(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := staffConfig(t, dir) // broker: nothing listens
	cfg.Alarms = config.AlarmsConfig{Buttons: map[string]config.ButtonConfig{"bed-3": {Name: "床头按钮", Place: "二楼 3 号房"}}}
	g := startWith(t, cfg, c)
	base := g.HTTPURL()
	events := subscribe(t, base)

	post(t, base+"/api/sim/button", `{"button":"bed-3"}`)
	var raised alarms.AlertEvent
	next(t, events, "alert", &raised)
	if raised.State != "open" || raised.ButtonName != "床头按钮" || raised.Place != "二楼 3 号房" || raised.Type != "emergency" || raised.ID == "" {
		t.Fatalf("raised = %+v", raised)
	}
	if d, _ := alertData(t, dir, raised.EventID); d.ButtonName != "床头按钮" || d.Place != "二楼 3 号房" {
		t.Fatalf("raised event = %+v", d)
	}
	var kiosk []alarms.AlertEvent
	getJSON(t, base+"/api/alerts", &kiosk)
	if len(kiosk) != 1 || kiosk[0].ID != raised.ID {
		t.Fatalf("GET /api/alerts = %+v", kiosk)
	}

	// No session, no acknowledgement.
	ack := `{"id":"` + raised.ID + `"}`
	for _, call := range []struct{ method, path, body, token string }{
		{"POST", "/api/staff/alerts/ack", ack, ""},
		{"POST", "/api/staff/alerts/ack", ack, "not-a-session"},
		{"POST", "/api/staff/alerts/resolve", `{"id":"` + raised.ID + `","outcome":"test"}`, ""},
		{"GET", "/api/staff/alerts", "", ""},
	} {
		if code := staffCall(t, call.method, base+call.path, call.token, call.body, nil); code != http.StatusUnauthorized {
			t.Fatalf("%s %s with token %q: %d, want 401", call.method, call.path, call.token, code)
		}
	}
	var sess struct {
		Token string `json:"token"`
	}
	if code := staffCall(t, "POST", base+"/api/staff/login", "", `{"pin":"2468"}`, &sess); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}

	c.add(30 * time.Second)
	var acked alarms.AlertEvent
	if code := staffCall(t, "POST", base+"/api/staff/alerts/ack", sess.Token, ack, &acked); code != http.StatusOK {
		t.Fatalf("ack: %d", code)
	}
	var shown alarms.AlertEvent
	next(t, events, "alert", &shown)
	if acked.State != "acknowledged" || acked.AckedBy != "王*红" || shown.AckedBy != "王*红" || shown.EventID != acked.EventID {
		t.Fatalf("acked %+v, shown %+v", acked, shown)
	}
	d, delivered := alertData(t, dir, acked.EventID)
	if d.Action != eldergate.AlertAcknowledged || d.By != "王*红" || d.AlertID != raised.ID || delivered {
		t.Fatalf("ack event %+v delivered=%v", d, delivered)
	}
	if code := staffCall(t, "POST", base+"/api/staff/alerts/ack", sess.Token, ack, nil); code != http.StatusConflict {
		t.Fatalf("second ack: %d, want 409", code)
	}

	post(t, base+"/api/sim/button", `{"button":"bed-3"}`) // pressed again
	next(t, events, "alert", &shown)
	if shown.ID != raised.ID || !shown.PressedAgain || shown.State != "acknowledged" || shown.Presses != 2 {
		t.Fatalf("pressed again: %+v", shown)
	}

	var staffList []alarms.AlertEvent
	if code := staffCall(t, "GET", base+"/api/staff/alerts", sess.Token, "", &staffList); code != http.StatusOK || len(staffList) != 1 {
		t.Fatalf("staff alerts: %d %+v", code, staffList)
	}
	if code := staffCall(t, "POST", base+"/api/staff/alerts/resolve", sess.Token, `{"id":"`+raised.ID+`","outcome":"fixed"}`, nil); code != http.StatusBadRequest {
		t.Fatalf("unknown outcome: %d, want 400", code)
	}
	var resolved alarms.AlertEvent
	if code := staffCall(t, "POST", base+"/api/staff/alerts/resolve", sess.Token,
		`{"id":"`+raised.ID+`","outcome":"helped_on_site","note":"扶起，无受伤"}`, &resolved); code != http.StatusOK {
		t.Fatalf("resolve: %d", code)
	}
	next(t, events, "alert", &shown)
	if shown.State != "resolved" || shown.Outcome != "helped_on_site" {
		t.Fatalf("resolved: %+v", shown)
	}
	if d, _ := alertData(t, dir, resolved.EventID); d.Action != eldergate.AlertResolved || d.By != "王*红" || d.Outcome != "helped_on_site" || d.Note != "扶起，无受伤" {
		t.Fatalf("resolve event %+v", d)
	}
	getJSON(t, base+"/api/alerts", &kiosk)
	if len(kiosk) != 0 {
		t.Fatalf("resolved alert still listed: %+v", kiosk)
	}
	if code := staffCall(t, "POST", base+"/api/staff/alerts/resolve", sess.Token, `{"id":"`+raised.ID+`","outcome":"test"}`, nil); code != http.StatusConflict {
		t.Fatalf("resolve again: %d, want 409", code)
	}

	// The cloud's alert command: another gateway's alert, acknowledged
	// in the console.
	body, _ := json.Marshal(eldergate.AlertUpdate{AlertID: "c-9", GW: "gw-t2", GWAlertID: "g-9", State: "acknowledged", Type: "emergency",
		ButtonName: "卫生间紧急按钮", Place: "一楼卫生间", Presses: 1, OpenedAt: lunch, AckedBy: "陈*文", AckedVia: "console"})
	cmd, _ := json.Marshal(map[string]any{"id": "cmd-1", "type": eldergate.CmdAlert, "expires": lunch.Add(time.Hour), "body": json.RawMessage(body)})
	if res := g.HandleCommand(t.Context(), cmd); !res.OK {
		t.Fatalf("alert command: %+v", res)
	}
	next(t, events, "alert", &shown)
	if shown.ID != "c-9" || shown.AckedBy != "陈*文" || shown.ButtonName != "卫生间紧急按钮" || shown.Own {
		t.Fatalf("cloud's alert shown %+v", shown)
	}
	bad, _ := json.Marshal(map[string]any{"id": "cmd-2", "type": eldergate.CmdAlert, "expires": lunch.Add(time.Hour), "body": map[string]any{"alert_id": "x"}})
	if res := g.HandleCommand(t.Context(), bad); res.OK || res.Error == "" {
		t.Fatalf("bad alert command: %+v", res)
	}

	out, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, e := range out {
		if e.Kind == eldergate.KindAlert {
			alerts++
		}
		if e.Delivered {
			t.Fatal("delivered with no broker")
		}
	}
	if alerts != 4 { // raised, acknowledged, raised (again), resolved
		t.Fatalf("%d alert events in the outbox, want 4", alerts)
	}
}

// TestKioskDisconnectedSupervision: the kiosk screen's stream gone for
// kiosk_grace raises a supervision alert (recorded, on the staff list,
// not on the main screen's), once, and it clears when a screen connects
// again.
func TestKioskDisconnectedSupervision(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	g := startWith(t, staffConfig(t, dir), c) // kiosk_grace: the default 30s
	base := g.HTTPURL()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	resp.Body.Read(buf) // the greeting: subscribed
	var sess struct {
		Token string `json:"token"`
	}
	staffCall(t, "POST", base+"/api/staff/login", "", `{"pin":"2468"}`, &sess)
	supervision := func() []alarms.AlertEvent {
		var all []alarms.AlertEvent
		if code := staffCall(t, "GET", base+"/api/staff/alerts", sess.Token, "", &all); code != http.StatusOK {
			t.Fatalf("staff alerts: %d", code)
		}
		return all
	}
	cancel() // the browser went away
	resp.Body.Close()
	time.Sleep(100 * time.Millisecond)
	c.add(29 * time.Second)
	time.Sleep(1200 * time.Millisecond) // a check at least
	if al := supervision(); len(al) != 0 {
		t.Fatalf("raised before the grace ended: %+v", al)
	}
	c.add(2 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(supervision()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1200 * time.Millisecond) // more checks: never twice
	al := supervision()
	if len(al) != 1 || al[0].Type != "supervision" || al[0].Reason != eldergate.SuperviseKioskOffline || al[0].State != "open" {
		t.Fatalf("staff alerts = %+v", al)
	}
	var kiosk []alarms.AlertEvent
	getJSON(t, base+"/api/alerts", &kiosk)
	if len(kiosk) != 0 {
		t.Fatalf("supervision alert on the elders' screen: %+v", kiosk)
	}
	subscribe(t, base) // back
	deadline = time.Now().Add(5 * time.Second)
	for len(supervision()) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if al := supervision(); len(al) != 0 {
		t.Fatalf("not cleared: %+v", al)
	}
	out, _ := g.Outbox(t.Context())
	var actions []string
	for _, e := range out {
		if e.Kind == eldergate.KindAlert {
			d, _ := alertData(t, dir, e.ID)
			if d.Type != "supervision" || d.Reason != "kiosk_disconnected" || d.Button != alarms.KioskDevice {
				t.Fatalf("event %+v", d)
			}
			actions = append(actions, d.Action)
		}
	}
	if fmt.Sprint(actions) != "[raised cleared]" {
		t.Fatalf("alert events %v, want raised, cleared", actions)
	}
}

// TestRF433PendantSupervision: a 433 MHz receiver on a pseudo-terminal,
// configured with a pendant's press, supervision report and low-battery
// codes; the pendant's press raises an alert under its configured name,
// its low-battery code a battery_low supervision alert, and silence for
// 2.5 times its supervision interval a button_silent one, cleared by its
// next report.
func TestRF433PendantSupervision(t *testing.T) {
	rx := serialtest.New(t)
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	cfg.Devices.Button = config.DeviceConfig{Driver: "rf433", Name: "pendants", Port: rx.Path(),
		Settings: map[string]string{"codes": "A1B2C3=bed-3", "reports": "A1B2C9=bed-3", "battery": "A1B2CA=bed-3", "lockout": "100ms"}}
	cfg.Alarms.Buttons = map[string]config.ButtonConfig{"bed-3": {Name: "床头吊坠", Place: "二楼 3 号房", Supervision: time.Minute}}
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	frame := func(code uint32) []byte { return []byte{0xFD, byte(code >> 16), byte(code >> 8), byte(code), 0xDF} }
	deadline := time.Now().Add(5 * time.Second)
	for {
		var st struct {
			Devices []struct {
				Driver    string `json:"driver"`
				Connected bool   `json:"connected"`
			} `json:"devices"`
		}
		getJSON(t, g.HTTPURL()+"/api/status", &st)
		if len(st.Devices) > 0 && st.Devices[len(st.Devices)-1].Connected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("receiver not connected")
		}
		time.Sleep(20 * time.Millisecond)
	}

	rx.Write(frame(0xA1B2C3))
	// The receiver ends a burst on the injected clock: move it past the
	// lockout once the frame is in.
	time.Sleep(200 * time.Millisecond)
	c.add(time.Second)
	var a alarms.AlertEvent
	next(t, events, "alert", &a)
	if a.Type != "emergency" || a.Button != "bed-3" || a.ButtonName != "床头吊坠" || a.Place != "二楼 3 号房" {
		t.Fatalf("press = %+v", a)
	}
	rx.Write(frame(0xA1B2CA))
	next(t, events, "alert", &a)
	if a.Type != "supervision" || a.Reason != eldergate.SuperviseBatteryLow || a.ButtonName != "床头吊坠" {
		t.Fatalf("low battery = %+v", a)
	}
	rx.Write(frame(0xA1B2CA)) // again: the same alert, nothing new
	time.Sleep(200 * time.Millisecond)
	c.add(151 * time.Second) // silent for more than 2.5 × 1 min
	next(t, events, "alert", &a)
	if a.Type != "supervision" || a.Reason != eldergate.SuperviseButtonSilent || a.State != "open" {
		t.Fatalf("silent = %+v", a)
	}
	rx.Write(frame(0xA1B2C9)) // its supervision report: back
	next(t, events, "alert", &a)
	if a.Reason != eldergate.SuperviseButtonSilent || a.State != "cleared" {
		t.Fatalf("cleared = %+v", a)
	}
}
