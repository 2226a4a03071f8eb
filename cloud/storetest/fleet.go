package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

func gatewayByID(t *testing.T, s domain.Store, id string) domain.Gateway {
	t.Helper()
	gws, err := s.ListGateways(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gws {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("gateway %s not listed in %+v", id, gws)
	return domain.Gateway{}
}

// testSameBootOrder: a birth and a will of the same boot applied out of
// order end in the state received last (the receive time decides).
func testSameBootOrder(t *testing.T, s domain.Store) {
	ctx := context.Background()
	apply := func(st eldergate.State, at time.Time, want bool) {
		t.Helper()
		applied, err := s.ApplyGatewayState(ctx, "gw-a", st, at)
		if err != nil || applied != want {
			t.Fatalf("apply %+v at %v = %v, %v; want %v", st, at, applied, err, want)
		}
	}
	apply(eldergate.State{Online: true, Boot: 3, Version: "1.0"}, base, true)
	// Session 1's will received at +10 s is processed after session 2's
	// birth received at +12 s (same boot, the gateway reconnected).
	apply(eldergate.State{Online: true, Boot: 3}, base.Add(12*time.Second), true)
	apply(eldergate.State{Online: false, Boot: 3}, base.Add(10*time.Second), false)
	if g := gatewayByID(t, s, "gw-a"); !g.Online || g.StateAt == nil || !g.StateAt.Equal(base.Add(12*time.Second)) {
		t.Fatalf("older will of the same boot applied: %+v", g)
	}
	// The other order: the will received at +20 s is processed before the
	// (stale) birth received at +15 s: the gateway stays offline.
	apply(eldergate.State{Online: false, Boot: 3}, base.Add(20*time.Second), true)
	apply(eldergate.State{Online: true, Boot: 3}, base.Add(15*time.Second), false)
	if g := gatewayByID(t, s, "gw-a"); g.Online || g.Version != "1.0" {
		t.Fatalf("older birth of the same boot applied: %+v", g)
	}
	// A newer boot always wins, even with an older receive time (clocks
	// of several ingesters differ).
	apply(eldergate.State{Online: true, Boot: 4, Version: "1.1"}, base.Add(19*time.Second), true)
	if g := gatewayByID(t, s, "gw-a"); !g.Online || g.Boot != 4 || g.Version != "1.1" {
		t.Fatalf("newer boot not applied: %+v", g)
	}
}

// testMarkSilentOffline: gateways last seen before the limit go offline;
// those seen since stay online; a later batch or birth brings them back.
func testMarkSilentOffline(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, id := range []string{"gw-a", "gw-b", "gw-c"} {
		if _, err := s.ApplyGatewayState(ctx, id, eldergate.State{Online: true, Boot: 1}, base); err != nil {
			t.Fatal(err)
		}
	}
	// gw-b sends a batch at +100 s, gw-c a birth of boot 2 at +120 s.
	if _, err := s.IngestBatch(ctx, "gw-b", []eldergate.Envelope{Meal(t, "gw-b", 1, "E1", base)}, base.Add(100*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyGatewayState(ctx, "gw-c", eldergate.State{Online: true, Boot: 2}, base.Add(120*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Nobody is silent at a limit of base itself (not before).
	ids, err := s.MarkSilentOffline(ctx, base, base)
	if err != nil || len(ids) != 0 {
		t.Fatalf("MarkSilentOffline(base) = %v, %v; want none", ids, err)
	}
	ids, err = s.MarkSilentOffline(ctx, base.Add(110*time.Second), base.Add(260*time.Second))
	if err != nil || !slices.Equal(ids, []string{"gw-a", "gw-b"}) {
		t.Fatalf("MarkSilentOffline(+110s) = %v, %v; want [gw-a gw-b]", ids, err)
	}
	if a, c := gatewayByID(t, s, "gw-a"), gatewayByID(t, s, "gw-c"); a.Online || !c.Online {
		t.Fatalf("after marking: gw-a %+v, gw-c %+v", a, c)
	}
	// Already offline: not reported again.
	if ids, err = s.MarkSilentOffline(ctx, base.Add(110*time.Second), base.Add(260*time.Second)); err != nil || len(ids) != 0 {
		t.Fatalf("second MarkSilentOffline = %v, %v", ids, err)
	}
	// gw-b's next batch brings it online; gw-a's next birth does.
	if _, err := s.IngestBatch(ctx, "gw-b", []eldergate.Envelope{Meal(t, "gw-b", 2, "E2", base)}, base.Add(200*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyGatewayState(ctx, "gw-a", eldergate.State{Online: true, Boot: 1}, base.Add(200*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"gw-a", "gw-b"} {
		if g := gatewayByID(t, s, id); !g.Online {
			t.Fatalf("%s not online again: %+v", id, g)
		}
	}
	// A will makes gw-b offline; a batch received before that will but
	// committed after it does not bring it back.
	if _, err := s.ApplyGatewayState(ctx, "gw-b", eldergate.State{Online: false, Boot: 1}, base.Add(300*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestBatch(ctx, "gw-b", []eldergate.Envelope{Meal(t, "gw-b", 3, "E3", base)}, base.Add(290*time.Second)); err != nil {
		t.Fatal(err)
	}
	if g := gatewayByID(t, s, "gw-b"); g.Online {
		t.Fatalf("batch received before the will brought gw-b online: %+v", g)
	}
}

// testStateGroup: ApplyGatewayStates applies a group in order, each state
// as ApplyGatewayState would (the ordering rule, the presence history,
// what a birth reports), and a will after its gateway's birth in the same
// group wins.
func testStateGroup(t *testing.T, s domain.Store) {
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return base.Add(d) }
	group := []domain.GatewayStateAt{
		{GW: "gw-g1", State: eldergate.State{Online: true, Boot: 1, Version: "2.0"}, At: at(0)},
		{GW: "gw-g2", State: eldergate.State{Online: true, Boot: 5}, At: at(time.Second)},
		{GW: "gw-g1", State: eldergate.State{Online: false, Boot: 1}, At: at(20 * time.Second)}, // its will
		{GW: "gw-g1", State: eldergate.State{Online: true, Boot: 1}, At: at(15 * time.Second)},  // stale birth: ignored
		{GW: "gw-g2", State: eldergate.State{Online: true, Boot: 4}, At: at(30 * time.Second)},  // older boot: ignored
		{GW: "gw-g3", State: eldergate.State{Online: true, Boot: 2}, At: at(40 * time.Second)},
	}
	applied, err := s.ApplyGatewayStates(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, false, false, true}; !slices.Equal(applied, want) {
		t.Fatalf("applied = %v, want %v", applied, want)
	}
	if g := gatewayByID(t, s, "gw-g1"); g.Online || g.Version != "2.0" {
		t.Fatalf("gw-g1 after its birth and will in one group: %+v", g)
	}
	if g := gatewayByID(t, s, "gw-g2"); !g.Online || g.Boot != 5 {
		t.Fatalf("gw-g2 took an older boot: %+v", g)
	}
	if g := gatewayByID(t, s, "gw-g3"); !g.Online {
		t.Fatalf("gw-g3 not online: %+v", g)
	}
	got, err := s.GatewayPresence(ctx, "gw-g1", base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := presenceString(got), "on@0s/birth off@20s/will"; g != w {
		t.Fatalf("presence of gw-g1 = %s, want %s", g, w)
	}
	if applied, err := s.ApplyGatewayStates(ctx, nil); err != nil || len(applied) != 0 {
		t.Fatalf("empty group = %v, %v", applied, err)
	}
}
