package eldergate

import (
	"encoding/json"
	"reflect"
	"testing"
)

var mealScanSeeds = []string{
	`{"elder_id":"E1","window":"lunch","day":"2026-12-07","decision":"approved","reason":"ok","price_fen":1200,"subsidy_fen":500,"pay_fen":700,"policy_version":"p1"}`,
	`{ "elder_id" : "E1" , "manual" : true , "staff" : "s1", "price_fen": -0, "weight_g": 0 }`,
	`{"elder_id":"E1","price_source":"till","till":"t1","till_ref":"r","cashier":"c","discount_fen":10,"discount_funded_by":"hall","operating_subsidy_fen":3,"operating_funded_by":"x","rule":"r1","credential":"****1234"}`,
	`{}`,
	`{"elder_id":"E\u0031"}`,
	`{"Elder_ID":"E1"}`,
	`{"price_fen":1.0}`,
	`{"price_fen":12e2}`,
	`{"price_fen":01}`,
	`{"price_fen":99999999999999999999}`,
	`{"elder_id":"E1","elder_id":"E2"}`,
	`{"elder_id":null}`,
	`{"manual":false,"funding":[{"layer":"city","fen":500}]}`,
	`{"reason":"午餐"}`,
	`{"elder_id":"E1"} x`,
	`{"elder_id":"E1",}`,
}

// TestScanMealFlatCommon: the common card tap takes the fast path and
// gives what encoding/json gives.
func TestScanMealFlatCommon(t *testing.T) {
	m, ok := scanMealFlat([]byte(mealScanSeeds[0]))
	if !ok {
		t.Fatal("the common meal did not take the fast path")
	}
	var want MealData
	if err := json.Unmarshal([]byte(mealScanSeeds[0]), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("fast %+v, json %+v", m, want)
	}
	for _, s := range []string{`{"elder_id":"E\u0031"}`, `{"Elder_ID":"E1"}`, `{"price_fen":1.0}`, `{"elder_id":null}`, `{"reason":"午餐"}`, `{"elder_id":"E1","elder_id":"E2"}`} {
		if _, ok := scanMealFlat([]byte(s)); ok {
			t.Errorf("%s took the fast path; it must go to encoding/json", s)
		}
	}
}

// FuzzScanMealFlat: whenever the fast path takes a payload, encoding/json
// decodes it too, to the same MealData.
func FuzzScanMealFlat(f *testing.F) {
	for _, s := range mealScanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := scanMealFlat(b)
		if !ok {
			return
		}
		var want MealData
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast path took %q, json refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("%q: fast %+v, json %+v", b, m, want)
		}
	})
}
