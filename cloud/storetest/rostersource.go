package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testRosterSource (issue 13, ADR 0025): a replacement conditioned on the
// version a preview was made on is refused with ErrConflict once the
// version moved, changing nothing; which roster a gateway runs is kept
// from its births (a later boot wins, a lower one is ignored) and roster
// results (a lower version is ignored), and listed for every gateway.
func testRosterSource(t *testing.T, s domain.Store) {
	t.Helper()
	ctx := context.Background()
	const site = "site-rs"
	three := []eldergate.RosterElder{rElder("E1", "张三", "C1"), rElder("E2", "李四", "C2"), rElder("E3", "王五", "C3")}
	ch, err := s.ReplaceRosterFrom(ctx, site, 0, three, base)
	if err != nil || ch.Version != 1 || ch.Upserted != 3 {
		t.Fatalf("first import from 0: %+v %v", ch, err)
	}
	// A preview made on version 0 cannot confirm a change of version 1.
	if ch, err := s.ReplaceRosterFrom(ctx, site, 0, three[:1], base.Add(time.Minute)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale base: %+v %v, want ErrConflict", ch, err)
	}
	if v, els, err := s.Roster(ctx, site); err != nil || v != 1 || len(els) != 3 {
		t.Fatalf("roster after the refused change: %d %d %v", v, len(els), err)
	}
	ch, err = s.ReplaceRosterFrom(ctx, site, 1, three[:1], base.Add(time.Minute))
	if err != nil || ch.Version != 2 || ch.Removed != 2 || ch.Elders != 1 {
		t.Fatalf("import from 1: %+v %v", ch, err)
	}

	const gw = "gw-rs"
	if g, err := s.GatewayRoster(ctx, gw); err != nil || g.Reported != nil {
		t.Fatalf("unreported gateway: %+v %v", g, err)
	}
	local := eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: 9}
	if err := s.ReportGatewayRoster(ctx, gw, local, 2, base); err != nil {
		t.Fatal(err)
	}
	cloud3 := eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 3, Elders: 3}
	if err := s.ReportGatewayRoster(ctx, gw, cloud3, 0, base.Add(time.Second)); err != nil { // a result
		t.Fatal(err)
	}
	if err := s.ReportGatewayRoster(ctx, gw, eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 2, Elders: 5}, 0, base.Add(2*time.Second)); err != nil {
		t.Fatal(err) // an older result arriving late: ignored
	}
	if err := s.ReportGatewayRoster(ctx, gw, local, 1, base.Add(3*time.Second)); err != nil {
		t.Fatal(err) // a birth of an earlier boot: ignored
	}
	g, err := s.GatewayRoster(ctx, gw)
	if err != nil || g.Reported == nil || *g.Reported != cloud3 || g.ReportedAt == nil || !g.ReportedAt.Equal(base.Add(time.Second)) {
		t.Fatalf("reported after result and late reports: %+v %v", g, err)
	}
	// A birth of a later boot says what the gateway runs now, even a lower
	// version (its data was lost): it wins.
	if err := s.ReportGatewayRoster(ctx, gw, local, 3, base.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteRosterCommand(ctx, "cmd-rs", gw, 2, base); err != nil {
		t.Fatal(err)
	}
	all, err := s.GatewayRosters(ctx)
	if err != nil || all[gw].Reported == nil || *all[gw].Reported != local || all[gw].Queued != 2 {
		t.Fatalf("gateway rosters: %+v %v", all, err)
	}
	// A birth stored as the gateway's state records its roster too.
	if _, err := s.ApplyGatewayState(ctx, "gw-rs2", eldergate.State{Online: true, Boot: 1, RosterVersion: 2, Roster: &cloud3}, base); err != nil {
		t.Fatal(err)
	}
	if g, err := s.GatewayRoster(ctx, "gw-rs2"); err != nil || g.Reported == nil || *g.Reported != cloud3 {
		t.Fatalf("roster from a birth: %+v %v", g, err)
	}
}
