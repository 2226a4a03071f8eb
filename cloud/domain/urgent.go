package domain

import "context"

type urgentKey struct{}

// Urgent returns a context whose store writes go before the writes
// waiting without it, on an engine with one writer at a time (SQLite):
// the ingester's alarm lane commits an alarm before the backlog of meals,
// heartbeats and states queued for the writer
// (docs/adr/0046-alarm-first-writer-and-state-groups.md).
func Urgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, urgentKey{}, true)
}

// IsUrgent reports whether ctx was made by Urgent.
func IsUrgent(ctx context.Context) bool {
	v, _ := ctx.Value(urgentKey{}).(bool)
	return v
}
