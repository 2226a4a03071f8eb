package reports

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// TestCharity: sites in the tree's order then outside it with their
// district, an elder counted once across sites and days, voids apart, the
// public summary carrying no elder.
func TestCharity(t *testing.T) {
	units := []domain.OrgUnit{
		{ID: "d1", Level: domain.LevelDistrict, Name: "一区", Path: "/d1/"},
		{ID: "s1", Level: domain.LevelStreet, Name: "街", Path: "/d1/s1/"},
		{ID: "c1", Level: domain.LevelCommunity, Name: "社", Path: "/d1/s1/c1/"},
		{ID: "site-b", Level: domain.LevelSite, Name: "B 站", Path: "/d1/s1/c1/site-b/"},
		{ID: "site-a", Level: domain.LevelSite, Name: "A 站", Path: "/d1/s1/c1/site-z/"}, // path order, not id order
	}
	rows := []domain.CharityRow{
		{Site: "site-a", ElderID: "E0001", Day: "2026-01-02", Meals: 2, Fen: 200},
		{Site: "site-b", ElderID: "E0001", Day: "2026-01-03", Meals: 1, Fen: 100},
		{Site: "site-b", ElderID: "E0002", Day: "2026-01-03", Meals: 1, Fen: 150},
		{Site: "site-b", ElderID: "E0002", Day: "2026-01-03", Voided: true, Meals: 1, Fen: 150},
		{Site: "site-x", ElderID: "E0003", Day: "2026-01-04", Meals: 1, Fen: 100},
	}
	fund := domain.CharityFund{ID: "f", Names: domain.CharityNames{ZhCN: "基金", ZhHK: "基金", En: "Fund"}}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	rep, err := Charity(fund, "2026-01", tz, units, rows, map[string]string{"E0001": "张三明", "E0002": "李四"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Meals != 5 || rep.Fen != 550 || rep.Elders != 3 || rep.Voids != 1 || rep.VoidFen != 150 {
		t.Errorf("totals %+v", rep)
	}
	var order []string
	for _, s := range rep.Sites {
		order = append(order, s.Site+":"+s.District)
	}
	if strings.Join(order, ",") != "site-b:一区,site-a:一区,site-x:" {
		t.Errorf("sites %v", order)
	}
	if b := rep.Sites[0]; b.Meals != 2 || b.Elders != 2 || b.Fen != 250 {
		t.Errorf("site-b %+v", b)
	}
	if len(rep.Days) != 3 || rep.Days[1].Day != "2026-01-03" || rep.Days[1].Elders != 2 || rep.Days[1].Meals != 2 {
		t.Errorf("days %+v", rep.Days)
	}
	e := rep.ElderLines[0]
	if e.ID != "*0001" || e.Name != "张*明" || e.Meals != 3 || e.Fen != 300 || strings.Join(e.Sites, ",") != "B 站,A 站" {
		t.Errorf("elder %+v", e)
	}
	if rep.ElderLines[2].Name != "" {
		t.Errorf("an elder on no roster has a name: %+v", rep.ElderLines[2])
	}

	pub := CharityPublicOf(rep, CharityPublic{ID: "x", Publisher: "d1", PublisherName: "一区", PublishedAt: time.Date(2026, 2, 1, 1, 2, 3, 456, time.UTC)})
	b, err := CharityPublicJSON(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"E000", "*000", "张", "李", "elder_lines", "site-a"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the public summary holds %q: %s", s, b)
		}
	}
	var back CharityPublic
	if err := json.Unmarshal(b, &back); err != nil || back.Meals != 5 || len(back.Sites) != 3 || !back.PublishedAt.Equal(time.Date(2026, 2, 1, 1, 2, 3, 0, time.UTC)) {
		t.Errorf("summary %+v %v", back, err)
	}
	if again, _ := CharityPublicJSON(back); string(again) != string(b) {
		t.Errorf("the summary's JSON is not stable:\n%s\n%s", b, again)
	}

	tab, err := CharityTable(rep, "zh-CN", "一区")
	if err != nil || len(tab.Rows) != 3+3+3 || tab.Total[4].String() != "5" || tab.Total[6].String() != "5.50" || !strings.Contains(tab.Note, "1 人次") {
		t.Errorf("table %+v %v", tab, err)
	}
	if _, err := CharityTable(rep, "fr", ""); err == nil {
		t.Error("CharityTable(fr) did not fail")
	}
}
