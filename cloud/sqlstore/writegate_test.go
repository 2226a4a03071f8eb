package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// TestWriteGateOrder: while the gate is held, an urgent writer that
// arrives after two others gets it first, then the others in their
// order, and the urgent one's wait is noted (domain.WriterWait); a
// writer whose context ends stops waiting and takes no turn.
func TestWriteGateOrder(t *testing.T) {
	g := &writeGate{}
	first := g.wait(context.Background())
	order := make(chan string, 3)
	wait := func(ctx context.Context, name string) {
		go func() {
			release := g.wait(ctx)
			if release == nil {
				release = func() {}
			}
			order <- name
			time.Sleep(5 * time.Millisecond)
			release()
		}()
	}
	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			g.mu.Lock()
			k := len(g.urgent) + len(g.normal)
			g.mu.Unlock()
			if k == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiting, want %d", k, n)
			}
		}
	}
	cctx, cancel := context.WithCancel(context.Background())
	wait(context.Background(), "meals")
	queued(1)
	wait(cctx, "cancelled")
	queued(2)
	wait(context.Background(), "states")
	queued(3)
	actx := domain.Urgent(context.Background())
	wait(actx, "alarm")
	queued(4)
	cancel()
	if got := <-order; got != "cancelled" { // it goes on without the gate
		t.Fatalf("first out %q, want the cancelled writer", got)
	}
	queued(3)
	first()
	for _, want := range []string{"alarm", "meals", "states"} {
		if got := <-order; got != want {
			t.Fatalf("turn of %q, want %q", got, want)
		}
	}
	if w := domain.WriterWait(actx); w <= 0 {
		t.Errorf("the alarm's wait for its turn not noted: %v", w)
	}
	release := g.wait(context.Background())
	release()
	release() // twice: once only
	g.mu.Lock()
	held := g.held
	g.mu.Unlock()
	if held {
		t.Fatal("gate still held after every writer released it")
	}
}
