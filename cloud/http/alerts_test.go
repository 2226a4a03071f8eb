package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
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
