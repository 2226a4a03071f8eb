package eldergate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
)

func TestDecodeMenu(t *testing.T) {
	good := `{"site":"s1","version":"3","dishes":[
		{"id":"rice","name":{"zh-CN":"米饭","en":"Rice"},"price_fen":100},
		{"id":"fish","name":{"zh-CN":"清蒸鱼"},"price_fen":1200,"windows":["lunch"]}]}`
	m, err := eldergate.DecodeMenu([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if m.Dishes[0].DishName("en") != "Rice" || m.Dishes[1].DishName("zh-HK") != "清蒸鱼" {
		t.Errorf("names: %q %q", m.Dishes[0].DishName("en"), m.Dishes[1].DishName("zh-HK"))
	}
	if !m.Dishes[0].SoldIn("dinner") || m.Dishes[1].SoldIn("dinner") || !m.Dishes[1].SoldIn("lunch") {
		t.Error("windows")
	}
	for name, c := range map[string]struct{ body, want string }{
		"dup":      {`{"dishes":[{"id":"a","name":{"zh-CN":"甲"},"price_fen":1},{"id":"a","name":{"zh-CN":"乙"},"price_fen":1}]}`, "used by two dishes"},
		"noname":   {`{"dishes":[{"id":"a","name":{"en":"A"},"price_fen":1}]}`, "zh-CN name is missing"},
		"price0":   {`{"dishes":[{"id":"a","name":{"zh-CN":"甲"},"price_fen":0}]}`, "not a price"},
		"lang":     {`{"dishes":[{"id":"a","name":{"zh-CN":"甲","fr":"x"},"price_fen":1}]}`, "unknown language"},
		"long":     {`{"dishes":[{"id":"a","name":{"zh-CN":"` + strings.Repeat("菜", 41) + `"},"price_fen":1}]}`, "longer than 40"},
		"notjson":  {`{"dishes":`, "not a valid menu"},
		"idspaces": {`{"dishes":[{"id":" a","name":{"zh-CN":"甲"},"price_fen":1}]}`, "padded"},
	} {
		_, err := eldergate.DecodeMenu([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}

func TestMealItemsAddUp(t *testing.T) {
	meal := func(src string, price eldergate.Fen, items []eldergate.MenuLine) error {
		b, _ := json.Marshal(eldergate.MealData{ElderID: "e1", Window: "lunch", Day: "2026-12-06", Decision: eldergate.DecisionFullPay,
			PriceFen: price, PayFen: price, PriceSource: src, Items: items})
		_, err := eldergate.DecodeMealData(b)
		return err
	}
	lines := []eldergate.MenuLine{{Dish: "rice", Name: "米饭", Qty: 2, PriceFen: 100}, {Dish: "fish", Name: "清蒸鱼", Qty: 1, PriceFen: 1200}}
	if err := meal(eldergate.PriceSourceMenu, 1400, lines); err != nil {
		t.Fatal(err)
	}
	if err := meal(eldergate.PriceSourceMenu, 1300, lines); err == nil || !strings.Contains(err.Error(), "add up to 1400") {
		t.Errorf("wrong total: %v", err)
	}
	if err := meal(eldergate.PriceSourceTill, 1400, lines); err == nil {
		t.Error("items on a till price accepted")
	}
	if err := meal(eldergate.PriceSourceMenu, 0, nil); err == nil {
		t.Error("a menu price without dishes accepted")
	}
	bad := []eldergate.MenuLine{{Dish: "rice", Qty: 0, PriceFen: 100}}
	if err := meal(eldergate.PriceSourceMenu, 0, bad); err == nil || !strings.Contains(err.Error(), "data.items[0].qty") {
		t.Errorf("qty 0: %v", err)
	}
}

func FuzzDecodeMenu(f *testing.F) {
	f.Add([]byte(`{"site":"s","version":"1","dishes":[{"id":"a","name":{"zh-CN":"甲"},"price_fen":100,"windows":["lunch"]}]}`))
	f.Add([]byte(`{"dishes":[{"id":"a","name":{"zh-CN":""},"price_fen":-1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := eldergate.DecodeMenu(b)
		if err != nil {
			return
		}
		// A valid menu survives a round trip and stays valid.
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eldergate.DecodeMenu(out); err != nil {
			t.Fatalf("round trip of a valid menu: %v", err)
		}
		for _, d := range m.Dishes {
			if d.PriceFen < 1 || d.PriceFen > eldergate.MaxDishPriceFen || d.Name["zh-CN"] == "" {
				t.Fatalf("invalid dish accepted: %+v", d)
			}
		}
	})
}

func TestMenuPick(t *testing.T) {
	m := eldergate.Menu{Site: "s", Version: "v1", Dishes: []eldergate.Dish{
		{ID: "rice", Name: map[string]string{"zh-CN": "米饭"}, PriceFen: 100},
		{ID: "fish", Name: map[string]string{"zh-CN": "蒸鱼"}, PriceFen: 1200, Windows: []string{"dinner"}},
		{ID: "soup", Name: map[string]string{"zh-CN": "例汤"}, PriceFen: 300, Off: true},
	}}
	lines, err := m.Pick("dinner", []eldergate.DishPick{{Dish: "fish", Qty: 1}, {Dish: "rice", Qty: 3}})
	if err != nil || len(lines) != 2 || eldergate.LinesTotal(lines) != 1500 || lines[0] != (eldergate.MenuLine{Dish: "fish", Name: "蒸鱼", Qty: 1, PriceFen: 1200}) {
		t.Fatalf("pick: %+v %v", lines, err)
	}
	if err := eldergate.ValidateLines(lines); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		w     string
		picks []eldergate.DishPick
		want  string
	}{
		"unknown":   {"lunch", []eldergate.DishPick{{Dish: "cake", Qty: 1}}, `"cake" is not on this site's menu (version "v1")`},
		"off":       {"lunch", []eldergate.DishPick{{Dish: "soup", Qty: 1}}, "例汤 (soup) is off the menu for now"},
		"window":    {"lunch", []eldergate.DishPick{{Dish: "fish", Qty: 1}}, "蒸鱼 (fish) is not sold at lunch"},
		"no window": {"", []eldergate.DishPick{{Dish: "rice", Qty: 1}}, "no meal window is open now"},
		"twice":     {"lunch", []eldergate.DishPick{{Dish: "rice", Qty: 1}, {Dish: "rice", Qty: 1}}, "listed twice"},
		"qty":       {"lunch", []eldergate.DishPick{{Dish: "rice", Qty: 21}}, "21 of 米饭 is not a quantity from 1 to 20"},
		"none":      {"lunch", nil, "pick at least one dish"},
		"too many":  {"lunch", make([]eldergate.DishPick, 51), "51 lines exceed the limit of 50"},
	} {
		if _, err := m.Pick(tc.w, tc.picks); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestStateMenuVersion(t *testing.T) {
	st, err := eldergate.DecodeState([]byte(`{"online":true,"boot":3,"policy_version":"p1","menu_version":"menu-7"}`))
	if err != nil || st.MenuVersion != "menu-7" || st.PolicyVersion != "p1" {
		t.Fatalf("DecodeState = %+v, %v", st, err)
	}
	b, _ := json.Marshal(eldergate.State{Online: true, Boot: 1})
	if strings.Contains(string(b), "menu_version") {
		t.Fatalf("a state without a menu names one: %s", b)
	}
}
