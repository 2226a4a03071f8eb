package cloudhttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/xuri/excelize/v2"
)

// careFixture: the org fixture with two regulars who stopped coming, one
// at a site of street st-a (community c-a1), one of st-b (c-b1); their
// last meal is Friday 2025-12-26, seven days before the fixture's clock
// (2026-01-02 11:04 in Shanghai).
func careFixture(t *testing.T) *orgFixture {
	t.Helper()
	f := newOrgFixture(t)
	ctx := context.Background()
	for site, id := range map[string]string{"site-gw-a1": "E-A", "site-gw-b1": "E-B"} {
		e := eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: "欧阳大爷" + id, Card: "C" + id, Active: true},
			Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "C" + id, State: eldergate.CredActive}}}
		if _, err := f.st.ReplaceRoster(ctx, site, []eldergate.RosterElder{e}, f.now.AddDate(0, -2, 0)); err != nil {
			t.Fatal(err)
		}
	}
	sh := time.FixedZone("CST", 8*3600)
	first := time.Date(2025, 12, 1, 12, 0, 0, 0, sh) // a Monday
	seq := uint64(100)
	for d := 0; d < 28; d++ {
		t0 := first.AddDate(0, 0, d)
		if wd := t0.Weekday(); wd != time.Monday && wd != time.Wednesday && wd != time.Friday {
			continue
		}
		seq++
		for gw, id := range map[string]string{"gw-a1": "E-A", "gw-b1": "E-B"} {
			if _, err := f.st.IngestBatch(ctx, gw, []eldergate.Envelope{storetest.Meal(t, gw, seq, id, t0.UTC())}, t0.UTC()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

func careList(t *testing.T, f *orgFixture, tok, query string) CareListResponse {
	t.Helper()
	w := do(f.h, "GET", "/api/v1/care/visits"+query, tok, "")
	if w.Code != http.StatusOK {
		t.Fatalf("care list %s: %d %s", query, w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "欧阳大爷") {
		t.Fatalf("care list shows a full name: %s", w.Body)
	}
	var r CareListResponse
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func elderIDs(r CareListResponse) (to, done []string) {
	for _, e := range r.ToVisit {
		to = append(to, e.ElderID)
	}
	for _, e := range r.Visited {
		done = append(done, e.ElderID)
	}
	return to, done
}

// TestCareVisitList: the list is scoped like everything else, a visit is
// marked by staff in scope with an outcome and a note and takes the elder
// off the list; the rule is read and set per unit and inherited.
func TestCareVisitList(t *testing.T) {
	f := careFixture(t)
	_, viewer := f.token(t, `{"name":"全区查看","role":"viewer"}`)
	_, staffA := f.token(t, `{"name":"A 社工","role":"staff","scope":"st-a"}`)
	_, opA := f.token(t, `{"name":"A 运维","role":"operator","scope":"st-a"}`)

	if to, _ := elderIDs(careList(t, f, viewer, "")); len(to) != 2 {
		t.Fatalf("whole tree: %v, want E-A and E-B", to)
	}
	r := careList(t, f, staffA, "")
	if to, _ := elderIDs(r); len(to) != 1 || to[0] != "E-A" {
		t.Fatalf("st-a: %v, want only E-A", to)
	}
	if e := r.ToVisit[0]; e.Community != "c-a1" || e.DaysAbsent != 7 || e.LastDay != "2025-12-26" || e.Name != eldergate.MaskName("欧阳大爷E-A") {
		t.Fatalf("entry %+v", e)
	}
	if to, _ := elderIDs(careList(t, f, "adm", "?unit=c-b1")); len(to) != 1 || to[0] != "E-B" {
		t.Fatalf("unit c-b1: %v", to)
	}
	for q, code := range map[string]int{"?unit=c-b1": 403, "?unit=nope": 404, "?unit=A%20B": 400} {
		if w := do(f.h, "GET", "/api/v1/care/visits"+q, staffA, ""); w.Code != code {
			t.Errorf("staff st-a %s: %d %s, want %d", q, w.Code, w.Body, code)
		}
	}

	mark := func(tok, body string, want int) {
		t.Helper()
		if w := do(f.h, "POST", "/api/v1/care/visits", tok, body); w.Code != want {
			t.Fatalf("mark %s: %d %s, want %d", body, w.Code, w.Body, want)
		}
	}
	mark(viewer, `{"elder_id":"E-A","site":"site-gw-a1","outcome":"visited"}`, 403)
	mark(staffA, `{"elder_id":"E-B","site":"site-gw-b1","outcome":"visited"}`, 404)
	mark(staffA, `{"elder_id":"E-B","site":"site-gw-a1","outcome":"visited"}`, 404)
	mark(staffA, `{"elder_id":"E-A","site":"site-gw-a1","outcome":"asleep"}`, 400)
	mark(staffA, `{"elder_id":"E-A","site":"site-gw-a1","outcome":"other","note":"`+strings.Repeat("长", 501)+`"}`, 400)
	f.advance(time.Hour)
	mark(staffA, `{"elder_id":"E-A","site":"site-gw-a1","outcome":"not_home","note":"邻居说去女儿家了"}`, 201)
	r = careList(t, f, staffA, "")
	if to, done := elderIDs(r); len(to) != 0 || len(done) != 1 || r.Visited[0].LastVisit == nil ||
		r.Visited[0].LastVisit.Note != "邻居说去女儿家了" || r.Visited[0].LastVisit.MarkedBy != "A 社工" ||
		r.Visited[0].LastVisit.Community != "c-a1" {
		t.Fatalf("after the visit: %+v", r)
	}

	// The rule: default, inherited from the street, errors in words.
	rule := func(tok, method, unit, body string, want int) CareRuleResponse {
		t.Helper()
		w := do(f.h, method, "/api/v1/org/"+unit+"/care-rule", tok, body)
		if w.Code != want {
			t.Fatalf("%s rule of %s %s: %d %s, want %d", method, unit, body, w.Code, w.Body, want)
		}
		var r CareRuleResponse
		_ = json.Unmarshal(w.Body.Bytes(), &r)
		return r
	}
	if g := rule(viewer, "GET", "site-gw-a1", "", 200); g.From != "" || g.Stored || g.Rule != domain.DefaultCareRule {
		t.Fatalf("default rule: %+v", g)
	}
	rule(staffA, "PUT", "st-a", `{"absent_days":10}`, 403)
	rule(opA, "PUT", "d-south", `{"absent_days":10}`, 404)
	if w := do(f.h, "PUT", "/api/v1/org/st-a/care-rule", opA, `{"weeks":13}`); w.Code != 400 || !strings.Contains(w.Body.String(), "weeks is 13; it must be 1 to 12 weeks") {
		t.Fatalf("bad rule: %d %s", w.Code, w.Body)
	}
	if g := rule(opA, "PUT", "st-a", `{"absent_days":10}`, 200); !g.Stored || g.From != "st-a" || g.Rule.AbsentDays != 10 {
		t.Fatalf("stored rule: %+v", g)
	}
	if g := rule(staffA, "GET", "site-gw-a1", "", 200); g.Stored || g.From != "st-a" || g.Rule.AbsentDays != 10 || g.Rule.Weeks != 4 {
		t.Fatalf("inherited rule: %+v", g)
	}
	if to, done := elderIDs(careList(t, f, viewer, "")); len(to) != 1 || to[0] != "E-B" || len(done) != 0 {
		t.Fatalf("with st-a's 10 days: to visit %v, visited %v; want only E-B", to, done)
	}
}

// TestCareVisitListDownloads: the CSV and the XLSX of the visit list hold
// the same elders as the JSON (masked, in the unit's scope), a total equal
// to their number, the title with the date and the signature lines.
func TestCareVisitListDownloads(t *testing.T) {
	f := careFixture(t)
	_, staffA := f.token(t, `{"name":"A 社工","role":"staff","scope":"st-a"}`)
	f.advance(time.Hour)
	if w := do(f.h, "POST", "/api/v1/care/visits", staffA, `{"elder_id":"E-A","site":"site-gw-a1","outcome":"hospital","note":"住院, \"心内科\""}`); w.Code != 201 {
		t.Fatalf("mark: %d %s", w.Code, w.Body)
	}
	js := careList(t, f, "adm", "?unit=d-north")
	w := do(f.h, "GET", "/api/v1/care/visits?unit=d-north&format=csv", "adm", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != contentTypeCSV ||
		!strings.Contains(w.Header().Get("Content-Disposition"), `care-visits-2026-01-02.csv`) {
		t.Fatalf("csv: %d %v", w.Code, w.Header())
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\uFEFF")))
	cr.FieldsPerRecord = -1 // the title lines have one field
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if strings.Contains(body, "欧阳大爷") || !strings.Contains(body, "关怀探访名单 2026-01-02") || !strings.Contains(body, "北区") ||
		!strings.Contains(body, "制表人") {
		t.Fatalf("csv body:\n%s", body)
	}
	var rows [][]string
	header := -1
	for i, rec := range recs {
		if len(rec) > 0 && rec[0] == "社区" {
			header = i
		}
	}
	if header < 0 {
		t.Fatalf("no header in\n%s", body)
	}
	for _, rec := range recs[header+1:] {
		if len(rec) == 12 {
			rows = append(rows, rec)
		}
	}
	n := len(js.ToVisit) + len(js.Visited)
	if n != 2 || len(rows) != n+1 {
		t.Fatalf("csv rows %v for %d elders", rows, n)
	}
	// To visit first (E-B), then visited (E-A) with the outcome and the note.
	if rows[0][2] != "E-B" || rows[0][1] != js.ToVisit[0].Name || rows[0][6] != "7" || rows[0][7] != "3 · 3 · 3 · 3" || rows[0][8] != "待探访" ||
		rows[1][2] != "E-A" || rows[1][10] != "住院" || rows[1][11] != `住院, "心内科"` || rows[1][8] != "本次缺席已探访" {
		t.Fatalf("csv rows: %q", rows)
	}
	if rows[2][0] != "合计" || rows[2][1] != "2" {
		t.Fatalf("csv total: %q", rows[2])
	}

	w = do(f.h, "GET", "/api/v1/care/visits?unit=d-north&format=xlsx&lang=en", "adm", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != contentTypeXLSX {
		t.Fatalf("xlsx: %d %s", w.Code, w.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheet := x.GetSheetList()[0]
	xr, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var total []string
	for _, r := range xr {
		if len(r) > 0 && r[0] == "Total" {
			total = r
		}
	}
	if total == nil || total[1] != "2" || sheet != "Care visit list" {
		t.Fatalf("xlsx sheet %q total %q in %q", sheet, total, xr)
	}
	for q, code := range map[string]int{"?format=pdf": 400, "?format=csv&lang=fr": 400} {
		if w := do(f.h, "GET", "/api/v1/care/visits"+q, "adm", ""); w.Code != code {
			t.Errorf("%s: %d, want %d", q, w.Code, code)
		}
	}
}
