package reports

import (
	"strings"
	"testing"
	"time"
)

// FuzzMonthDays: MonthDays accepts exactly what ParseMonth accepts, and
// then gives the month's first and last day, in order, in the month.
func FuzzMonthDays(f *testing.F) {
	for _, s := range []string{"2026-12", "2024-02", "2026-13", "", "2026/12", "２０２６-12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		first, last, err := MonthDays(s)
		_, _, perr := ParseMonth(s, time.UTC)
		if (err == nil) != (perr == nil) {
			t.Fatalf("MonthDays(%q) err %v, ParseMonth err %v", s, err, perr)
		}
		if err != nil {
			return
		}
		a, err1 := time.Parse(time.DateOnly, first)
		b, err2 := time.Parse(time.DateOnly, last)
		if err1 != nil || err2 != nil || !strings.HasPrefix(first, s) || !strings.HasPrefix(last, s) || a.Day() != 1 ||
			b.AddDate(0, 0, 1).Day() != 1 || b.Before(a) {
			t.Fatalf("MonthDays(%q) = %q %q", s, first, last)
		}
	})
}

// TestServiceTableLanguages: the table has its title, header and
// signatures in each language, and unknown windows keep their name.
func TestServiceTableLanguages(t *testing.T) {
	rep := ServiceReport{Month: "2026-12", FirstDay: "2026-12-01", LastDay: "2026-12-31", Windows: []string{"lunch", "supper"},
		Total: ServiceRow{Level: LevelTotal, Meals: 3, ByWindow: map[string]int64{"lunch": 2, "supper": 1}}}
	for lang, want := range map[string]string{"zh-CN": "2026年12月 长者助餐服务统计表", "zh-HK": "2026年12月 長者助餐服務統計表", "en": "Elder meal service statistics, December 2026"} {
		tab, err := ServiceTable(rep, lang, "北区")
		if err != nil || tab.Title != want || len(tab.Header) != 9 || tab.Header[8] != "supper" || len(tab.Signatures) != 2 ||
			tab.Total[3].String() != "3" || tab.Total[7].String() != "2" || tab.Total[6].String() != "" {
			t.Errorf("%s: %+v %v", lang, tab, err)
		}
	}
	if _, err := ServiceTable(rep, "fr", ""); err == nil {
		t.Error("fr accepted")
	}
}
