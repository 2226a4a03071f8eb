package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// testCommands: a queued command is pending until answered or expired;
// the first result wins; another gateway cannot answer it.
func testCommands(t *testing.T, s domain.Store) {
	ctx := context.Background()
	gw, other := "gw-cmd-"+NewID(t)[:8], "gw-other"
	ping := domain.Command{ID: "c1-" + NewID(t), GW: gw, Type: "ping", CreatedAt: base, ExpiresAt: base.Add(time.Minute)}
	cfg := domain.Command{ID: "c2-" + NewID(t), GW: gw, Type: "config", Body: []byte(`{"a":1}`), CreatedAt: base.Add(time.Second), ExpiresAt: base.Add(10 * time.Second)}
	for _, c := range []domain.Command{ping, cfg} {
		if err := s.QueueCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.QueueCommand(ctx, ping); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("queue twice: %v, want ErrConflict", err)
	}
	p, err := s.PendingCommands(ctx, gw, base.Add(5*time.Second))
	if err != nil || len(p) != 2 || p[0].ID != ping.ID || p[1].ID != cfg.ID || string(p[1].Body) != `{"a":1}` {
		t.Fatalf("pending: %+v, %v", p, err)
	}
	if p, _ := s.PendingCommands(ctx, gw, base.Add(10*time.Second)); len(p) != 1 || p[0].ID != ping.ID {
		t.Fatalf("pending after cfg expiry: %+v", p)
	}
	if err := s.MarkCommandSent(ctx, ping.ID, base.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCommandSent(ctx, "nope", base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("mark unknown: %v", err)
	}
	if err := s.RecordCommandResult(ctx, other, ping.ID, true, "", nil, base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("result by other gateway: %v, want ErrNotFound", err)
	}
	at := base.Add(3 * time.Second)
	if err := s.RecordCommandResult(ctx, gw, ping.ID, true, "", []byte(`{"gateway_id":"x"}`), at); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCommandResult(ctx, gw, ping.ID, false, "late", nil, at.Add(time.Second)); err != nil {
		t.Fatalf("repeated result: %v", err)
	}
	if p, _ := s.PendingCommands(ctx, gw, base.Add(5*time.Second)); len(p) != 1 || p[0].ID != cfg.ID {
		t.Fatalf("pending after result: %+v", p)
	}
	l, err := s.ListCommands(ctx, gw)
	if err != nil || len(l) != 2 || l[0].ID != cfg.ID {
		t.Fatalf("list: %+v, %v", l, err)
	}
	got := l[1]
	if got.OK == nil || !*got.OK || got.Error != "" || string(got.Result) != `{"gateway_id":"x"}` ||
		got.ResultAt == nil || !got.ResultAt.Equal(at) || got.SentAt == nil || !got.SentAt.Equal(base.Add(2*time.Second)) ||
		!got.CreatedAt.Equal(base) || got.ExpiresAt.Location() != time.UTC {
		t.Fatalf("answered ping: %+v", got)
	}
	if l[0].OK != nil || l[0].SentAt != nil || l[0].ResultAt != nil {
		t.Fatalf("unanswered cfg: %+v", l[0])
	}
	if l, _ := s.ListCommands(ctx, other); len(l) != 0 {
		t.Fatalf("other gateway's list: %+v", l)
	}
}
