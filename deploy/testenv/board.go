package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BoardAlert is one alert of a "change" event of the console's live
// board, as the reader read it.
type BoardAlert struct {
	GW        string    `json:"gw"`
	Button    string    `json:"button"`
	GWAlertID string    `json:"gw_alert_id"` // the gateway's id of the first press
	Read      time.Time `json:"-"`           // when the event was read
}

// AlertBoard holds the console's live board (GET /api/v1/alerts/stream)
// as the console does.
type AlertBoard struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// OpenAlertBoard opens base's live board with the API token and calls
// onAlert (from the reading goroutine, one call at a time) for each
// alert of every "change" event, with the time the event was read. It
// returns once the "board" snapshot has been read, or an error if it was
// not within wait. It takes no testing.TB: benchmarks' own runners use it.
func OpenAlertBoard(ctx context.Context, base, token string, wait time.Duration, onAlert func(BoardAlert)) (*AlertBoard, error) {
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
	b := &AlertBoard{cancel: cancel, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(b.done)
		defer resp.Body.Close()
		once := sync.Once{}
		ReadSSE(resp.Body, func(event, data string) {
			switch event {
			case "board":
				once.Do(func() { close(ready) })
			case "change":
				read := time.Now()
				var changes []struct {
					Alert BoardAlert `json:"alert"`
				}
				if json.Unmarshal([]byte(data), &changes) != nil {
					return
				}
				for _, ch := range changes {
					ch.Alert.Read = read
					onAlert(ch.Alert)
				}
			}
		})
	}()
	select {
	case <-ready:
		return b, nil
	case <-b.done:
		cancel()
		return nil, fmt.Errorf("alerts stream ended before its snapshot")
	case <-time.After(wait):
		b.Close()
		return nil, fmt.Errorf("no board snapshot within %v", wait)
	}
}

// Done is closed once the stream has ended (no onAlert call follows).
func (b *AlertBoard) Done() <-chan struct{} { return b.done }

// Close ends the stream and waits for the reader.
func (b *AlertBoard) Close() { b.cancel(); <-b.done }

// ReadSSE reads a text/event-stream from r until it ends (or fails) and
// calls on for each "data: " line with the name of its event (its
// "event: " line; "" when it has none).
func ReadSSE(r io.Reader, on func(event, data string)) {
	br := bufio.NewReaderSize(r, 1<<16)
	event := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			on(event, strings.TrimPrefix(line, "data: "))
		case line == "":
			event = ""
		}
	}
}
