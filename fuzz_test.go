package eldergate

import (
	"encoding/json"
	"testing"
)

func FuzzDecodeBatch(f *testing.F) {
	ev := validEvent(f, KindMeal, meal())
	good, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 1, Events: []Envelope{ev}})
	f.Add(good)
	f.Add([]byte(`{"v":1,"gw":"gw-1","events":[{"id":"x"}]}`))
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
