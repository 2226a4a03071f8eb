package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

func rElder(id, name string, creds ...string) eldergate.RosterElder {
	e := eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: name, Active: true}}
	for _, c := range creds {
		e.Credentials = append(e.Credentials, eldergate.Credential{Kind: eldergate.CredCard, Value: c, State: eldergate.CredActive})
	}
	return e
}

// testRoster: versions grow by one per change, a delta from any earlier
// version holds exactly the elders changed and removed since, credential
// states survive a re-import, gateway confirmations, policies.
func testRoster(t *testing.T, s domain.Store) {
	t.Helper()
	ctx := context.Background()
	const site = "site-r"
	if v, els, err := s.Roster(ctx, site); err != nil || v != 0 || len(els) != 0 {
		t.Fatalf("empty roster: %d %v %v", v, els, err)
	}
	ch, err := s.ReplaceRoster(ctx, site, []eldergate.RosterElder{rElder("E1", "张三", "C1"), rElder("E2", "李四", "C2"), rElder("E3", "王五", "C3")}, base)
	if err != nil || ch.Version != 1 || ch.Previous != 0 || !ch.Changed || ch.Upserted != 3 || ch.Removed != 0 {
		t.Fatalf("first import: %+v %v", ch, err)
	}
	// The same file again changes nothing.
	if ch, err := s.ReplaceRoster(ctx, site, []eldergate.RosterElder{rElder("E1", "张三", "C1"), rElder("E2", "李四", "C2"), rElder("E3", "王五", "C3")}, base); err != nil || ch.Changed || ch.Version != 1 {
		t.Fatalf("same import: %+v %v", ch, err)
	}
	// v2: E2 renamed, E3 removed, E4 added.
	ch, err = s.ReplaceRoster(ctx, site, []eldergate.RosterElder{rElder("E1", "张三", "C1"), rElder("E2", "李四四", "C2"), rElder("E4", "赵六", "C4")}, base.Add(time.Minute))
	if err != nil || ch.Version != 2 || ch.Previous != 1 || ch.Upserted != 2 || ch.Removed != 1 || ch.Elders != 3 {
		t.Fatalf("second import: %+v %v", ch, err)
	}
	// v3: C1 lost.
	ch, err = s.SetCredentialState(ctx, site, "E1", eldergate.Credential{Kind: "card", Value: "C1", State: eldergate.CredLost}, base.Add(2*time.Minute))
	if err != nil || ch.Version != 3 || ch.Previous != 2 || !ch.Changed {
		t.Fatalf("lost: %+v %v", ch, err)
	}
	if ch, err := s.SetCredentialState(ctx, site, "E1", eldergate.Credential{Kind: "card", Value: "C1", State: eldergate.CredLost}, base); err != nil || ch.Changed || ch.Version != 3 {
		t.Fatalf("lost twice: %+v %v", ch, err)
	}
	for _, bad := range []struct{ elder, value string }{{"E3", "C3"}, {"E9", "C1"}, {"E1", "C2"}} {
		if _, err := s.SetCredentialState(ctx, site, bad.elder, eldergate.Credential{Kind: "card", Value: bad.value, State: "lost"}, base); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("state of %s/%s: %v, want ErrNotFound", bad.elder, bad.value, err)
		}
	}
	v, els, err := s.Roster(ctx, site)
	if err != nil || v != 3 || len(els) != 3 || els[0].ID != "E1" || els[0].Credentials[0].State != "lost" || els[1].Name != "李四四" || els[2].ID != "E4" {
		t.Fatalf("roster v3: %d %+v %v", v, els, err)
	}
	// Deltas from each earlier version.
	d, err := s.RosterDelta(ctx, site, 1)
	if err != nil || d.Mode != "delta" || d.Base != 1 || d.Version != 3 || len(d.Elders) != 3 || len(d.Remove) != 1 || d.Remove[0] != "E3" {
		t.Fatalf("delta 1->3: %+v %v", d, err)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("delta 1->3 invalid: %v", err)
	}
	d, err = s.RosterDelta(ctx, site, 2)
	if err != nil || len(d.Elders) != 1 || d.Elders[0].ID != "E1" || d.Elders[0].Credentials[0].State != "lost" || len(d.Remove) != 0 {
		t.Fatalf("delta 2->3: %+v %v", d, err)
	}
	if d, err := s.RosterDelta(ctx, site, 3); err != nil || len(d.Elders)+len(d.Remove) != 0 {
		t.Fatalf("delta 3->3: %+v %v", d, err)
	}
	for _, b := range []uint64{0, 4} {
		if _, err := s.RosterDelta(ctx, site, b); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("delta from %d: %v, want ErrNotFound", b, err)
		}
	}
	// A re-import that still lists the lost card keeps it lost; E3 comes back.
	ch, err = s.ReplaceRoster(ctx, site, []eldergate.RosterElder{rElder("E1", "张三", "C1"), rElder("E2", "李四四", "C2"), rElder("E3", "王五", "C3"), rElder("E4", "赵六", "C4")}, base)
	if err != nil || ch.Version != 4 || ch.Upserted != 1 || ch.Removed != 0 {
		t.Fatalf("re-import: %+v %v", ch, err)
	}
	_, els, _ = s.Roster(ctx, site)
	if els[0].Credentials[0].State != "lost" || len(els) != 4 {
		t.Fatalf("lost card after re-import: %+v", els)
	}
	if d, _ := s.RosterDelta(ctx, site, 3); len(d.Elders) != 1 || d.Elders[0].ID != "E3" || len(d.Remove) != 0 {
		t.Fatalf("delta 3->4: %+v", d)
	}
	// Another site is separate.
	if v, els, _ := s.Roster(ctx, "site-other"); v != 0 || len(els) != 0 {
		t.Fatalf("other site: %d %d", v, len(els))
	}

	// Gateways of a site and their roster state.
	for _, g := range []domain.GatewayCredential{{ID: "gw-r1", Site: site}, {ID: "gw-r2", Site: site}, {ID: "gw-x", Site: "site-other"}, {ID: "gw-r3", Site: site}} {
		if err := s.UpsertGateway(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeGateway(ctx, "gw-r3", base); err != nil {
		t.Fatal(err)
	}
	if gws, err := s.SiteGateways(ctx, site); err != nil || len(gws) != 2 || gws[0] != "gw-r1" || gws[1] != "gw-r2" {
		t.Fatalf("site gateways: %v %v", gws, err)
	}
	if g, err := s.GatewayRoster(ctx, "gw-r1"); err != nil || g.Queued != 0 || g.Confirmed != 0 || g.At != nil {
		t.Fatalf("fresh gateway roster: %+v %v", g, err)
	}
	if err := s.NoteRosterCommand(ctx, "cmd-r1", "gw-r1", 4, base); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.RosterCommand(ctx, "cmd-r1"); err != nil || !ok || v != 4 {
		t.Fatalf("roster command: %d %v %v", v, ok, err)
	}
	if first, err := s.ClaimRosterResult(ctx, "cmd-r1"); err != nil || !first {
		t.Fatalf("first claim: %v %v", first, err)
	}
	if again, err := s.ClaimRosterResult(ctx, "cmd-r1"); err != nil || again {
		t.Fatalf("second claim: %v %v", again, err)
	}
	if _, ok, err := s.RosterCommand(ctx, "cmd-none"); err != nil || ok {
		t.Fatalf("unknown roster command: %v %v", ok, err)
	}
	if err := s.ConfirmGatewayRoster(ctx, "gw-r1", 4, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmGatewayRoster(ctx, "gw-r1", 2, base.Add(2*time.Second)); err != nil { // older: ignored
		t.Fatal(err)
	}
	g, err := s.GatewayRoster(ctx, "gw-r1")
	if err != nil || g.Queued != 4 || g.Confirmed != 4 || g.At == nil || !g.At.Equal(base.Add(time.Second)) {
		t.Fatalf("gateway roster: %+v %v", g, err)
	}
	if err := s.ResetGatewayRoster(ctx, "gw-r1", 1); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GatewayRoster(ctx, "gw-r1"); g.Queued != 0 || g.Confirmed != 1 {
		t.Fatalf("after reset: %+v", g)
	}

	// Policies.
	p := domain.StoredPolicy{Version: "p-1", Name: "flat", Body: "version: p-1\n", SHA256: "aa", CreatedAt: base, CreatedBy: "op"}
	if created, err := s.CreatePolicy(ctx, p); err != nil || !created {
		t.Fatalf("create policy: %v %v", created, err)
	}
	if created, err := s.CreatePolicy(ctx, p); err != nil || created {
		t.Fatalf("same policy again: %v %v", created, err)
	}
	p2 := p
	p2.Body, p2.SHA256 = "version: p-1\nname: other\n", "bb"
	if _, err := s.CreatePolicy(ctx, p2); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same version, other body: %v, want ErrConflict", err)
	}
	p3 := domain.StoredPolicy{Version: "p-2", Body: "version: p-2\n", SHA256: "cc", CreatedAt: base.Add(time.Hour), CreatedBy: "op"}
	if _, err := s.CreatePolicy(ctx, p3); err != nil {
		t.Fatal(err)
	}
	got, err := s.Policy(ctx, "p-1")
	if err != nil || got.Body != p.Body || got.SHA256 != "aa" || got.Name != "flat" || !got.CreatedAt.Equal(base) || got.CreatedBy != "op" {
		t.Fatalf("policy: %+v %v", got, err)
	}
	if _, err := s.Policy(ctx, "p-9"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown policy: %v", err)
	}
	list, err := s.ListPolicies(ctx)
	if err != nil || len(list) != 2 || list[0].Version != "p-2" || list[1].Version != "p-1" || list[0].Body != "" {
		t.Fatalf("list policies: %+v %v", list, err)
	}
	if v, err := s.SitePolicy(ctx, site); err != nil || v != "" {
		t.Fatalf("no site policy: %q %v", v, err)
	}
	if err := s.AssignPolicy(ctx, site, "p-9", base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("assign unknown policy: %v", err)
	}
	for _, v := range []string{"p-1", "p-2"} {
		if err := s.AssignPolicy(ctx, site, v, base); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.SitePolicy(ctx, site); err != nil || v != "p-2" {
		t.Fatalf("site policy: %q %v", v, err)
	}
}
