package cloudhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/cloud/sqlite"
)

// TestCredentialStateResidentID: the API holds a resident ID number to the
// module's one rule (eldergate.NormalizeResidentID) and names it only
// masked in its refusal.
func TestCredentialStateResidentID(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) (int, string) {
		req := httptest.NewRequest("POST", "/api/v1/sites/site-1/elders/E1/credentials/state", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer adm")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	code, body := post(`{"kind":"resident_id","value":"110105194912310021","state":"lost"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "110105********0021: check character does not match") || strings.Contains(body, "19491231") {
		t.Errorf("wrong check character: %d %s, want 400 naming the masked number and the check character", code, body)
	}
	code, body = post(`{"kind":"resident_id","value":"11010519491231002x","state":"lost"}`)
	if code == http.StatusBadRequest {
		t.Errorf("valid number with a lower-case x refused: %d %s", code, body)
	}
}
