package cloudhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/xuri/excelize/v2"
)

func getReview(t *testing.T, f *orgFixture, tok, query string) reports.ReviewReport {
	t.Helper()
	return getJSON[reports.ReviewReport](t, f, tok, "/api/v1/reports/review?"+query)
}

// TestReviewReport: the settlement fixture's E9 lunches at A1, A2 and B1
// within three minutes on 10 January (B1's voided): one
// two_sites_one_window item (A1 and A2) and one void. A street token sees
// the item of its sites; the token of street B sees B1's void and not the
// two-site item (its own meal there is voided); a scope holding one of
// two sites sees the other site's meal withheld. CSV and XLSX carry one
// row per meal.
func TestReviewReport(t *testing.T) {
	f := settlementFixture(t)
	rep := getReview(t, f, "adm", "month=2026-01")
	var two, void *reports.ReviewItem
	for i, it := range rep.Items {
		switch {
		case it.Kind == reports.KindTwoSites && it.Params["elder"] == "E9":
			two = &rep.Items[i]
		case it.Kind == reports.KindVoid:
			void = &rep.Items[i]
		}
	}
	if two == nil || void == nil || len(two.Meals) != 2 || two.Meals[0].Site != "site-gw-a1" || two.Meals[1].Site != "site-gw-a2" ||
		void.Meals[0].Site != "site-gw-b1" || void.Meals[0].VoidedBy != "s1" || rep.Counts[reports.KindVoid] != 1 {
		t.Fatalf("items %+v", rep.Items)
	}
	if !strings.Contains(two.Text, "A1 食堂") || two.Meals[0].Local != "2026-01-10 12:00" {
		t.Errorf("text %q, local %q", two.Text, two.Meals[0].Local)
	}
	// The fixture's E1 and E2 at five sites on 2 January: items too.
	if rep.Counts[reports.KindTwoSites] != 3 {
		t.Errorf("two-site items %d, want 3 (E1, E2 on 2 Jan, E9 on 10 Jan)", rep.Counts[reports.KindTwoSites])
	}

	// Unit c-a1 holds both A sites: nothing withheld.
	ca := getReview(t, f, "adm", "month=2026-01&unit=c-a1")
	for _, it := range ca.Items {
		if it.Kind == reports.KindVoid {
			t.Errorf("c-a1 sees B1's void: %+v", it)
		}
	}
	// Unit site-gw-a2: the E9 item shows, A1's meal withheld.
	a2 := getReview(t, f, "adm", "month=2026-01&unit=site-gw-a2")
	found := false
	for _, it := range a2.Items {
		if it.Kind != reports.KindTwoSites || it.Params["elder"] != "E9" {
			continue
		}
		found = true
		for _, m := range it.Meals {
			if (m.Site == "site-gw-a1") != m.Withheld || m.Withheld && (m.PriceFen != 0 || m.Staff != "") || !m.Withheld && m.PriceFen != 1500 {
				t.Errorf("a2 scope meal %+v", m)
			}
		}
	}
	if !found {
		t.Fatalf("a2 scope lacks E9's item: %+v", a2.Items)
	}
	// A street-B token: B1's void, no E9 item (its meal at B1 is voided).
	_, streetB := f.token(t, `{"name":"B 街道","role":"viewer","scope":"st-b"}`)
	b := getReview(t, f, streetB, "month=2026-01")
	if b.Counts[reports.KindVoid] != 1 {
		t.Errorf("st-b counts %v", b.Counts)
	}
	for _, it := range b.Items {
		if it.Kind == reports.KindTwoSites && it.Params["elder"] == "E9" {
			t.Errorf("st-b sees E9's item without a meal of its own: %+v", it)
		}
	}
	if w := do(f.h, "GET", "/api/v1/reports/review?month=2026-01&unit=c-a1", streetB, ""); w.Code != http.StatusForbidden {
		t.Errorf("unit outside the token's scope: %d", w.Code)
	}
	if w := do(f.h, "GET", "/api/v1/reports/review?month=2026-01", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", w.Code)
	}
	for q, code := range map[string]int{"month=2026-13": 400, "month=2026-01&format=pdf": 400, "month=2026-01&lang=fr": 400, "month=2026-01&tz=Mars/Base": 400} {
		if w := do(f.h, "GET", "/api/v1/reports/review?"+q, "adm", ""); w.Code != code {
			t.Errorf("%s: %d, want %d", q, w.Code, code)
		}
	}
	// English words.
	en := getReview(t, f, "adm", "month=2026-01&lang=en")
	if en.Lang != "en" || !strings.Contains(en.Items[0].Text, "was served on") {
		t.Errorf("en text %q", en.Items[0].Text)
	}

	// Downloads: one row per meal behind an item, then the totals row.
	meals := 0
	for _, it := range rep.Items {
		meals += len(it.Meals)
	}
	w := do(f.h, "GET", "/api/v1/reports/review?month=2026-01&format=csv", "adm", "")
	body := strings.TrimPrefix(w.Body.String(), "\uFEFF")
	if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="review-2026-01.csv"` ||
		!strings.HasPrefix(body, "2026年1月 长者助餐待核查事项\r\n") || !strings.Contains(body, two.Meals[1].EventID) {
		t.Fatalf("csv: %d %q", w.Code, body[:min(200, len(body))])
	}
	w = do(f.h, "GET", "/api/v1/reports/review?month=2026-01&format=xlsx&lang=zh-HK", "adm", "")
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %d %v", w.Code, err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := reports.ReviewTable(rep, "zh-HK", "")
	hdr := tbl.HeaderRow()
	total := rows[hdr+meals]
	if rows[0][0] != "2026年1月 長者助餐待核查事項" || rows[hdr-1][3] != "事件編號" || total[0] != "合計（事項）" || total[1] != strconv.Itoa(len(rep.Items)) {
		t.Fatalf("xlsx rows: title %q header %q total %q", rows[0], rows[hdr-1], total)
	}
	var ids []string
	for _, r := range rows[hdr : hdr+meals] {
		ids = append(ids, r[3])
	}
	for _, it := range rep.Items {
		for _, m := range it.Meals {
			if !slices.Contains(ids, m.EventID) {
				t.Errorf("xlsx lacks meal %s", m.EventID)
			}
		}
	}
}

// FuzzReviewQuery: any parameters of the review get an answer (never a
// 5xx); a JSON 200's meals in scope lie at sites of the unit asked for.
func FuzzReviewQuery(f *testing.F) {
	fx := settlementFixture(f)
	f.Add("2026-01", "", "", "")
	f.Add("2026-01", "c-a1", "csv", "en")
	f.Add("2026-1", "../x", "xlsx", "zh-HK")
	f.Add("2026-01", "site-gw-a2", "json", "fr")
	f.Fuzz(func(t *testing.T, month, unit, format, lang string) {
		q := url.Values{}
		for k, v := range map[string]string{"month": month, "unit": unit, "format": format, "lang": lang} {
			if v != "" {
				q.Set(k, v)
			}
		}
		w := do(fx.h, "GET", "/api/v1/reports/review?"+q.Encode(), "adm", "")
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", q.Encode(), w.Code, w.Body)
		}
		if w.Code != http.StatusOK || format != "" && format != "json" {
			return
		}
		if _, _, err := reports.ParseMonth(month, time.UTC); err != nil {
			t.Fatalf("%q answered 200 with month %q", q.Encode(), month)
		}
		var rep reports.ReviewReport
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		for _, it := range rep.Items {
			mine := false
			for _, m := range it.Meals {
				mine = mine || !m.Withheld
			}
			if !mine {
				t.Fatalf("item with no meal in scope: %+v", it)
			}
		}
	})
}

// TestReviewCardLostThroughTheAPI: a card reported lost through the
// roster API at the cloud's (injected) clock dates the report: a meal
// with the card a minute before it is no item, a meal a minute after is
// an after_card_lost item naming that meal and the report's time.
func TestReviewCardLostThroughTheAPI(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	roster := []eldergate.RosterElder{{Elder: eldergate.Elder{ID: "E7", Name: "陈七", Active: true},
		Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04AABBCC", State: eldergate.CredActive}}}}
	if _, err := f.st.ReplaceRoster(ctx, "site-gw-a1", roster, f.clock()); err != nil {
		t.Fatal(err)
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	meal := func(seq uint64, at time.Time) eldergate.Envelope {
		raw, _ := json.Marshal(eldergate.MealData{ElderID: "E7", Credential: eldergate.MaskID("04AABBCC"), Window: "lunch",
			Day: at.In(tz).Format(time.DateOnly), Decision: eldergate.DecisionApproved, PriceFen: 1200, SubsidyFen: 500, PayFen: 700})
		return eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindMeal, GW: "gw-a1", Site: "site-gw-a1", Seq: seq, Boot: 1,
			At: at, Clock: eldergate.ClockSynced, Data: raw}
	}
	f.advance(time.Hour)
	before := meal(30, f.clock().Add(-time.Minute))
	w := do(f.h, "POST", "/api/v1/sites/site-gw-a1/elders/E7/credentials/state", "adm", `{"kind":"card","value":"04aabbcc","state":"lost"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("report lost: %d %s", w.Code, w.Body)
	}
	reported := f.clock()
	after := meal(31, reported.Add(time.Minute))
	if _, err := f.st.IngestBatch(ctx, "gw-a1", []eldergate.Envelope{before, after}, reported.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep := getReview(t, f, "adm", "month=2026-01&unit=site-gw-a1")
	var lost []reports.ReviewItem
	for _, it := range rep.Items {
		if it.Kind == reports.KindAfterCardLost {
			lost = append(lost, it)
		}
	}
	if len(lost) != 1 || len(lost[0].Meals) != 1 || lost[0].Meals[0].EventID != after.ID ||
		lost[0].Params["reported_at"] != reported.UTC().Format(time.RFC3339) || lost[0].Meals[0].Name != "陈*" || lost[0].Meals[0].Credential != "****BBCC" {
		t.Fatalf("after_card_lost items %+v", lost)
	}
}
