package cloudhttp

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/alarm"
	"github.com/eldergate/eldergate/cloud/notify"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// alertJSON finds alert id in GET /api/v1/alerts as the admin sees it.
func (f *orgFixture) alertJSON(t *testing.T, id string) map[string]any {
	t.Helper()
	w := do(f.h, "GET", "/api/v1/alerts", "adm", "")
	var as []map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &as) != nil {
		t.Fatalf("alerts: %d %s", w.Code, w.Body)
	}
	for _, a := range as {
		if a["id"] == id {
			return a
		}
	}
	t.Fatalf("alert %s not listed", id)
	return nil
}

// TestAlertAckAndResolveAPI: ack records the token's name and where;
// resolve needs staff, is scoped like ack, takes an outcome and a note
// (400 with the valid outcomes for an unknown one), answers 409 once the
// alert is closed; false_alarm closes as a false alarm; a press after the
// ack shows as pressed again in the alert JSON.
func TestAlertAckAndResolveAPI(t *testing.T) {
	f := newOrgFixture(t)
	_, viewer := f.token(t, `{"name":"全区查看","role":"viewer"}`)
	_, staffA := f.token(t, `{"name":"A 街道值班","role":"staff","scope":"st-a"}`)
	a1, a2, b1 := f.alerts["gw-a1"], f.alerts["gw-a2"], f.alerts["gw-b1"]
	resolve := func(id, tok, body string) *httpResult {
		w := do(f.h, "POST", "/api/v1/alerts/"+id+"/resolve", tok, body)
		return &httpResult{w.Code, w.Body.String()}
	}

	f.advance(time.Minute)
	ackAt := f.clock()
	if w := do(f.h, "POST", "/api/v1/alerts/"+a1+"/ack", staffA, `{"via":"kiosk","by":"someone else"}`); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"by":"A 街道值班"`) || !strings.Contains(w.Body.String(), `"via":"kiosk"`) {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", "/api/v1/alerts/"+a2+"/ack", staffA, `{"via":"phone"}`); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), `via \"phone\" is not one of console, kiosk, api`) {
		t.Fatalf("ack via phone: %d %s", w.Code, w.Body)
	}
	a := f.alertJSON(t, a1)
	if a["state"] != "acknowledged" || a["acked_by"] != "A 街道值班" || a["acked_via"] != "kiosk" || a["pressed_again_at"] != nil {
		t.Fatalf("acked alert = %v", a)
	}

	// Pressed again after the ack.
	f.advance(time.Minute)
	againAt := f.clock()
	again := storetest.Alert(t, "gw-a1", 4, "al-2", eldergate.AlertRaised, "btn-1", againAt)
	if _, err := f.st.IngestBatch(context.Background(), "gw-a1", []eldergate.Envelope{again}, againAt); err != nil {
		t.Fatal(err)
	}
	a = f.alertJSON(t, a1)
	if a["state"] != "acknowledged" || a["presses"] != float64(2) || a["pressed_again_at"] != againAt.Format(time.RFC3339) ||
		a["last_at"] != againAt.Format(time.RFC3339) || a["acked_at"] != ackAt.Format(time.RFC3339) {
		t.Fatalf("pressed again = %v", a)
	}

	for _, c := range []struct {
		name, id, tok, body string
		code                int
		msg                 string
	}{
		{"viewer", a1, viewer, `{"outcome":"test"}`, http.StatusForbidden, "staff"},
		{"out of scope", b1, staffA, `{"outcome":"test"}`, http.StatusNotFound, "no such alert"},
		{"unknown alert", "nope", staffA, `{"outcome":"test"}`, http.StatusNotFound, "no such alert"},
		{"no outcome", a1, staffA, ``, http.StatusBadRequest, "outcome is missing"},
		{"unknown outcome", a1, staffA, `{"outcome":"fixed"}`, http.StatusBadRequest,
			`outcome \"fixed\" is not one of helped_on_site, sent_to_hospital, family_contacted, false_alarm, test`},
		{"bad JSON", a1, staffA, `{"outcome":`, http.StatusBadRequest, "not valid JSON"},
	} {
		if r := resolve(c.id, c.tok, c.body); r.code != c.code || !strings.Contains(r.body, c.msg) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, r.code, r.body, c.code, c.msg)
		}
	}

	f.advance(time.Minute)
	closeAt := f.clock()
	r := resolve(a1, staffA, `{"outcome":"sent_to_hospital","note":"120 已送区医院","via":"console"}`)
	if r.code != http.StatusOK || !strings.Contains(r.body, `"state":"resolved"`) || !strings.Contains(r.body, `"outcome":"sent_to_hospital"`) {
		t.Fatalf("resolve: %d %s", r.code, r.body)
	}
	a = f.alertJSON(t, a1)
	if a["state"] != "resolved" || a["outcome"] != "sent_to_hospital" || a["note"] != "120 已送区医院" ||
		a["closed_by"] != "A 街道值班" || a["closed_at"] != closeAt.Format(time.RFC3339) || a["acked_via"] != "kiosk" {
		t.Fatalf("resolved alert = %v", a)
	}
	if r := resolve(a1, staffA, `{"outcome":"test"}`); r.code != http.StatusConflict || !strings.Contains(r.body, "closed already") {
		t.Fatalf("resolve twice: %d %s, want 409", r.code, r.body)
	}

	// Resolved as a false alarm without an acknowledgement, by the admin.
	if r := resolve(a2, "adm", `{"outcome":"false_alarm","note":"碰到了"}`); r.code != http.StatusOK || !strings.Contains(r.body, `"state":"false_alarm"`) {
		t.Fatalf("resolve as false alarm: %d %s", r.code, r.body)
	}
	a = f.alertJSON(t, a2)
	if a["state"] != "false_alarm" || a["outcome"] != "false_alarm" || a["acked_by"] != "admin" || a["acked_via"] != "api" || a["closed_by"] != "admin" {
		t.Fatalf("false alarm = %v", a)
	}
	if r := resolve(a2, "adm", `{"outcome":"false_alarm"}`); r.code != http.StatusConflict {
		t.Fatalf("resolve a false alarm: %d %s, want 409", r.code, r.body)
	}
}

type httpResult struct {
	code int
	body string
}

// TestAlarmSettingsAPI: an operator of a street edits its units' alarm
// settings (404 outside its scope, 403 for staff, 400 naming the bad
// field); secrets are masked when read and kept when the masked document
// is written back; GET /api/v1/alerts/{id} shows the timeline.
func TestAlarmSettingsAPI(t *testing.T) {
	f := newOrgFixture(t)
	_, opA := f.token(t, `{"name":"A 街道运维","role":"operator","scope":"st-a"}`)
	_, staffA := f.token(t, `{"name":"A 值班","role":"staff","scope":"st-a"}`)
	put := func(unit, tok, body string) (int, string) {
		w := do(f.h, "PUT", "/api/v1/org/"+unit+"/alarm-settings", tok, body)
		return w.Code, w.Body.String()
	}
	doc := `{"remind_after_s":30,"on_duty":[{"days":"mon-fri","from":"08:00","to":"20:00"}],
		"channels":[{"id":"desk","kind":"dingtalk","url":"https://oapi.dingtalk.com/robot/send?access_token=x","secret":"SECabc"},
		{"id":"hook","kind":"webhook","url":"https://relay.example.cn/alarm","secret":"k1"}]}`
	if code, body := put("st-b", opA, doc); code != http.StatusNotFound {
		t.Fatalf("outside the scope: %d %s", code, body)
	}
	if code, body := put("st-a", staffA, doc); code != http.StatusForbidden {
		t.Fatalf("staff: %d %s", code, body)
	}
	if code, body := put("st-a", opA, `{"remind_after_s":5}`); code != http.StatusBadRequest || !strings.Contains(body, "remind_after_s") {
		t.Fatalf("bad settings: %d %s", code, body)
	}
	code, body := put("st-a", opA, doc)
	if code != http.StatusOK || strings.Contains(body, "SECabc") || !strings.Contains(body, `"secret":"********"`) ||
		!strings.Contains(body, `"escalate_after_s":300`) || !strings.Contains(body, `"stored":true`) {
		t.Fatalf("put: %d %s", code, body)
	}
	// Written back as read: the secrets stay; a new secret replaces one.
	var got struct {
		Settings map[string]any `json:"settings"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	chans := got.Settings["channels"].([]any)
	chans[1].(map[string]any)["secret"] = "k2"
	back, _ := json.Marshal(got.Settings)
	if code, body := put("st-a", opA, string(back)); code != http.StatusOK {
		t.Fatalf("write back: %d %s", code, body)
	}
	stored, err := f.st.AlarmSettingsOf(context.Background(), "st-a")
	if err != nil || !strings.Contains(string(stored), `"secret":"SECabc"`) || !strings.Contains(string(stored), `"secret":"k2"`) {
		t.Fatalf("stored after the write back: %s, %v", stored, err)
	}
	if code, body := put("st-a", opA, `{"channels":[{"id":"new","kind":"webhook","url":"https://relay.example.cn/x","secret":"********"}]}`); code != http.StatusBadRequest ||
		!strings.Contains(body, "channels[0].secret") {
		t.Fatalf("a masked secret of a new channel: %d %s", code, body)
	}
	if w := do(f.h, "GET", "/api/v1/org/c-a1/alarm-settings", opA, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"stored":false`) ||
		!strings.Contains(w.Body.String(), `"escalate_after_s":180`) {
		t.Fatalf("defaults of a community: %d %s", w.Code, w.Body)
	}

	// One alert with its timeline; 404 outside the scope.
	a1, b1 := f.alerts["gw-a1"], f.alerts["gw-b1"]
	if w := do(f.h, "POST", "/api/v1/alerts/"+a1+"/ack", staffA, `{"via":"console"}`); w.Code != http.StatusOK {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	w := do(f.h, "GET", "/api/v1/alerts/"+a1, staffA, "")
	var d AlertDetail
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &d) != nil || len(d.Log) != 2 || d.Log[1].Kind != "acknowledged" || d.Log[1].By != "A 值班" {
		t.Fatalf("alert detail: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/alerts/"+b1, staffA, ""); w.Code != http.StatusNotFound {
		t.Fatalf("an alert outside the scope: %d", w.Code)
	}
}

// TestAlertStream: the board's stream starts with a snapshot of the
// caller's scope and then carries only the changes of its sites.
func TestAlertStream(t *testing.T) {
	f := newOrgFixture(t)
	_, staffA := f.token(t, `{"name":"A 值班","role":"staff","scope":"st-a"}`)
	feed := alarm.NewFeed(f.st, time.Hour, nil)
	if err := feed.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock, Board: feed})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+staffA)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(res.Body)
	event := func() (string, string) {
		t.Helper()
		var name, data string
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "" && name != "":
				return name, data
			}
		}
	}
	name, data := event()
	var snap BoardSnapshot
	if name != "board" || json.Unmarshal([]byte(data), &snap) != nil || len(snap.Alerts) != 2 {
		t.Fatalf("snapshot %s: %s", name, data)
	}
	for _, a := range snap.Alerts {
		if a.Site != "site-gw-a1" && a.Site != "site-gw-a2" {
			t.Fatalf("snapshot of street A holds %s", a.Site)
		}
	}
	at := f.clock()
	other := storetest.Alert(t, "gw-b1", 10, "al-9", eldergate.AlertRaised, "btn-9", at)
	mine := storetest.Alert(t, "gw-a1", 10, "al-9", eldergate.AlertRaised, "btn-9", at)
	for gw, e := range map[string]eldergate.Envelope{"gw-b1": other, "gw-a1": mine} {
		if _, err := f.st.IngestBatch(context.Background(), gw, []eldergate.Envelope{e}, at); err != nil {
			t.Fatal(err)
		}
	}
	feed.Wake()
	name, data = event()
	var cs []alarm.Change
	if name != "change" || json.Unmarshal([]byte(data), &cs) != nil || len(cs) != 1 || cs[0].Alert.ID != mine.ID || cs[0].Log[0].Kind != "opened" {
		t.Fatalf("change %s: %s", name, data)
	}
}

// TestAlarmChannelTest: an operator sends a test message to a stored
// channel and sees whether it arrived, with the error in words.
func TestAlarmChannelTest(t *testing.T) {
	f := newOrgFixture(t)
	_, opA := f.token(t, `{"name":"A 街道运维","role":"operator","scope":"st-a"}`)
	var got []string
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("X-Eldergate-Signature"))
	}))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "robot is down", 500) }))
	defer bad.Close()
	d := notify.New(notify.Config{})
	defer d.Close()
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock, Notifier: d})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	doc := `{"channels":[{"id":"good","kind":"webhook","url":"` + good.URL + `","secret":"k"},{"id":"bad","kind":"webhook","url":"` + bad.URL + `","secret":"k"}]}`
	if w := do(h, "PUT", "/api/v1/org/st-a/alarm-settings", opA, doc); w.Code != http.StatusOK {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	try := func(ch string) (int, TestChannelResult) {
		w := do(h, "POST", "/api/v1/org/st-a/alarm-settings/test", opA, `{"channel":"`+ch+`"}`)
		var r TestChannelResult
		_ = json.Unmarshal(w.Body.Bytes(), &r)
		return w.Code, r
	}
	if code, r := try("good"); code != http.StatusOK || !r.OK || len(got) != 1 || !strings.HasPrefix(got[0], "sha256=") {
		t.Fatalf("good channel: %d %+v, received %v", code, r, got)
	}
	if code, r := try("bad"); code != http.StatusOK || r.OK || !strings.Contains(r.Error, "500") {
		t.Fatalf("bad channel: %d %+v", code, r)
	}
	if code, _ := try("none"); code != http.StatusNotFound {
		t.Fatalf("unknown channel: %d", code)
	}
}
