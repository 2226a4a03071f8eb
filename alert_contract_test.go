package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeAlertDataActions(t *testing.T) {
	for _, c := range []struct {
		name, json, err string
	}{
		{"raised", `{"alert_id":"a","action":"raised","type":"emergency","button":"b","button_name":"卫生间","place":"101"}`, ""},
		{"cancel", `{"alert_id":"a","action":"cancelled"}`, ""},
		{"ack at the kiosk", `{"alert_id":"a","action":"acknowledged","by":"张*明"}`, ""},
		{"ack without who", `{"alert_id":"a","action":"acknowledged"}`, "data.by"},
		{"resolved", `{"alert_id":"a","action":"resolved","by":"张*明","outcome":"helped_on_site","note":"扶起"}`, ""},
		{"resolved without outcome", `{"alert_id":"a","action":"resolved","by":"张*明"}`, "data.outcome"},
		{"supervision", `{"alert_id":"a","action":"raised","type":"supervision","reason":"battery_low","button":"433:1"}`, ""},
		{"cleared", `{"alert_id":"a","action":"cleared","type":"supervision"}`, ""},
		{"unknown type", `{"alert_id":"a","action":"raised","type":"fire"}`, "data.type"},
		{"unknown action", `{"alert_id":"a","action":"exploded"}`, "data.action"},
		{"long note", `{"alert_id":"a","action":"resolved","by":"x","outcome":"test","note":"` + strings.Repeat("长", 1400) + `"}`, "data.note"},
	} {
		_, err := DecodeAlertData([]byte(c.json))
		if c.err == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want one naming %s", c.name, err, c.err)
		}
	}
}

func TestAlertUpdateRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC)
	u := AlertUpdate{AlertID: "c1", GW: "gw1", GWAlertID: "g1", State: "acknowledged", Type: AlertTypeEmergency,
		Button: "b", ButtonName: "卫生间", Presses: 2, OpenedAt: at, AckedAt: &at, AckedBy: "张*明", AckedVia: "kiosk"}
	b, _ := json.Marshal(u)
	got, err := DecodeAlertUpdate(b)
	if err != nil || got.AckedBy != "张*明" || !got.AckedAt.Equal(at) || got.Presses != 2 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{`{}`, `{"alert_id":"c","state":"lost","opened_at":"2026-12-06T00:00:00Z"}`, `{"alert_id":"c","state":"open"}`, `[`} {
		if _, err := DecodeAlertUpdate([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if !KnownCommand(CmdAlert) {
		t.Fatal("alert is not a known command")
	}
}

func FuzzDecodeAlertData(f *testing.F) {
	f.Add([]byte(`{"alert_id":"a","action":"resolved","by":"x","outcome":"test"}`))
	f.Add([]byte(`{"alert_id":"a","action":"raised","type":"supervision","reason":"button_silent"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAlertData(b)
		if err != nil {
			return
		}
		if a.AlertID == "" || !knownAlertAction(a.Action) {
			t.Fatalf("accepted %+v", a)
		}
		if a.Action == AlertResolved && (a.By == "" || a.Outcome == "") {
			t.Fatalf("resolve without who or outcome accepted: %+v", a)
		}
	})
}

func FuzzDecodeAlertUpdate(f *testing.F) {
	f.Add([]byte(`{"alert_id":"c","state":"open","opened_at":"2026-12-06T00:00:00Z","acked_at":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeAlertUpdate(b)
		if err == nil && (u.AlertID == "" || u.OpenedAt.IsZero()) {
			t.Fatalf("accepted %+v", u)
		}
	})
}
