package cloudhttp

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// auditFixture is the org fixture with the *Server itself (for its route
// list).
func auditFixture(t *testing.T) (*orgFixture, *Server) {
	t.Helper()
	f := newOrgFixture(t)
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.h = s.Handler()
	return f, s
}

// lastAudit is the newest row of the audit log (the zero entry when
// there is none).
func lastAudit(t *testing.T, st domain.Store) domain.AuditEntry {
	t.Helper()
	rows, err := st.ListAudit(context.Background(), domain.AuditQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return domain.AuditEntry{}
	}
	return rows[0]
}

// TestEveryChangeRouteIsAudited walks every registered API route: each
// route that changes something (not GET) leaves exactly one audit row
// naming its pattern, the path asked for and the status it answered,
// whether it was accepted or refused; a request without credentials is
// recorded as anonymous with its 401; a GET leaves none.
func TestEveryChangeRouteIsAudited(t *testing.T) {
	f, s := auditFixture(t)
	value := map[string]string{"id": "gw-a1", "site": "site-gw-a1", "number": "1", "fund": "f1"}
	n := 0
	for _, p := range s.APIRoutes() {
		method, path, _ := strings.Cut(p, " ")
		for name, v := range value {
			path = strings.ReplaceAll(path, "{"+name+"}", v)
		}
		if strings.Contains(path, "{") {
			t.Fatalf("route %s: a wildcard this test does not fill", p)
		}
		before := lastAudit(t, f.st).ID
		for _, auth := range []string{"adm", ""} {
			w := do(f.h, method, path, auth, `{"password":"hunter2","name":"x"}`)
			e := lastAudit(t, f.st)
			if method == http.MethodGet {
				if e.ID != before {
					t.Errorf("%s: a GET was audited: %+v", p, e)
				}
				continue
			}
			n++
			if e.ID != before+1 || e.Route != p || e.Path != path || e.Status != w.Code || e.Method != method {
				t.Errorf("%s (auth %q) answered %d: audit row %+v, want one new row with its route and status", p, auth, w.Code, e)
			}
			if auth == "" && (e.Status != http.StatusUnauthorized && !publicRoutes[p] || e.ActorKind != "") {
				t.Errorf("%s without credentials: %+v", p, e)
			}
			if auth == "adm" && !publicRoutes[p] && (e.ActorKind != "token" || e.ActorID != "admin" || e.Role != "admin" || e.Remote != "192.0.2.1") {
				t.Errorf("%s: actor %s/%s/%s from %s", p, e.ActorKind, e.ActorID, e.Role, e.Remote)
			}
			if strings.Contains(string(e.Before)+string(e.After), "hunter2") {
				t.Errorf("%s: the password is in the audit log: %s", p, e.After)
			}
			before = e.ID
		}
	}
	if n < 30 {
		t.Fatalf("only %d change requests walked", n)
	}
	if v, err := f.st.VerifyAudit(context.Background()); err != nil || !v.OK || v.Checked != n {
		t.Fatalf("VerifyAudit = %+v, %v; want %d rows chained", v, err, n)
	}
}

// TestAuditBeforeAfter: renaming an org unit records the unit as it was
// and as it became, under the unit; a token's secret never reaches the
// log; a viewer's refused change is recorded with its name and 403; a
// street-scoped auditor reads only its street's rows, may not change
// anything (403, recorded), and the admin reads them all; the CSV holds
// the row; the chain verifies.
func TestAuditBeforeAfter(t *testing.T) {
	f, _ := auditFixture(t)
	if w := do(f.h, "PATCH", "/api/v1/org/site-gw-b1", "adm", `{"name":"B1 长者食堂"}`); w.Code != http.StatusOK {
		t.Fatalf("rename: %d %s", w.Code, w.Body)
	}
	e := lastAudit(t, f.st)
	var before, after domain.OrgUnit
	if err := json.Unmarshal(e.Before, &before); err != nil || json.Unmarshal(e.After, &after) != nil ||
		before.Name != "B1 食堂" || after.Name != "B1 长者食堂" || e.TargetType != "org_unit" || e.TargetID != "site-gw-b1" ||
		e.Unit != "site-gw-b1" || e.Status != 200 || e.ActorName != "admin" {
		t.Fatalf("rename row: %+v (before %s after %s)", e, e.Before, e.After)
	}

	_, viewer := f.token(t, `{"name":"看板","role":"viewer","scope":"st-a"}`)
	if strings.Contains(string(lastAudit(t, f.st).After), viewer) || !strings.Contains(string(lastAudit(t, f.st).After), `"name":"看板"`) {
		t.Fatalf("token row: %s", lastAudit(t, f.st).After)
	}
	if w := do(f.h, "PATCH", "/api/v1/org/site-gw-a1", viewer, `{"name":"x"}`); w.Code != http.StatusForbidden {
		t.Fatalf("viewer rename: %d", w.Code)
	}
	if e := lastAudit(t, f.st); e.Status != 403 || e.ActorName != "看板" || e.Role != "viewer" || e.Unit != "st-a" {
		t.Fatalf("refused row: %+v", e)
	}

	// A street's reader of the log: an admin scoped to st-a (the audit
	// routes are the auditor's and the admin's).
	_, auditorA := f.token(t, `{"name":"管理A","role":"admin","scope":"st-a"}`)
	list := func(tok, query string) AuditPage {
		t.Helper()
		w := do(f.h, "GET", "/api/v1/audit?"+query, tok, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET audit?%s: %d %s", query, w.Code, w.Body)
		}
		var p AuditPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, e := range list(auditorA, "limit=200").Entries {
		if e.Unit != "st-a" && !strings.HasPrefix(e.Unit, "site-gw-a") && e.Unit != "c-a1" {
			t.Errorf("street a's auditor sees a row of %s: %+v", e.Unit, e)
		}
	}
	if p := list(auditorA, "target=site-gw-b1"); len(p.Entries) != 0 {
		t.Errorf("street a's auditor sees street b's rename: %+v", p.Entries)
	}
	if p := list("adm", "target=site-gw-b1&status=2xx"); len(p.Entries) != 1 {
		t.Errorf("admin: the rename %d times", len(p.Entries))
	}
	// An auditor token, where the store takes the role (the sessions'
	// migration widens the tokens' role check), reads and changes nothing.
	if w := do(f.h, "POST", "/api/v1/tokens", "adm", `{"name":"审计","role":"auditor"}`); w.Code == http.StatusCreated {
		var tok CreateTokenResponse
		_ = json.Unmarshal(w.Body.Bytes(), &tok)
		if w := do(f.h, "GET", "/api/v1/audit", tok.Secret, ""); w.Code != http.StatusOK {
			t.Errorf("auditor reads the log: %d", w.Code)
		}
		if w := do(f.h, "PATCH", "/api/v1/org/site-gw-a1", tok.Secret, `{"name":"x"}`); w.Code != http.StatusForbidden {
			t.Errorf("auditor changes: %d", w.Code)
		}
		if e := lastAudit(t, f.st); e.Status != 403 || e.Role != "auditor" {
			t.Errorf("auditor's refused change: %+v", e)
		}
	} else {
		t.Logf("auditor tokens not stored yet: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "GET", "/api/v1/audit", viewer, ""); w.Code != http.StatusForbidden {
		t.Errorf("viewer reads the audit log: %d", w.Code)
	}

	// Paging: newest first, next_before continues without overlap.
	all := list("adm", "limit=200").Entries
	p1 := list("adm", "limit=2")
	p2 := list("adm", "limit=2&before="+jsonNum(p1.NextBefore))
	if len(all) < 4 || len(p1.Entries) != 2 || p1.Entries[0].ID != all[0].ID || p2.Entries[0].ID != all[2].ID {
		t.Errorf("paging: %d rows, page 1 %+v, page 2 %+v", len(all), p1, p2)
	}

	w := do(f.h, "GET", "/api/v1/audit?format=csv&lang=en&target=site-gw-b1", "adm", "")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", w.Code, w.Header())
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(w.Body.Bytes(), []byte("\uFEFF"))))
	cr.FieldsPerRecord = -1 // the title lines have one field
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs {
		if len(rec) > 13 && strings.Contains(rec[9], "site-gw-b1") && strings.Contains(rec[12], "B1 食堂") && strings.Contains(rec[13], "B1 长者食堂") {
			found = true
		}
	}
	if !found {
		t.Errorf("csv has no rename row:\n%s", w.Body)
	}

	if w := do(f.h, "GET", "/api/v1/audit?format=xlsx", auditorA, ""); w.Code != http.StatusOK ||
		w.Header().Get("Content-Type") != contentTypeXLSX || !bytes.HasPrefix(w.Body.Bytes(), []byte("PK")) {
		t.Errorf("xlsx: %d %s", w.Code, w.Header())
	}

	var v domain.AuditVerification
	if w := do(f.h, "GET", "/api/v1/audit/verify", auditorA, ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &v) != nil || !v.OK || v.Checked < 4 {
		t.Fatalf("verify: %d %s", w.Code, w.Body)
	}
}

func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestParseAuditQuery: the filters as written, days in the zone given,
// and each malformed parameter refused with its name.
func TestParseAuditQuery(t *testing.T) {
	v, _ := url.ParseQuery("from=2026-12-01&to=2026-12-06&actor=admin&route=PATCH&status=4xx&q=食堂&before=90&limit=20&format=csv&lang=en&tz=Asia/Shanghai")
	p, err := parseAuditQuery(v)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if err != nil || !p.q.From.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, sh)) || !p.q.To.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, sh)) ||
		p.q.Actor != "admin" || p.q.Route != "PATCH" || p.q.Status != 4 || p.q.Text != "食堂" || p.q.Before != 90 || p.q.Limit != 20 ||
		p.format != "csv" || p.lang != "en" {
		t.Fatalf("parseAuditQuery = %+v, %v", p, err)
	}
	for q, word := range map[string]string{
		"from=2026-13-01": "from", "to=yesterday": "to", "from=2026-12-06&to=2026-12-01": "to", "status=299x": "status",
		"status=99": "status", "before=0": "before", "limit=201": "limit", "format=pdf": "format", "lang=fr": "lang",
		"tz=Local": "tz", "frm=2026-12-01": "frm", "q=a&q=b": "q", "q=" + strings.Repeat("x", 201): "q",
	} {
		v, _ := url.ParseQuery(q)
		if _, err := parseAuditQuery(v); err == nil || !strings.Contains(err.Error(), word) {
			t.Errorf("parseAuditQuery(%s) = %v, want an error naming %s", q, err, word)
		}
	}
}

func FuzzParseAuditQuery(f *testing.F) {
	f.Add("from=2026-12-01&to=2026-12-06&status=4xx&q=%E9%A3%9F&limit=5")
	f.Add("before=9223372036854775807&status=200&tz=Europe/London")
	f.Add("to=2026-02-30&format=xlsx")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, err := parseAuditQuery(v)
		if err != nil {
			return
		}
		q := p.q
		if q.Limit < 1 || q.Limit > auditPageMax || q.Before < 0 || (q.Status != 0 && (q.Status < 1 || q.Status > 5) && (q.Status < 100 || q.Status > 599)) ||
			(!q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To)) || p.tz == nil ||
			(p.format != "json" && p.format != "csv" && p.format != "xlsx") || len(q.Text) > 200 {
			t.Fatalf("parseAuditQuery(%q) = %+v", raw, p)
		}
	})
}
