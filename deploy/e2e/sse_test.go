package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event from the gateway's /api/events.
type sseEvent struct {
	Name string
	Data json.RawMessage
}

// subscribe opens the gateway's SSE stream the way the kiosk does and
// delivers its events until the test ends.
func subscribe(t testing.TB, baseURL string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("SSE: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("SSE: status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" || ev.Data != nil {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event:"):
				ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.Data = append(ev.Data, []byte(strings.TrimSpace(strings.TrimPrefix(line, "data:")))...)
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return ch
}

// next waits for the next event called name, skipping others.
func next(t testing.TB, ch <-chan sseEvent, name string, d time.Duration) json.RawMessage {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("SSE stream closed while waiting for %q", name)
			}
			if ev.Name == name {
				return ev.Data
			}
		case <-timeout:
			t.Fatalf("no %q event within %v", name, d)
		}
	}
}

// pressEvent waits for the kiosk's "alert" event of a press of button
// and returns the id of the alert event the gateway recorded. The kiosk
// also hears the cloud's updates of earlier alerts: they are skipped.
func pressEvent(t *testing.T, ch <-chan sseEvent, button string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var a struct {
			EventID string `json:"event_id"`
			Action  string `json:"action"`
			Button  string `json:"button"`
		}
		if err := json.Unmarshal(next(t, ch, "alert", time.Until(deadline)), &a); err != nil {
			t.Fatalf("alert event: %v", err)
		}
		if a.Button != button || a.Action != "raised" && a.Action != "pressed" {
			continue
		}
		if a.EventID == "" {
			t.Fatalf("the press of %s was not recorded: %+v", button, a)
		}
		return a.EventID
	}
}

// eventually polls cond until it is true or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}
