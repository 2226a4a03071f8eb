package reports

import (
	"strings"
	"testing"
	"time"
)

// TestParsePeriod: months, ISO weeks (also those across a year's end)
// and days, and errors in words.
func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{
		"2026-11":    {PeriodMonth, "2026-11", "2026-11-01", "2026-11-30"},
		"2024-02":    {PeriodMonth, "2024-02", "2024-02-01", "2024-02-29"},
		"2026-W48":   {PeriodWeek, "2026-W48", "2026-11-23", "2026-11-29"},
		"2026-W01":   {PeriodWeek, "2026-W01", "2025-12-29", "2026-01-04"},
		"2026-W53":   {PeriodWeek, "2026-W53", "2026-12-28", "2027-01-03"},
		"2026-11-23": {PeriodDay, "2026-11-23", "2026-11-23", "2026-11-23"},
	} {
		if got, err := ParsePeriod(in); err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{"": "missing", "2025-W53": "2025 has no week 53", "2026-W00": "no week 00",
		"2026-02-30": "no such date", "2026-13": "between 01 and 12", "26-11": "not a month", "2026-W4x": "not digits", "1999-12-31": "2000"} {
		if _, err := ParsePeriod(in); err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "YYYY-Www") {
			t.Errorf("ParsePeriod(%q) = %v, want an error with %q", in, err, msg)
		}
	}
	p, _ := ParsePeriod("2026-12")
	weeks := p.Weeks()
	if len(weeks) != 5 || weeks[0] != (Period{PeriodWeek, "2026-W49", "2026-12-01", "2026-12-06"}) ||
		weeks[4] != (Period{PeriodWeek, "2026-W53", "2026-12-28", "2026-12-31"}) {
		t.Errorf("weeks of 2026-12: %+v", weeks)
	}
	w, _ := ParsePeriod("2026-W48")
	if w.Title("zh-CN") != "2026年第48周（11月23日—11月29日）" || w.Title("zh-HK") != "2026年第48週（11月23日—11月29日）" ||
		w.Title("en") != "week 48 of 2026 (23 November – 29 November)" {
		t.Errorf("titles: %q %q %q", w.Title("zh-CN"), w.Title("zh-HK"), w.Title("en"))
	}
}

// FuzzParsePeriod: an accepted period is a month ParseMonth accepts with
// the same days, a 7-day ISO week starting on a Monday, or one valid day;
// its days run from FirstDay to LastDay and its weeks cover them.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-12", "2024-02", "2026-13", "", "2026/12", "２０２６-12", "2026-W53", "2025-W53", "2026-11-23", "2026-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !strings.Contains(err.Error(), "YYYY-MM") {
				t.Fatalf("ParsePeriod(%q): %v says not how to write it", s, err)
			}
			return
		}
		a, err1 := time.Parse(time.DateOnly, p.FirstDay)
		b, err2 := time.Parse(time.DateOnly, p.LastDay)
		if err1 != nil || err2 != nil || b.Before(a) || p.Key != s {
			t.Fatalf("ParsePeriod(%q) = %+v", s, p)
		}
		days := p.Days()
		switch p.Kind {
		case PeriodMonth:
			from, to, err := ParseMonth(s, time.UTC)
			if err != nil || !from.Equal(a) || !to.Equal(b.AddDate(0, 0, 1)) {
				t.Fatalf("ParsePeriod(%q) = %+v, ParseMonth %v %v %v", s, p, from, to, err)
			}
		case PeriodWeek:
			if len(days) != 7 || a.Weekday() != time.Monday {
				t.Fatalf("week %q = %+v", s, p)
			}
		case PeriodDay:
			if len(days) != 1 {
				t.Fatalf("day %q = %+v", s, p)
			}
		default:
			t.Fatalf("kind %q", p.Kind)
		}
		n := 0
		for _, w := range p.Weeks() {
			n += len(w.Days())
		}
		if n != len(days) || days[0] != p.FirstDay || days[len(days)-1] != p.LastDay {
			t.Fatalf("%q: days %v, %d in weeks", s, days, n)
		}
	})
}

// TestServiceTableLanguages: the table has its title, header and
// signatures in each language, and unknown windows keep their name.
func TestServiceTableLanguages(t *testing.T) {
	rep := ServiceReport{Period: Period{PeriodMonth, "2026-12", "2026-12-01", "2026-12-31"}, Month: "2026-12", FirstDay: "2026-12-01", LastDay: "2026-12-31", Windows: []string{"lunch", "supper"},
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
