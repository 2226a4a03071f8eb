package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// writeGate hands the engine's one write lock (Dialect.OneWriter) to the
// store's writers in turn, urgent ones (domain.Urgent: an alarm) first.
// Without it every writer of the process asked SQLite, and a writer that
// found the lock taken slept in SQLite's busy handler, 1 to 100 ms a
// try: an alarm's commit waited behind the writers that happened to try
// while it slept (alarm → board p50 5 ms, p99 0.76 s with 10,000 gateways
// sending, docs/PERFORMANCE.md bench-fleet). SQLite's lock stays the
// rule: the gate only orders this process's writers, and a writer that
// waits longer than gateWait goes on without it (to SQLite's busy
// handler, as before), so a write the gate does not see (another
// process, a write inside a writer's transaction) costs time, never a
// deadlock (docs/adr/0046-alarm-first-writer-and-state-groups.md).
//
// The writer whose turn it is writes on a connection of its own (conn),
// outside the pool: in a reconnect storm the pool's connections are
// taken by 10,000 logins reading their gateway's credential, and an
// alarm's commit holding the turn waited for one of them (up to 1.7 s).
type writeGate struct {
	db     *sql.DB
	mu     sync.Mutex
	held   bool
	urgent []chan struct{}
	normal []chan struct{}
	conn   *sql.Conn // the writer's connection; only the turn's holder uses it
}

// gateWait bounds how long a writer waits for the gate: SQLite's busy
// timeout (cloud/sqlite), after which the writer would have failed before.
const gateWait = 10 * time.Second

// acquire waits for the gate and returns the writer's connection and the
// turn's release (called once); or no connection and a release that does
// nothing when the gate is nil, ctx ended or gateWait passed: the caller
// then goes on without it, on the pool. The connection is nil too when it
// could not be opened (the caller uses the pool in its turn).
func (g *writeGate) acquire(ctx context.Context) (*sql.Conn, func()) {
	if g == nil {
		return nil, func() {}
	}
	release := g.wait(ctx)
	if release == nil {
		return nil, func() {}
	}
	if g.conn == nil {
		c, err := g.db.Conn(ctx)
		if err != nil {
			return nil, release
		}
		g.conn = c
	}
	return g.conn, release
}

// check drops the writer's connection c after err when err says the
// connection is gone (the next turn opens another). Called in the turn.
func (g *writeGate) check(c *sql.Conn, err error) {
	if err != nil && (errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)) && g.conn == c {
		_ = c.Close()
		g.conn = nil
	}
}

// close closes the writer's connection (Store.Close).
func (g *writeGate) close() {
	if g == nil {
		return
	}
	if release := g.wait(context.Background()); release != nil {
		if g.conn != nil {
			_ = g.conn.Close()
			g.conn = nil
		}
		release()
	}
}

// wait waits for the gate and returns its release, or nil when ctx ended
// or gateWait passed first.
func (g *writeGate) wait(ctx context.Context) (release func()) {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return g.releaser()
	}
	ch := make(chan struct{})
	if domain.IsUrgent(ctx) {
		defer func(t0 time.Time) { domain.NoteWriterWait(ctx, time.Since(t0)) }(time.Now())
		g.urgent = append(g.urgent, ch)
	} else {
		g.normal = append(g.normal, ch)
	}
	g.mu.Unlock()
	t := time.NewTimer(gateWait)
	defer t.Stop()
	select {
	case <-ch:
		return g.releaser()
	case <-ctx.Done():
	case <-t.C:
	}
	g.mu.Lock()
	removed := remove(&g.urgent, ch) || remove(&g.normal, ch)
	g.mu.Unlock()
	if !removed { // handed over meanwhile: pass it on
		g.releaser()()
	}
	return nil
}

// releaser returns the release of a held gate: it hands the gate to the
// first urgent waiter, else to the first other waiter.
func (g *writeGate) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			for _, q := range []*[]chan struct{}{&g.urgent, &g.normal} {
				if len(*q) > 0 {
					ch := (*q)[0]
					(*q)[0] = nil
					*q = (*q)[1:]
					close(ch)
					return
				}
			}
			g.held = false
		})
	}
}

// remove deletes ch from *q and reports whether it was there.
func remove(q *[]chan struct{}, ch chan struct{}) bool {
	for i, c := range *q {
		if c == ch {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return true
		}
	}
	return false
}
