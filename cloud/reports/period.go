package reports

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Period is the span of service days a report covers: a calendar month
// ("2026-11"), an ISO 8601 week ("2026-W48", Monday to Sunday) or one day
// ("2026-11-23"). Days are service days: the local dates the gateways
// record for a meal (in the site's own zone).
type Period struct {
	Kind     string `json:"kind"`      // PeriodMonth, PeriodWeek or PeriodDay
	Key      string `json:"key"`       // as written: 2026-11, 2026-W48, 2026-11-23
	FirstDay string `json:"first_day"` // YYYY-MM-DD
	LastDay  string `json:"last_day"`  // YYYY-MM-DD, inclusive
}

// The kinds of Period.
const (
	PeriodMonth = "month"
	PeriodWeek  = "week"
	PeriodDay   = "day"
)

// ErrPeriod is wrapped by ParsePeriod's errors.
var ErrPeriod = errors.New("reports: bad period")

// ParsePeriod reads a month (YYYY-MM), an ISO week (YYYY-Www) or a day
// (YYYY-MM-DD). Errors wrap ErrPeriod and say in words what is wrong and
// how to write it.
func ParsePeriod(s string) (Period, error) {
	const how = "write a month as YYYY-MM (2026-11), a week as YYYY-Www (2026-W48) or a day as YYYY-MM-DD (2026-11-23)"
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("%w %q: %s; %s", ErrPeriod, s, why, how)
	}
	switch {
	case s == "":
		return Period{}, fmt.Errorf("%w: the period is missing; %s", ErrPeriod, how)
	case len(s) == 7 && s[4] == '-':
		y, m, why := yearMonth(s)
		if why != "" {
			return bad(why)
		}
		from := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		return Period{Kind: PeriodMonth, Key: s, FirstDay: from.Format(time.DateOnly), LastDay: from.AddDate(0, 1, -1).Format(time.DateOnly)}, nil
	case len(s) == 8 && s[4] == '-' && s[5] == 'W':
		y, err1 := digits(s[:4])
		w, err2 := digits(s[6:])
		if err1 != nil || err2 != nil {
			return bad("the year or the week is not digits")
		}
		if y < 2000 || y > 2999 {
			return bad("the year is not between 2000 and 2999")
		}
		// ISO week 1 holds 4 January; week w starts 7(w-1) days after its Monday.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
		if yy, ww := monday.ISOWeek(); w < 1 || yy != y || ww != w {
			return bad(fmt.Sprintf("%d has no week %02d", y, w))
		}
		return Period{Kind: PeriodWeek, Key: s, FirstDay: monday.Format(time.DateOnly), LastDay: monday.AddDate(0, 0, 6).Format(time.DateOnly)}, nil
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		if _, err := digits(s[:4] + s[5:7] + s[8:]); err != nil {
			return bad("not digits")
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return bad("no such date")
		}
		if d.Year() < 2000 || d.Year() > 2999 {
			return bad("the year is not between 2000 and 2999")
		}
		return Period{Kind: PeriodDay, Key: s, FirstDay: s, LastDay: s}, nil
	}
	return bad("not a month, an ISO week or a day")
}

// digits reads a non-empty run of ASCII digits.
func digits(s string) (int, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not digits")
		}
	}
	return strconv.Atoi(s)
}

// Bounds are the first instant of the period's first day and of the day
// after its last, in tz.
func (p Period) Bounds(tz *time.Location) (from, to time.Time) {
	a, _ := time.ParseInLocation(time.DateOnly, p.FirstDay, tz)
	b, _ := time.ParseInLocation(time.DateOnly, p.LastDay, tz)
	return a, b.AddDate(0, 0, 1)
}

// Days lists the period's days, YYYY-MM-DD, in order.
func (p Period) Days() []string {
	var out []string
	a, _ := time.Parse(time.DateOnly, p.FirstDay)
	for d := a; d.Format(time.DateOnly) <= p.LastDay; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Weeks are the ISO weeks the period touches, each cut to the period's
// days (a month's first and last weeks are usually partial).
func (p Period) Weeks() []Period {
	var out []Period
	for _, d := range p.Days() {
		t, _ := time.Parse(time.DateOnly, d)
		y, w := t.ISOWeek()
		key := fmt.Sprintf("%04d-W%02d", y, w)
		if n := len(out); n > 0 && out[n-1].Key == key {
			out[n-1].LastDay = d
			continue
		}
		out = append(out, Period{Kind: PeriodWeek, Key: key, FirstDay: d, LastDay: d})
	}
	return out
}

// Title names the period in a report's title: "2026年11月", "2026年第48周
// （11月23日—11月29日）", "2026年11月23日"; in English "November 2026",
// "week 48 of 2026 (23–29 November)", "23 November 2026".
func (p Period) Title(lang string) string {
	a, _ := time.Parse(time.DateOnly, p.FirstDay)
	b, _ := time.Parse(time.DateOnly, p.LastDay)
	en := lang == "en"
	switch p.Kind {
	case PeriodMonth:
		if en {
			return a.Format("January 2006")
		}
		return fmt.Sprintf("%d年%d月", a.Year(), int(a.Month()))
	case PeriodWeek:
		_, w := a.ISOWeek()
		y, _ := a.ISOWeek()
		if en {
			return fmt.Sprintf("week %d of %d (%s – %s)", w, y, a.Format("2 January"), b.Format("2 January"))
		}
		zhou := "周"
		if lang == "zh-HK" {
			zhou = "週"
		}
		return fmt.Sprintf("%d年第%d%s（%d月%d日—%d月%d日）", y, w, zhou, int(a.Month()), a.Day(), int(b.Month()), b.Day())
	}
	if en {
		return a.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", a.Year(), int(a.Month()), a.Day())
}
