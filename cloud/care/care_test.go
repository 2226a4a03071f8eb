package care

import (
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// regular returns served-meal rows of elder at site: one lunch on each of
// days (offsets from 2026-03-02, a Monday).
func regular(elder, site string, days ...int) []domain.CareMealDay {
	start := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC) // 12:00 in Shanghai
	var out []domain.CareMealDay
	for _, d := range days {
		at := start.AddDate(0, 0, d)
		out = append(out, domain.CareMealDay{ElderID: elder, Site: site, Day: at.Format(time.DateOnly), Meals: 1, Last: at})
	}
	return out
}

func mwf(weeks int, from int) []int {
	var out []int
	for w := 0; w < weeks; w++ {
		out = append(out, from+7*w, from+7*w+2, from+7*w+4)
	}
	return out
}

func flagged(es []Entry) []string {
	var out []string
	for _, e := range es {
		if !e.Visited {
			out = append(out, e.ElderID)
		}
	}
	return out
}

// TestFlagVisitsAndReturn: an inactive elder is not flagged; an elder on
// two rosters is listed once; a visit before the last meal does not count,
// one after it does; an elder seen again and gone again is back.
func TestFlagVisitsAndReturn(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	home := func(site string) (Home, bool) {
		return Home{Community: "c-" + site, Zone: sh, Rule: domain.DefaultCareRule}, site != "outside"
	}
	elders := []domain.CareElder{
		{ID: "A", Name: "张三", Site: "s1", Active: true},
		{ID: "A", Name: "张三", Site: "s2", Active: true},
		{ID: "B", Name: "李四", Site: "s1", Active: false},
		{ID: "C", Name: "王五", Site: "outside", Active: true},
	}
	var meals []domain.CareMealDay
	for _, id := range []string{"A", "B", "C"} {
		meals = append(meals, regular(id, "s1", mwf(4, 0)...)...) // last meal day 25 (Friday 2026-03-27)
	}
	now := time.Date(2026, 4, 3, 2, 0, 0, 0, time.UTC) // 10:00 on day 32 in Shanghai: 7 days
	in := Input{Now: now, Elders: elders, Meals: meals, HomeOf: home}
	es := Flag(in)
	if got := flagged(es); len(got) != 1 || got[0] != "A" || es[0].Community != "c-s1" || es[0].DaysAbsent != 7 || es[0].Name == "张三" {
		t.Fatalf("flagged %+v, want A once under c-s1", es)
	}
	in.Visits = []domain.CareVisit{{ElderID: "A", At: now.AddDate(0, 0, -30), Outcome: domain.VisitVisited}}
	if got := flagged(Flag(in)); len(got) != 1 {
		t.Fatalf("a visit before the last meal took A off: %v", got)
	}
	in.Visits = append(in.Visits, domain.CareVisit{ElderID: "A", At: now.Add(-time.Hour), Outcome: domain.VisitNotHome, Note: "n"})
	if es := Flag(in); len(flagged(es)) != 0 || len(es) != 1 || !es[0].Visited || es[0].LastVisit.Note != "n" {
		t.Fatalf("after the visit: %+v", es)
	}
	// Seen again for four more regular weeks, then gone for 7 days.
	in.Meals = append(in.Meals, regular("A", "s2", mwf(4, 35)...)...) // last meal day 60
	in.Now = now.AddDate(0, 0, 35)
	if got := flagged(Flag(in)); len(got) != 1 || got[0] != "A" {
		t.Fatalf("gone again: %v", got)
	}
	in.Now = now.AddDate(0, 0, 34)
	if got := flagged(Flag(in)); len(got) != 0 {
		t.Fatalf("six days after the return's last meal: %v", got)
	}
}
