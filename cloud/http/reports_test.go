package cloudhttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/xuri/excelize/v2"
	"gopkg.in/yaml.v3"
)

// reportFixture is the org fixture (its alerts are of January 2026) with
// the alarms of December 2026 ingested as real alert events and handled
// through the store at chosen times.
func reportFixture(t *testing.T) *orgFixture {
	t.Helper()
	f := newOrgFixture(t)
	ctx := context.Background()
	seq := map[string]uint64{}
	press := func(gw, button string, at time.Time) string {
		seq[gw]++
		e := storetest.Alert(t, gw, 10+seq[gw], "al-"+button+"-"+at.Format("0102150405"), eldergate.AlertRaised, button, at)
		if _, err := f.st.IngestBatch(ctx, gw, []eldergate.Envelope{e}, at); err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	ack := func(id string, at time.Time) {
		if err := f.st.AckAlert(ctx, id, "值班员", domain.ViaConsole, at); err != nil {
			t.Fatal(err)
		}
	}
	resolve := func(id string, o domain.AlertOutcome, at time.Time) {
		if err := f.st.ResolveAlert(ctx, id, "值班员", domain.ViaConsole, domain.Resolution{Outcome: o}, at); err != nil {
			t.Fatal(err)
		}
	}
	escalate := func(id, level string, at time.Time) {
		if err := f.st.AppendAlertLog(ctx, domain.AlertLogEntry{AlertID: id, At: at, Kind: domain.AlertLogEscalated, Level: level}); err != nil {
			t.Fatal(err)
		}
	}
	s := func(n int) time.Duration { return time.Duration(n) * time.Second }
	at := func(v string) time.Time {
		tm, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	// site-gw-a1 (community c-a1, street st-a)
	t1 := at("2026-11-30T16:30:00Z") // 2026-12-01 00:30 in Shanghai
	a := press("gw-a1", "rb-1", t1)
	ack(a, t1.Add(s(20)))
	resolve(a, domain.OutcomeHelpedOnSite, t1.Add(s(300)))
	t2 := at("2026-12-02T02:00:00Z")
	a = press("gw-a1", "rb-2", t2)
	escalate(a, "c-a1", t2.Add(s(120)))
	escalate(a, "st-a", t2.Add(s(300)))
	ack(a, t2.Add(s(400)))
	resolve(a, domain.OutcomeSentToHospital, t2.Add(s(900)))
	t3 := at("2026-12-03T03:00:00Z")
	resolve(press("gw-a1", "rb-3", t3), domain.OutcomeHelpedOnSite, t3.Add(s(45))) // no ack: implied at the close
	t4 := at("2026-11-30T15:30:00Z")                                               // 2026-11-30 23:30 in Shanghai: November
	resolve(press("gw-a1", "rb-4", t4), domain.OutcomeTest, t4.Add(s(5)))
	t5 := at("2026-12-31T16:30:00Z") // 2027-01-01 00:30 in Shanghai: January
	resolve(press("gw-a1", "rb-5", t5), domain.OutcomeTest, t5.Add(s(5)))
	// site-gw-a2 (community c-a1)
	t6 := at("2026-12-10T01:00:00Z")
	ack(press("gw-a2", "rb-1", t6), t6.Add(s(90))) // acknowledged, still open
	t7 := at("2026-12-11T01:00:00Z")
	escalate(press("gw-a2", "rb-2", t7), "c-a1", t7.Add(s(120))) // never acknowledged
	// site-gw-b1 (community c-b1, street st-b)
	t8 := at("2026-12-12T01:00:00Z")
	press("gw-b1", "rb-1", t8)
	cancel := storetest.Alert(t, "gw-b1", 99, "al-rb-1-"+t8.Format("0102150405"), eldergate.AlertCancelled, "rb-1", t8.Add(s(10)))
	if _, err := f.st.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{cancel}, t8); err != nil {
		t.Fatal(err)
	}
	t9 := at("2026-12-13T01:00:00Z")
	a = press("gw-b1", "rb-2", t9)
	ack(a, t9.Add(s(30)))
	resolve(a, domain.OutcomeFalseAlarm, t9.Add(s(50)))
	sup, _ := json.Marshal(eldergate.AlertData{AlertID: "sv-1", Action: eldergate.AlertRaised, Type: eldergate.AlertTypeSupervision,
		Button: "433:1", Reason: eldergate.SuperviseBatteryLow})
	sv := eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindAlert, GW: "gw-b1", Site: "site-gw-b1", Seq: 100, Boot: 1,
		At: at("2026-12-14T01:00:00Z"), Clock: eldergate.ClockSynced, Data: sup}
	if _, err := f.st.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{sv}, sv.At); err != nil {
		t.Fatal(err)
	}
	// gw-x: a site outside the tree
	t10 := at("2026-12-05T00:00:00Z")
	a = press("gw-x", "rb-1", t10)
	ack(a, t10.Add(s(70)))
	resolve(a, domain.OutcomeFamilyContacted, t10.Add(s(100)))
	return f
}

// getReport fetches the JSON report.
func getReport(t *testing.T, f *orgFixture, tok, query string) reports.ResponseReport {
	t.Helper()
	return getJSON[reports.ResponseReport](t, f, tok, "/api/v1/reports/response?"+query)
}

// figures is a row recomputed in the test from each alert's AlertLog.
type figures struct {
	alarms, supervision, acknowledged, open, within, falseAlarms, escalations int
	acks, resolves                                                            []float64 // seconds
}

// nearestRank is the p-th percentile by the textbook formula.
func nearestRank(xs []float64, p float64) *int64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	v := int64(s[int(math.Ceil(p/100*float64(len(s))))-1])
	return &v
}

func (g figures) check(t *testing.T, name string, r reports.ResponseRow) {
	t.Helper()
	eq := func(field string, got, want *int64) {
		if (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Errorf("%s %s = %v, recomputed %v", name, field, deref(got), deref(want))
		}
	}
	if r.Alarms != g.alarms || r.Supervision != g.supervision || r.Acknowledged != g.acknowledged || r.Open != g.open ||
		r.AckedWithin60 != g.within || r.FalseAlarms != g.falseAlarms || r.Escalations != g.escalations {
		t.Errorf("%s counts = %+v, recomputed %+v", name, r, g)
	}
	eq("ack p50", r.AckP50S, nearestRank(g.acks, 50))
	eq("ack p90", r.AckP90S, nearestRank(g.acks, 90))
	eq("ack max", r.AckMaxS, nearestRank(g.acks, 100))
	eq("resolve p50", r.ResolveP50S, nearestRank(g.resolves, 50))
	eq("resolve p90", r.ResolveP90S, nearestRank(g.resolves, 90))
	eq("resolve max", r.ResolveMaxS, nearestRank(g.resolves, 100))
	if g.alarms == 0 {
		if r.AckedWithin60Pct != nil {
			t.Errorf("%s share = %v without alarms", name, *r.AckedWithin60Pct)
		}
	} else if want := math.Round(1000*float64(g.within)/float64(g.alarms)) / 10; r.AckedWithin60Pct == nil || *r.AckedWithin60Pct != want {
		t.Errorf("%s share = %v, recomputed %v", name, r.AckedWithin60Pct, want)
	}
}

func deref(v *int64) any {
	if v == nil {
		return nil
	}
	return *v
}

// recompute reads every alert and its AlertLog from the store and
// computes each site's figures for December 2026 in Shanghai.
func recompute(t *testing.T, st domain.Store) map[string]*figures {
	t.Helper()
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	alerts, err := st.ListAlerts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*figures{}
	for _, a := range alerts {
		log, err := st.AlertLog(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var opened *time.Time
		for _, e := range log {
			if e.Kind == domain.AlertLogOpened {
				opened = &e.At
				break
			}
		}
		if opened == nil {
			t.Fatalf("alert %s has no opened entry", a.ID)
		}
		if local := opened.In(loc); local.Year() != 2026 || local.Month() != time.December {
			continue
		}
		g := out[a.Site]
		if g == nil {
			g = &figures{}
			out[a.Site] = g
		}
		if a.Type != "emergency" {
			g.supervision++
			continue
		}
		g.alarms++
		acked, closed := false, false
		for _, e := range log {
			sec := e.At.Sub(*opened).Seconds()
			switch e.Kind {
			case "acknowledged":
				if !acked {
					acked = true
					g.acknowledged++
					g.acks = append(g.acks, sec)
					if sec <= 60 {
						g.within++
					}
				}
			case "resolved", "false_alarm", "cleared":
				if !closed {
					closed = true
					g.resolves = append(g.resolves, sec)
					if e.Kind == "false_alarm" {
						g.falseAlarms++
					}
				}
			case "escalated":
				g.escalations++
			}
		}
		if !closed {
			g.open++
		}
	}
	return out
}

func sumFigures(gs ...*figures) *figures {
	s := &figures{}
	for _, g := range gs {
		if g == nil {
			continue
		}
		s.alarms += g.alarms
		s.supervision += g.supervision
		s.acknowledged += g.acknowledged
		s.open += g.open
		s.within += g.within
		s.falseAlarms += g.falseAlarms
		s.escalations += g.escalations
		s.acks = append(s.acks, g.acks...)
		s.resolves = append(s.resolves, g.resolves...)
	}
	return s
}

// under reports whether site lies under unit in storetest.OrgTree.
func under(site, unit string) bool {
	parent := map[string]string{}
	for _, u := range storetest.OrgTree {
		parent[u.ID] = u.ParentID
	}
	for id := site; id != ""; id = parent[id] {
		if id == unit {
			return true
		}
	}
	return false
}

// TestResponseReportFromStore: the report served by the endpoint, on
// SQLite with real alert events, acknowledgements, resolutions, a cancel,
// escalations and a supervision alert, equals the figures recomputed here
// from the AlertLog of each alert, for every site, every org unit and
// the total; a scoped token sees its subtree only.
func TestResponseReportFromStore(t *testing.T) {
	f := reportFixture(t)
	rep := getReport(t, f, "adm", "month=2026-12")
	if rep.Month != "2026-12" || rep.TimeZone != "Asia/Shanghai" || rep.NoTimeline != 0 {
		t.Fatalf("report head %+v", rep)
	}
	bySite := recompute(t, f.st)
	var all []*figures
	for _, g := range bySite {
		all = append(all, g)
	}
	total := sumFigures(all...)
	// The scenario itself, so that an empty recomputation cannot pass.
	if total.alarms != 8 || total.supervision != 1 || total.open != 2 || total.falseAlarms != 2 || total.escalations != 3 ||
		total.within != 3 || total.acknowledged != 6 {
		t.Fatalf("scenario recomputed as %+v", total)
	}
	total.check(t, "total", rep.Total)
	var seen []string
	for _, r := range rep.Rows {
		seen = append(seen, r.Level+":"+r.Unit)
		if r.Level == domain.LevelSite {
			g := bySite[r.Unit]
			if g == nil {
				g = &figures{}
			}
			g.check(t, r.Unit, r)
			continue
		}
		var in []*figures
		for site, g := range bySite {
			if under(site, r.Unit) {
				in = append(in, g)
			}
		}
		sumFigures(in...).check(t, r.Unit, r)
	}
	want := "site:site-gw-a1 site:site-gw-a2 site:site-gw-b1 site:site-gw-s1 site:site-gw-x " +
		"community:c-a1 community:c-b1 community:c-s1 street:st-a street:st-b street:st-s district:d-north district:d-south"
	if got := strings.Join(seen, " "); got != want {
		t.Fatalf("rows\n%s\nwant\n%s", got, want)
	}
	if r := rep.Rows[0]; r.Name != "A1 食堂" || *r.AckP50S != 45 || *r.AckMaxS != 400 || *r.ResolveMaxS != 900 || *r.AckedWithin60Pct != 66.7 {
		t.Fatalf("site-gw-a1 %+v", r)
	}

	// A viewer of street st-a sees its subtree only.
	_, viewA := f.token(t, `{"name":"A 街道查看","role":"viewer","scope":"st-a"}`)
	scoped := getReport(t, f, viewA, "month=2026-12")
	seen = nil
	for _, r := range scoped.Rows {
		seen = append(seen, r.Level+":"+r.Unit)
	}
	if got := strings.Join(seen, " "); got != "site:site-gw-a1 site:site-gw-a2 community:c-a1 street:st-a" || scoped.Total.Alarms != 5 {
		t.Fatalf("scoped rows %s, total %+v", got, scoped.Total)
	}
	sumFigures(bySite["site-gw-a1"], bySite["site-gw-a2"]).check(t, "scoped total", scoped.Total)
	if w := do(f.h, "GET", "/api/v1/reports/response?month=2026-12&scope=st-b", viewA, ""); w.Code != http.StatusForbidden {
		t.Fatalf("scope outside the token: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/reports/response?month=2026-12", "", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", w.Code)
	}
}

// TestResponseReportBadRequests: a bad month, format, language or zone
// is a 400 saying what is wrong.
func TestResponseReportBadRequests(t *testing.T) {
	f := newOrgFixture(t)
	for q, msg := range map[string]string{
		"month=2026-13":              "the month is not between 01 and 12",
		"month=2026/12":              "not of the form YYYY-MM",
		"":                           "the month is missing",
		"month=2026-12&format=pdf":   `format "pdf" is not one of json, csv, xlsx`,
		"month=2026-12&lang=fr":      `lang "fr" is not one of zh-CN, zh-HK, en`,
		"month=2026-12&tz=Mars/Base": `tz "Mars/Base" is not an IANA time zone`,
	} {
		w := do(f.h, "GET", "/api/v1/reports/response?"+q, "adm", "")
		var e ErrorBody
		if w.Code != http.StatusBadRequest || json.Unmarshal(w.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, msg) {
			t.Errorf("%q: %d %s, want 400 with %q", q, w.Code, w.Body, msg)
		}
	}
}

// TestResponseReportDownloads: the XLSX download opens with excelize, has
// the header in the chosen language and a total row whose numbers (as
// numbers) equal the JSON report's totals; the CSV starts with a BOM and
// ends with the same totals.
func TestResponseReportDownloads(t *testing.T) {
	f := reportFixture(t)
	rep := getReport(t, f, "adm", "month=2026-12")
	tot := rep.Total
	wantTotal := []string{"2026-12", "", "", "", strconv.Itoa(tot.Alarms), strconv.Itoa(tot.Supervision), strconv.Itoa(tot.Acknowledged),
		strconv.Itoa(tot.Open), i64s(tot.AckP50S), i64s(tot.AckP90S), i64s(tot.AckMaxS),
		i64s(tot.ResolveP50S), i64s(tot.ResolveP90S), i64s(tot.ResolveMaxS),
		strconv.Itoa(tot.AckedWithin60), strconv.FormatFloat(*tot.AckedWithin60Pct, 'f', 1, 64),
		strconv.Itoa(tot.FalseAlarms), strconv.Itoa(tot.Escalations)}

	w := do(f.h, "GET", "/api/v1/reports/response?month=2026-12&format=xlsx&lang=zh-CN", "adm", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="alarm-response-2026-12.xlsx"` ||
		w.Header().Get("Content-Type") != contentTypeXLSX {
		t.Fatalf("xlsx: %d %v", w.Code, w.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) != 1 || sheets[0] != "报警响应" {
		t.Fatalf("sheets %v", sheets)
	}
	all, err := x.GetRows("报警响应")
	if err != nil {
		t.Fatal(err)
	}
	// Title and period above the table, an empty row and the signatures
	// under it.
	if len(all) < 5 || all[0][0] != "2026年12月 报警响应统计表" || all[len(all)-1][0] != "制表人：" {
		t.Fatalf("title and signatures: %q", all)
	}
	const top = 2 // the header is on row 3
	rows := all[top : len(all)-2]
	if len(rows) != 1+len(rep.Rows)+1 {
		t.Fatalf("%d rows, want header + %d + total", len(rows), len(rep.Rows))
	}
	hdr := rows[0]
	if len(hdr) != 18 || hdr[0] != "月份（Asia/Shanghai 时间）" || hdr[4] != "报警数" || hdr[8] != "确认用时 P50（秒）" ||
		hdr[15] != "60 秒内确认率（%）" || hdr[17] != "升级次数" {
		t.Fatalf("header %q", hdr)
	}
	last := rows[len(rows)-1]
	if last[1] != "合计" || last[3] != "合计" {
		t.Fatalf("total row %q", last)
	}
	for i := 4; i < len(wantTotal); i++ {
		cell, _ := excelize.CoordinatesToCellName(i+1, top+len(rows))
		v, _ := x.GetCellValue("报警响应", cell, excelize.Options{RawCellValue: true})
		typ, _ := x.GetCellType("报警响应", cell)
		got, err1 := strconv.ParseFloat(v, 64)
		want, err2 := strconv.ParseFloat(wantTotal[i], 64)
		if err1 != nil || err2 != nil || got != want || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
			t.Errorf("total %s (%s) = %q (type %v), JSON %s", cell, hdr[i], v, typ, wantTotal[i])
		}
	}
	if r := rows[1]; r[1] != "站点" || r[2] != "site-gw-a1" || r[3] != "A1 食堂" {
		t.Errorf("first row %q", r)
	}

	w = do(f.h, "GET", "/api/v1/reports/response?month=2026-12&format=csv&lang=en", "adm", "")
	body := w.Body.Bytes()
	if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="alarm-response-2026-12.csv"` ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("csv: %d %v %q", w.Code, w.Header(), body[:min(len(body), 8)])
	}
	cr := csv.NewReader(bytes.NewReader(body[3:]))
	cr.FieldsPerRecord = -1 // title, period and signatures around the table
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "Alarm response report, December 2026" || recs[len(recs)-1][0] != "Prepared by:" {
		t.Fatalf("csv title and signatures: %q %q", recs[0], recs[len(recs)-1])
	}
	recs = recs[top : len(recs)-1]
	if recs[0][0] != "Month (Asia/Shanghai time)" || recs[0][4] != "Alarms" || len(recs) != len(rows) {
		t.Fatalf("csv header %q, %d records", recs[0], len(recs))
	}
	gotTotal := recs[len(recs)-1]
	wantTotal[1], wantTotal[3] = "Total", "Total"
	if !reflect.DeepEqual(gotTotal, wantTotal) {
		t.Fatalf("csv total %q, want %q", gotTotal, wantTotal)
	}
	if w := do(f.h, "GET", "/api/v1/reports/response?month=2026-12&format=csv&lang=zh-HK", "adm", ""); !strings.Contains(w.Body.String(), "警報數") {
		t.Fatalf("zh-HK header: %s", w.Body.String()[:80])
	}
}

func i64s(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// TestOpenAPIResponseReportSchema: the ResponseReport and ResponseRow
// schemas name exactly the JSON fields of the reports types.
func TestOpenAPIResponseReportSchema(t *testing.T) {
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"ResponseReport": reports.ResponseReport{}, "ResponseRow": reports.ResponseRow{},
		"ServiceReport": reports.ServiceReport{}, "ServiceRow": reports.ServiceRow{}, "ServiceDaily": reports.ServiceDaily{},
		"SettlementReport": reports.SettlementReport{}, "SettlementRow": reports.SettlementRow{}, "KeyCount": reports.KeyCount{},
		"Statement": domain.Statement{}} {
		var documented, fields []string
		for k := range doc.Components.Schemas[name].Properties {
			documented = append(documented, k)
		}
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			if n, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ","); n != "" && n != "-" {
				fields = append(fields, n)
			}
		}
		slices.Sort(documented)
		slices.Sort(fields)
		if !slices.Equal(documented, fields) {
			t.Errorf("%s schema properties %v, JSON fields %v", name, documented, fields)
		}
	}
}

// getJSON GETs path with token tok and decodes the JSON answer into a T;
// anything but 200 fails the test.
func getJSON[T any](t *testing.T, f *orgFixture, tok, path string) T {
	t.Helper()
	var v T
	w := do(f.h, "GET", path, tok, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}
