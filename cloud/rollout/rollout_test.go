package rollout_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/cloud/rollout"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// fixture is a real SQLite store with a street of three arm64 gateways
// and a release, and a clock the test moves.
type fixture struct {
	t     *testing.T
	dir   string
	st    *sqlite.Store
	clock atomic.Int64
	seq   uint64
}

func (f *fixture) now() time.Time { return time.Unix(0, f.clock.Load()).UTC() }

func (f *fixture) open() {
	st, err := sqlite.Open(context.Background(), f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
}

// scheduler returns a scheduler over the releases' real single-gateway
// update (no broker: commands wait for the gateway's birth).
func (f *fixture) scheduler() *rollout.Scheduler {
	s, err := rollout.New(rollout.Config{Store: f.st, Now: f.now,
		Updater: rollout.Releases{Updater: &release.Updater{Store: f.st, Now: f.now}, Store: f.st}})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir()}
	f.clock.Store(time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC).UnixNano()) // 15:00 in Shanghai
	f.open()
	t.Cleanup(func() { f.st.Close() })
	ctx, now := context.Background(), f.now()
	for _, u := range []domain.OrgUnit{
		{ID: "d1", Level: domain.LevelDistrict, Name: "D"},
		{ID: "st1", ParentID: "d1", Level: domain.LevelStreet, Name: "S"},
		{ID: "c1", ParentID: "st1", Level: domain.LevelCommunity, Name: "C"},
		{ID: "s1", ParentID: "c1", Level: domain.LevelSite, Name: "Hall"},
	} {
		if _, err := f.st.CreateOrgUnit(ctx, u, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, gw := range []string{"gw-1", "gw-2", "gw-3"} {
		if err := f.st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "s1", SecretHash: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 1, Version: "1.0.0", Platform: "linux/arm64"}, now); err != nil {
			t.Fatal(err)
		}
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	sum := strings.Repeat("cd", 32)
	manifest, sig, err := eldergate.SignRelease(priv, eldergate.ReleaseManifest{Release: "v2", Version: "2.0.0", Artifact: "eldergate-gateway",
		Platform: "linux/arm64", Size: 10, SHA256: sum, Created: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateRelease(ctx, domain.Release{ID: "rel-2", Release: "v2", Version: "2.0.0", Platform: "linux/arm64", Artifact: "eldergate-gateway",
		Size: 10, SHA256: sum, Manifest: manifest, Signature: sig, KeyID: eldergate.ReleaseKeyID(priv.Public().(ed25519.PublicKey)), UploadedAt: now}); err != nil {
		t.Fatal(err)
	}
	return f
}

// report ingests an update event of gw's update cmd, as the ingester would.
func (f *fixture) report(gw, cmd, state string) {
	f.t.Helper()
	f.seq++
	data, _ := json.Marshal(eldergate.UpdateData{CommandID: cmd, Release: "v2", FromVersion: "1.0.0", ToVersion: "2.0.0", State: state})
	id, _ := uuid.NewV7()
	e := eldergate.Envelope{ID: id.String(), Kind: eldergate.KindUpdate, GW: gw, Site: "s1", Seq: f.seq, Boot: 1, At: f.now(), Clock: "synced", Data: data}
	if _, err := f.st.IngestBatch(context.Background(), gw, []eldergate.Envelope{e}, f.now()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) commands(gw string) []domain.Command {
	f.t.Helper()
	cmds, err := f.st.ListCommands(context.Background(), gw)
	if err != nil {
		f.t.Fatal(err)
	}
	return cmds
}

func (f *fixture) row(id, gw string) domain.RolloutGateway {
	f.t.Helper()
	_, gws, err := f.st.Rollout(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, g := range gws {
		if g.GW == gw {
			return g
		}
	}
	f.t.Fatalf("%s not in %s", gw, id)
	return domain.RolloutGateway{}
}

// TestRolloutSurvivesRestart: the state is in the store. A gateway whose
// update was sent just before a crash (its row not yet written) is
// followed, not sent twice; a cloud restarted (store reopened, a new
// scheduler) goes on with the next wave; a wave whose time runs out
// counts its silent gateway as failed and halts the rollout; resuming
// after the last wave completes it.
func TestRolloutSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.scheduler()
	req, err := domain.ParseRolloutRequest([]byte(`{"release":"rel-2","target":{"kind":"street","id":"st1"},"waves":[{"count":1},{}],"wave_timeout_s":600}`))
	if err != nil {
		t.Fatal(err)
	}
	ro, err := s.Create(ctx, req, "op")
	if err != nil {
		t.Fatal(err)
	}
	// The crash: the canary's update went out, its row was not written.
	u := &release.Updater{Store: f.st, Now: f.now}
	sent, err := u.StartUpdate(ctx, "gw-1", "rel-2", ro.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.RunOnce(ctx)
	s.RunOnce(ctx)
	if g := f.row(ro.ID, "gw-1"); g.CommandID != sent || len(f.commands("gw-1")) != 1 {
		t.Fatalf("the canary after the crash: %+v, %d commands (want the one sent, %s)", g, len(f.commands("gw-1")), sent)
	}
	if n := len(f.commands("gw-2")) + len(f.commands("gw-3")); n != 0 {
		t.Fatalf("wave 2 sent before the canary ended: %d commands", n)
	}

	// The cloud restarts; the canary commits meanwhile.
	f.st.Close()
	f.open()
	s = f.scheduler()
	f.report("gw-1", sent, eldergate.UpdateAccepted)
	f.report("gw-1", sent, eldergate.UpdateCommitted)
	s.RunOnce(ctx)
	if g := f.row(ro.ID, "gw-1"); g.State != eldergate.UpdateCommitted {
		t.Fatalf("canary: %+v", g)
	}
	c2, c3 := f.commands("gw-2"), f.commands("gw-3")
	if len(c2) != 1 || len(c3) != 1 || c2[0].Type != eldergate.CmdOTA {
		t.Fatalf("wave 2: %d and %d commands", len(c2), len(c3))
	}
	var body eldergate.UpdateRequest
	if err := json.Unmarshal(c2[0].Body, &body); err != nil || body.Rollout != ro.ID {
		t.Fatalf("the ota body names rollout %q, want %s (%v)", body.Rollout, ro.ID, err)
	}
	s.RunOnce(ctx)
	if n := len(f.commands("gw-2")) + len(f.commands("gw-3")); n != 2 {
		t.Fatalf("wave 2 sent again: %d commands", n)
	}

	// gw-2 commits, gw-3 never answers: past the wave's 10 minutes it
	// counts as failed, 1 of 2 > 20 %.
	f.report("gw-2", c2[0].ID, eldergate.UpdateCommitted)
	f.clock.Add(int64(9 * time.Minute))
	s.RunOnce(ctx)
	if r, _, _ := f.st.Rollout(ctx, ro.ID); r.State != domain.RolloutRunning {
		t.Fatalf("halted before the wave's time ran out: %+v", r)
	}
	f.clock.Add(int64(2 * time.Minute))
	s.RunOnce(ctx)
	r, _, err := f.st.Rollout(ctx, ro.ID)
	if err != nil || r.State != domain.RolloutHalted || r.Reason != "wave 2: 1 of 2 gateways failed (50 % > 20 %)" {
		t.Fatalf("after the timeout: %+v %v", r, err)
	}
	if g := f.row(ro.ID, "gw-3"); g.State != domain.RolloutGWTimedOut || !strings.Contains(g.Reason, "10m0s ran out while it was queued") {
		t.Errorf("gw-3: %+v", g)
	}
	if _, err := s.Halt(ctx, ro.ID, "op"); err == nil || !strings.Contains(err.Error(), "is halted, not running") {
		t.Errorf("halting a halted rollout: %v", err)
	}
	if r, err := s.Resume(ctx, ro.ID, "op"); err != nil || r.State != domain.RolloutCompleted {
		t.Errorf("resume after the last wave: %+v %v", r, err)
	}
}

// TestRolloutCancelHoldsTheRest: a cancelled rollout sends nothing more;
// its gateways not sent are held.
func TestRolloutCancelHoldsTheRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.scheduler()
	req, _ := domain.ParseRolloutRequest([]byte(`{"release":"rel-2","target":{"kind":"site","id":"s1"}}`))
	ro, err := s.Create(ctx, req, "op")
	if err != nil {
		t.Fatal(err)
	}
	s.RunOnce(ctx)
	if _, err := s.Cancel(ctx, ro.ID, "op"); err != nil {
		t.Fatal(err)
	}
	f.report("gw-1", f.commands("gw-1")[0].ID, eldergate.UpdateCommitted)
	s.RunOnce(ctx)
	for _, gw := range []string{"gw-2", "gw-3"} {
		if g := f.row(ro.ID, gw); g.State != domain.RolloutGWHeld || len(f.commands(gw)) != 0 {
			t.Errorf("%s after the cancel: %+v, %d commands", gw, g, len(f.commands(gw)))
		}
	}
	if r, _, _ := f.st.Rollout(ctx, ro.ID); r.State != domain.RolloutCancelled || r.Reason != "cancelled by op" {
		t.Errorf("cancelled: %+v", r)
	}
}
