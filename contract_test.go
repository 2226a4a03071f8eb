package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func validEvent(t testing.TB, kind Kind, data any) Envelope {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return Envelope{ID: id.String(), Kind: kind, GW: "gw-1", Site: "site-1", Seq: 1, Boot: 1,
		At: time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC), Clock: ClockSynced, Data: raw}
}

func meal() MealData {
	return MealData{ElderID: "e1", Window: "lunch", Day: "2026-11-22", Decision: DecisionApproved, PriceFen: 1200, SubsidyFen: 500, PayFen: 700}
}

func TestFenString(t *testing.T) {
	for _, c := range []struct {
		f    Fen
		want string
	}{{0, "0.00"}, {5, "0.05"}, {1260, "12.60"}, {-1260, "-12.60"}, {100000, "1000.00"}} {
		if got := c.f.String(); got != c.want {
			t.Errorf("Fen(%d).String() = %q, want %q", int64(c.f), got, c.want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	good := map[string]Fen{"12": 1200, "12.6": 1260, "12.60": 1260, "0.05": 5, "-3.5": -350}
	for s, want := range good {
		got, err := ParseYuan(s)
		if err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "12.605", "abc", "1.", ".5", "1e3", "12,5"} {
		if _, err := ParseYuan(s); err == nil {
			t.Errorf("ParseYuan(%q) succeeded, want error", s)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"张三明": "张*明", "张三": "张*", "欧阳小明": "欧**明", "": "", "Li": "L*"} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"440303199001011234": "440303********1234", "12345678": "****5678", "123": "***"} {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTopics(t *testing.T) {
	if got := Topic("gw-1", ChannelUp); got != "eg/v1/gw/gw-1/up" {
		t.Fatalf("Topic = %q", got)
	}
	gw, ch, err := ParseTopic("eg/v1/gw/gw-1/ack")
	if err != nil || gw != "gw-1" || ch != ChannelAck {
		t.Fatalf("ParseTopic = %q %q %v", gw, ch, err)
	}
	for _, bad := range []string{"", "eg/v1/gw/", "eg/v1/gw/gw-1", "eg/v1/gw/gw-1/nope", "eg/v1/gw/+/up", "eg/v1/gw/a/b/up", "x/v1/gw/gw-1/up"} {
		if _, _, err := ParseTopic(bad); err == nil {
			t.Errorf("ParseTopic(%q) succeeded, want error", bad)
		}
	}
}

func TestDecodeBatch(t *testing.T) {
	good := validEvent(t, KindMeal, meal())
	noID := validEvent(t, KindMeal, meal())
	noID.ID = ""
	badMeal := meal()
	badMeal.SubsidyFen = 5000
	overSubsidy := validEvent(t, KindMeal, badMeal)
	otherGW := validEvent(t, KindAlert, AlertData{AlertID: "a1", Action: AlertRaised})
	otherGW.GW = "gw-2"
	payload, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{good, noID, overSubsidy, otherGW}})
	b, rej, err := DecodeBatch(payload, "gw-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 1 || b.Events[0].ID != good.ID {
		t.Fatalf("valid events = %+v, want only %s", b.Events, good.ID)
	}
	if len(rej) != 3 {
		t.Fatalf("rejections = %+v, want 3", rej)
	}
	wants := []struct{ id, reason string }{{"", "id: missing"}, {overSubsidy.ID, "subsidy_fen"}, {otherGW.ID, "does not match"}}
	for i, w := range wants {
		if rej[i].ID != w.id || !strings.Contains(rej[i].Reason, w.reason) {
			t.Errorf("rejection %d = %+v, want id %q reason containing %q", i, rej[i], w.id, w.reason)
		}
	}
}

func TestDecodeBatchWholePayloadErrors(t *testing.T) {
	ev, _ := json.Marshal(validEvent(t, KindMeal, meal()))
	cases := map[string]struct {
		payload string
		want    string
	}{
		"not json":      {"not json", "not a valid JSON"},
		"no version":    {`{"gw":"gw-1","events":[` + string(ev) + `]}`, "v: missing"},
		"wrong version": {`{"v":2,"gw":"gw-1","events":[` + string(ev) + `]}`, "unsupported version 2"},
		"wrong gw":      {`{"v":1,"gw":"gw-9","events":[` + string(ev) + `]}`, "does not match"},
		"no events":     {`{"v":1,"gw":"gw-1","events":[]}`, "events: missing"},
		"too large":     {strings.Repeat(" ", MaxBatchBytes+1), "exceeds the limit"},
	}
	for name, c := range cases {
		_, _, err := DecodeBatch([]byte(c.payload), "gw-1")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want containing %q", name, err, c.want)
		}
	}
}

func TestEnvelopeValidate(t *testing.T) {
	mut := map[string]func(e *Envelope){
		"id: ":        func(e *Envelope) { e.ID = "123" },
		"version 7":   func(e *Envelope) { e.ID = uuid.NewString() },
		"kind":        func(e *Envelope) { e.Kind = "party" },
		"site":        func(e *Envelope) { e.Site = "" },
		"seq":         func(e *Envelope) { e.Seq = 0 },
		"at: missing": func(e *Envelope) { e.At = time.Time{} },
		"not UTC":     func(e *Envelope) { e.At = e.At.In(time.FixedZone("CST", 8*3600)) },
		"clock":       func(e *Envelope) { e.Clock = "" },
		"data":        func(e *Envelope) { e.Data = json.RawMessage(`[]`) },
	}
	for want, f := range mut {
		e := validEvent(t, KindMeal, meal())
		f(&e)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	e := validEvent(t, KindHeartbeat, map[string]int{"uptime": 1})
	if err := e.Validate(); err != nil {
		t.Errorf("heartbeat: %v", err)
	}
}

func TestDecodeAckAndState(t *testing.T) {
	a, err := DecodeAck([]byte(`{"ids":["x"],"rejected":[{"id":"y","reason":"r"}],"extra":1}`))
	if err != nil || len(a.IDs) != 1 || a.Rejected[0].Reason != "r" {
		t.Fatalf("DecodeAck = %+v, %v", a, err)
	}
	for _, bad := range []string{`{}`, `nope`, `{"ids":"x"}`} {
		if _, err := DecodeAck([]byte(bad)); err == nil {
			t.Errorf("DecodeAck(%s) succeeded", bad)
		}
	}
	s, err := DecodeState([]byte(`{"online":false,"boot":7}`))
	if err != nil || s.Online || s.Boot != 7 {
		t.Fatalf("DecodeState = %+v, %v", s, err)
	}
	if _, err := DecodeState([]byte(`{"boot":7}`)); err == nil {
		t.Error("DecodeState without online succeeded")
	}
}
