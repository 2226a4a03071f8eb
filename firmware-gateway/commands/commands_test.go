package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/commands"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

var t0 = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

type uplink struct {
	mu        sync.Mutex
	published []eldergate.CommandResult
	notified  int
}

func (u *uplink) PublishResult(r eldergate.CommandResult) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.published = append(u.published, r)
	return nil
}

func (u *uplink) Notify() { u.mu.Lock(); u.notified++; u.mu.Unlock() }

// executor counts what it applies; a "policy" command fails.
type executor struct{ applied []string }

func (e *executor) Execute(_ context.Context, c eldergate.Command) (any, error) {
	e.applied = append(e.applied, c.ID)
	if c.Type == eldergate.CmdPolicy {
		return nil, errors.New("bad policy")
	}
	return map[string]string{"pong": c.ID}, nil
}

type fixture struct {
	h        *commands.Handler
	store    *sqlite.Store
	up       *uplink
	exec     *executor
	rebirths int
	restarts int
}

func newHandler(t *testing.T, withRestart bool) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, up: &uplink{}, exec: &executor{}}
	c := commands.Config{
		Store: st, Envelopes: envelope.Maker{GW: "gw-t1", Site: "s1", Boot: st.Boot()}, Uplink: f.up, Executor: f.exec,
		Reported: func() eldergate.State { return eldergate.State{} },
		Rebirth:  func(eldergate.State) { f.rebirths++ },
		Now:      func() time.Time { return t0 },
		Log:      slog.New(slog.DiscardHandler),
	}
	if withRestart {
		c.Restart = func() { f.restarts++ }
	}
	f.h = commands.New(c)
	return f
}

func cmd(id, typ string, expires time.Time) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "type": typ, "expires": expires, "body": map[string]any{}})
	return b
}

func TestCommandAppliedOnceAndAnsweredAgain(t *testing.T) {
	f := newHandler(t, false)
	ctx := t.Context()
	res := f.h.Handle(ctx, cmd("c1", eldergate.CmdPing, t0.Add(time.Hour)))
	if !res.OK || res.ID != "c1" || string(res.Body) != `{"pong":"c1"}` {
		t.Fatalf("result = %+v", res)
	}
	again := f.h.Handle(ctx, cmd("c1", eldergate.CmdPing, t0.Add(time.Hour)))
	if again.ID != "c1" || !again.OK || len(f.exec.applied) != 1 {
		t.Fatalf("again = %+v, applied %v", again, f.exec.applied)
	}
	if len(f.up.published) != 2 {
		t.Fatalf("published %d results, want 2", len(f.up.published))
	}
	// One cmdres event in the outbox carries the result.
	rows, err := f.store.Outbox(ctx)
	if err != nil || len(rows) != 1 || rows[0].Kind != eldergate.KindCmdRes {
		t.Fatalf("outbox = %+v, %v", rows, err)
	}
	if stored, ok, err := f.store.CommandResult(ctx, "c1"); err != nil || !ok || stored.EventID != rows[0].ID {
		t.Fatalf("stored = %+v %v %v", stored, ok, err)
	}
}

func TestExpiredFailedAndInvalidCommands(t *testing.T) {
	f := newHandler(t, false)
	ctx := t.Context()
	if res := f.h.Handle(ctx, cmd("c2", eldergate.CmdPing, t0)); res.OK || len(f.exec.applied) != 0 {
		t.Fatalf("expired command = %+v, applied %v", res, f.exec.applied)
	}
	if res := f.h.Handle(ctx, cmd("c3", eldergate.CmdPolicy, t0.Add(time.Hour))); res.OK || res.Error != "bad policy" || f.rebirths != 0 {
		t.Fatalf("failed policy = %+v, rebirths %d", res, f.rebirths)
	}
	if res := f.h.Handle(ctx, cmd("c4", eldergate.CmdRoster, t0.Add(time.Hour))); !res.OK || f.rebirths != 1 {
		t.Fatalf("roster = %+v, rebirths %d", res, f.rebirths)
	}
	if res := f.h.Handle(ctx, []byte(`{"type":"ping"}`)); res.ID != "" || res.OK {
		t.Fatalf("no id = %+v", res)
	}
	if res := f.h.Handle(ctx, cmd("c5", eldergate.CmdReboot, t0.Add(time.Hour))); res.OK {
		t.Fatalf("reboot without a restart hook = %+v", res)
	}
}

func TestRebootRestartsAfterTheResult(t *testing.T) {
	f := newHandler(t, true)
	res := f.h.Handle(t.Context(), cmd("r1", eldergate.CmdReboot, t0.Add(time.Hour)))
	if !res.OK || f.restarts != 1 || len(f.exec.applied) != 0 {
		t.Fatalf("reboot = %+v, restarts %d", res, f.restarts)
	}
}

func TestQueueRunsUntilCancelled(t *testing.T) {
	f := newHandler(t, false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- f.h.Run(ctx) }()
	f.h.Enqueue(cmd("q1", eldergate.CmdPing, t0.Add(time.Hour)))
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.up.mu.Lock()
		n := len(f.up.published)
		f.up.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("queued command not handled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
