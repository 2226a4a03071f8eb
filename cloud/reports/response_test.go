package reports

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// timeline builds alerts and their logs by hand.
type timeline struct {
	alerts []domain.Alert
	log    []domain.AlertLogEntry
	seq    int64
}

// step is one timeline entry at an offset from the opening.
type step struct {
	kind  string
	after time.Duration
}

func (tl *timeline) add(id, site, typ string, opened time.Time, steps ...step) {
	tl.alerts = append(tl.alerts, domain.Alert{ID: id, Site: site, Type: typ, OpenedAt: opened,
		// The alert's own columns lie on purpose: the report must not read them.
		AckedAt: &opened, ClosedAt: &opened, State: domain.AlertResolved})
	tl.entry(id, domain.AlertLogOpened, opened)
	for _, s := range steps {
		tl.entry(id, s.kind, opened.Add(s.after))
	}
}

func (tl *timeline) entry(id, kind string, at time.Time) {
	tl.seq++
	tl.log = append(tl.log, domain.AlertLogEntry{Seq: tl.seq, AlertID: id, At: at, Kind: kind})
}

var (
	ack   = func(s int) step { return step{domain.AlertLogAcknowledged, time.Duration(s) * time.Second} }
	res   = func(s int) step { return step{domain.AlertLogResolved, time.Duration(s) * time.Second} }
	fa    = func(s int) step { return step{domain.AlertLogFalseAlarm, time.Duration(s) * time.Second} }
	esc   = func(s int) step { return step{domain.AlertLogEscalated, time.Duration(s) * time.Second} }
	press = func(s int) step { return step{domain.AlertLogPressed, time.Duration(s) * time.Second} }
)

// testTree: district d1 → street s1 → community c1 (site-a) and c2
// (site-b, site-c with no alarm).
var testTree = []domain.OrgUnit{
	{ID: "d1", Level: "district", Name: "一区", Path: "/d1/"},
	{ID: "s1", ParentID: "d1", Level: "street", Name: "一街道", Path: "/d1/s1/"},
	{ID: "c2", ParentID: "s1", Level: "community", Name: "二社区", Path: "/d1/s1/c2/"},
	{ID: "site-b", ParentID: "c2", Level: "site", Name: "B 饭堂", Path: "/d1/s1/c2/site-b/"},
	{ID: "site-c", ParentID: "c2", Level: "site", Name: "C 服务站", Path: "/d1/s1/c2/site-c/"},
	{ID: "c1", ParentID: "s1", Level: "community", Name: "一社区", Path: "/d1/s1/c1/"},
	{ID: "site-a", ParentID: "c1", Level: "site", Name: "A 饭堂", Path: "/d1/s1/c1/site-a/"},
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func december(t *testing.T) timeline {
	var tl timeline
	// site-a
	tl.add("a1", "site-a", "emergency", utc("2026-11-30T16:30:00Z"), ack(20), res(300)) // 2026-12-01 00:30 in Shanghai: December
	tl.add("a2", "site-a", "emergency", utc("2026-12-02T02:00:00Z"), esc(120), press(200), esc(300), ack(400), res(900))
	tl.add("a3", "site-a", "emergency", utc("2026-12-03T03:00:00Z"), ack(45), res(45)) // resolved without ack: implied ack
	tl.add("a4", "site-a", "emergency", utc("2026-12-31T16:30:00Z"), ack(1), res(2))   // 2027-01-01 00:30 in Shanghai: January
	tl.add("a5", "site-a", "emergency", utc("2026-11-30T15:59:59Z"), ack(1), res(2))   // 2026-11-30 23:59:59 in Shanghai: November
	tl.add("a6", "site-a", "supervision", utc("2026-12-04T00:00:00Z"), step{domain.AlertLogCleared, time.Hour})
	// site-b
	tl.add("b1", "site-b", "emergency", utc("2026-12-10T01:00:00Z"), esc(60), ack(90))   // acknowledged, still open
	tl.add("b2", "site-b", "emergency", utc("2026-12-11T01:00:00Z"), esc(120), esc(300)) // never acknowledged
	tl.add("b3", "site-b", "emergency", utc("2026-12-12T01:00:00Z"), fa(10))             // the elder's cancel
	tl.add("b4", "site-b", "emergency", utc("2026-12-13T01:00:00Z"), ack(30), fa(50))    // outcome false_alarm
	// outside the tree
	tl.add("x1", "site-x", "emergency", utc("2026-12-05T00:00:00Z"), ack(70), res(100))
	// no timeline at all; and a log entry of an alert not given
	tl.alerts = append(tl.alerts, domain.Alert{ID: "n1", Site: "site-a", Type: "emergency", OpenedAt: utc("2026-12-06T00:00:00Z")})
	tl.entry("ghost", domain.AlertLogOpened, utc("2026-12-06T00:00:00Z"))
	return tl
}

func i64(v int64) *int64 { return &v }

func f64(v float64) *float64 { return &v }

// TestResponse: every figure of every row of a month built by hand (two
// sites with alarms in two communities, a site without alarms, a site
// outside the tree), with the Shanghai month boundaries.
func TestResponse(t *testing.T) {
	tl := december(t)
	rep, err := Response("2026-12", shanghai(t), testTree, tl.alerts, tl.log)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Month != "2026-12" || rep.TimeZone != "Asia/Shanghai" || !rep.From.Equal(utc("2026-11-30T16:00:00Z")) ||
		!rep.To.Equal(utc("2026-12-31T16:00:00Z")) || rep.NoTimeline != 1 {
		t.Fatalf("report head = %+v", rep)
	}
	siteA := ResponseRow{Alarms: 3, Supervision: 1, Acknowledged: 3, Open: 0,
		AckP50S: i64(45), AckP90S: i64(400), AckMaxS: i64(400),
		ResolveP50S: i64(300), ResolveP90S: i64(900), ResolveMaxS: i64(900),
		AckedWithin60: 2, AckedWithin60Pct: f64(66.7), FalseAlarms: 0, Escalations: 2}
	siteB := ResponseRow{Alarms: 4, Acknowledged: 2, Open: 2,
		AckP50S: i64(30), AckP90S: i64(90), AckMaxS: i64(90),
		ResolveP50S: i64(10), ResolveP90S: i64(50), ResolveMaxS: i64(50),
		AckedWithin60: 1, AckedWithin60Pct: f64(25), FalseAlarms: 2, Escalations: 3}
	street := ResponseRow{Alarms: 7, Supervision: 1, Acknowledged: 5, Open: 2,
		AckP50S: i64(45), AckP90S: i64(400), AckMaxS: i64(400),
		ResolveP50S: i64(50), ResolveP90S: i64(900), ResolveMaxS: i64(900),
		AckedWithin60: 3, AckedWithin60Pct: f64(42.9), FalseAlarms: 2, Escalations: 5}
	siteX := ResponseRow{Alarms: 1, Acknowledged: 1,
		AckP50S: i64(70), AckP90S: i64(70), AckMaxS: i64(70),
		ResolveP50S: i64(100), ResolveP90S: i64(100), ResolveMaxS: i64(100),
		AckedWithin60: 0, AckedWithin60Pct: f64(0)}
	total := ResponseRow{Alarms: 8, Supervision: 1, Acknowledged: 6, Open: 2,
		AckP50S: i64(45), AckP90S: i64(400), AckMaxS: i64(400),
		ResolveP50S: i64(50), ResolveP90S: i64(900), ResolveMaxS: i64(900),
		AckedWithin60: 3, AckedWithin60Pct: f64(37.5), FalseAlarms: 2, Escalations: 5}
	with := func(r ResponseRow, level, unit, name, path string, inTree bool) ResponseRow {
		r.Level, r.Unit, r.Name, r.Path, r.InTree = level, unit, name, path, inTree
		return r
	}
	want := []ResponseRow{
		with(siteA, "site", "site-a", "A 饭堂", "/d1/s1/c1/site-a/", true),
		with(siteB, "site", "site-b", "B 饭堂", "/d1/s1/c2/site-b/", true),
		with(ResponseRow{}, "site", "site-c", "C 服务站", "/d1/s1/c2/site-c/", true),
		with(siteX, "site", "site-x", "site-x", "", false),
		with(siteA, "community", "c1", "一社区", "/d1/s1/c1/", true),
		with(siteB, "community", "c2", "二社区", "/d1/s1/c2/", true),
		with(street, "street", "s1", "一街道", "/d1/s1/", true),
		with(street, "district", "d1", "一区", "/d1/", true),
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), len(want), rep.Rows)
	}
	for i, w := range want {
		if d := diffRow(rep.Rows[i], w); d != "" {
			t.Errorf("row %d (%s %s): %s", i, w.Level, w.Unit, d)
		}
	}
	if d := diffRow(rep.Total, with(total, "total", "", "", "", false)); d != "" {
		t.Errorf("total: %s", d)
	}
}

// diffRow names the fields in which got and want differ ("" when none).
func diffRow(got, want ResponseRow) string {
	var out []string
	p := func(v *int64) string {
		if v == nil {
			return "nil"
		}
		return itoa(*v)
	}
	pf := func(v *float64) string {
		if v == nil {
			return "nil"
		}
		return ftoa(*v)
	}
	chk := func(name, g, w string) {
		if g != w {
			out = append(out, name+"="+g+" want "+w)
		}
	}
	chk("level", got.Level, want.Level)
	chk("unit", got.Unit, want.Unit)
	chk("name", got.Name, want.Name)
	chk("path", got.Path, want.Path)
	chk("in_tree", ftoa(b2f(got.InTree)), ftoa(b2f(want.InTree)))
	chk("alarms", itoa(int64(got.Alarms)), itoa(int64(want.Alarms)))
	chk("supervision", itoa(int64(got.Supervision)), itoa(int64(want.Supervision)))
	chk("acknowledged", itoa(int64(got.Acknowledged)), itoa(int64(want.Acknowledged)))
	chk("open", itoa(int64(got.Open)), itoa(int64(want.Open)))
	chk("ack_p50", p(got.AckP50S), p(want.AckP50S))
	chk("ack_p90", p(got.AckP90S), p(want.AckP90S))
	chk("ack_max", p(got.AckMaxS), p(want.AckMaxS))
	chk("resolve_p50", p(got.ResolveP50S), p(want.ResolveP50S))
	chk("resolve_p90", p(got.ResolveP90S), p(want.ResolveP90S))
	chk("resolve_max", p(got.ResolveMaxS), p(want.ResolveMaxS))
	chk("within60", itoa(int64(got.AckedWithin60)), itoa(int64(want.AckedWithin60)))
	chk("within60_pct", pf(got.AckedWithin60Pct), pf(want.AckedWithin60Pct))
	chk("false_alarms", itoa(int64(got.FalseAlarms)), itoa(int64(want.FalseAlarms)))
	chk("escalations", itoa(int64(got.Escalations)), itoa(int64(want.Escalations)))
	return strings.Join(out, "; ")
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestResponseScopedTree: with a street's subtree only (no district
// unit), the rows stop at the street; a site of the tree not given is
// outside the tree.
func TestResponseScopedTree(t *testing.T) {
	tl := december(t)
	var units []domain.OrgUnit
	for _, u := range testTree {
		if u.ID != "d1" && u.ID != "c1" && u.ID != "site-a" {
			units = append(units, u)
		}
	}
	rep, err := Response("2026-12", shanghai(t), units, tl.alerts, tl.log)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Rows {
		got = append(got, r.Level+":"+r.Unit)
	}
	if s := strings.Join(got, " "); s != "site:site-b site:site-c site:site-a site:site-x community:c2 street:s1" {
		t.Fatalf("rows %s", s)
	}
	if rep.Rows[6-1].Alarms != 4 || rep.Total.Alarms != 8 {
		t.Fatalf("street %+v, total %+v", rep.Rows[5], rep.Total)
	}
}

// TestPercentile: nearest rank, ceil(p/100 × n).
func TestPercentile(t *testing.T) {
	s := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Second
		}
		return out
	}
	for _, c := range []struct {
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{s(7), 50, 7 * time.Second}, {s(7), 90, 7 * time.Second},
		{s(4, 1, 3, 2), 50, 2 * time.Second}, {s(4, 1, 3, 2), 90, 4 * time.Second},
		{s(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 90, 9 * time.Second}, {s(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 50, 5 * time.Second},
		{s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 90, 10 * time.Second}, {s(3, 1, 2), 100, 3 * time.Second},
	} {
		if got, ok := Percentile(c.ds, c.p); !ok || got != c.want {
			t.Errorf("Percentile(%v, %d) = %v, %v; want %v", c.ds, c.p, got, ok, c.want)
		}
	}
	if _, ok := Percentile(nil, 50); ok {
		t.Error("Percentile of nothing is ok")
	}
}

// TestParseMonth: boundaries in the zone; clear errors.
func TestParseMonth(t *testing.T) {
	loc := shanghai(t)
	from, to, err := ParseMonth("2026-12", loc)
	if err != nil || !from.Equal(utc("2026-11-30T16:00:00Z")) || !to.Equal(utc("2026-12-31T16:00:00Z")) {
		t.Fatalf("ParseMonth(2026-12) = %v, %v, %v", from, to, err)
	}
	for in, msg := range map[string]string{
		"":          "the month is missing",
		"2026-13":   "not between 01 and 12",
		"2026-00":   "not between 01 and 12",
		"2026/12":   "not of the form YYYY-MM",
		"2026-1":    "not of the form YYYY-MM",
		"20x6-12":   "the year is not 4 digits",
		"2026-1a":   "the month is not 2 digits",
		"1999-12":   "between 2000 and 2999",
		"2026-12-1": "not of the form YYYY-MM",
	} {
		_, _, err := ParseMonth(in, loc)
		if err == nil || !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "reports: ") {
			t.Errorf("ParseMonth(%q) = %v, want an error with %q", in, err, msg)
		}
	}
	if _, err := Response("2026/12", loc, nil, nil, nil); err == nil {
		t.Error("Response takes a bad month")
	}
}

// FuzzParseMonth: a month accepted is YYYY-MM, its boundaries are
// midnights of the first days of consecutive months in the zone, and
// writing it back gives the input.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-12", "2026-13", "2026/12", "", "0000-00", "2026-02", "٢٠٢٦-١٢", "2026-+1"} {
		f.Add(s)
	}
	loc := shanghai(f)
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := ParseMonth(s, loc)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "reports: bad month") {
				t.Fatalf("error %q has no prefix", err)
			}
			return
		}
		if from.Format("2006-01") != s || from.Day() != 1 || from.Hour() != 0 || to.Day() != 1 || to.Hour() != 0 ||
			to.AddDate(0, -1, 0) != from || from.Location() != loc {
			t.Fatalf("ParseMonth(%q) = %v, %v", s, from, to)
		}
	})
}
