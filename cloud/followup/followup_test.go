package followup_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/followup"
	"github.com/eldergate/eldergate/cloud/rosterpush"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// publisher records what it publishes.
type publisher struct {
	mu   sync.Mutex
	cmds []eldergate.Command
}

func (p *publisher) Publish(_ context.Context, topic string, payload []byte) error {
	var c eldergate.Command
	if err := json.Unmarshal(payload, &c); err != nil {
		return err
	}
	p.mu.Lock()
	p.cmds = append(p.cmds, c)
	p.mu.Unlock()
	return nil
}

func elders(names ...string) []eldergate.RosterElder {
	var out []eldergate.RosterElder
	for i, n := range names {
		out = append(out, eldergate.RosterElder{Elder: eldergate.Elder{ID: n, Name: n, Active: true},
			Credentials: []eldergate.Credential{{Kind: "card", Value: "c000" + string(rune('1'+i))}}})
	}
	return out
}

// TestResultsFollowedUpOnce, on the real SQLite store: a refused roster
// delta (full_roster_needed), reported twice as it is (the cmdres copy and
// the outbox event), publishes ONE full roster of the current version; an
// ok result of a desired configuration's command is recorded on that
// version; a result of another command is ignored by both follow-ups.
func TestResultsFollowedUpOnce(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "site-a"}); err != nil {
		t.Fatal(err)
	}
	pub := &publisher{}
	fu, err := followup.New(followup.Config{Store: st, Publisher: pub, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}

	// Roster version 1 sent in full and confirmed; version 2 as a delta.
	if _, err := st.ReplaceRoster(ctx, "site-a", elders("E1"), now); err != nil {
		t.Fatal(err)
	}
	first, err := rosterpush.Gateway(ctx, st, nil, now, "gw-a", "site-a", false)
	if err != nil || first == nil {
		t.Fatalf("first roster: %v, %v", first, err)
	}
	fu.OnCommandResult(ctx, "gw-a", eldergate.CommandResult{ID: first.ID, OK: true})
	if gr, err := st.GatewayRoster(ctx, "gw-a"); err != nil || gr.Confirmed != 1 {
		t.Fatalf("roster state %+v, %v: want version 1 confirmed", gr, err)
	}
	if _, err := st.ReplaceRoster(ctx, "site-a", elders("E1", "E2"), now); err != nil {
		t.Fatal(err)
	}
	delta, err := rosterpush.Gateway(ctx, st, nil, now, "gw-a", "site-a", false)
	if err != nil || delta == nil {
		t.Fatalf("delta: %v, %v", delta, err)
	}
	refused := eldergate.CommandResult{ID: delta.ID, Error: "gateway is at version 0",
		Body: json.RawMessage(`{"version":0,"full_roster_needed":true}`)}
	fu.OnCommandResult(ctx, "gw-a", refused)
	fu.OnCommandResult(ctx, "gw-a", refused)
	if len(pub.cmds) != 1 || pub.cmds[0].Type != eldergate.CmdRoster {
		t.Fatalf("published %+v: want one roster command", pub.cmds)
	}
	var u eldergate.RosterUpdate
	if err := json.Unmarshal(pub.cmds[0].Body, &u); err != nil || u.Mode != eldergate.RosterFull || u.Version != 2 || len(u.Elders) != 2 {
		t.Fatalf("published roster %+v, %v: want the full version 2", u, err)
	}

	// A desired configuration's result.
	cmd := domain.Command{ID: "cmd-config-1", GW: "gw-a", Type: eldergate.CmdConfig, Body: json.RawMessage(`"tap_dedupe: 3s"`),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, err := st.SetDesiredConfig(ctx, domain.DesiredConfig{GW: "gw-a", Body: "tap_dedupe: 3s", SHA256: "abc", SetBy: "t", SetAt: now}, cmd); err != nil {
		t.Fatal(err)
	}
	fu.OnCommandResult(ctx, "gw-a", eldergate.CommandResult{ID: "cmd-other", OK: true})
	if d, err := st.DesiredConfig(ctx, "gw-a"); err != nil || d.ResultOK != nil {
		t.Fatalf("desired after another command's result: %+v, %v", d, err)
	}
	fu.OnCommandResult(ctx, "gw-a", eldergate.CommandResult{ID: cmd.ID, OK: true})
	fu.OnCommandResult(ctx, "gw-a", eldergate.CommandResult{ID: cmd.ID, OK: true})
	d, err := st.DesiredConfig(ctx, "gw-a")
	if err != nil || d.ResultOK == nil || !*d.ResultOK {
		t.Fatalf("desired %+v, %v: want its result ok", d, err)
	}
	if s := domain.ConfigStatus(&d, mustReported(t, st)); s != domain.ConfigInSync {
		t.Fatalf("status %s, want in_sync", s)
	}
	if len(pub.cmds) != 1 {
		t.Fatalf("published %d commands, want still 1", len(pub.cmds))
	}
}

func mustReported(t *testing.T, st *sqlite.Store) *domain.ReportedConfig {
	t.Helper()
	r, err := st.ReportedConfig(context.Background(), "gw-a")
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestBirthSendsPending: at a gateway's birth its pending commands are
// published and marked sent; expired ones are not.
func TestBirthSendsPending(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "site-a"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []domain.Command{
		{ID: "cmd-live", GW: "gw-a", Type: eldergate.CmdPing, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{ID: "cmd-old", GW: "gw-a", Type: eldergate.CmdPing, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
	} {
		if err := st.QueueCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	pub := &publisher{}
	fu, err := followup.New(followup.Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	fu.SetPublisher(pub)
	fu.OnBirth(ctx, "gw-a")
	if len(pub.cmds) != 1 || pub.cmds[0].ID != "cmd-live" {
		t.Fatalf("published %+v: want cmd-live only", pub.cmds)
	}
	list, err := st.ListCommands(ctx, "gw-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if (c.SentAt != nil) != (c.ID == "cmd-live") {
			t.Errorf("command %s sent at %v", c.ID, c.SentAt)
		}
	}
}

// TestBirthQueuesMenu, on SQLite: a gateway born after its site's menu
// was set gets one menu command carrying it (site and version set); its
// next birth re-sends that pending command and queues no other; once the
// menu changes, the next birth brings the new version; a gateway of a
// site without a menu gets none.
func TestBirthQueuesMenu(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for _, c := range []domain.GatewayCredential{{ID: "gw-a", Site: "site-a"}, {ID: "gw-b", Site: "site-b"}} {
		if err := st.UpsertGateway(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	rice := eldergate.Dish{ID: "rice", Name: map[string]string{"zh-CN": "米饭"}, PriceFen: 100}
	if _, _, err := st.SetMenu(ctx, "site-a", eldergate.Menu{Dishes: []eldergate.Dish{rice}}, "op", now); err != nil {
		t.Fatal(err)
	}
	pub := &publisher{}
	fu, err := followup.New(followup.Config{Store: st, Publisher: pub, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	menus := func() []eldergate.Menu {
		var out []eldergate.Menu
		for _, c := range pub.cmds {
			if c.Type == eldergate.CmdMenu {
				m, err := eldergate.DecodeMenu(c.Body)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, m)
			}
		}
		return out
	}
	fu.OnBirth(ctx, "gw-a")
	fu.OnBirth(ctx, "gw-b")
	if ms := menus(); len(ms) != 1 || ms[0].Site != "site-a" || ms[0].Version != "1" || ms[0].Dishes[0].ID != "rice" {
		t.Fatalf("first births published menus %+v", ms)
	}
	first := pub.cmds[0].ID
	fu.OnBirth(ctx, "gw-a")
	if ms := menus(); len(ms) != 2 || pub.cmds[1].ID != first {
		t.Fatalf("second birth: %+v, want the pending menu command %s again", pub.cmds, first)
	}
	if cmds, _ := st.ListCommands(ctx, "gw-a"); len(cmds) != 1 {
		t.Fatalf("second birth queued another command: %+v", cmds)
	}
	rice.PriceFen = 150
	if _, _, err := st.SetMenu(ctx, "site-a", eldergate.Menu{Dishes: []eldergate.Dish{rice}}, "op", now); err != nil {
		t.Fatal(err)
	}
	fu.OnBirth(ctx, "gw-a")
	if ms := menus(); len(ms) != 4 || ms[3].Version != "2" || ms[3].Dishes[0].PriceFen != 150 {
		t.Fatalf("birth after a change: %+v", ms)
	}
}

// TestBirthBringsTheSiteRoster (ADR 0025), on the real SQLite store: a
// gateway born running its local seed at a site whose roster is in the
// cloud gets the full roster once (a second birth re-sends the pending
// command, queues no other); the ok result records that it runs the
// cloud's roster with its elders; born again on a later boot having lost
// it (local again), it gets the full roster again. A gateway of a site
// without a cloud roster gets none and keeps its seed.
func TestBirthBringsTheSiteRoster(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for _, c := range []domain.GatewayCredential{{ID: "gw-a", Site: "site-a"}, {ID: "gw-b", Site: "site-b"}} {
		if err := st.UpsertGateway(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.ReplaceRoster(ctx, "site-a", elders("E1", "E2"), now); err != nil {
		t.Fatal(err)
	}
	pub := &publisher{}
	fu, err := followup.New(followup.Config{Store: st, Publisher: pub, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	born := func(gw string, boot uint64, rep eldergate.RosterReport) {
		t.Helper()
		if _, err := st.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: boot, RosterVersion: rep.Version, Roster: &rep}, now); err != nil {
			t.Fatal(err)
		}
		fu.OnBirth(ctx, gw)
	}
	rosters := func(gw string) []eldergate.RosterUpdate {
		var out []eldergate.RosterUpdate
		for _, c := range pub.cmds {
			if cmds, _ := st.ListCommands(ctx, gw); c.Type == eldergate.CmdRoster && len(cmds) > 0 {
				for _, q := range cmds {
					if q.ID == c.ID {
						u, err := eldergate.DecodeRosterUpdate(c.Body)
						if err != nil {
							t.Fatal(err)
						}
						out = append(out, u)
					}
				}
			}
		}
		return out
	}
	seed := eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: 9}
	born("gw-a", 1, seed)
	born("gw-b", 1, seed)
	us := rosters("gw-a")
	if len(us) != 1 || us[0].Mode != eldergate.RosterFull || us[0].Version != 1 || len(us[0].Elders) != 2 {
		t.Fatalf("roster commands at the first birth: %+v", us)
	}
	if us := rosters("gw-b"); len(us) != 0 {
		t.Fatalf("a site without a cloud roster got %+v", us)
	}
	first := pub.cmds[len(pub.cmds)-1].ID
	born("gw-a", 1, seed) // the same birth again (another ingester)
	if cmds, _ := st.ListCommands(ctx, "gw-a"); len(cmds) != 1 || cmds[0].ID != first {
		t.Fatalf("second birth queued %+v, want only %s", cmds, first)
	}
	fu.OnCommandResult(ctx, "gw-a", eldergate.CommandResult{ID: first, OK: true, Body: json.RawMessage(`{"version":1,"elders":2,"upserted":2}`)})
	g, err := st.GatewayRoster(ctx, "gw-a")
	if err != nil || g.Reported == nil || *g.Reported != (eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 1, Elders: 2}) || g.Confirmed != 1 {
		t.Fatalf("after the result: %+v %v", g, err)
	}
	born("gw-a", 2, seed) // its data was lost: the seed again
	if cmds, _ := st.ListCommands(ctx, "gw-a"); len(cmds) != 2 {
		t.Fatalf("birth after the loss queued %+v, want a second full roster", cmds)
	}
	if us := rosters("gw-a"); us[len(us)-1].Mode != eldergate.RosterFull || us[len(us)-1].Version != 1 {
		t.Fatalf("after the loss: %+v", us)
	}
}
