package cloudhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
)

func importCSV(n int, skip ...string) string {
	var b strings.Builder
	b.WriteString("编号,姓名,卡号,出生日期\n")
	names := []string{"张三明", "李秀英", "王建国", "陈美玲", "黄志强", "周桂芳", "吴国华", "林淑贞", "刘德明"}
	for i := range n {
		id := "E" + string(rune('1'+i))
		skipped := false
		for _, s := range skip {
			skipped = skipped || s == id
		}
		if !skipped {
			b.WriteString(id + "," + names[i] + ",C000" + string(rune('1'+i)) + ",1948-03-02\n")
		}
	}
	return b.String()
}

func decodeImport(t *testing.T, w interface{ Result() *http.Response }, body []byte) ImportResponse {
	t.Helper()
	var r ImportResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return r
}

// TestRosterImportPreviewAndConfirm (issue 13), on SQLite: over a roster
// of 9, a 3-elder file's preview names the 6 elders the hall loses
// (masked) and changes nothing; the import without confirmation is
// refused (409, in words, with the preview) and the roster still has 9;
// a token of a preview made before the roster changed is refused as
// stale; the fresh token imports, and the removed count is the 6 removed.
// A file that removes no one needs no confirmation.
func TestRosterImportPreviewAndConfirm(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	const path = "/api/v1/sites/site-gw-a1/roster/import"
	if w := do(f.h, "POST", path, "adm", importCSV(9)); w.Code != http.StatusOK {
		t.Fatalf("first import (nothing removed, no gateway report): %d %s", w.Code, w.Body)
	}
	// Preview of 3 over 9, one of the 3 renamed.
	three := strings.Replace(importCSV(3), "王建国", "王建华", 1)
	w := do(f.h, "POST", path+"?dry_run=true", "adm", three)
	p := decodeImport(t, w, w.Body.Bytes())
	if w.Code != http.StatusOK || !p.DryRun || p.Preview == nil {
		t.Fatalf("preview: %d %s", w.Code, w.Body)
	}
	pv := p.Preview
	if pv.Counts != (domain.PreviewCounts{Changed: 1, Removed: 6, Unchanged: 2}) || pv.Lose != 6 || pv.Before != 9 || pv.After != 3 || !pv.ConfirmNeeded || pv.Version != 1 {
		t.Fatalf("preview: %+v", pv)
	}
	if len(pv.Removed) != 6 || pv.Removed[0].ID != "E4" || pv.Removed[0].Name != eldergate.MaskName("陈美玲") || strings.Contains(w.Body.String(), "陈美玲") {
		t.Fatalf("removed list %+v (names must be masked)", pv.Removed)
	}
	if len(pv.Changed) != 1 || pv.Changed[0].ID != "E3" || len(pv.Changed[0].Fields) != 1 || pv.Changed[0].Fields[0] != "name" {
		t.Fatalf("changed %+v", pv.Changed)
	}
	roster := func() int {
		_, els, err := f.st.Roster(ctx, "site-gw-a1")
		if err != nil {
			t.Fatal(err)
		}
		return len(els)
	}
	if n := roster(); n != 9 {
		t.Fatalf("a preview changed the roster: %d elders", n)
	}
	// Without confirmation: 409 in words, the preview with it.
	w = do(f.h, "POST", path, "adm", three)
	r := decodeImport(t, w, w.Body.Bytes())
	if w.Code != http.StatusConflict || r.Code != ImportConfirmNeeded || r.Preview == nil || r.Preview.Token != pv.Token ||
		!strings.Contains(r.Error, "removes 6 elders") || !strings.Contains(r.Error, "nothing was imported") {
		t.Fatalf("unconfirmed import: %d %s", w.Code, w.Body)
	}
	if n := roster(); n != 9 {
		t.Fatalf("an unconfirmed import changed the roster: %d elders", n)
	}
	// The roster changes after the preview (E9 renamed elsewhere): the old
	// token no longer confirms, even with the same removals.
	if w := do(f.h, "POST", path, "adm", strings.Replace(importCSV(9), "刘德明", "刘德民", 1)); w.Code != http.StatusOK {
		t.Fatalf("change in between: %d %s", w.Code, w.Body)
	}
	w = do(f.h, "POST", path+"?confirm="+url.QueryEscape(pv.Token), "adm", three)
	r = decodeImport(t, w, w.Body.Bytes())
	if w.Code != http.StatusConflict || r.Code != ImportConfirmStale || r.Preview == nil || r.Preview.Version != 2 || r.Preview.Token == pv.Token {
		t.Fatalf("stale confirmation: %d %s", w.Code, w.Body)
	}
	if n := roster(); n != 9 {
		t.Fatalf("a stale confirmation changed the roster: %d elders", n)
	}
	// A token for another removal set does not confirm this one either.
	w = do(f.h, "POST", path+"?confirm="+url.QueryEscape(domain.PreviewToken("site-gw-a1", 2, []string{"E9"}, nil)), "adm", three)
	if w.Code != http.StatusConflict {
		t.Fatalf("a token of another effect: %d %s", w.Code, w.Body)
	}
	// The fresh token imports; the removed count is what was removed.
	w = do(f.h, "POST", path+"?confirm="+url.QueryEscape(r.Preview.Token), "adm", three)
	r = decodeImport(t, w, w.Body.Bytes())
	if w.Code != http.StatusOK || r.Change == nil || r.Change.Removed != 6 || r.Change.Elders != 3 || r.Change.Version != 3 || len(r.Commands) != 1 {
		t.Fatalf("confirmed import: %d %s", w.Code, w.Body)
	}
	if n := roster(); n != 3 {
		t.Fatalf("roster after the confirmed import: %d elders", n)
	}
	// Adding one removes no one: no confirmation needed.
	if w := do(f.h, "POST", path, "adm", strings.Replace(importCSV(4), "王建国", "王建华", 1)); w.Code != http.StatusOK {
		t.Fatalf("an import that removes no one: %d %s", w.Code, w.Body)
	}
	// Bad query parameters.
	for _, q := range []string{"?dry_run=yes", "?confirm=" + strings.Repeat("a", 81), "?confirm=a%20b"} {
		if w := do(f.h, "POST", path+q, "adm", three); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, w.Code)
		}
	}
}

// TestRosterImportReplacesLocalSeed: a gateway of the site that runs its
// local seed (its birth said so) is named in the preview, and the first
// cloud roster, which replaces that seed, needs a confirmation too.
func TestRosterImportReplacesLocalSeed(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	if _, err := f.st.ApplyGatewayState(ctx, "gw-a1", eldergate.State{Online: true, Boot: 9,
		Roster: &eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: 9}}, f.now); err != nil {
		t.Fatal(err)
	}
	const path = "/api/v1/sites/site-gw-a1/roster/import"
	w := do(f.h, "POST", path+"?dry_run=true", "adm", importCSV(3))
	p := decodeImport(t, w, w.Body.Bytes())
	if w.Code != http.StatusOK || !p.Preview.ConfirmNeeded || len(p.Preview.Gateways) != 1 || !p.Preview.Gateways[0].ReplacesLocal ||
		p.Preview.Gateways[0].Reported.Elders != 9 || p.Preview.Lose != 0 {
		t.Fatalf("preview over a local seed: %d %s", w.Code, w.Body)
	}
	w = do(f.h, "POST", path, "adm", importCSV(3))
	if r := decodeImport(t, w, w.Body.Bytes()); w.Code != http.StatusConflict || !strings.Contains(r.Error, "local roster of 9 elders that gateway gw-a1 runs") {
		t.Fatalf("unconfirmed: %d %s", w.Code, w.Body)
	}
	if w := do(f.h, "POST", path+"?confirm="+url.QueryEscape(p.Preview.Token), "adm", importCSV(3)); w.Code != http.StatusOK {
		t.Fatalf("confirmed: %d %s", w.Code, w.Body)
	}
}

// TestGatewayListSaysWhichRoster: GET /api/v1/gateways lists which roster
// each gateway runs, as it reported it.
func TestGatewayListSaysWhichRoster(t *testing.T) {
	f := newOrgFixture(t)
	ctx := context.Background()
	if _, err := f.st.ApplyGatewayState(ctx, "gw-a1", eldergate.State{Online: true, Boot: 9, RosterVersion: 4,
		Roster: &eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 4, Elders: 3}}, f.now); err != nil {
		t.Fatal(err)
	}
	w := do(f.h, "GET", "/api/v1/gateways", "adm", "")
	var gs []domain.Gateway
	if err := json.Unmarshal(w.Body.Bytes(), &gs); err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	seen := 0
	for _, g := range gs {
		switch g.ID {
		case "gw-a1":
			seen++
			if g.Roster == nil || *g.Roster != (eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 4, Elders: 3}) {
				t.Errorf("gw-a1 roster %+v", g.Roster)
			}
		case "gw-a2":
			seen++
			if g.Roster != nil {
				t.Errorf("gw-a2 never reported, roster %+v", g.Roster)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("gateways %s", w.Body)
	}
}

func FuzzImportQuery(f *testing.F) {
	f.Add("dry_run=true")
	f.Add("confirm=v3-0123456789abcdef0123456789abcdef")
	f.Add("dry_run=false&confirm=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		iq, err := parseImportQuery(q)
		if err != nil {
			return
		}
		if len(iq.Confirm) > maxConfirmLen || strings.ContainsAny(iq.Confirm, " \x00\n") {
			t.Fatalf("accepted confirm %q", iq.Confirm)
		}
		if iq.DryRun != (q.Get("dry_run") == "true") {
			t.Fatalf("dry_run %q read as %v", q.Get("dry_run"), iq.DryRun)
		}
	})
}

// TestRosterProblemsTranslated: the console has a text, in each of its
// languages, for every problem code of a roster file, every resident ID
// problem and every field a preview names as changed, so the row report
// and the preview are never in English inside the Chinese console.
func TestRosterProblemsTranslated(t *testing.T) {
	texts := consoleTexts(t)
	var keys []string
	for _, c := range rosterimport.Codes {
		keys = append(keys, "rp_"+c)
	}
	for _, c := range rosterimport.ResidentIDProblems {
		keys = append(keys, "rid_"+c)
	}
	b, _ := json.Marshal(eldergate.RosterElder{})
	var fields map[string]json.RawMessage
	json.Unmarshal(b, &fields)
	for _, k := range []string{"categories", "hukou_local", "home_city", "home_district", "home_street", "residence_city", "residence_district", "residence_street", "credentials"} {
		fields[k] = nil // omitempty: absent from the zero elder
	}
	delete(fields, "id") // an elder is matched by id: it never changes
	for f := range fields {
		keys = append(keys, "rf_"+f)
	}
	for lang, d := range texts {
		for _, k := range keys {
			if d[k] == "" {
				t.Errorf("%s: no text for %s", lang, k)
			}
		}
	}
}
