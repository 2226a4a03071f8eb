package cloudhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/xuri/excelize/v2"
)

// charityElders are the fixture's elders, with names, ids and credentials
// that must never reach the public page.
var charityElders = []eldergate.RosterElder{
	{Elder: eldergate.Elder{ID: "E7301", Name: "欧阳春花", Active: true},
		Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04AABBCC11", State: eldergate.CredActive}}},
	{Elder: eldergate.Elder{ID: "E7302", Name: "司马秋月", Active: true},
		Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04DDEEFF22", State: eldergate.CredActive}}},
	{Elder: eldergate.Elder{ID: "E7303", Name: "诸葛冬雪", Active: true},
		Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04A1B2C3D4", State: eldergate.CredActive}}},
}

type charityFixture struct {
	h  http.Handler
	st domain.Store
	// meals and fen of fund love-fund in January 2026 (not voided), per site.
	meals, fen map[string]int64
}

// newCharityFixture: the org tree of the org tests, fund love-fund
// registered, and in January 2026 meals at gw-a1, gw-a2 (district
// d-north) and gw-s1 (d-south) with the fund's share, meals with other
// layers only, a voided one, and one in February.
func newCharityFixture(t *testing.T) *charityFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, Now: func() time.Time { return now },
		Provisioning: Provisioning{PublicURL: "https://cloud.example.org/"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &charityFixture{h: s.Handler(), st: st, meals: map[string]int64{}, fen: map[string]int64{}}
	storetest.CreateOrgTree(t, st)
	if w := do(f.h, "POST", "/api/v1/charity/funds", "adm",
		`{"id":"love-fund","names":{"zh-CN":"爱心助餐基金","zh-HK":"愛心助餐基金","en":"Love Meals Fund"},"unit":"d-north"}`); w.Code != http.StatusCreated {
		t.Fatalf("register fund: %d %s", w.Code, w.Body)
	}
	at := time.Date(2026, 1, 5, 4, 0, 0, 0, time.UTC)
	for gi, gw := range []string{"gw-a1", "gw-a2", "gw-s1"} {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ReplaceRoster(ctx, "site-"+gw, charityElders, at); err != nil {
			t.Fatal(err)
		}
		var batch []eldergate.Envelope
		seq := uint64(0)
		meal := func(elder string, at time.Time, shares ...eldergate.FundingShare) eldergate.Envelope {
			d := eldergate.MealData{ElderID: elder, Window: "lunch", Day: at.Add(8 * time.Hour).Format(time.DateOnly),
				Decision: eldergate.DecisionApproved, PriceFen: 1500, Funding: shares, PolicyVer: "p1"}
			for _, sh := range shares {
				d.SubsidyFen += sh.Fen
			}
			d.PayFen = d.PriceFen - d.SubsidyFen
			raw, _ := json.Marshal(d)
			seq++
			return eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindMeal, GW: gw, Site: "site-" + gw, Seq: seq, Boot: 1,
				At: at, Clock: eldergate.ClockSynced, Data: raw}
		}
		for day := range 3 + gi {
			for ei, e := range charityElders {
				when := at.Add(time.Duration(day)*24*time.Hour + time.Duration(ei)*time.Minute)
				fen := eldergate.Fen(100 + 50*ei)
				batch = append(batch, meal(e.ID, when, eldergate.FundingShare{Layer: "city", Code: "440300", Fen: 300},
					eldergate.FundingShare{Layer: "love-fund", Fen: fen}))
				f.meals["site-"+gw]++
				f.fen["site-"+gw] += int64(fen)
				// Another meal with no share of the fund.
				batch = append(batch, meal(e.ID, when.Add(6*time.Hour), eldergate.FundingShare{Layer: "city", Code: "440300", Fen: 500}))
			}
		}
		// A voided meal of the fund and one in February: not counted.
		voided := meal("E7301", at.Add(time.Hour), eldergate.FundingShare{Layer: "love-fund", Fen: 999})
		vraw, _ := json.Marshal(map[string]string{"type": "meal_void", "staff": "s1", "meal_event_id": voided.ID})
		seq++
		batch = append(batch, voided, eldergate.Envelope{ID: storetest.NewID(t), Kind: eldergate.KindAudit, GW: gw, Site: "site-" + gw,
			Seq: seq, Boot: 1, At: at.Add(2 * time.Hour), Clock: eldergate.ClockSynced, Data: vraw},
			meal("E7302", time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC), eldergate.FundingShare{Layer: "love-fund", Fen: 777}))
		if _, err := st.IngestBatch(ctx, gw, batch, at); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *charityFixture) token(t *testing.T, body string) string {
	t.Helper()
	w := do(f.h, "POST", "/api/v1/tokens", "adm", body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create token %s: %d %s", body, w.Code, w.Body)
	}
	var r CreateTokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r.Secret
}

// TestCharityReport: the detail's figures per site and in total, the
// elders masked, the scope rules, the CSV's totals row.
func TestCharityReport(t *testing.T) {
	f := newCharityFixture(t)
	w := do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01", "adm", "")
	if w.Code != http.StatusOK {
		t.Fatalf("report: %d %s", w.Code, w.Body)
	}
	var rep reports.CharityReport
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var meals, fen int64
	for _, s := range rep.Sites {
		if s.Meals != f.meals[s.Site] || s.Fen != f.fen[s.Site] || s.Elders != 3 {
			t.Errorf("site %+v, want %d meals %d fen", s, f.meals[s.Site], f.fen[s.Site])
		}
		meals += s.Meals
		fen += s.Fen
	}
	if len(rep.Sites) != 3 || rep.Meals != meals || rep.Fen != fen || rep.Elders != 3 || rep.Voids != 3 || rep.VoidFen != 3*999 {
		t.Errorf("report %+v", rep)
	}
	if rep.Sites[0].District != "北区" || rep.Sites[2].District != "南区" {
		t.Errorf("districts %+v", rep.Sites)
	}
	for _, e := range rep.ElderLines {
		for _, x := range charityElders {
			if strings.Contains(e.Name, x.Name) || e.ID == x.ID {
				t.Errorf("elder line %+v is not masked", e)
			}
		}
		if !strings.Contains(e.Name, "*") || !strings.HasPrefix(e.ID, "*") || len(e.Sites) != 3 {
			t.Errorf("elder line %+v", e)
		}
	}

	// A viewer of district d-south sees its site only, and not d-north.
	south := f.token(t, `{"name":"south","role":"viewer","scope":"d-south"}`)
	w = do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01", south, "")
	var r2 reports.CharityReport
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &r2) != nil || len(r2.Sites) != 1 || r2.Meals != f.meals["site-gw-s1"] {
		t.Errorf("d-south viewer: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01&unit=d-north", south, ""); w.Code != http.StatusForbidden {
		t.Errorf("d-south viewer, unit=d-north: %d", w.Code)
	}
	for q, code := range map[string]int{
		"fund=nope&month=2026-01":            http.StatusNotFound,
		"fund=Bad%20Fund&month=2026-01":      http.StatusBadRequest,
		"month=2026-01":                      http.StatusBadRequest,
		"fund=love-fund&month=2026-13":       http.StatusBadRequest,
		"fund=love-fund&month=2026-01&tz=XX": http.StatusBadRequest,
	} {
		if w := do(f.h, "GET", "/api/v1/reports/charity?"+q, "adm", ""); w.Code != code {
			t.Errorf("%s: %d, want %d (%s)", q, w.Code, code, w.Body)
		}
	}
	if w := do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", w.Code)
	}

	// The CSV's totals row carries the JSON's totals.
	w = do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01&format=csv&lang=en", "adm", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Disposition"), "charity-love-fund-2026-01.csv") {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.Body.Bytes(), []byte("\uFEFF"))))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var total []string
	for _, r := range recs {
		if len(r) > 0 && r[0] == "Total" {
			total = r
		}
	}
	if len(total) != 7 || total[4] != strconv.FormatInt(rep.Meals, 10) || total[5] != "3" || total[6] != eldergate.Fen(rep.Fen).String() {
		t.Errorf("csv total %q (report %d meals %d fen); csv %q", total, rep.Meals, rep.Fen, recs)
	}
	if !strings.Contains(w.Body.String(), "Voided meals not counted: 3") {
		t.Errorf("csv lacks the voids note")
	}

	// The XLSX: the title names the fund and month, the totals row the
	// JSON's figures (money as yuan numbers).
	w = do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01&format=xlsx", "adm", "")
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer x.Close()
	sheet := x.GetSheetList()[0]
	rows, err := x.GetRows(sheet)
	if err != nil || len(rows) < 5 || rows[0][0] != "2026年1月 爱心助餐基金 慈善资金助餐明细表" {
		t.Fatalf("xlsx rows %q, %v", rows, err)
	}
	totalRow := 0
	for i, r := range rows {
		if len(r) > 0 && r[0] == "合计" {
			totalRow = i + 1
		}
	}
	for col, v := range map[int]float64{5: float64(rep.Meals), 6: 3, 7: float64(rep.Fen) / 100} {
		cell, _ := excelize.CoordinatesToCellName(col, totalRow)
		raw, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if got, err := strconv.ParseFloat(raw, 64); err != nil || got != v {
			t.Errorf("xlsx total %s = %q, JSON %v", cell, raw, v)
		}
	}
}

// TestCharityFundRegistration: only an admin registers a fund, with its
// fields checked; a scoped admin only for a unit of its subtree.
func TestCharityFundRegistration(t *testing.T) {
	f := newCharityFixture(t)
	op := f.token(t, `{"name":"op","role":"operator"}`)
	northAdmin := f.token(t, `{"name":"north","role":"admin","scope":"d-north"}`)
	body := `{"id":"fund-2","names":{"zh-CN":"二号基金","zh-HK":"二號基金","en":"Fund Two"},"unit":"%s"}`
	for _, c := range []struct {
		tok, body string
		code      int
	}{
		{op, strings.Replace(body, "%s", "d-north", 1), http.StatusForbidden},
		{northAdmin, strings.Replace(body, "%s", "d-south", 1), http.StatusForbidden},
		{"adm", strings.Replace(body, "%s", "nowhere", 1), http.StatusBadRequest},
		{"adm", `{"id":"Fund 2","names":{"zh-CN":"a","zh-HK":"a","en":"a"},"unit":"d-north"}`, http.StatusBadRequest},
		{"adm", `{"id":"fund-2","names":{"zh-CN":"a","zh-HK":" ","en":"a"},"unit":"d-north"}`, http.StatusBadRequest},
		{"adm", `{"id":"fund-2","names":{"zh-CN":"a","zh-HK":"a","en":"a"},"unit":"d-north","x":1}`, http.StatusBadRequest},
		{"adm", `{"id":"love-fund","names":{"zh-CN":"a","zh-HK":"a","en":"a"},"unit":"d-north"}`, http.StatusConflict},
		{northAdmin, strings.Replace(body, "%s", "st-a", 1), http.StatusCreated},
	} {
		if w := do(f.h, "POST", "/api/v1/charity/funds", c.tok, c.body); w.Code != c.code {
			t.Errorf("%s: %d, want %d (%s)", c.body, w.Code, c.code, w.Body)
		}
	}
	w := do(f.h, "GET", "/api/v1/charity/funds", op, "")
	var funds []domain.CharityFund
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &funds) != nil || len(funds) != 2 || funds[0].Names.En != "Fund Two" || funds[0].CreatedBy != "north" {
		t.Errorf("list funds: %d %s", w.Code, w.Body)
	}
}

// TestCharityPublicPage: publishing needs an admin; the public page needs
// no token, shows the detail's totals and no elder's name, id or
// credential (in any language), its SHA-256 is that of the summary's
// bytes, its QR code encodes its address; an unknown id is 404.
func TestCharityPublicPage(t *testing.T) {
	f := newCharityFixture(t)
	viewer := f.token(t, `{"name":"v","role":"viewer"}`)
	op := f.token(t, `{"name":"op","role":"operator"}`)
	pub := `{"fund":"love-fund","month":"2026-01"}`
	for _, tok := range []string{viewer, op} {
		if w := do(f.h, "POST", "/api/v1/charity/publications", tok, pub); w.Code != http.StatusForbidden {
			t.Errorf("publish as non-admin: %d", w.Code)
		}
	}
	if w := do(f.h, "POST", "/api/v1/charity/publications", "", pub); w.Code != http.StatusUnauthorized {
		t.Errorf("publish without a token: %d", w.Code)
	}
	for body, code := range map[string]int{
		`{"fund":"nope","month":"2026-01"}`:                         http.StatusNotFound,
		`{"fund":"love-fund","month":"2026/01"}`:                    http.StatusBadRequest,
		`{"fund":"love-fund","month":"2026-01","time_zone":"Mars"}`: http.StatusBadRequest,
		`{"fund":"love-fund","month":"2026-01","unit":"nowhere"}`:   http.StatusBadRequest,
	} {
		if w := do(f.h, "POST", "/api/v1/charity/publications", "adm", body); w.Code != code {
			t.Errorf("publish %s: %d, want %d (%s)", body, w.Code, code, w.Body)
		}
	}
	w := do(f.h, "POST", "/api/v1/charity/publications", "adm", `{"fund":"love-fund","month":"2026-01","unit":"d-north"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", w.Code, w.Body)
	}
	var p CharityPublicationView
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(p.ID); err != nil || len(raw) != 16 {
		t.Errorf("id %q is not 128 random bits", p.ID)
	}
	if p.URL != "https://cloud.example.org/charity/"+p.ID || !strings.HasPrefix(p.QRPNG, "data:image/png;base64,") {
		t.Errorf("publication %+v", p)
	}
	// An independent decoder (ZXing) reads the page's address in the QR code.
	if _, text, _ := decodeQRDataURI(t, p.QRPNG); text != p.URL {
		t.Errorf("the QR code says %q, want %q", text, p.URL)
	}

	// The detail of the same unit: the page must show its totals.
	w = do(f.h, "GET", "/api/v1/reports/charity?fund=love-fund&month=2026-01&unit=d-north", "adm", "")
	var rep reports.CharityReport
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	secrets := []string{}
	for _, e := range charityElders {
		secrets = append(secrets, e.Name, e.ID, e.Credentials[0].Value, eldergate.MaskName(e.Name), eldergate.MaskID(e.ID))
	}
	for _, lang := range []string{"zh-CN", "zh-HK", "en"} {
		req := httptest.NewRequest("GET", "/charity/"+p.ID+"?lang="+lang, nil)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		html := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("page %s: %d %s", lang, rec.Code, html)
		}
		for _, s := range secrets {
			if strings.Contains(html, s) {
				t.Errorf("page %s holds %q", lang, s)
			}
		}
		for _, want := range []string{`lang="` + lang + `"`, `data-fig="meals">` + strconv.FormatInt(rep.Meals, 10) + `<`,
			`data-fig="elders">3<`, `data-fig="yuan">` + eldergate.Fen(rep.Fen).String() + `<`, "A1 食堂", "A2 食堂", "北区", p.SHA256} {
			if !strings.Contains(html, want) {
				t.Errorf("page %s lacks %q", lang, want)
			}
		}
		if strings.Contains(html, "S1 食堂") {
			t.Errorf("page %s of d-north shows a d-south site", lang)
		}
		// Nothing is fetched from elsewhere: no src=, no stylesheet link,
		// and the CSP allows only the inline style.
		if regexp.MustCompile(`(?i)<(script|img|link|iframe)\b|src=|url\(`).MatchString(html) {
			t.Errorf("page %s loads resources", lang)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") {
			t.Errorf("CSP %q", csp)
		}
	}
	// Accept-Language picks the language without ?lang=.
	for al, want := range map[string]string{"en-GB,en;q=0.8": "Love Meals Fund", "zh-TW": "愛心助餐基金", "": "爱心助餐基金", "fr": "爱心助餐基金"} {
		req := httptest.NewRequest("GET", "/charity/"+p.ID, nil)
		req.Header.Set("Accept-Language", al)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), "<h1>"+want+"</h1>") {
			t.Errorf("Accept-Language %q: no %q", al, want)
		}
	}

	// The checksum is that of the summary's bytes, which hold no elder.
	js := do(f.h, "GET", "/charity/"+p.ID+"/summary.json", "", "")
	sum := sha256.Sum256(js.Body.Bytes())
	if js.Code != http.StatusOK || hex.EncodeToString(sum[:]) != p.SHA256 {
		t.Errorf("summary.json: %d, sha256 %x, want %s", js.Code, sum, p.SHA256)
	}
	for _, s := range secrets {
		if strings.Contains(js.Body.String(), s) {
			t.Errorf("summary.json holds %q", s)
		}
	}
	var sumry reports.CharityPublic
	if err := json.Unmarshal(js.Body.Bytes(), &sumry); err != nil || sumry.Meals != rep.Meals || sumry.Fen != rep.Fen || sumry.PublisherName != "北区" {
		t.Errorf("summary %+v, %v", sumry, err)
	}

	// The QR code is the page's address drawn by QRPNG.
	qr := do(f.h, "GET", "/api/v1/charity/publications/"+p.ID+"/qr.png", viewer, "")
	want, _ := QRPNG(p.URL)
	if qr.Code != http.StatusOK || qr.Header().Get("Content-Type") != "image/png" || !bytes.Equal(qr.Body.Bytes(), want) {
		t.Errorf("qr.png: %d %s", qr.Code, qr.Header())
	}
	if img, err := png.Decode(bytes.NewReader(qr.Body.Bytes())); err != nil || img.Bounds().Dx() < qrTargetPx {
		t.Errorf("qr.png does not decode to at least %d px: %v", qrTargetPx, err)
	}
	if w := do(f.h, "GET", "/api/v1/charity/publications/"+p.ID+"/qr.png", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("qr.png without a token: %d", w.Code)
	}

	// Unknown ids: 404, well-formed or not.
	for _, path := range []string{"/charity/AAAAAAAAAAAAAAAAAAAAAA", "/charity/nope", "/charity/" + p.ID + "x", "/charity/AAAAAAAAAAAAAAAAAAAAAA/summary.json"} {
		if w := do(f.h, "GET", path, "", ""); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d", path, w.Code)
		}
	}
	if w := do(f.h, "GET", "/api/v1/charity/publications/AAAAAAAAAAAAAAAAAAAAAA/qr.png", "adm", ""); w.Code != http.StatusNotFound {
		t.Errorf("qr of an unknown id: %d", w.Code)
	}

	// The list shows it with its address; a d-south viewer does not see it.
	w = do(f.h, "GET", "/api/v1/charity/publications?fund=love-fund", viewer, "")
	var list []CharityPublicationView
	if json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list) != 1 || list[0].URL != p.URL || list[0].QRPNG != "" {
		t.Errorf("list: %s", w.Body)
	}
	south := f.token(t, `{"name":"south","role":"viewer","scope":"d-south"}`)
	if w := do(f.h, "GET", "/api/v1/charity/publications", south, ""); strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("d-south list: %s", w.Body)
	}
}

func FuzzParseCharityFund(f *testing.F) {
	f.Add("love-fund", "爱心", "愛心", "Love", "d-north")
	f.Add("", "", "", "", "")
	f.Add("A B", "\x00", "x", "y", "-")
	f.Fuzz(func(t *testing.T, id, cn, hk, en, unit string) {
		fund, err := ParseCharityFund(CreateCharityFundRequest{ID: id, Names: domain.CharityNames{ZhCN: cn, ZhHK: hk, En: en}, Unit: unit})
		if err != nil {
			return
		}
		if domain.ValidateSlug(fund.ID) != nil || domain.ValidateSlug(fund.Unit) != nil || strings.TrimSpace(fund.Names.En) != fund.Names.En || fund.Names.ZhCN == "" {
			t.Fatalf("accepted %+v", fund)
		}
	})
}

func FuzzParsePublishCharity(f *testing.F) {
	f.Add("love-fund", "2026-01", "", "")
	f.Add("love-fund", "2026-13", "d-north", "Asia/Shanghai")
	f.Add("x", "0000-00", "Local", "Local")
	f.Fuzz(func(t *testing.T, fund, month, unit, zone string) {
		tz, err := ParsePublishCharity(PublishCharityRequest{Fund: fund, Month: month, Unit: unit, TimeZone: zone})
		if err != nil {
			return
		}
		if tz == nil || zone == "Local" || domain.ValidateSlug(fund) != nil {
			t.Fatalf("accepted %q %q %q %q", fund, month, unit, zone)
		}
		if _, _, err := reports.ParseMonth(month, tz); err != nil {
			t.Fatalf("accepted month %q: %v", month, err)
		}
	})
}

func FuzzPageLang(f *testing.F) {
	f.Add("", "zh-TW,zh;q=0.9")
	f.Add("en", "")
	f.Add("xx", "en-US;q=0.5, fr;q=1")
	f.Add("", "*;q=abc,,;")
	f.Fuzz(func(t *testing.T, q, al string) {
		l := PageLang(q, al)
		if _, ok := pageTexts[l]; !ok {
			t.Fatalf("PageLang(%q, %q) = %q", q, al, l)
		}
	})
}

func TestPageLang(t *testing.T) {
	for _, c := range []struct{ q, al, want string }{
		{"", "", "zh-CN"}, {"en", "zh-CN", "en"}, {"zh-HK", "", "zh-HK"}, {"de", "en", "en"},
		{"", "zh-TW", "zh-HK"}, {"", "zh-Hant", "zh-HK"}, {"", "zh", "zh-CN"}, {"", "zh-SG", "zh-CN"},
		{"", "en-US,en;q=0.9", "en"}, {"", "fr-FR", "zh-CN"}, {"", "fr;q=0.9,en;q=0.5", "en"},
	} {
		if got := PageLang(c.q, c.al); got != c.want {
			t.Errorf("PageLang(%q, %q) = %q, want %q", c.q, c.al, got, c.want)
		}
	}
}
