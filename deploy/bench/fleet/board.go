package fleet

import (
	"context"
	"sync"
	"time"

	"github.com/eldergate/eldergate/deploy/testenv"
)

// board holds the console's live board (GET /api/v1/alerts/stream) and
// notes when each alert first appeared in a "change" event, by the
// gateway's id of the alert (the press's alert_id).
type board struct {
	stream *testenv.AlertBoard
	mu     sync.Mutex
	seen   map[string]time.Time // the gateway's alert id -> read
}

func openBoard(ctx context.Context, base, token string) (*board, error) {
	b := &board{seen: map[string]time.Time{}}
	s, err := testenv.OpenAlertBoard(ctx, base, token, 20*time.Second, func(a testenv.BoardAlert) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.seen[a.GWAlertID]; !ok {
			b.seen[a.GWAlertID] = a.Read
		}
	})
	if err != nil {
		return nil, err
	}
	b.stream = s
	return b, nil
}

func (b *board) close() { b.stream.Close() }

// at is when the gateway's alert id appeared on the board.
func (b *board) at(id string) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.seen[id]
	return t, ok
}
