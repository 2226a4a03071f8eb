package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// alertBackend accepts the token "good" only.
type alertBackend struct {
	backend
	mu     sync.Mutex
	counts []int
}

func (b *alertBackend) KioskAlerts(context.Context) (any, error) { return []string{}, nil }
func (b *alertBackend) check(tok string) error {
	if tok != "good" {
		return fmt.Errorf("test: %w", httpapi.ErrUnauthorized)
	}
	return nil
}
func (b *alertBackend) StaffAlerts(_ context.Context, tok string) (any, error) {
	return []string{}, b.check(tok)
}
func (b *alertBackend) StaffAck(_ context.Context, tok, id string) (any, error) {
	if err := b.check(tok); err != nil {
		return nil, err
	}
	if id != "a1" {
		return nil, fmt.Errorf("test: %w", httpapi.ErrNotFound)
	}
	return map[string]string{"id": id, "state": "acknowledged"}, nil
}
func (b *alertBackend) StaffResolve(_ context.Context, tok, id, outcome, note string) (any, error) {
	if err := b.check(tok); err != nil {
		return nil, err
	}
	return map[string]string{"id": id, "outcome": outcome, "note": note}, nil
}

func TestAlertRoutesAndStreamCount(t *testing.T) {
	b := &alertBackend{}
	s := httpapi.New(httpapi.Config{Addr: "127.0.0.1:0", OnStreams: func(n int) {
		b.mu.Lock()
		b.counts = append(b.counts, n)
		b.mu.Unlock()
	}}, b, nil, nil)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	call := func(method, path, tok, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path, tok, body string
		want                    int
	}{
		{"GET", "/api/alerts", "", "", 200},
		{"GET", "/api/staff/alerts", "", "", 401},
		{"GET", "/api/staff/alerts", "good", "", 200},
		{"POST", "/api/staff/alerts/ack", "", `{"id":"a1"}`, 401},
		{"POST", "/api/staff/alerts/ack", "bad", `{"id":"a1"}`, 401},
		{"POST", "/api/staff/alerts/ack", "good", `{"id":"a1"}`, 200},
		{"POST", "/api/staff/alerts/ack", "good", `{"id":"zz"}`, 404},
		{"POST", "/api/staff/alerts/ack", "good", `{}`, 400},
		{"POST", "/api/staff/alerts/resolve", "", `{"id":"a1","outcome":"test"}`, 401},
		{"POST", "/api/staff/alerts/resolve", "good", `{"id":"a1"}`, 400},
		{"POST", "/api/staff/alerts/resolve", "good", `{"id":"a1","outcome":"test","note":"ok"}`, 200},
	} {
		if got := call(c.method, c.path, c.tok, c.body); got != c.want {
			t.Errorf("%s %s (token %q, %s): %d, want %d", c.method, c.path, c.tok, c.body, got, c.want)
		}
	}

	// The stream count: 1 when the kiosk connects, 0 when it goes.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(make([]byte, 32))
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		b.mu.Lock()
		got := fmt.Sprint(b.counts)
		b.mu.Unlock()
		if got == "[1 0]" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream counts %s, want [1 0]", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
