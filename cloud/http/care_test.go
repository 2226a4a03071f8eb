package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/storetest"
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
