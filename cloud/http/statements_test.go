package cloudhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// TestCloseSettlement: the close route's role and scope, its refusals,
// and reading a closed month: the JSON is the stored statement (same
// figures, number, who, when, SHA-256) even after a late meal arrives,
// which goes to the next month; the raw content hashes to the SHA-256;
// the CSV carries the number and the hash; the list is scoped.
func TestCloseSettlement(t *testing.T) {
	f := settlementFixture(t)
	f.advance(30 * 24 * time.Hour) // 2026-02-01 03:04 UTC: January has ended in Asia/Shanghai
	_, viewerA := f.token(t, `{"name":"A 查看","role":"viewer","scope":"st-a"}`)
	_, adminA := f.token(t, `{"name":"A 街道管理员","role":"admin","scope":"st-a"}`)
	_, viewerB := f.token(t, `{"name":"B 查看","role":"viewer","scope":"c-b1"}`)
	const path = "/api/v1/reports/settlement/close"

	if w := do(f.h, "GET", "/api/v1/me", adminA, ""); w.Code != http.StatusOK ||
		strings.TrimSpace(w.Body.String()) != `{"kind":"token","name":"A 街道管理员","role":"admin","scope":"st-a","must_change_password":false}` {
		t.Errorf("me: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", path, viewerA, `{"month":"2026-01"}`); w.Code != http.StatusForbidden {
		t.Errorf("a viewer closes: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", path, adminA, `{"month":"2026-01","unit":"c-b1"}`); w.Code != http.StatusForbidden {
		t.Errorf("an admin of st-a closes c-b1: %d %s", w.Code, w.Body)
	}
	for body, code := range map[string]int{`{"month":"2026-13"}`: 400, `{"month":"2026-01","unit":"Bad Unit"}`: 400,
		`{"month":"2026-01","extra":1}`: 400, `{"month":"2026-01","unit":"nope"}`: 400, `{"month":"2026-01","tz":"Mars/Base"}`: 400,
		`{"month":"2026-02"}`: 422} {
		if w := do(f.h, "POST", path, adminA, body); w.Code != code {
			t.Errorf("%s: %d %s, want %d", body, w.Code, w.Body, code)
		}
	}
	before := getSettlement(t, f, "adm", "month=2026-01&unit=st-a")
	// The scoped admin closes its own street (no unit named).
	w := do(f.h, "POST", path, adminA, `{"month":"2026-01"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("close: %d %s", w.Code, w.Body)
	}
	var st domain.Statement
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Number != "JS-st-a-202601-01" || st.Unit != "st-a" || st.ClosedBy != "A 街道管理员" || !st.ClosedAt.Equal(f.clock()) || len(st.SHA256) != 64 {
		t.Fatalf("statement %+v", st)
	}
	if w := do(f.h, "POST", path, adminA, `{"month":"2026-01"}`); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), st.Number) {
		t.Errorf("second close: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", path, "adm", `{"month":"2026-01","unit":"d-north"}`); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(w.Body.String(), "twice") || strings.Contains(w.Body.String(), "sqlite") {
		t.Errorf("closing the district over the street: %d %s", w.Code, w.Body)
	}

	// A gateway of st-a delivers a January 31 meal on February 2.
	late := storetest.Meal(t, "gw-a1", 90, "E1", time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC))
	if _, err := f.st.IngestBatch(context.Background(), "gw-a1", []eldergate.Envelope{late}, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	closed := getSettlement(t, f, viewerA, "month=2026-01")
	if closed.Statement == nil || closed.Statement.Number != st.Number || closed.Statement.SHA256 != st.SHA256 || closed.Statement.ClosedBy != st.ClosedBy {
		t.Fatalf("closed month's statement %+v", closed.Statement)
	}
	if closed.Total.Meals != before.Total.Meals || closed.Total.SubsidyFen != before.Total.SubsidyFen {
		t.Errorf("closed January: %d meals, %d subsidy; at close %d, %d", closed.Total.Meals, closed.Total.SubsidyFen, before.Total.Meals, before.Total.SubsidyFen)
	}
	feb := getSettlement(t, f, viewerA, "month=2026-02")
	if feb.Statement != nil || len(feb.Adjustments) != 1 || feb.Adjustments[0].MealEventID != late.ID || feb.Adjustments[0].Day != "2026-01-31" ||
		feb.GrandTotal.Meals != feb.Total.Meals+1 {
		t.Errorf("February: %+v, grand total %d", feb.Adjustments, feb.GrandTotal.Meals)
	}
	// A community of the street: recomputed, covered by the street's statement.
	if c := getSettlement(t, f, "adm", "month=2026-01&unit=c-a1"); c.Statement != nil || c.CoveredBy == nil || c.CoveredBy.Number != st.Number {
		t.Errorf("c-a1's January: statement %v covered by %v", c.Statement, c.CoveredBy)
	}

	// The stored bytes hash to the SHA-256, and are the figures answered.
	w = do(f.h, "GET", "/api/v1/reports/statements/"+st.Number, viewerA, "")
	sum := sha256.Sum256(w.Body.Bytes())
	if w.Code != http.StatusOK || hex.EncodeToString(sum[:]) != st.SHA256 || w.Header().Get("X-Content-SHA256") != st.SHA256 {
		t.Fatalf("statement content: %d sha %x, stored %s", w.Code, sum, st.SHA256)
	}
	raw, err := reports.ReadStatement(domain.Statement{Content: w.Body.Bytes()})
	if err != nil || raw.Total.Meals != closed.Total.Meals || raw.GrandTotal.SubsidyFen != closed.GrandTotal.SubsidyFen {
		t.Errorf("content %+v, %v", raw.Total, err)
	}
	for _, tok := range []string{viewerB} {
		if w := do(f.h, "GET", "/api/v1/reports/statements/"+st.Number, tok, ""); w.Code != http.StatusNotFound {
			t.Errorf("statement outside the scope: %d", w.Code)
		}
	}
	if w := do(f.h, "GET", "/api/v1/reports/statements/JS-nope-202601-01", "adm", ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown statement: %d", w.Code)
	}
	list := func(tok string) []domain.Statement {
		w := do(f.h, "GET", "/api/v1/reports/statements", tok, "")
		var l []domain.Statement
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &l) != nil {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		return l
	}
	if l := list(viewerA); len(l) != 1 || l[0].Number != st.Number {
		t.Errorf("st-a's list %+v", l)
	}
	if l := list(viewerB); len(l) != 0 {
		t.Errorf("c-b1's list %+v", l)
	}

	// The CSV of the closed month is the stored statement's, with its number and hash.
	w = do(f.h, "GET", "/api/v1/reports/settlement?month=2026-01&unit=st-a&format=csv", viewerA, "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "结算单号："+st.Number+"；SHA-256："+st.SHA256) {
		t.Errorf("closed CSV: %d %s", w.Code, w.Body)
	}
	// February's CSV lists the adjustment with its original date and ends with the grand total.
	w = do(f.h, "GET", "/api/v1/reports/settlement?month=2026-02&unit=st-a&format=csv&lang=en", viewerA, "")
	if body := w.Body.String(); !strings.Contains(body, "Adjustment: late meal,"+late.ID+",Original date 2026-01-31 · A1 食堂") ||
		!strings.Contains(body, "\r\nGrand total (with adjustments),,,1,") {
		t.Errorf("February CSV:\n%s", body)
	}
}

// FuzzCloseRequest: any body of a close is answered by parseCloseRequest
// with a request or words, never a panic; an accepted one names a month
// ParseMonth accepts and a unit that is a slug or "".
func FuzzCloseRequest(f *testing.F) {
	f.Add([]byte(`{"month":"2026-01"}`))
	f.Add([]byte(`{"month":"2026-01","unit":"st-a","tz":"UTC"}`))
	f.Add([]byte(`{"month":"2026-1","unit":"../x"}`))
	f.Add([]byte(`{"month":"2026-01"} {}`))
	f.Add([]byte(`{"tz":"Local","month":"2026-01"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseCloseRequest(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		if _, _, err := reports.ParseMonth(req.month, req.tz); err != nil || !req.from.Before(req.to) {
			t.Fatalf("accepted month %q: %v", req.month, err)
		}
		if req.unit != "" && domain.ValidateSlug(req.unit) != nil {
			t.Fatalf("accepted unit %q", req.unit)
		}
		if req.tz.String() == "Local" {
			t.Fatal("accepted the machine's zone")
		}
	})
}
