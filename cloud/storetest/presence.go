package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// presenceString writes changes as "on@0s/birth off@20s/will ...", in
// seconds after base.
func presenceString(ps []domain.PresenceChange) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		st := "off"
		if p.Online {
			st = "on"
		}
		s += fmt.Sprintf("%s@%v/%s", st, p.At.Sub(base), p.Cause)
	}
	return s
}

// testPresence: births, wills, the silence monitor and a batch after an
// offline mark record the transitions, nothing else does (a batch of an
// online gateway, a stale state); a range is preceded by the state at its
// start; the history is bounded.
func testPresence(t *testing.T, s domain.Store) {
	ctx := context.Background()
	state := func(online bool, boot uint64, at time.Duration) {
		t.Helper()
		if _, err := s.ApplyGatewayState(ctx, "gw-p", eldergate.State{Online: online, Boot: boot}, base.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	batch := func(seq uint64, at time.Duration) {
		t.Helper()
		if _, err := s.IngestBatch(ctx, "gw-p", []eldergate.Envelope{Meal(t, "gw-p", seq, "E1", base.Add(at))}, base.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	state(true, 1, 0)
	batch(1, 10*time.Second)        // online already: no change
	state(false, 1, 20*time.Second) // the will
	state(true, 1, 15*time.Second)  // a stale birth of the same boot: ignored
	state(true, 2, 30*time.Second)  // the next boot
	state(true, 2, 40*time.Second)  // a second birth: no change
	if ids, err := s.MarkSilentOffline(ctx, base.Add(200*time.Second), base.Add(300*time.Second)); err != nil || len(ids) != 1 {
		t.Fatalf("MarkSilentOffline = %v, %v", ids, err)
	}
	batch(2, 310*time.Second) // back online by a batch after the offline mark

	got, err := s.GatewayPresence(ctx, "gw-p", base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := "on@0s/birth off@20s/will on@30s/birth off@5m0s/silent on@5m10s/batch"
	if g := presenceString(got); g != want {
		t.Fatalf("presence = %s\nwant       %s", g, want)
	}
	// A range starts with the state at its start.
	got, err = s.GatewayPresence(ctx, "gw-p", base.Add(25*time.Second), base.Add(305*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := presenceString(got), "off@20s/will on@30s/birth off@5m0s/silent"; g != w {
		t.Fatalf("presence in [25s, 305s) = %s, want %s", g, w)
	}
	if got, err := s.GatewayPresence(ctx, "gw-none", base, base.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("presence of an unknown gateway = %v, %v", got, err)
	}

	// Bounded: PresenceKeep+4 changes keep the newest PresenceKeep.
	for i := range domain.PresenceKeep + 4 {
		if _, err := s.ApplyGatewayState(ctx, "gw-q", eldergate.State{Online: i%2 == 0, Boot: 1}, base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.GatewayPresence(ctx, "gw-q", base, base.Add(4*time.Second))
	if err != nil || len(got) != 0 {
		t.Fatalf("the 4 oldest changes kept: %s, %v", presenceString(got), err)
	}
	got, err = s.GatewayPresence(ctx, "gw-q", base.Add(4*time.Second), base.Add(6*time.Second))
	if g, w := presenceString(got), "on@4s/birth off@5s/will"; err != nil || g != w {
		t.Fatalf("presence in [4s, 6s) = %s, %v; want %s", g, err, w)
	}
}

// testBatchPresence: one IngestBatches call of several gateways records a
// batch change for each gateway it brings online and for no other (an
// online one, one whose last state is after the batch, one seen for the
// first time), and bounds the history of each gateway it changed alone.
func testBatchPresence(t *testing.T, s domain.Store) {
	ctx := context.Background()
	state := func(gw string, online bool, at time.Duration) {
		t.Helper()
		if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: online, Boot: 1}, base.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	// gw-ba, gw-bb: offline before the batch; gw-bc: online; gw-bd: its
	// will is after the batch; gw-be: unknown before the batch. gw-bb has
	// a full history, gw-bf (not in the batch) too.
	state("gw-ba", true, 0)
	state("gw-ba", false, 10*time.Second)
	for i := range domain.PresenceKeep {
		state("gw-bb", i%2 == 0, time.Duration(i)*time.Second)
		state("gw-bf", i%2 == 0, time.Duration(i)*time.Second)
	}
	state("gw-bc", true, 0)
	state("gw-bd", true, 0)
	state("gw-bd", false, 2*time.Hour)
	at := base.Add(time.Hour)
	var batches []domain.GatewayBatch
	for i, gw := range []string{"gw-bc", "gw-ba", "gw-be", "gw-bd", "gw-bb", "gw-ba"} {
		batches = append(batches, domain.GatewayBatch{GW: gw, Events: []eldergate.Envelope{Meal(t, gw, uint64(i+1), "E1", at)}})
	}
	if _, err := s.IngestBatches(ctx, batches, at); err != nil {
		t.Fatal(err)
	}
	for gw, want := range map[string]string{
		"gw-ba": "on@0s/birth off@10s/will on@1h0m0s/batch",
		"gw-bc": "on@0s/birth",
		"gw-bd": "on@0s/birth off@2h0m0s/will",
		"gw-be": "",
	} {
		got, err := s.GatewayPresence(ctx, gw, base, base.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if g := presenceString(got); g != want {
			t.Errorf("presence of %s = %s, want %s", gw, g, want)
		}
	}
	// gw-bb: its oldest change dropped for the batch's; gw-bf untouched.
	for gw, want := range map[string]string{
		"gw-bb": "off@1s/will | off@16m39s/will on@1h0m0s/batch",
		"gw-bf": "on@0s/birth off@1s/will | off@16m39s/will",
	} {
		first, err := s.GatewayPresence(ctx, gw, base, base.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.GatewayPresence(ctx, gw, base.Add(time.Hour), base.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if g := presenceString(first) + " | " + presenceString(last); g != want {
			t.Errorf("presence of %s = %s, want %s", gw, g, want)
		}
	}
}

// testGatewayPage: one gateway as the list shows it, its latest heartbeat,
// the desired version a reported checksum names, re-enrollment and bulk
// creation (all or nothing).
func testGatewayPage(t *testing.T, s domain.Store) {
	ctx := context.Background()
	if _, err := s.Gateway(ctx, "gw-h"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown gateway: err = %v, want ErrNotFound", err)
	}
	if h, err := s.LastHeartbeat(ctx, "gw-h"); err != nil || h != nil {
		t.Fatalf("heartbeat before any = %+v, %v", h, err)
	}
	hb := func(seq uint64, depth int, at time.Time) eldergate.Envelope {
		return envelope(t, "gw-h", seq, eldergate.KindHeartbeat, at, map[string]any{"version": "1.2", "outbox_depth": depth, "clock": "synced"})
	}
	if _, err := s.IngestBatch(ctx, "gw-h", []eldergate.Envelope{hb(1, 7, base), hb(2, 3, base.Add(time.Minute)), Meal(t, "gw-h", 3, "E1", base.Add(2*time.Minute))},
		base.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	h, err := s.LastHeartbeat(ctx, "gw-h")
	if err != nil || h == nil || !h.At.Equal(base.Add(time.Minute)) || h.Clock != eldergate.ClockSynced {
		t.Fatalf("last heartbeat = %+v, %v", h, err)
	}
	var d struct {
		Depth int `json:"outbox_depth"`
	}
	if err := json.Unmarshal(h.Data, &d); err != nil || d.Depth != 3 {
		t.Fatalf("heartbeat data %s: %v", h.Data, err)
	}
	g, err := s.Gateway(ctx, "gw-h")
	if err != nil || g.ID != "gw-h" || g.SeqMax != 3 || g.LastSeen == nil {
		t.Fatalf("gateway = %+v, %v", g, err)
	}

	// The desired version whose checksum the gateway reports.
	for _, body := range []string{"a: 1\n", "a: 2\n"} {
		c, err := domain.NewCommand("gw-h", eldergate.CmdConfig, nil, base, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetDesiredConfig(ctx, domain.DesiredConfig{GW: "gw-h", SHA256: "sha-" + body[3:4], Body: body, SetBy: "t", SetAt: base}, c); err != nil {
			t.Fatal(err)
		}
	}
	if dc, err := s.DesiredConfigBySHA(ctx, "gw-h", "sha-1"); err != nil || dc.Version != 1 || dc.Body != "a: 1\n" {
		t.Fatalf("desired by sha-1 = %+v, %v", dc, err)
	}
	if _, err := s.DesiredConfigBySHA(ctx, "gw-h", "sha-9"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("desired by an unknown sha: %v", err)
	}

	// Re-enrollment: the old secret goes, a revoked gateway may enroll
	// again, the old unused token is dead.
	exp := base.Add(time.Hour)
	if err := s.CreateEnrollment(ctx, domain.GatewayCredential{ID: "gw-r", Site: "site-r"}, domain.HashToken("r-1"), base, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("r-1"), "hash-1", base); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGateway(ctx, "gw-r", base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReenrollGateway(ctx, "gw-x", domain.HashToken("x"), base, exp); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("re-enroll an unknown gateway: %v", err)
	}
	if err := s.ReenrollGateway(ctx, "gw-r", domain.HashToken("r-2"), base.Add(2*time.Minute), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.ReenrollGateway(ctx, "gw-r", domain.HashToken("r-3"), base.Add(3*time.Minute), exp); err != nil {
		t.Fatal(err)
	}
	if c, err := s.GatewayCredential(ctx, "gw-r"); err != nil || c.SecretHash != "" || c.RevokedAt != nil {
		t.Fatalf("after re-enrollment: %+v, %v", c, err)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("r-2"), "hash-2", base.Add(4*time.Minute)); !errors.Is(err, domain.ErrTokenExpired) {
		t.Fatalf("the token a later re-enrollment replaced: %v, want ErrTokenExpired", err)
	}
	if c, err := s.ConsumeEnrollment(ctx, domain.HashToken("r-3"), "hash-3", base.Add(4*time.Minute)); err != nil || c.ID != "gw-r" {
		t.Fatalf("enroll with the new token: %+v, %v", c, err)
	}

	// Bulk creation: all or nothing.
	gs := []domain.NewGateway{{ID: "gw-b1", Site: "site-b", Name: "北门", TokenHash: domain.HashToken("b1")},
		{ID: "gw-r", Site: "site-b", TokenHash: domain.HashToken("b2")}}
	if err := s.CreateEnrollments(ctx, gs, base, exp); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("bulk with an existing id: %v, want ErrConflict", err)
	}
	if _, err := s.Gateway(ctx, "gw-b1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a refused bulk left gw-b1: %v", err)
	}
	gs[1].ID = "gw-b2"
	if err := s.CreateEnrollments(ctx, gs, base, exp); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Gateway(ctx, "gw-b1"); err != nil || g.Name != "北门" || g.Site != "site-b" {
		t.Fatalf("bulk-created gw-b1 = %+v, %v", g, err)
	}
	if c, err := s.ConsumeEnrollment(ctx, domain.HashToken("b2"), "h", base); err != nil || c.ID != "gw-b2" {
		t.Fatalf("enroll gw-b2: %+v, %v", c, err)
	}
}
