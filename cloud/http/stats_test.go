package cloudhttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/xuri/excelize/v2"
)

func getService(t *testing.T, f *orgFixture, token, q string) reports.ServiceReport {
	t.Helper()
	return getJSON[reports.ServiceReport](t, f, token, "/api/v1/reports/service?"+q)
}

// TestServiceReportDownloads: the service statistics' JSON, CSV and XLSX
// carry the same totals (meals, elders, roster, coverage, per window); a
// scoped token sees its subtree, unit=ID narrows it, a unit outside it is
// 403, a bad month 400.
func TestServiceReportDownloads(t *testing.T) {
	f := newOrgFixture(t) // every gateway: E1 and E2 at lunch on 2026-01-02
	ctx := context.Background()
	for _, site := range []string{"site-gw-a1", "site-gw-b1"} {
		els := []eldergate.RosterElder{}
		for _, id := range []string{"E1", "E2", "E3"} {
			els = append(els, eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: "长者" + id, Active: true},
				Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "C" + id + site[len(site)-2:], State: eldergate.CredActive}}})
		}
		if _, err := f.st.ReplaceRoster(ctx, site, els, f.now); err != nil {
			t.Fatal(err)
		}
	}
	rep := getService(t, f, "adm", "month=2026-01")
	if rep.Total.Meals != 10 || rep.Total.Elders != 2 || rep.Total.Roster != 3 || rep.Total.ByWindow["lunch"] != 10 ||
		rep.Total.CoveragePct == nil || *rep.Total.CoveragePct != 66.7 || len(rep.Daily) != 31 || rep.Daily[1].Meals != 10 || rep.Daily[1].Elders != 2 {
		t.Fatalf("total %+v daily %+v", rep.Total, rep.Daily[:2])
	}
	want := []string{"合计", "", "", "10", "2", "3", "66.7", "10"}

	w := do(f.h, "GET", "/api/v1/reports/service?month=2026-01&format=csv", "adm", "")
	body := w.Body.Bytes()
	if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="service-statistics-2026-01.csv"` || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	r := csv.NewReader(bytes.NewReader(body[3:]))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "2026年1月 长者助餐服务统计表" || recs[1][0] != "填报单位：全部站点" || !strings.Contains(recs[2][0], "2026-01-01 至 2026-01-31") {
		t.Fatalf("csv head %q", recs[:3])
	}
	var total []string
	for _, rec := range recs {
		if rec[0] == "合计" {
			total = rec
		}
	}
	if strings.Join(total, "|") != strings.Join(want, "|") {
		t.Fatalf("csv total %q, want %q", total, want)
	}
	if !strings.Contains(string(body), "制表人：") || !strings.Contains(string(body), "审核人：") {
		t.Fatal("csv without 制表人/审核人")
	}

	w = do(f.h, "GET", "/api/v1/reports/service?month=2026-01&format=xlsx&lang=zh-HK", "adm", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentTypeXLSX {
		t.Fatalf("xlsx: %d %v", w.Code, w.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("服務統計")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "2026年1月 長者助餐服務統計表" {
		t.Fatalf("xlsx title %q", rows[0])
	}
	found := false
	for i, row := range rows {
		if len(row) == 0 || row[0] != "合計" {
			continue
		}
		found = true
		for c := 3; c < len(want); c++ {
			cell, _ := excelize.CoordinatesToCellName(c+1, i+1)
			v, _ := x.GetCellValue("服務統計", cell, excelize.Options{RawCellValue: true})
			got, err1 := strconv.ParseFloat(v, 64)
			exp, _ := strconv.ParseFloat(want[c], 64)
			if err1 != nil || got != exp {
				t.Errorf("xlsx total %s = %q, want %s", cell, v, want[c])
			}
		}
	}
	if !found {
		t.Fatalf("xlsx has no total row: %q", rows)
	}

	// Scoping: a street's viewer sees its sites; unit= narrows; outside is 403.
	_, viewA := f.token(t, `{"name":"A 街道查看","role":"viewer","scope":"st-a"}`)
	scoped := getService(t, f, viewA, "month=2026-01")
	if scoped.Total.Meals != 4 || scoped.Total.Elders != 2 || scoped.Total.Roster != 3 {
		t.Fatalf("st-a total %+v", scoped.Total)
	}
	if one := getService(t, f, viewA, "month=2026-01&unit=site-gw-a2"); one.Total.Meals != 2 || one.Total.Roster != 0 || one.Total.CoveragePct != nil || len(one.Rows) != 1 {
		t.Fatalf("unit site-gw-a2: %+v", one)
	}
	if w := do(f.h, "GET", "/api/v1/reports/service?month=2026-01&unit=st-b", viewA, ""); w.Code != http.StatusForbidden {
		t.Fatalf("unit outside the token: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/reports/service?month=2026-1", "adm", ""); w.Code != http.StatusBadRequest {
		t.Fatalf("bad month: %d", w.Code)
	}
	if w := do(f.h, "GET", "/api/v1/reports/service?month=2026-01&unit=st-a&format=csv&lang=en", "adm", ""); !strings.Contains(w.Body.String(), "Reporting unit: A 街道") {
		t.Fatalf("en csv: %s", w.Body.String()[:120])
	}
	// A week and a day as the period: the same figures for the meals of
	// 2026-01-02 (a Friday of ISO week 2026-W01); the week's title.
	for _, q := range []string{"period=2026-W01", "period=2026-01-02", "month=2026-01-02"} {
		if rep := getService(t, f, "adm", q); rep.Total.Meals != 10 || rep.Total.Elders != 2 || rep.Month != "" || len(rep.Weekly) != 1 || rep.Weekly[0].Elders != 2 {
			t.Errorf("%s: total %+v weekly %+v month %q", q, rep.Total, rep.Weekly, rep.Month)
		}
	}
	if rep := getService(t, f, "adm", "period=2026-W02"); rep.Total.Meals != 0 || len(rep.Daily) != 7 || rep.Daily[0].Day != "2026-01-05" {
		t.Errorf("W02: %+v", rep)
	}
	w = do(f.h, "GET", "/api/v1/reports/service?period=2026-W01&format=csv", "adm", "")
	if !strings.Contains(w.Body.String(), "2026年第1周（12月29日—1月4日） 长者助餐服务统计表") || w.Header().Get("Content-Disposition") != `attachment; filename="service-statistics-2026-W01.csv"` {
		t.Errorf("week csv: %v %s", w.Header(), w.Body.String()[:160])
	}
	for q, msg := range map[string]string{
		"/api/v1/reports/service?period=2025-W53":               "2025 has no week 53",
		"/api/v1/reports/service?period=2026-W01&month=2026-01": "month and period differ",
		"/api/v1/reports/settlement?period=2026-W01":            "made per month",
		"/api/v1/reports/settlement?month=2026-01-02":           "YYYY-MM",
		"/api/v1/reports/response?month=2026-W01":               "YYYY-MM",
	} {
		if w := do(f.h, "GET", q, "adm", ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), msg) {
			t.Errorf("%s: %d %s, want 400 with %q", q, w.Code, w.Body, msg)
		}
	}
}
