package cloudhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

func TestParseAlertAction(t *testing.T) {
	for _, c := range []struct {
		body    string
		resolve bool
		want    AlertActionBody
	}{
		{"", false, AlertActionBody{Via: domain.ViaAPI}},
		{"  ", false, AlertActionBody{Via: domain.ViaAPI}},
		{`{"via":"kiosk","by":"ignored"}`, false, AlertActionBody{Via: domain.ViaKiosk}},
		{`{"outcome":"test","note":" 演练 ","via":"console"}`, true, AlertActionBody{Via: domain.ViaConsole, Outcome: domain.OutcomeTest, Note: "演练"}},
		{`{"outcome":"false_alarm"}`, true, AlertActionBody{Via: domain.ViaAPI, Outcome: domain.OutcomeFalseAlarm}},
	} {
		got, err := ParseAlertAction([]byte(c.body), c.resolve)
		if err != nil || got != c.want {
			t.Errorf("ParseAlertAction(%q, %v) = %+v, %v; want %+v", c.body, c.resolve, got, err, c.want)
		}
	}
	for _, c := range []struct {
		body    string
		resolve bool
		msg     string
	}{
		{`{`, false, "not valid JSON"},
		{`[]`, false, "not valid JSON"},
		{`{"via":"phone"}`, false, `via "phone" is not one of console, kiosk, api`},
		{``, true, "outcome is missing"},
		{`{"outcome":"fixed"}`, true, `outcome "fixed" is not one of helped_on_site, sent_to_hospital, family_contacted, false_alarm, test`},
		{`{"outcome":"test","note":"` + strings.Repeat("长", domain.MaxNoteRunes+1) + `"}`, true, "note: "},
	} {
		got, err := ParseAlertAction([]byte(c.body), c.resolve)
		if err == nil || !strings.Contains(err.Error(), c.msg) || strings.Contains(err.Error(), ": invalid") {
			t.Errorf("ParseAlertAction(%q, %v) = %+v, %v; want an error with %q", c.body, c.resolve, got, err, c.msg)
		}
	}
}

func FuzzParseAlertAction(f *testing.F) {
	f.Add([]byte(`{"outcome":"helped_on_site","note":"王护工到场"}`), true)
	f.Add([]byte(``), false)
	f.Add([]byte(`{"via":null}`), false)
	f.Fuzz(func(t *testing.T, body []byte, resolve bool) {
		a, err := ParseAlertAction(body, resolve)
		if err != nil {
			return
		}
		if !a.Via.Valid() || (resolve && !a.Outcome.Valid()) || len([]rune(a.Note)) > domain.MaxNoteRunes {
			t.Fatalf("ParseAlertAction(%q, %v) = %+v", body, resolve, a)
		}
	})
}

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", " Bearer x y": "x y"} {
		if got, ok := bearer(h); !ok || got != want {
			t.Errorf("bearer(%q) = %q, %v", h, got, ok)
		}
	}
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic abc", "abc"} {
		if got, ok := bearer(h); ok {
			t.Errorf("bearer(%q) = %q, want not ok", h, got)
		}
	}
}

func FuzzBearer(f *testing.F) {
	f.Add("Bearer abc")
	f.Add("Basic x")
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearer(h)
		if ok && (tok == "" || strings.TrimSpace(tok) != tok) {
			t.Fatalf("bearer(%q) = %q", h, tok)
		}
	})
}

// TestBodyLimits: every route reads at most MaxBodyBytes of a body, the
// roster import up to rosterimport.MaxFileBytes.
func TestBodyLimits(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	post := func(path string, n int) int {
		req := httptest.NewRequest("POST", path, strings.NewReader(strings.Repeat("x", n)))
		req.Header.Set("Authorization", "Bearer adm")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if code := post("/api/v1/alerts/a1/ack", MaxBodyBytes+1); code != http.StatusRequestEntityTooLarge {
		t.Errorf("ack with %d bytes: %d, want 413", MaxBodyBytes+1, code)
	}
	// 1 MiB of garbage passes the limit and is refused as a file (not 413).
	if code := post("/api/v1/sites/site-1/roster/import", 1<<20); code == http.StatusRequestEntityTooLarge {
		t.Errorf("roster import of 1 MiB: 413, want it read")
	}
	if code := post("/api/v1/sites/site-1/roster/import", rosterimport.MaxFileBytes+1); code != http.StatusRequestEntityTooLarge {
		t.Errorf("roster import over %d bytes: %d, want 413", rosterimport.MaxFileBytes, code)
	}
}
