package eldergate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// batchScanSeeds: the usual forms, and the unusual ones that must go to
// encoding/json (or be refused by both).
func batchScanSeeds(t testing.TB) []string {
	ev := validEvent(t, KindMeal, meal())
	al := validEvent(t, KindAlert, AlertData{AlertID: "a1", Action: AlertRaised, Button: "b1", Note: "卫生间 \"x\"\n"})
	hb := validEvent(t, KindHeartbeat, map[string]any{"up": 12.5, "n": []any{1, -2e3, true, false, nil, "s\u00e9"}, "o": map[string]any{}})
	one, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 3, Events: []Envelope{ev}})
	three, _ := json.Marshal(Batch{V: 1, GW: "gw-1", Boot: 3, Events: []Envelope{ev, al, hb}})
	indented, _ := json.MarshalIndent(Batch{V: 1, GW: "gw-1", Boot: 3, Events: []Envelope{ev, al}}, "", "\t")
	const head = `{"v":1,"gw":"gw-1","boot":1,"events":[{"id":"0193a5e4-0000-7000-8000-000000000001","kind":"meal","gw":"gw-1","site":"s","seq":1,"boot":1,"at":"2026-11-22T04:00:00Z","clock":"synced","data":`
	return []string{
		string(one), string(three), string(indented),
		`{}`, `{"v":1}`, `{"v":1,"gw":"gw-1","events":[]}`, `{"v":1,"gw":"gw-1","events":[{}]}`,
		`{"v":1,"gw":"gw-1","events":[{"id":"x"}]}`,
		`{"v":1,"gw":"gw-1","events":[null]}`, `{"v":null}`, `{"events":null}`,
		`{"V":1}`, `{"v":1,"v":2}`, `{"v":1.0}`, `{"v":1e0}`, `{"v":-0}`, `{"boot":-1}`, `{"boot":-0}`,
		`{"gw":"gw\u002d1"}`, `{"gw":"站"}`, `{"extra":1,"v":1}`, `{"v":1} x`, `{"v":1,}`,
		head + `{}}]}`, head + `[]}]}`, head + `"x"}]}`, head + `null}]}`,
		head + `{"a":[1,2,{"b":"\u00e9\n\"","c":-0.5e+7}],"d":true}}]}`,
		head + `{"a":01}}]}`, head + `{"a":1.}}]}`, head + `{"a":"\x"}}]}`, head + `{"a":"` + "\x01" + `"}}]}`,
		head + `{"a":"` + "\xff\xfe" + `"}}]}`, head + `{"a":tru}}]}`,
		head + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}]}`,
		head + `{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}]}`,
		strings.Replace(string(one), `"at":"2026-11-22T04:00:00Z"`, `"at":"2026-11-22T12:00:00+08:00"`, 1),
		strings.Replace(string(one), `"at":"2026-11-22T04:00:00Z"`, `"at":"2026-11-22 04:00:00Z"`, 1),
		strings.Replace(string(one), `"seq":1`, `"seq":18446744073709551615`, 1),
		strings.Replace(string(one), `"seq":1`, `"Seq":1`, 1),
		strings.Replace(string(one), `"seq":1`, `"seq":1,"x":{"a":[1,null]},"kınd":"alert"`, 1),
		strings.Replace(string(one), `"seq":1`, `"seq":1,"Kind":"alert"`, 1),
		strings.Replace(string(one), `"seq":1`, `"seq":1,"seq":2`, 1),
		strings.Replace(string(one), `"kind":"meal"`, `"kind":"nope"`, 1),
		strings.Replace(string(one), `"clock":"synced"`, `"clock":"unsynced"`, 1),
	}
}

// TestScanBatchFlatCommon: the batches gateways send take the scanner and
// give what encoding/json gives; unusual ones go to encoding/json.
func TestScanBatchFlatCommon(t *testing.T) {
	seeds := batchScanSeeds(t)
	extra := strings.Replace(seeds[0], `"seq":1`, `"seq":1,"fw":{"v":[1,"x",null]},"Kindly":null`, 1)
	extra = strings.Replace(extra, `{"v":1`, `{"sent_at":"2026-11-22T04:00:00Z","v":1`, 1)
	for _, s := range append(seeds[:3:3], extra) {
		got, ok := scanBatchFlat([]byte(s), "gw-1")
		if !ok {
			t.Fatalf("the usual batch did not take the scanner: %s", s)
		}
		want, err := unmarshalBatch([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanner %+v\njson %+v", got, want)
		}
		if got.Events[0].Kind != KindMeal || got.Events[0].GW != "gw-1" || got.Events[0].Clock != ClockSynced {
			t.Fatalf("event read as %+v", got.Events[0])
		}
	}
	for _, s := range []string{`{"V":1}`, `{"v":1,"v":2}`, `{"v":1.0}`, `{"v":null}`, `{"gw":"gw\u002d1"}`, `{"Events":[],"v":1}`, `{"ex\u0074ra":1,"v":1}`,
		`{"v":1,"gw":"gw-1","events":[null]}`, strings.Replace(seeds[0], `"seq":1`, `"SITE":"x","seq":1`, 1), strings.Replace(seeds[0], `"seq":1`, `"Seq":1`, 1)} {
		if _, ok := scanBatchFlat([]byte(s), "gw-1"); ok {
			t.Errorf("%s took the scanner; it must go to encoding/json", s)
		}
	}
}

// TestDecodeBatchDataNotCopied: an event's data is a slice of the payload
// whose capacity ends with it, so appending to it never writes into the
// payload.
func TestDecodeBatchDataNotCopied(t *testing.T) {
	payload := []byte(batchScanSeeds(t)[1])
	b, rej, err := DecodeBatch(payload, "gw-1")
	if err != nil || len(rej) != 0 || len(b.Events) != 3 {
		t.Fatalf("DecodeBatch = %d events, %v, %v", len(b.Events), rej, err)
	}
	for _, e := range b.Events {
		if cap(e.Data) != len(e.Data) {
			t.Fatalf("data %s: capacity %d runs past its length %d", e.Data, cap(e.Data), len(e.Data))
		}
	}
	before := string(payload)
	_ = append(b.Events[0].Data, "xxxxxxxx"...)
	if string(payload) != before {
		t.Fatal("appending to an event's data changed the payload")
	}
}

// FuzzScanBatchFlat: encoding/json is the oracle. Whenever the scanner
// takes a payload, encoding/json reads it too, to the same value; and
// DecodeBatch (scanner or fallback) gives what a decode by encoding/json
// alone gives, errors in the same words.
func FuzzScanBatchFlat(f *testing.F) {
	for _, s := range batchScanSeeds(f) {
		f.Add([]byte(s))
	}
	viaJSON := func(payload []byte) (Batch, []Rejection, error) {
		raw, err := unmarshalBatch(payload)
		if err == nil {
			if b, ok := checkBatchFast(raw, "gw-1"); ok {
				return b, nil, nil
			}
		}
		return decodeBatchCareful(payload, "gw-1")
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > MaxBatchBytes {
			return
		}
		got, ok := scanBatchFlat(payload, "gw-1")
		if ok {
			want, err := unmarshalBatch(payload)
			if err != nil {
				t.Fatalf("scanner took %q, encoding/json refuses it: %v", payload, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q:\nscanner %+v\njson    %+v", payload, got, want)
			}
		}
		b1, rej1, err1 := DecodeBatch(payload, "gw-1")
		b2, rej2, err2 := viaJSON(payload)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		if !reflect.DeepEqual(b1, b2) || !reflect.DeepEqual(rej1, rej2) {
			t.Fatalf("results differ:\n%+v %+v\n%+v %+v", b1, rej1, b2, rej2)
		}
	})
}
