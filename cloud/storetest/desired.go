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

// testDesired: desired versions increase per gateway and queue their
// command; a birth stores what the gateway reports (ordering as for the
// state; a will keeps it); the status is derived from both: unknown,
// pending, in_sync after the birth or an ok result, failed with the
// gateway's error, pending again for a new version.
func testDesired(t *testing.T, s domain.Store) {
	ctx := context.Background()
	gw, other := "gw-des-"+NewID(t)[:8], "gw-des-other"
	shaA, shaB := strings.Repeat("a", 64), strings.Repeat("b", 64)
	set := func(gw, sha, body string, at time.Time) domain.DesiredConfig {
		t.Helper()
		cmd := domain.Command{ID: "cfg-" + NewID(t), GW: gw, Type: eldergate.CmdConfig, Body: []byte(`"` + body + `"`), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		d, err := s.SetDesiredConfig(ctx, domain.DesiredConfig{GW: gw, SHA256: sha, Body: body, SetBy: "运维 ops", SetAt: at}, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if d.CommandID != cmd.ID {
			t.Fatalf("desired command id %q, want %q", d.CommandID, cmd.ID)
		}
		return d
	}
	status := func(gw string) string {
		t.Helper()
		m, err := s.ConfigStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := m[gw]
		if !ok {
			st = domain.ConfigUnknown
		}
		// The store's status agrees with the derivation from the rows.
		var dp *domain.DesiredConfig
		if d, err := s.DesiredConfig(ctx, gw); err == nil {
			dp = &d
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
		var rp *domain.ReportedConfig
		if r, err := s.ReportedConfig(ctx, gw); err == nil {
			rp = &r
		} else if !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
		if want := domain.ConfigStatus(dp, rp); st != want {
			t.Fatalf("ConfigStatuses[%s] = %s, derivation from DesiredConfig/ReportedConfig = %s", gw, st, want)
		}
		return st
	}

	if _, err := s.DesiredConfig(ctx, gw); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("desired before any: %v, want ErrNotFound", err)
	}
	if _, err := s.ReportedConfig(ctx, gw); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("reported before any birth: %v, want ErrNotFound", err)
	}
	if st := status(gw); st != domain.ConfigUnknown {
		t.Fatalf("status without desired = %s", st)
	}

	// A birth without a cloud config, then version 1.
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 2, PolicyVersion: "p1", RosterVersion: 3}, base); err != nil {
		t.Fatal(err)
	}
	r, err := s.ReportedConfig(ctx, gw)
	if err != nil || r.Boot != 2 || r.ConfigSHA256 != "" || r.PolicyVersion != "p1" || r.RosterVersion != 3 || !r.At.Equal(base) || r.Source != domain.ReportedByBirth {
		t.Fatalf("reported after birth = %+v, %v", r, err)
	}
	d1 := set(gw, shaA, "tap_dedupe: 5s\n", base.Add(time.Second))
	if d1.Version != 1 {
		t.Fatalf("first version = %d", d1.Version)
	}
	if st := status(gw); st != domain.ConfigPending {
		t.Fatalf("status after set = %s, want pending", st)
	}
	// Its command is queued with it.
	if p, err := s.PendingCommands(ctx, gw, base.Add(2*time.Second)); err != nil || len(p) != 1 || p[0].ID != d1.CommandID || p[0].Type != eldergate.CmdConfig {
		t.Fatalf("pending commands = %+v, %v", p, err)
	}
	got, err := s.DesiredConfig(ctx, gw)
	if err != nil || got.Version != 1 || got.SHA256 != shaA || got.Body != "tap_dedupe: 5s\n" || got.SetBy != "运维 ops" || !got.SetAt.Equal(base.Add(time.Second)) || got.ResultOK != nil {
		t.Fatalf("desired = %+v, %v", got, err)
	}

	// The birth reporting the desired checksum: in sync.
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 2, ConfigSHA256: shaA, PolicyVersion: "p2", RosterVersion: 3}, base.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if st := status(gw); st != domain.ConfigInSync {
		t.Fatalf("status after birth with the desired sha = %s", st)
	}
	// A will keeps what was reported; an older birth of the same boot and
	// a birth of an earlier boot are ignored.
	for _, b := range []struct {
		st eldergate.State
		at time.Time
	}{
		{eldergate.State{Online: false, Boot: 2}, base.Add(3 * time.Second)},
		{eldergate.State{Online: true, Boot: 2, ConfigSHA256: shaB}, base.Add(time.Second)},
		{eldergate.State{Online: true, Boot: 1, ConfigSHA256: shaB}, base.Add(4 * time.Second)},
	} {
		if _, err := s.ApplyGatewayState(ctx, gw, b.st, b.at); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := s.ReportedConfig(ctx, gw); err != nil || r.ConfigSHA256 != shaA || r.PolicyVersion != "p2" || r.Boot != 2 {
		t.Fatalf("reported after a will and stale births = %+v, %v", r, err)
	}

	// Version 2 fails on the gateway: failed with the error; the
	// reported checksum stays.
	d2 := set(gw, shaB, "devices: {card: {driver: rfid-9000}}\n", base.Add(5*time.Second))
	if d2.Version != 2 {
		t.Fatalf("second version = %d", d2.Version)
	}
	if st := status(gw); st != domain.ConfigPending {
		t.Fatalf("status of v2 = %s, want pending", st)
	}
	if ok, err := s.RecordDesiredResult(ctx, gw, "cfg-unknown", true, "", base.Add(6*time.Second)); err != nil || ok {
		t.Fatalf("result of an unknown command: matched %v, %v", ok, err)
	}
	if ok, err := s.RecordDesiredResult(ctx, other, d2.CommandID, true, "", base.Add(6*time.Second)); err != nil || ok {
		t.Fatalf("result of another gateway: matched %v, %v", ok, err)
	}
	const gwErr = `gateway: config: devices.card.driver: unknown driver "rfid-9000"`
	if ok, err := s.RecordDesiredResult(ctx, gw, d2.CommandID, false, gwErr, base.Add(6*time.Second)); err != nil || !ok {
		t.Fatalf("failed result: matched %v, %v", ok, err)
	}
	if ok, err := s.RecordDesiredResult(ctx, gw, d2.CommandID, true, "", base.Add(7*time.Second)); err != nil || !ok {
		t.Fatalf("repeated result: matched %v, %v", ok, err)
	}
	got, err = s.DesiredConfig(ctx, gw)
	if err != nil || got.Version != 2 || got.ResultOK == nil || *got.ResultOK || got.ResultError != gwErr || got.ResultAt == nil || !got.ResultAt.Equal(base.Add(6*time.Second)) {
		t.Fatalf("desired after failure = %+v, %v", got, err)
	}
	if st := status(gw); st != domain.ConfigFailed {
		t.Fatalf("status after failure = %s, want failed", st)
	}
	if r, _ := s.ReportedConfig(ctx, gw); r.ConfigSHA256 != shaA {
		t.Fatalf("reported after a failed config = %+v", r)
	}

	// Version 3 confirmed by its ok result before any birth; the late
	// result of version 1 does not touch the reported checksum.
	shaC := strings.Repeat("c", 64)
	d3 := set(gw, shaC, "tap_dedupe: 9s\n", base.Add(8*time.Second))
	if d3.Version != 3 {
		t.Fatalf("third version = %d", d3.Version)
	}
	if ok, err := s.RecordDesiredResult(ctx, gw, d3.CommandID, true, "", base.Add(9*time.Second)); err != nil || !ok {
		t.Fatalf("ok result: %v, %v", ok, err)
	}
	if st := status(gw); st != domain.ConfigInSync {
		t.Fatalf("status after the ok result = %s, want in_sync", st)
	}
	if ok, err := s.RecordDesiredResult(ctx, gw, d1.CommandID, true, "", base.Add(10*time.Second)); err != nil || !ok {
		t.Fatalf("late result of v1: %v, %v", ok, err)
	}
	r, err = s.ReportedConfig(ctx, gw)
	if err != nil || r.ConfigSHA256 != shaC || r.Source != domain.ReportedByResult || r.Boot != 2 || r.PolicyVersion != "p2" {
		t.Fatalf("reported after results = %+v, %v", r, err)
	}
	// The next boot's birth reports it too.
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 3, ConfigSHA256: shaC, PolicyVersion: "p2", RosterVersion: 4}, base.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.ReportedConfig(ctx, gw); r.Boot != 3 || r.ConfigSHA256 != shaC || r.RosterVersion != 4 || r.Source != domain.ReportedByBirth {
		t.Fatalf("reported after the next boot = %+v", r)
	}
	if st := status(gw); st != domain.ConfigInSync {
		t.Fatalf("status after restart = %s", st)
	}

	// Versions are per gateway; a result confirmed before any birth.
	o1 := set(other, shaA, "tap_dedupe: 5s\n", base)
	if o1.Version != 1 {
		t.Fatalf("other gateway's first version = %d", o1.Version)
	}
	if ok, err := s.RecordDesiredResult(ctx, other, o1.CommandID, true, "", base.Add(time.Second)); err != nil || !ok {
		t.Fatalf("other ok: %v, %v", ok, err)
	}
	if st := status(other); st != domain.ConfigInSync {
		t.Fatalf("other status = %s", st)
	}
	if m, err := s.ConfigStatuses(ctx); err != nil || len(m) != 2 || m[gw] != domain.ConfigInSync {
		t.Fatalf("statuses = %v, %v", m, err)
	}
}
