package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// testMenu is a menu of the test site: rice and greens at lunch, a soup
// sold out, congee only at breakfast.
func testMenu(site, version string) eldergate.Menu {
	return eldergate.Menu{Site: site, Version: version, Dishes: []eldergate.Dish{
		{ID: "rice", Name: map[string]string{"zh-CN": "米饭", "zh-HK": "白飯", "en": "Rice"}, PriceFen: 100},
		{ID: "greens", Name: map[string]string{"zh-CN": "炒青菜", "en": "Greens"}, PriceFen: 450, Windows: []string{"lunch", "dinner"}},
		{ID: "soup", Name: map[string]string{"zh-CN": "例汤"}, PriceFen: 300, Off: true},
		{ID: "congee", Name: map[string]string{"zh-CN": "白粥"}, PriceFen: 200, Windows: []string{"breakfast"}},
	}}
}

// menuConfig is the staff configuration on the Shenzhen policy (every
// window priced at the till) with E4, a 75-year-old local 低保 elder
// (15 yuan subsidy, never above the price).
func menuConfig(t *testing.T, dir string) config.Config {
	t.Helper()
	cfg := staffConfig(t, dir)
	cfg.Policy = loadPolicy(t, "../docs/policies/shenzhen-2025.yaml")
	cfg.Roster = append(cfg.Roster, eldergate.Elder{ID: "E4", Name: "王福寿", Card: "04SZ0075", Birth: "1950-01-15",
		Active: true, Categories: []string{"低保"}, HukouLocal: true})
	return cfg
}

func gatewayStatus(t *testing.T, g *gateway.Gateway) map[string]any {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal([]byte(getText(t, g.HTTPURL()+"/api/status")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// A menu command is applied, stored and reported; one for another site
// or an invalid one is refused in words and changes nothing; the menu
// survives a restart.
func TestMenuCommand(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := menuConfig(t, dir)
	g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := gatewayStatus(t, g); st["menu_version"] != "" {
		t.Fatalf("menu before any command: %v", st["menu_version"])
	}
	res := g.HandleCommand(t.Context(), command(t, c, "m1", eldergate.CmdMenu, testMenu(cfg.Site, "menu-7")))
	if !res.OK || !strings.Contains(string(res.Body), `"menu_version":"menu-7"`) || !strings.Contains(string(res.Body), `"dishes":4`) {
		t.Fatalf("menu command: %+v %s", res, res.Body)
	}
	for name, tc := range map[string]struct {
		body any
		want string
	}{
		"another site": {testMenu("site-other", "menu-8"), `the menu is for site "site-other", this gateway serves site "测试饭堂"`},
		"no site":      {testMenu("", "menu-8"), `the menu is for site ""`},
		"no price":     {eldergate.Menu{Site: cfg.Site, Version: "menu-8", Dishes: []eldergate.Dish{{ID: "x", Name: map[string]string{"zh-CN": "菜"}}}}, "dishes[0].price_fen"},
		"no body":      {nil, "body is missing"},
	} {
		res := g.HandleCommand(t.Context(), command(t, c, "bad-"+strings.ReplaceAll(name, " ", "-"), eldergate.CmdMenu, tc.body))
		if res.OK || !strings.Contains(res.Error, tc.want) {
			t.Errorf("%s: %+v, want an error containing %q", name, res, tc.want)
		}
	}
	if st := gatewayStatus(t, g); st["menu_version"] != "menu-7" || st["menu_dishes"] != float64(4) {
		t.Fatalf("status after the refusals: %v %v", st["menu_version"], st["menu_dishes"])
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	g2 := start(t, cfg, c)
	if st := gatewayStatus(t, g2); st["menu_version"] != "menu-7" || st["menu_dishes"] != float64(4) {
		t.Fatalf("status after a restart: %v %v", st["menu_version"], st["menu_dishes"])
	}
	// The dishes are still priced from it.
	tok := staffLogin(t, g2)
	var m struct {
		Window string `json:"window"`
		Dishes []struct {
			ID string `json:"id"`
		} `json:"dishes"`
	}
	if code := staffCall(t, "GET", g2.HTTPURL()+"/api/staff/menu", tok, "", &m); code != http.StatusOK || len(m.Dishes) != 3 {
		t.Fatalf("menu after a restart: %d %+v", code, m)
	}
}

// Dish picking through the local API with the gateway's SQLite store:
// the menu of the window open now (names in each language, off dishes
// flagged, dishes of other windows left out); unknown, off and
// out-of-window dishes refused in words; dishes then tap and tap then
// dishes each record a meal whose items add up to its price, priced from
// the stored menu.
func TestStaffDishes(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch.Add(time.Hour)} // 13:00 in Shanghai: lunch
	cfg := menuConfig(t, dir)
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	base := g.HTTPURL()
	tok := staffLogin(t, g)

	if code, msg := staffPost(t, base+"/api/staff/dishes", tok, `{"items":[{"dish":"rice","qty":1}]}`); code != http.StatusConflict || !strings.Contains(msg, "no menu yet") {
		t.Fatalf("dishes without a menu: %d %q", code, msg)
	}
	if res := g.HandleCommand(t.Context(), command(t, c, "m1", eldergate.CmdMenu, testMenu(cfg.Site, "menu-1"))); !res.OK {
		t.Fatal(res.Error)
	}
	var m struct {
		Version string `json:"version"`
		Window  string `json:"window"`
		Dishes  []struct {
			ID       string            `json:"id"`
			Name     map[string]string `json:"name"`
			PriceFen int64             `json:"price_fen"`
			Off      bool              `json:"off"`
		} `json:"dishes"`
	}
	if code := staffCall(t, "GET", base+"/api/staff/menu", "", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("menu without a session: %d", code)
	}
	if code := staffCall(t, "GET", base+"/api/staff/menu", tok, "", &m); code != http.StatusOK {
		t.Fatalf("menu: %d", code)
	}
	if m.Version != "menu-1" || m.Window != "lunch" || len(m.Dishes) != 3 {
		t.Fatalf("menu: %+v", m)
	}
	if d := m.Dishes[1]; d.ID != "greens" || d.Name["zh-HK"] != "炒青菜" || d.Name["en"] != "Greens" || d.PriceFen != 450 || d.Off {
		t.Errorf("greens: %+v", d)
	}
	if d := m.Dishes[0]; d.Name["zh-HK"] != "白飯" {
		t.Errorf("rice: %+v", d)
	}
	if d := m.Dishes[2]; d.ID != "soup" || !d.Off {
		t.Errorf("soup not flagged off: %+v", d)
	}

	for body, want := range map[string]string{
		`{"items":[{"dish":"lobster","qty":1}]}`:                      `"lobster" is not on this site's menu`,
		`{"items":[{"dish":"soup","qty":1}]}`:                         "例汤 (soup) is off the menu for now",
		`{"items":[{"dish":"congee","qty":1}]}`:                       "白粥 (congee) is not sold at lunch",
		`{"items":[{"dish":"rice","qty":1},{"dish":"rice","qty":2}]}`: "listed twice",
		`{"items":[{"dish":"rice","qty":0}]}`:                         "is not a whole number from 1 to 20",
		`{"items":[{"dish":"rice","qty":1,"price_fen":1}]}`:           "names and prices come from the menu",
		`{"items":[]}`: "pick at least one dish",
	} {
		if code, msg := staffPost(t, base+"/api/staff/dishes", tok, body); code != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %q, want 400 with %q", body, code, msg, want)
		}
	}
	if code, _ := staffPost(t, base+"/api/staff/dishes", "", `{"items":[{"dish":"rice","qty":1}]}`); code != http.StatusUnauthorized {
		t.Errorf("dishes without a session: %d", code)
	}

	// Dishes, then the tap: 2 rice + 3 greens = 2 + 13.50 = 15.50 yuan.
	if code, msg := staffPost(t, base+"/api/staff/dishes", tok, `{"items":[{"dish":"rice","qty":2},{"dish":"greens","qty":3}]}`); code != http.StatusOK {
		t.Fatalf("dishes: %d %s", code, msg)
	}
	var till tapdesk.TillEvent
	next(t, events, tapdesk.EventTill, &till)
	if till.State != tapdesk.TillPending || till.AmountFen != 1550 || till.Source != eldergate.PriceSourceMenu || len(till.Items) != 2 {
		t.Fatalf("till event: %+v", till)
	}
	ev := cmdTap(t, g, events, "04SZ0075")
	if ev.PriceFen != 1550 || ev.SubsidyFen != 1500 || ev.PayFen != 50 {
		t.Fatalf("dishes then tap: %+v", ev)
	}
	md := mealData(t, dir, ev.EventID)
	if md.PriceSource != eldergate.PriceSourceMenu || md.Cashier != "S1" || eldergate.LinesTotal(md.Items) != md.PriceFen || md.PriceFen != 1550 {
		t.Fatalf("meal event: %+v", md)
	}
	if l := md.Items[1]; l.Dish != "greens" || l.Name != "炒青菜" || l.Qty != 3 || l.PriceFen != 450 {
		t.Errorf("line: %+v", l)
	}

	// The tap, then the dishes (a second meal in the window: full pay).
	c.add(10 * time.Second)
	tap(t, g, "04SZ0075")
	next(t, events, tapdesk.EventTill, &till)
	if till.State != tapdesk.TillWaiting {
		t.Fatalf("tap before the dishes: %+v", till)
	}
	var ar tapdesk.AmountResult
	if code := staffCall(t, "POST", base+"/api/staff/dishes", tok, `{"items":[{"dish":"greens","qty":1}]}`, &ar); code != http.StatusOK {
		t.Fatalf("dishes after the tap: %d", code)
	}
	if ar.State != tapdesk.TillDecided || ar.Tap == nil || ar.Tap.PriceFen != 450 || ar.Tap.PayFen != 450 {
		t.Fatalf("tap then dishes: %+v", ar)
	}
	next(t, events, tapdesk.EventTap, &ev)
	md = mealData(t, dir, ev.EventID)
	if len(md.Items) != 1 || eldergate.LinesTotal(md.Items) != md.PriceFen || md.PriceFen != 450 {
		t.Fatalf("meal event: %+v", md)
	}

	// Outside every window no dish is sold.
	c.set(lunch.Add(2*time.Hour + 30*time.Minute)) // 14:30
	tok = staffLogin(t, g)                         // the session of 13:00 has expired
	if code := staffCall(t, "GET", base+"/api/staff/menu", tok, "", &m); code != http.StatusOK || m.Window != "" || len(m.Dishes) != 0 {
		t.Fatalf("menu outside the windows: %d %+v", code, m)
	}
	if code, msg := staffPost(t, base+"/api/staff/dishes", tok, `{"items":[{"dish":"rice","qty":1}]}`); code != http.StatusBadRequest || !strings.Contains(msg, "no meal window is open now") {
		t.Fatalf("dishes outside the windows: %d %q", code, msg)
	}
}

func staffLogin(t *testing.T, g *gateway.Gateway) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	if code := staffCall(t, "POST", g.HTTPURL()+"/api/staff/login", "", `{"pin":"2468"}`, &s); code != http.StatusOK {
		t.Fatalf("staff login: %d", code)
	}
	return s.Token
}

// staffPost posts body and returns the status and the error text.
func staffPost(t *testing.T, url, tok, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Error
}
