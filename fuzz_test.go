package eldergate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func FuzzDecodeBatch(f *testing.F) {
	ev := validEvent(f, KindMeal, meal())
	good, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{ev}})
	f.Add(good)
	f.Add([]byte(`{"v":1,"gw":"gw-1","events":[{"id":"x"}]}`))
	dm := meal()
	dm.Decision, dm.Reason, dm.SubsidyFen, dm.DiscountFen, dm.DiscountBy, dm.PayFen = DecisionDiscounted, "discount_only", 0, 120, "hall", 1080
	disc, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{validEvent(f, KindMeal, dm)}})
	f.Add(disc)
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, rej, err := DecodeBatch(payload, "gw-1")
		if err != nil {
			if b.Events != nil || rej != nil {
				t.Fatalf("error with results: %v", err)
			}
			return
		}
		for _, e := range b.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("returned an invalid event: %v", err)
			}
			if e.Kind == KindMeal {
				m, _ := DecodeMealData(e.Data)
				if m.SubsidyFen > m.PriceFen {
					t.Fatalf("subsidy above price accepted: %+v", m)
				}
			}
		}
		for _, r := range rej {
			if r.Reason == "" {
				t.Fatal("rejection without a reason")
			}
		}
	})
}

func FuzzParseTopic(f *testing.F) {
	f.Add("eg/v1/gw/gw-1/up")
	f.Add("eg/v1/gw/+/up")
	f.Add("eg/v1/gw//ack")
	f.Fuzz(func(t *testing.T, s string) {
		gw, ch, err := ParseTopic(s)
		if err != nil {
			return
		}
		if Topic(gw, ch) != s {
			t.Fatalf("round trip %q -> %q %q -> %q", s, gw, ch, Topic(gw, ch))
		}
	})
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"12.60", "0", "-1.5", "1e9", "99999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseYuan(s)
		if err != nil {
			return
		}
		back, err := ParseYuan(v.String())
		if err != nil || back != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, v.String(), back, err)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	f.Add([]byte(`{"ids":["a"],"rejected":[{"id":"b","reason":"r"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		a, err := DecodeAck(payload)
		if err == nil && a.IDs == nil && a.Rejected == nil {
			t.Fatal("ack with neither ids nor rejections accepted")
		}
		_, _ = DecodeState(payload)
	})
}

// FuzzDecodeBatchPaths: the one-pass decoder and the event-by-event one
// give the same result for every payload (DecodeBatch uses the first when
// it can).
func FuzzDecodeBatchPaths(f *testing.F) {
	ev := validEvent(f, KindMeal, meal())
	al := validEvent(f, KindAlert, AlertData{AlertID: "a1", Action: AlertRaised, Button: "b1"})
	other := ev
	other.GW = "gw-2"
	big := ev
	big.Data = json.RawMessage(`{"elder_id":"E1","pad":"` + strings.Repeat("x", MaxEventBytes) + `"}`)
	for _, evs := range [][]Envelope{{ev}, {ev, al}, {ev, other}, {big}, {al, big, ev}} {
		b, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: evs})
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"gw":"gw-1","events":[{"id":"x"}]}`))
	f.Add([]byte(`{"v":1,"gw":"gw-1","events":[null]}`))
	f.Add([]byte(`{"v":1,"gw":"gw-1","events":[{"seq":"1"}],"unknown":"` + strings.Repeat("y", 20000) + `"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > MaxBatchBytes {
			return
		}
		b1, rej1, err1 := DecodeBatch(payload, "gw-1")
		b2, rej2, err2 := decodeBatchCareful(payload, "gw-1")
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		if !reflect.DeepEqual(b1, b2) || !reflect.DeepEqual(rej1, rej2) {
			t.Fatalf("results differ:\n%+v %+v\n%+v %+v", b1, rej1, b2, rej2)
		}
	})
}

// TestDecodeBatchFastPath: a valid batch takes the one-pass path, an
// invalid event sends it to the careful one.
func TestDecodeBatchFastPath(t *testing.T) {
	ev := validEvent(t, KindMeal, meal())
	good, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{ev, validEvent(t, KindMeal, meal())}})
	if b, ok := decodeBatchFast(good, "gw-1"); !ok || len(b.Events) != 2 || b.Events[0].meal == nil {
		t.Fatalf("valid batch: fast path ok=%v, %d events", ok, len(b.Events))
	}
	bad := ev
	bad.Seq = 0
	payload, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{ev, bad}})
	if _, ok := decodeBatchFast(payload, "gw-1"); ok {
		t.Fatal("a batch with an invalid event took the fast path")
	}
	b, rej, err := DecodeBatch(payload, "gw-1")
	if err != nil || len(b.Events) != 1 || len(rej) != 1 || rej[0].Reason != "events[1]: seq: missing" {
		t.Fatalf("DecodeBatch = %d events, %+v, %v", len(b.Events), rej, err)
	}
}
