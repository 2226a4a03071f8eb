package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// UpdateStep builds a valid update event of gateway gw for ota command cmd.
func UpdateStep(t testing.TB, gw string, seq uint64, cmd, state string, at time.Time) eldergate.Envelope {
	t.Helper()
	d := eldergate.UpdateData{CommandID: cmd, Release: "v2", FromVersion: "1.0.0", ToVersion: "2.0.0", State: state}
	switch state {
	case eldergate.UpdateRolledBack:
		d.Reason, d.Code = "health check: card reader rdm6300 did not answer", "health_card"
	case eldergate.UpdateDownloading:
		d.Bytes, d.Size = 100, 1000
	}
	return envelope(t, gw, seq, eldergate.KindUpdate, at, d)
}

// testReleases: releases are unique by artifact and by name per
// platform; the birth's platform is kept; one unfinished update per
// gateway (an expired, unanswered one is closed as failed when the next
// starts); update events become steps once, out of order without moving
// the state back, never past a finished update, never for another
// gateway's update; a refused ota command fails its update once.
func testReleases(t *testing.T, s domain.Store) {
	ctx := context.Background()
	rel := domain.Release{ID: "rel-1", Release: "v2", Version: "2.0.0", Platform: "linux/arm64", Artifact: "eldergate-gateway",
		Size: 1000, Manifest: []byte(`{"m":1}`), Signature: []byte{1, 2, 3},
		KeyID: "k1", UploadedBy: "user ops", UploadedAt: base}
	rel.SHA256 = "0000000000000000000000000000000000000000000000000000000000000001"
	if err := s.CreateRelease(ctx, rel); err != nil {
		t.Fatal(err)
	}
	dup := rel
	dup.ID = "rel-2"
	if err := s.CreateRelease(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same artifact again: %v, want ErrConflict", err)
	}
	dup.SHA256 = "0000000000000000000000000000000000000000000000000000000000000002"
	if err := s.CreateRelease(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same name and platform again: %v, want ErrConflict", err)
	}
	dup.Platform, dup.UploadedAt = "linux/amd64", base.Add(time.Minute)
	if err := s.CreateRelease(ctx, dup); err != nil {
		t.Fatalf("same name for another platform: %v", err)
	}
	if l, err := s.ListReleases(ctx); err != nil || len(l) != 2 || l[0].ID != "rel-2" {
		t.Fatalf("list: %+v %v", l, err)
	}
	got, err := s.Release(ctx, "rel-1")
	if err != nil || string(got.Manifest) != `{"m":1}` || len(got.Signature) != 3 || !got.UploadedAt.Equal(base) || got.Size != 1000 {
		t.Fatalf("release: %+v %v", got, err)
	}
	if _, err := s.Release(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown release: %v", err)
	}

	gw := "gw-up"
	if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw, SecretHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if p, v, err := s.GatewayPlatform(ctx, gw); err != nil || p != "" || v != "" {
		t.Fatalf("platform before a birth: %q %q %v", p, v, err)
	}
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 1, Version: "1.0.0", Platform: "linux/arm64"}, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: false, Boot: 1}, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if p, v, err := s.GatewayPlatform(ctx, gw); err != nil || p != "linux/arm64" || v != "1.0.0" {
		t.Fatalf("platform after birth and will: %q %q %v", p, v, err)
	}
	if g, err := s.Gateway(ctx, gw); err != nil || g.Platform != "linux/arm64" {
		t.Fatalf("gateway page platform: %+v %v", g, err)
	}

	start := func(id string, at time.Time) (domain.GatewayUpdate, error) {
		c := domain.Command{ID: id, GW: gw, Type: eldergate.CmdOTA, Body: []byte(`{}`), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		return s.StartGatewayUpdate(ctx, domain.GatewayUpdate{GW: gw, Site: "site-" + gw, ReleaseID: "rel-1", Release: "v2",
			Size: 1000, FromVersion: "1.0.0", ToVersion: "2.0.0", StartedBy: "user ops", StartedAt: at}, c, at)
	}
	if _, err := start("cmd-u1", base); err != nil {
		t.Fatal(err)
	}
	if r, err := start("cmd-u2", base.Add(time.Minute)); !errors.Is(err, domain.ErrConflict) || r.CommandID != "cmd-u1" {
		t.Fatalf("second update while one is queued: %+v %v", r, err)
	}
	if p, _ := s.PendingCommands(ctx, gw, base); len(p) != 1 || p[0].Type != eldergate.CmdOTA {
		t.Fatalf("the refused start queued a command: %+v", p)
	}
	// Two hours later the first command expired unanswered: closed.
	if _, err := start("cmd-u2", base.Add(2*time.Hour)); err != nil {
		t.Fatalf("start after the first expired: %v", err)
	}
	if u, err := s.GatewayUpdate(ctx, "cmd-u1"); err != nil || u.State != eldergate.UpdateFailed || u.Code != domain.UpdateCodeExpired {
		t.Fatalf("expired update: %+v %v", u, err)
	}

	// Steps of cmd-u2, out of order and twice.
	t0 := base.Add(2*time.Hour + time.Minute)
	acc := UpdateStep(t, gw, 1, "cmd-u2", eldergate.UpdateAccepted, t0)
	dl := UpdateStep(t, gw, 2, "cmd-u2", eldergate.UpdateDownloading, t0.Add(time.Second))
	chk := UpdateStep(t, gw, 3, "cmd-u2", eldergate.UpdateChecking, t0.Add(2*time.Second))
	rb := UpdateStep(t, gw, 4, "cmd-u2", eldergate.UpdateRolledBack, t0.Add(3*time.Second))
	late := UpdateStep(t, gw, 5, "cmd-u2", eldergate.UpdateCommitted, t0.Add(4*time.Second)) // after the end: history only
	foreign := UpdateStep(t, "gw-other", 1, "cmd-u2", eldergate.UpdateCommitted, t0)         // another gateway's claim
	for _, b := range [][]eldergate.Envelope{{chk, acc}, {dl}} {
		if _, err := s.IngestBatch(ctx, gw, b, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := s.GatewayUpdate(ctx, "cmd-u2"); u.State != eldergate.UpdateChecking || u.Bytes != 0 || len(u.Steps) != 3 || u.Steps[1].Bytes != 100 {
		t.Fatalf("after checking, then an older downloading: %+v", u)
	}
	if _, err := s.IngestBatch(ctx, "gw-other", []eldergate.Envelope{foreign}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.IngestBatch(ctx, gw, []eldergate.Envelope{rb, acc, late}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.GatewayUpdate(ctx, "cmd-u2")
	if err != nil || u.State != eldergate.UpdateRolledBack || u.Code != "health_card" || u.Reason == "" || len(u.Steps) != 5 {
		t.Fatalf("rolled back: %+v %v", u, err)
	}
	want := []string{eldergate.UpdateAccepted, eldergate.UpdateDownloading, eldergate.UpdateChecking, eldergate.UpdateRolledBack, eldergate.UpdateCommitted}
	for i, st := range u.Steps {
		if st.State != want[i] || st.At.Location() != time.UTC {
			t.Fatalf("step %d: %+v, want %s", i, st, want[i])
		}
	}
	// A refused ota command fails its update once, however often its
	// result arrives; a finished one stays as it ended.
	if _, err := start("cmd-u3", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := s.FailUpdateCommand(ctx, gw, "cmd-u3", "release signature does not match its manifest", t0.Add(2*time.Hour)); err != nil || !ok {
			t.Fatalf("fail command: %v %v", ok, err)
		}
	}
	if ok, err := s.FailUpdateCommand(ctx, "gw-other", "cmd-u3", "x", t0); err != nil || ok {
		t.Fatalf("another gateway's result: %v %v", ok, err)
	}
	if ok, _ := s.FailUpdateCommand(ctx, gw, "cmd-u2", "x", t0.Add(3*time.Hour)); !ok {
		t.Fatal("a finished update did not match")
	}
	us, err := s.GatewayUpdates(ctx, gw)
	if err != nil || len(us) != 3 || us[0].CommandID != "cmd-u3" || us[1].CommandID != "cmd-u2" {
		t.Fatalf("history: %+v %v", us, err)
	}
	if u := us[0]; u.State != eldergate.UpdateFailed || u.Code != domain.UpdateCodeRefused || len(u.Steps) != 1 ||
		u.Reason != "release signature does not match its manifest" {
		t.Fatalf("refused: %+v", u)
	}
	if u := us[1]; u.State != eldergate.UpdateRolledBack || len(u.Steps) != 6 {
		t.Fatalf("finished update after a late refusal: %+v", u)
	}
	if us, _ := s.GatewayUpdates(ctx, "gw-other"); len(us) != 0 {
		t.Fatalf("other gateway's history: %+v", us)
	}
}
