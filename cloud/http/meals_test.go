package cloudhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/storetest"
)

const urumqiPolicy = `version: http-meals-urumqi
time_zone: Asia/Urumqi
match: first_match
windows:
  - {name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}
rules:
  - {id: age, age: {min: 60}, subsidy: {fixed_fen: 1000}}
funding:
  - {layer: city, scope: city, rest: true}
`

// mealsFixture is the org fixture (two meals at each of five gateways)
// with elder E1 named on site a1's roster, a refused meal at a1, two taps
// of cards not on the roster (a1 and b1), and site b1 on a policy in
// Asia/Urumqi.
func mealsFixture(t *testing.T) (*orgFixture, map[string]string) {
	t.Helper()
	f := newOrgFixture(t)
	ctx := context.Background()
	if _, err := f.st.ReplaceRoster(ctx, "site-gw-a1", []eldergate.RosterElder{{Elder: eldergate.Elder{ID: "E1", Name: "张三丰", Active: true}}}, f.now); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(urumqiPolicy))
	if _, err := f.st.CreatePolicy(ctx, domain.StoredPolicy{Version: "http-meals-urumqi", Body: urumqiPolicy, SHA256: hex.EncodeToString(sum[:]), CreatedAt: f.now, CreatedBy: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AssignPolicy(ctx, "site-gw-b1", "http-meals-urumqi", f.now); err != nil {
		t.Fatal(err)
	}
	at := f.now.Add(-30 * time.Minute)
	refused := storetest.RefusedMeal(t, "gw-a1", 10, "E1", eldergate.ReasonAlreadyServed, at)
	cardA := storetest.CardTap(t, "gw-a1", 11, eldergate.ReasonUnknownCard, "DEADBEEF", at.Add(time.Minute))
	cardB := storetest.CardTap(t, "gw-b1", 10, eldergate.ReasonUnknownCard, "12345678", at.Add(2*time.Minute))
	if _, err := f.st.IngestBatch(ctx, "gw-a1", []eldergate.Envelope{refused, cardA}, f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.IngestBatch(ctx, "gw-b1", []eldergate.Envelope{cardB}, f.now); err != nil {
		t.Fatal(err)
	}
	return f, map[string]string{"refused": refused.ID, "cardA": cardA.ID, "cardB": cardB.ID}
}

func mealPageOf(t *testing.T, f *orgFixture, tok, query string) MealPageBody {
	t.Helper()
	w := do(f.h, "GET", "/api/v1/meals?"+query, tok, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET meals?%s: %d %s", query, w.Code, w.Body)
	}
	var p MealPageBody
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("meals?%s: %v: %s", query, err, w.Body)
	}
	return p
}

// TestMealsList: a bare GET is the old array (meals only); filters, pages
// (no repeats, no gaps), card taps, masked names, site names and zones, a
// street-scoped token, and a 400 in words for each bad parameter.
func TestMealsList(t *testing.T) {
	f, id := mealsFixture(t)
	if w := do(f.h, "GET", "/api/v1/meals", "adm", ""); w.Code != http.StatusOK || count(t, w, w.Body.Bytes()) != 11 {
		t.Fatalf("bare GET: %d %s, want the array of 11 meals", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/meals?scope=st-a", "adm", ""); w.Code != http.StatusOK || count(t, w, w.Body.Bytes()) != 5 {
		t.Fatalf("GET ?scope=st-a: %d %s, want the array of 5 meals", w.Code, w.Body)
	}

	// Pages of 4: 11 meals and 2 card taps, each once, newest first.
	seen := map[string]bool{}
	var last time.Time
	q, pages := "limit=4", 0
	for {
		p := mealPageOf(t, f, "adm", q)
		pages++
		for _, r := range p.Meals {
			if seen[r.EventID] || !last.IsZero() && r.At.After(last) {
				t.Fatalf("page %d: row %s again or out of order", pages, r.EventID)
			}
			seen[r.EventID], last = true, r.At
		}
		if p.Next == "" {
			break
		}
		q = "limit=4&before=" + url.QueryEscape(p.Next)
	}
	if len(seen) != 13 || pages != 4 || !seen[id["cardA"]] || !seen[id["cardB"]] {
		t.Fatalf("pages: %d rows in %d pages", len(seen), pages)
	}

	p := mealPageOf(t, f, "adm", "decision=refused")
	if len(p.Meals) != 3 || p.Next != "" || p.TimeZone != "Asia/Shanghai" {
		t.Fatalf("refused: %+v", p)
	}
	for _, r := range p.Meals {
		switch r.EventID {
		case id["cardA"]:
			if r.Kind != domain.RowCard || r.Card != "****BEEF" || r.SiteName != "A1 食堂" || r.TimeZone != "Asia/Shanghai" || r.Reason != "unknown_card" {
				t.Errorf("card row a1: %+v", r)
			}
		case id["cardB"]:
			if r.TimeZone != "Asia/Urumqi" || r.Card != "****5678" {
				t.Errorf("card row b1: %+v", r)
			}
		case id["refused"]:
			if r.ElderName != eldergate.MaskName("张三丰") || r.Reason != "already_served" || r.Kind != domain.RowMeal {
				t.Errorf("refused meal: %+v", r)
			}
		}
	}
	if p := mealPageOf(t, f, "adm", "reason=unknown_card&site=site-gw-b1"); len(p.Meals) != 1 || p.TimeZone != "Asia/Urumqi" {
		t.Errorf("site b1's card taps (dates in its zone): %+v", p)
	}
	if p := mealPageOf(t, f, "adm", "elder=E2&window=lunch"); len(p.Meals) != 5 {
		t.Errorf("elder E2: %d rows", len(p.Meals))
	}
	if p := mealPageOf(t, f, "adm", "q=BEEF"); len(p.Meals) != 1 || p.Meals[0].EventID != id["cardA"] {
		t.Errorf("q=BEEF: %+v", p.Meals)
	}
	day := f.now.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if p := mealPageOf(t, f, "adm", "from="+day+"&to="+day); len(p.Meals) != 13 {
		t.Errorf("from/to %s: %d rows", day, len(p.Meals))
	}
	if p := mealPageOf(t, f, "adm", "to=2025-12-31"); len(p.Meals) != 0 {
		t.Errorf("to 2025-12-31: %d rows", len(p.Meals))
	}

	// A street-scoped token sees its street only, and no other street.
	_, st := f.token(t, `{"name":"a","role":"viewer","scope":"st-a"}`)
	for _, r := range mealPageOf(t, f, st, "limit=100").Meals {
		if r.Site != "site-gw-a1" && r.Site != "site-gw-a2" {
			t.Errorf("st-a token sees %s", r.Site)
		}
	}
	if n := len(mealPageOf(t, f, st, "limit=100").Meals); n != 6 {
		t.Errorf("st-a token: %d rows, want 6", n)
	}
	if w := do(f.h, "GET", "/api/v1/meals?site=site-gw-b1", st, ""); w.Code != http.StatusForbidden {
		t.Errorf("st-a token asks for b1: %d", w.Code)
	}

	for q, want := range map[string]string{
		"from=2026-13-01":               `from \"2026-13-01\" is not a date`,
		"to=yesterday":                  `to \"yesterday\" is not a date`,
		"from=2026-02-02&to=2026-02-01": "is before from",
		"decision=eaten":                "decision \\\"eaten\\\" is not one of approved",
		"limit=0":                       "limit \\\"0\\\" is not a number from 1 to 1000",
		"before=xyz":                    "is not a cursor",
		"reason=Bad!":                   "is not a reason code",
		"kind=dish":                     "is not meal or card",
		"format=pdf":                    "is not one of json, csv, xlsx",
		"colour=red":                    "unknown parameter",
		"site=a&scope=b":                "name different org units",
		"tz=Mars/Base&limit=5":          "is not an IANA time zone",
		"site=nowhere":                  "no org unit nowhere",
	} {
		w := do(f.h, "GET", "/api/v1/meals?"+q, "adm", "")
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), want) {
			t.Errorf("GET meals?%s: %d %s, want 400 with %s", q, w.Code, w.Body, want)
		}
	}
}

// TestMealsCSV: the download of a filtered list holds its rows: times in
// the site's zone named in the header, site names, masked names and
// cards, reasons in words, money in yuan.
func TestMealsCSV(t *testing.T) {
	f, id := mealsFixture(t)
	page := mealPageOf(t, f, "adm", "scope=st-a&limit=100")
	w := do(f.h, "GET", "/api/v1/meals?scope=st-a&format=csv&lang=en", "adm", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentTypeCSV || !strings.Contains(w.Header().Get("Content-Disposition"), "meals.csv") {
		t.Fatalf("csv: %d %v %s", w.Code, w.Header(), w.Body)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.Body.Bytes(), []byte("\uFEFF"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	h := -1
	for i, r := range recs {
		if len(r) > 0 && r[0] == "Time (Asia/Shanghai)" {
			h = i
		}
	}
	if h < 0 {
		t.Fatalf("no header naming the zone: %q", recs)
	}
	rows := recs[h+1:]
	if len(rows) != len(page.Meals) {
		t.Fatalf("csv has %d rows, the list %d", len(rows), len(page.Meals))
	}
	for i, r := range rows {
		m := page.Meals[i]
		if r[len(r)-1] != m.EventID || r[0] != m.At.In(time.FixedZone("", 8*3600)).Format("2006-01-02 15:04:05") {
			t.Errorf("csv row %d = %q, list %s %v", i, r, m.EventID, m.At)
		}
		switch m.EventID {
		case id["cardA"]:
			if r[1] != "A1 食堂" || r[3] != "Card ****BEEF" || r[5] != "Refused" || r[6] != "This card is not registered" || r[7] != "" {
				t.Errorf("card row: %q", r)
			}
		case id["refused"]:
			if r[3] != eldergate.MaskName("张三丰") || r[6] != "You have had this meal already" {
				t.Errorf("refused row: %q", r)
			}
		}
		if m.Decision == "approved" && (r[7] != "12.00" || r[8] != "5.00" || r[9] != "7.00" || r[5] != "Subsidised" || r[4] != "Lunch") {
			t.Errorf("approved row: %q", r)
		}
	}
	if strings.Contains(w.Body.String(), "张三丰") || strings.Contains(w.Body.String(), "DEADBEEF") {
		t.Error("the csv holds a name or card unmasked")
	}
	// Mixed zones: each time names its zone; xlsx downloads too.
	w = do(f.h, "GET", "/api/v1/meals?decision=refused&format=csv", "adm", "")
	if !strings.Contains(w.Body.String(), "(Asia/Urumqi)") || !strings.Contains(w.Body.String(), "这张卡还没有登记") {
		t.Errorf("mixed zones csv: %s", w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/meals?format=xlsx&limit=2", "adm", ""); w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentTypeXLSX {
		t.Errorf("xlsx: %d %v", w.Code, w.Header())
	}
	// The words of the list.
	var words MealWords
	if w := do(f.h, "GET", "/api/v1/meals/words", "adm", ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &words) != nil ||
		words.Reasons["zh-HK"]["unknown_card"] != "這張卡未登記" || words.Decisions["en"]["voided"] != "Voided" {
		t.Errorf("words: %d %s", w.Code, w.Body)
	}
}

func TestParseMealQuery(t *testing.T) {
	p, err := ParseMealQuery(url.Values{})
	if err != nil || p.Paged {
		t.Fatalf("bare: %+v %v", p, err)
	}
	if p, err := ParseMealQuery(url.Values{"scope": {"st-a"}}); err != nil || p.Paged || p.Unit != "st-a" {
		t.Fatalf("scope alone: %+v %v", p, err)
	}
	c := domain.MealCursor{At: time.Date(2026, 12, 6, 4, 1, 2, 345, time.UTC), ID: "0193a-e"}
	p, err = ParseMealQuery(url.Values{"before": {MealCursor(c)}, "limit": {"7"}, "decision": {"voided"}, "q": {" 12 "}})
	if err != nil || !p.Paged || !p.Filter.Before.At.Equal(c.At) || p.Filter.Before.ID != c.ID || p.Filter.Limit != 7 || p.Filter.Decision != "voided" || p.Filter.Q != "12" {
		t.Fatalf("paged: %+v %v", p, err)
	}
	if _, err := ParseMealQuery(url.Values{"q": {"a\x00b"}}); err == nil {
		t.Error("q with a control character accepted")
	}
}

func FuzzParseMealQuery(f *testing.F) {
	for _, s := range []string{"", "scope=st-a", "limit=5&before=MTc2NTAwMDAwMDAwMDAwMDAwMC5hYmM", "from=2026-12-01&to=2026-12-06&decision=refused",
		"reason=unknown_card&q=BEEF&kind=card&format=csv&lang=en", "limit=-1", "before=%%%", "elder=" + strings.Repeat("x", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := ParseMealQuery(q)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		if p.Filter.Limit < 1 || p.Filter.Limit > domain.MealPageMax {
			t.Fatalf("limit %d accepted", p.Filter.Limit)
		}
		if p.Filter.Before.ID != "" {
			back, err := ParseMealCursor(MealCursor(p.Filter.Before))
			if err != nil || back != p.Filter.Before {
				t.Fatalf("cursor %+v does not round-trip: %+v %v", p.Filter.Before, back, err)
			}
		}
		if p.FromDay != "" && p.ToDay != "" && p.ToDay < p.FromDay {
			t.Fatalf("to %s before from %s accepted", p.ToDay, p.FromDay)
		}
	})
}
