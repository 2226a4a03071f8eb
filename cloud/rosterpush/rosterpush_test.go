package rosterpush_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterpush"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// sender records the commands handed to it.
type sender struct{ cmds []domain.Command }

func (s *sender) SendCommand(_ context.Context, c domain.Command) { s.cmds = append(s.cmds, c) }

func update(t *testing.T, c domain.Command) eldergate.RosterUpdate {
	t.Helper()
	var u eldergate.RosterUpdate
	if err := json.Unmarshal(c.Body, &u); err != nil {
		t.Fatalf("roster command body: %v", err)
	}
	return u
}

// TestPushChoosesFullOrDelta, on the real SQLite store: a gateway that
// confirmed nothing gets the full roster; once it holds version 1, a lost
// card (version 2) reaches it as a delta carrying that one credential; a
// gateway already at the current version gets nothing; a full push is
// forced when asked. Every command is queued and handed to the sender.
func TestPushChoosesFullOrDelta(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "site-a"}); err != nil {
		t.Fatal(err)
	}
	card := eldergate.Credential{Kind: "card", Value: "c0001"}
	roster := []eldergate.RosterElder{{Elder: eldergate.Elder{ID: "E1", Name: "张三明", Active: true}, Credentials: []eldergate.Credential{card}}}
	if _, err := st.ReplaceRoster(ctx, "site-a", roster, now); err != nil {
		t.Fatal(err)
	}
	snd := &sender{}

	ids, err := rosterpush.Site(ctx, st, snd, now, "site-a", nil)
	if err != nil || len(ids) != 1 || len(snd.cmds) != 1 {
		t.Fatalf("first push: ids %v, sent %d, err %v: want one command", ids, len(snd.cmds), err)
	}
	if u := update(t, snd.cmds[0]); u.Mode != eldergate.RosterFull || u.Version != 1 || len(u.Elders) != 1 {
		t.Fatalf("first push %+v: want the full version 1", u)
	}
	if got := snd.cmds[0].ExpiresAt.Sub(snd.cmds[0].CreatedAt); got != domain.PushCommandTTL {
		t.Fatalf("command lives %v, want %v", got, domain.PushCommandTTL)
	}
	if err := st.ConfirmGatewayRoster(ctx, "gw-a", 1, now); err != nil {
		t.Fatal(err)
	}

	lost := card
	lost.State = eldergate.CredLost
	ch, err := st.SetCredentialState(ctx, "site-a", "E1", lost, now)
	if err != nil || ch.Version != 2 || ch.Previous != 1 {
		t.Fatalf("lost card: %+v, %v", ch, err)
	}
	if _, err := rosterpush.Site(ctx, st, snd, now, "site-a", &rosterpush.StateChange{Change: ch, Cred: lost}); err != nil {
		t.Fatal(err)
	}
	if len(snd.cmds) != 2 {
		t.Fatalf("sent %d commands, want 2", len(snd.cmds))
	}
	u := update(t, snd.cmds[1])
	if u.Mode != eldergate.RosterDelta || u.Base != 1 || u.Version != 2 || len(u.States) != 1 || u.States[0].State != eldergate.CredLost {
		t.Fatalf("lost-card push %+v: want a delta 1 -> 2 with the one lost card", u)
	}

	// Queued at 2 already: nothing more to send.
	if c, err := rosterpush.Gateway(ctx, st, snd, now, "gw-a", "site-a", false); err != nil || c != nil {
		t.Fatalf("push at the current version: %+v, %v: want none", c, err)
	}
	// A gateway that refused the delta gets the full roster when asked.
	c, err := rosterpush.Gateway(ctx, st, snd, now, "gw-a", "site-a", true)
	if err != nil || c == nil {
		t.Fatalf("forced full push: %v, %v", c, err)
	}
	if u := update(t, *c); u.Mode != eldergate.RosterFull || u.Version != 2 {
		t.Fatalf("forced push %+v: want the full version 2", u)
	}
	if pending, err := st.PendingCommands(ctx, "gw-a", now); err != nil || len(pending) != 3 {
		t.Fatalf("pending commands %d, %v: want the 3 queued", len(pending), err)
	}
}
