package httpapi

import (
	"encoding/json"
	"fmt"
	"sync"
)

// hub fans server-sent events out to the connected streams. A stream that
// cannot keep up loses events rather than slowing the gateway down.
type hub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	done    chan struct{}
	closed  bool
	// onCount hears the number of streams after each change, in order
	// (called with countMu held, not mu); may be nil.
	onCount func(n int)
	countMu sync.Mutex
}

func newHub(onCount func(int)) *hub {
	return &hub{clients: map[chan []byte]struct{}{}, done: make(chan struct{}), onCount: onCount}
}

func (h *hub) subscribe() (chan []byte, func()) {
	ch := make(chan []byte, 64)
	h.countMu.Lock()
	h.mu.Lock()
	if !h.closed {
		h.clients[ch] = struct{}{}
	}
	n := len(h.clients)
	h.mu.Unlock()
	h.counted(n)
	h.countMu.Unlock()
	return ch, func() {
		h.countMu.Lock()
		h.mu.Lock()
		delete(h.clients, ch)
		n := len(h.clients)
		h.mu.Unlock()
		h.counted(n)
		h.countMu.Unlock()
	}
}

func (h *hub) counted(n int) {
	if h.onCount != nil {
		h.onCount(n)
	}
}

// publish sends one event to every stream.
func (h *hub) publish(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("httpapi: encode %s event: %w", event, err)
	}
	msg := []byte("event: " + event + "\ndata: " + string(data) + "\n\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- msg:
		default: // slow client: drop the event
		}
	}
	return nil
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// close ends every stream.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}
