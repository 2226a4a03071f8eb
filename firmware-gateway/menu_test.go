package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
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
}
