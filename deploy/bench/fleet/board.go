package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// board holds the console's live board (GET /api/v1/alerts/stream) and
// notes when each alert first appeared in a "change" event, by the
// gateway's id of the alert (the press's alert_id).
type board struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	seen   map[string]time.Time // the gateway's alert id -> read
}

func openBoard(ctx context.Context, base, token string) (*board, error) {
	sctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, base+"/api/v1/alerts/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		return nil, fmt.Errorf("alerts stream: status %d", resp.StatusCode)
	}
	b := &board{cancel: cancel, done: make(chan struct{}), seen: map[string]time.Time{}}
	ready := make(chan struct{})
	go func() {
		defer close(b.done)
		defer resp.Body.Close()
		r := bufio.NewReaderSize(resp.Body, 1<<16)
		event, once := "", sync.Once{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "board":
				once.Do(func() { close(ready) })
			case strings.HasPrefix(line, "data: ") && event == "change":
				read := time.Now()
				var changes []struct {
					Alert struct {
						GWAlertID string `json:"gw_alert_id"`
					} `json:"alert"`
				}
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &changes) != nil {
					continue
				}
				b.mu.Lock()
				for _, ch := range changes {
					if _, ok := b.seen[ch.Alert.GWAlertID]; !ok {
						b.seen[ch.Alert.GWAlertID] = read
					}
				}
				b.mu.Unlock()
			case line == "":
				event = ""
			}
		}
	}()
	select {
	case <-ready:
		return b, nil
	case <-b.done:
		cancel()
		return nil, fmt.Errorf("alerts stream ended before its snapshot")
	case <-time.After(20 * time.Second):
		b.close()
		return nil, fmt.Errorf("no board snapshot within 20s")
	}
}

func (b *board) close() { b.cancel(); <-b.done }

// at is when the gateway's alert id appeared on the board.
func (b *board) at(id string) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.seen[id]
	return t, ok
}
