package domain

import (
	"context"
	"sync/atomic"
	"time"
)

type urgentKey struct{}

// urgentNote is the value of an Urgent context: how long its writes
// waited for their turn at the writer.
type urgentNote struct{ wait atomic.Int64 }

// Urgent returns a context whose store writes go before the writes
// waiting without it, on an engine with one writer at a time (SQLite):
// the ingester's alarm lane commits an alarm before the backlog of meals,
// heartbeats and states queued for the writer
// (docs/adr/0046-alarm-first-writer-and-state-groups.md).
func Urgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, urgentKey{}, &urgentNote{})
}

// IsUrgent reports whether ctx was made by Urgent.
func IsUrgent(ctx context.Context) bool {
	_, ok := ctx.Value(urgentKey{}).(*urgentNote)
	return ok
}

// NoteWriterWait adds d to the time the writes of ctx, an Urgent
// context, waited for their turn at the store's writer (nothing for
// another context).
func NoteWriterWait(ctx context.Context, d time.Duration) {
	if n, ok := ctx.Value(urgentKey{}).(*urgentNote); ok {
		n.wait.Add(int64(d))
	}
}

// WriterWait is the time the writes of ctx, an Urgent context, waited for
// their turn at the store's writer so far.
func WriterWait(ctx context.Context) time.Duration {
	if n, ok := ctx.Value(urgentKey{}).(*urgentNote); ok {
		return time.Duration(n.wait.Load())
	}
	return 0
}
