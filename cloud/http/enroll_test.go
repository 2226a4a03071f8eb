package cloudhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/sqlite"
)

func enrollServer(t *testing.T, p Provisioning, now func() time.Time) http.Handler {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: st, Now: now, Provisioning: p})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

func do(h http.Handler, method, path, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestEnrollRateLimitAndValidation(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := enrollServer(t, Provisioning{BrokerURL: "tcp://127.0.0.1:1", EnrollPerMinute: 3}, clock)
	for i := range 3 {
		if w := do(h, "POST", "/api/v1/enroll", "", `{"token":"nope"}`); w.Code != http.StatusNotFound {
			t.Fatalf("attempt %d with an unknown token: %d %s", i+1, w.Code, w.Body)
		}
	}
	if w := do(h, "POST", "/api/v1/enroll", "", `{"token":"nope"}`); w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th attempt within a minute: %d, want 429", w.Code)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if w := do(h, "POST", "/api/v1/enroll", "", `{"token":"nope"}`); w.Code != http.StatusNotFound {
		t.Fatalf("after a minute: %d, want 404 again", w.Code)
	}
	for body, want := range map[string]int{`{"id":"bad id!","site":"s"}`: 400, `{"id":"gw-1","site":""}`: 400,
		`{"id":"gw-1","site":"s","x":1}`: 400, `{`: 400, `{"id":"gw-1","site":"s"}`: 201} {
		if w := do(h, "POST", "/api/v1/gateways", "adm", body); w.Code != want {
			t.Errorf("create %s: %d, want %d (%s)", body, w.Code, want, w.Body)
		}
	}
	if w := do(h, "POST", "/api/v1/gateways/gw-1/revoke", "", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("revoke without token: %d, want 401", w.Code)
	}
}

func TestEnrollUnavailableWithoutBroker(t *testing.T) {
	h := enrollServer(t, Provisioning{}, time.Now)
	if w := do(h, "POST", "/api/v1/enroll", "", `{"token":"x"}`); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("enroll with no broker for per-device credentials: %d, want 503", w.Code)
	}
}
