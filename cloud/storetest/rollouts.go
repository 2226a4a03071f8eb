package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testRollouts: a rollout and its gateways are stored and read back; the
// gateways of a target follow the org tree, with their platform; a
// second rollout over a gateway of a running one is refused with the
// gateway named; the state moves only from the states given; the list
// follows the scope; an open emergency alarm holds a site.
func testRollouts(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range []domain.OrgUnit{
		{ID: "d1", Level: domain.LevelDistrict, Name: "D"},
		{ID: "st1", ParentID: "d1", Level: domain.LevelStreet, Name: "S1"},
		{ID: "st2", ParentID: "d1", Level: domain.LevelStreet, Name: "S2"},
		{ID: "c1", ParentID: "st1", Level: domain.LevelCommunity, Name: "C1"},
		{ID: "c2", ParentID: "st2", Level: domain.LevelCommunity, Name: "C2"},
		{ID: "site-a", ParentID: "c1", Level: domain.LevelSite, Name: "A"},
		{ID: "site-b", ParentID: "c2", Level: domain.LevelSite, Name: "B"},
	} {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []struct{ id, site, platform string }{{"gw-1", "site-a", "linux/arm64"}, {"gw-2", "site-a", "linux/arm/v7"}, {"gw-3", "site-b", "linux/arm64"}} {
		if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: g.id, Site: g.site, SecretHash: "h"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyGatewayState(ctx, g.id, eldergate.State{Online: true, Boot: 1, Platform: g.platform}, base); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := s.TargetGateways(ctx, domain.TargetKindStreet, "st1")
	if err != nil || len(tg) != 2 || tg[0] != (domain.TargetGateway{ID: "gw-1", Site: "site-a", Platform: "linux/arm64", Online: true}) || tg[1].Platform != "linux/arm/v7" {
		t.Fatalf("street st1: %+v %v", tg, err)
	}
	if tg, err := s.TargetGateways(ctx, domain.TargetKindFleet, ""); err != nil || len(tg) != 3 {
		t.Fatalf("fleet: %+v %v", tg, err)
	}
	if _, err := s.TargetGateways(ctx, domain.TargetKindSite, "st1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a street as a site: %v", err)
	}
	r := domain.Rollout{ID: "ro-1", Release: "rel-1", Platform: "linux/arm64", TargetKind: domain.TargetKindStreet, TargetID: "st1",
		Waves: domain.DefaultWaves, FailureThresholdPct: 20, WaveTimeoutS: 3600, State: domain.RolloutRunning, Wave: 1,
		WaveStartedAt: base, CreatedBy: "op", CreatedAt: base, UpdatedAt: base}
	rows, n := domain.AssignWaves(r.ID, r.Platform, tg, r.Waves, base)
	if n != 1 {
		t.Fatalf("%d to send", n)
	}
	if err := s.CreateRollout(ctx, r, rows); err != nil {
		t.Fatal(err)
	}
	got, gws, err := s.Rollout(ctx, "ro-1")
	if err != nil || got.TargetID != "st1" || len(got.Waves) != 3 || !got.WaveStartedAt.Equal(base) || len(gws) != 2 ||
		gws[0].GW != "gw-1" || gws[0].Wave != 1 || gws[1].State != domain.RolloutGWSkipped {
		t.Fatalf("read back: %+v %+v %v", got, gws, err)
	}
	// gw-1 is busy; gw-2 was skipped there, so it is free.
	r2 := r
	r2.ID, r2.TargetKind, r2.TargetID = "ro-2", domain.TargetKindFleet, ""
	err = s.CreateRollout(ctx, r2, []domain.RolloutGateway{{Rollout: "ro-2", GW: "gw-1", Site: "site-a", Wave: 1, State: domain.RolloutGWWaiting, UpdatedAt: base}})
	if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "gw-1 (ro-1)") {
		t.Fatalf("overlap: %v", err)
	}
	if err := s.CreateRollout(ctx, r2, []domain.RolloutGateway{{Rollout: "ro-2", GW: "gw-2", Site: "site-a", Wave: 1, State: domain.RolloutGWWaiting, UpdatedAt: base}}); err != nil {
		t.Fatalf("a skipped gateway is free: %v", err)
	}
	until := base.Add(90 * time.Minute)
	g := gws[0]
	g.Wait, g.WaitUntil, g.UpdatedAt = domain.WaitMealWindow, &until, base.Add(time.Minute)
	if err := s.PutRolloutGateway(ctx, g); err != nil {
		t.Fatal(err)
	}
	if _, gws, _ := s.Rollout(ctx, "ro-1"); gws[0].WaitUntil == nil || !gws[0].WaitUntil.Equal(until) || gws[0].Wait != domain.WaitMealWindow {
		t.Fatalf("wait: %+v", gws[0])
	}
	halted := got
	halted.State, halted.Reason = domain.RolloutHalted, "wave 1: 1 of 1 gateways failed (100 % > 20 %)"
	if ok, err := s.SetRolloutState(ctx, "ro-1", []string{domain.RolloutRunning}, halted, base.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("halt: %v %v", ok, err)
	}
	if ok, err := s.SetRolloutState(ctx, "ro-1", []string{domain.RolloutRunning}, halted, base.Add(time.Hour)); ok || err != nil {
		t.Fatalf("halt twice: %v %v", ok, err)
	}
	if got, _, _ := s.Rollout(ctx, "ro-1"); got.State != domain.RolloutHalted || got.Reason != halted.Reason {
		t.Fatalf("halted: %+v", got)
	}
	if ids, err := s.RunningRollouts(ctx); err != nil || len(ids) != 1 || ids[0] != "ro-2" {
		t.Fatalf("running: %v %v", ids, err)
	}
	for scope, want := range map[string]int{"": 2, "st1": 1, "c1": 0, "st2": 0} {
		if l, err := s.ListRollouts(ctx, scope); err != nil || len(l) != want {
			t.Errorf("list in %q: %d rollouts, want %d (%v)", scope, len(l), want, err)
		}
	}
	if open, err := s.SiteAlarmOpen(ctx, "site-a"); err != nil || open {
		t.Fatalf("no alarm yet: %v %v", open, err)
	}
	if _, err := s.IngestBatch(ctx, "gw-1", []eldergate.Envelope{Alert(t, "gw-1", 1, "a1", eldergate.AlertRaised, "btn-1", base)}, base); err != nil {
		t.Fatal(err)
	}
	// (the store files the event under the site it names, "site-gw-1";
	// the ingester puts the gateway's registered site there)
	if open, err := s.SiteAlarmOpen(ctx, "site-gw-1"); err != nil || !open {
		t.Fatalf("an open alarm: %v %v", open, err)
	}
}
