package cloudhttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/xuri/excelize/v2"
)

// settlementFixture is the org fixture (two meals per gateway on
// 2026-01-02, 500 fen subsidy each, no funding shares) with funded meals
// and a void added in January 2026.
func settlementFixture(t testing.TB) *orgFixture {
	t.Helper()
	f := newOrgFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 10, 4, 0, 0, 0, time.UTC)
	var voidOf string
	for i, gw := range []string{"gw-a1", "gw-a2", "gw-b1"} {
		d := eldergate.MealData{ElderID: "E9", Window: "lunch", Day: "2026-01-10", Decision: eldergate.DecisionApproved,
			PriceFen: 1500, SubsidyFen: 600, PayFen: 800, DiscountFen: 100, Rule: "r-age", OperatingFen: 150, OperatingBy: "district",
			Manual: i == 1, Staff: "s1",
			Funding: []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 400}, {Layer: "charity", Fen: 200}}}
		raw, _ := json.Marshal(d)
		e := eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindMeal, GW: gw, Site: "site-" + gw, Seq: 20, Boot: 1,
			At: at.Add(time.Duration(i) * time.Minute), Clock: eldergate.ClockSynced, Data: raw}
		batch := []eldergate.Envelope{e}
		if gw == "gw-b1" {
			voidOf = e.ID
			vraw, _ := json.Marshal(map[string]string{"type": "meal_void", "staff": "s1", "meal_event_id": voidOf})
			batch = append(batch, eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindAudit, GW: gw, Site: "site-" + gw,
				Seq: 21, Boot: 1, At: at.Add(time.Hour), Clock: eldergate.ClockSynced, Data: vraw})
		}
		if _, err := f.st.IngestBatch(ctx, gw, batch, at); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func getSettlement(t *testing.T, f *orgFixture, tok, query string) reports.SettlementReport {
	t.Helper()
	return getJSON[reports.SettlementReport](t, f, tok, "/api/v1/reports/settlement?"+query)
}

// TestSettlementReport: the JSON figures of the fixture, the scope rules,
// and the CSV and XLSX downloads whose totals row equals the JSON's.
func TestSettlementReport(t *testing.T) {
	f := settlementFixture(t)
	rep := getSettlement(t, f, "adm", "month=2026-01")
	tot := rep.Total
	// 5 gateways × 2 meals (500 subsidy, 1200 price, 700 pay) + 2 funded
	// meals not voided (600 subsidy, 1500 price, 800 pay) + 1 voided.
	if tot.Meals != 12 || tot.SubsidyFen != 10*500+2*600 || tot.PriceFen != 10*1200+2*1500 || tot.PayFen != 10*700+2*800 ||
		tot.Voids != 1 || tot.VoidSubsidyFen != 600 || tot.Manual != 1 || tot.DiscountFen != 200 || tot.OperatingFen != 300 ||
		tot.Funding["city"] != 800 || tot.Funding["charity"] != 400 {
		t.Fatalf("total %+v", tot)
	}
	if fmt.Sprint(rep.Layers) != "[city charity]" {
		t.Errorf("layers %v", rep.Layers)
	}
	// unit= scopes like scope=; a street's token sees only its street.
	if r := getSettlement(t, f, "adm", "month=2026-01&unit=c-a1"); r.Total.Meals != 2+2+2 || r.Total.Voids != 0 {
		t.Errorf("c-a1 total %+v", r.Total)
	}
	_, streetA := f.token(t, `{"name":"A 街道","role":"viewer","scope":"st-a"}`)
	if r := getSettlement(t, f, streetA, "month=2026-01"); r.Total.Meals != 6 {
		t.Errorf("st-a token total %+v", r.Total)
	}
	if w := do(f.h, "GET", "/api/v1/reports/settlement?month=2026-01&unit=c-b1", streetA, ""); w.Code != http.StatusForbidden {
		t.Errorf("unit outside the token's scope: %d %s", w.Code, w.Body)
	}
	for q, code := range map[string]int{"month=2026-13": 400, "month=2026-01&format=pdf": 400, "month=2026-01&unit=c-a1&scope=c-b1": 400,
		"month=2026-01&unit=nope": 400, "month=2026-01&tz=Mars/Base": 400} {
		if w := do(f.h, "GET", "/api/v1/reports/settlement?"+q, "adm", ""); w.Code != code {
			t.Errorf("%s: %d %s, want %d", q, w.Code, w.Body, code)
		}
	}

	// The totals row of the downloads, as the JSON gives it.
	tbl, err := reports.SettlementTable(rep, "zh-CN", "全部站点")
	if err != nil {
		t.Fatal(err)
	}
	w := do(f.h, "GET", "/api/v1/reports/settlement?month=2026-01&format=xlsx", "adm", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentTypeXLSX ||
		w.Header().Get("Content-Disposition") != `attachment; filename="settlement-2026-01.xlsx"` {
		t.Fatalf("xlsx: %d %v", w.Code, w.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetList()[0]
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "2026年1月 长者助餐补贴结算表" {
		t.Fatalf("title %q", rows[0])
	}
	hdr := tbl.HeaderRow()
	if got := rows[hdr-1]; got[3] != "就餐人次" || got[7] != "补贴合计" {
		t.Fatalf("header %q", got)
	}
	totalRow := hdr + len(rep.Rows) + 1
	if rows[totalRow-1][0] != "合计" {
		t.Fatalf("row %d is %q, want the totals", totalRow, rows[totalRow-1])
	}
	want := map[int]float64{3: float64(tot.Meals), 5: float64(tot.PriceFen) / 100, 6: float64(tot.PayFen) / 100,
		7: float64(tot.SubsidyFen) / 100, 13: float64(tot.Voids), 14: float64(tot.VoidPriceFen) / 100}
	for i, l := range rep.Layers {
		want[16+i] = float64(tot.Funding[l]) / 100
	}
	for col, v := range want {
		cell, _ := excelize.CoordinatesToCellName(col+1, totalRow)
		raw, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if got, err := strconv.ParseFloat(raw, 64); err != nil || got != v {
			t.Errorf("xlsx total %s = %q, JSON %v", cell, raw, v)
		}
	}

	w = do(f.h, "GET", "/api/v1/reports/settlement?month=2026-01&format=csv&unit=d-north&lang=en", "adm", "")
	body := strings.TrimPrefix(w.Body.String(), "\uFEFF")
	if w.Code != http.StatusOK || !strings.HasPrefix(body, "\"Elder meal subsidy settlement, January 2026\"\r\nReporting unit: 北区\r\nPeriod: 2026-01-01 to 2026-01-31 (Asia/Shanghai)\r\n") {
		t.Fatalf("csv: %d %q", w.Code, body[:min(len(body), 120)])
	}
	cr := csv.NewReader(strings.NewReader(body))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	north := getSettlement(t, f, "adm", "month=2026-01&unit=d-north")
	var total []string
	for _, r := range recs {
		if len(r) > 0 && r[0] == "Total" {
			total = r
		}
	}
	wantCSV := []string{"Total", "", "", strconv.FormatInt(north.Total.Meals, 10), strconv.FormatInt(north.Total.Subsidised, 10),
		eldergate.Fen(north.Total.PriceFen).String(), eldergate.Fen(north.Total.PayFen).String(), eldergate.Fen(north.Total.SubsidyFen).String()}
	if len(total) < len(wantCSV) || fmt.Sprint(total[:len(wantCSV)]) != fmt.Sprint(wantCSV) {
		t.Fatalf("csv total %q, want %q", total, wantCSV)
	}
	if !strings.Contains(body, "Prepared by") {
		t.Errorf("csv has no signature lines")
	}
	if w := do(f.h, "GET", "/api/v1/reports/settlement?month=2026-01&format=csv&lang=zh-HK", "adm", ""); !strings.Contains(w.Body.String(), "長者助餐補貼結算表") {
		t.Errorf("zh-HK title: %q", w.Body.String()[:80])
	}
}

// FuzzSettlementQuery: any parameters of the settlement get an answer
// (never a 5xx); a 200 names a month ParseMonth accepts, and a JSON 200's
// rows lie in the unit asked for.
func FuzzSettlementQuery(f *testing.F) {
	fx := settlementFixture(f)
	f.Add("2026-01", "", "", "", "", "")
	f.Add("2026-01", "c-a1", "c-a1", "csv", "en", "UTC")
	f.Add("2026-1", "../x", "", "xlsx", "zh-HK", "Asia/Shanghai")
	f.Add("2026-01", "C-A1", "c-b1", "json", "fr", "Local")
	f.Fuzz(func(t *testing.T, month, unit, scope, format, lang, tz string) {
		q := url.Values{}
		for k, v := range map[string]string{"month": month, "unit": unit, "scope": scope, "format": format, "lang": lang, "tz": tz} {
			if v != "" {
				q.Set(k, v)
			}
		}
		w := do(fx.h, "GET", "/api/v1/reports/settlement?"+q.Encode(), "adm", "")
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", q.Encode(), w.Code, w.Body)
		}
		if w.Code != http.StatusOK {
			return
		}
		if _, _, err := reports.ParseMonth(month, time.UTC); err != nil {
			t.Fatalf("%q answered 200 with month %q", q.Encode(), month)
		}
		if format != "" && format != "json" {
			return
		}
		var rep reports.SettlementReport
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if unit == "" {
			unit = scope
		}
		for _, row := range rep.Rows {
			if unit != "" && !strings.Contains(row.Path, "/"+unit+"/") {
				t.Fatalf("%q: row %s %s outside unit %s", q.Encode(), row.Level, row.Path, unit)
			}
		}
	})
}
