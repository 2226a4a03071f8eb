package cloudhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

func TestParseActor(t *testing.T) {
	for body, want := range map[string]string{"": "console", "  ": "console", `{}`: "console", `{"by":" 李 "}`: "李", `{"by":"x","z":1}`: "x"} {
		got, err := ParseActor([]byte(body))
		if err != nil || got != want {
			t.Errorf("ParseActor(%q) = %q, %v; want %q", body, got, err, want)
		}
	}
	for _, body := range []string{`{`, `[]`, `{"by":3}`, `{"by":"` + strings.Repeat("长", 65) + `"}`} {
		if got, err := ParseActor([]byte(body)); err == nil {
			t.Errorf("ParseActor(%q) = %q, want error", body, got)
		}
	}
}

func FuzzParseActor(f *testing.F) {
	f.Add([]byte(`{"by":"王护工"}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"by":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		by, err := ParseActor(body)
		if err != nil {
			return
		}
		if by == "" || len([]rune(by)) > 64 || strings.TrimSpace(by) != by {
			t.Fatalf("ParseActor(%q) = %q", body, by)
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
