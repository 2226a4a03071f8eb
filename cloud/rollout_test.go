package cloud_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"github.com/eldergate/eldergate/policy"
)

// testClock is the cloud's injected clock: it stands still until the
// test moves it.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time       { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func newTestClock(t time.Time) *testClock { c := &testClock{}; c.Set(t); return c }

// simGateway is a gateway as the cloud sees it: a real MQTT client with
// its own credentials that publishes a birth naming its platform and
// answers each ota command with update events in up batches, committing
// or rolling back as the test chose.
type simGateway struct {
	t        *testing.T
	id, site string
	rollBack bool // the new version fails its health check
	clock    *testClock
	cl       paho.Client

	mu   sync.Mutex
	seq  uint64
	cmds []string // the ota commands received, by id
}

func startSimGateway(t *testing.T, c *cloud.Cloud, clock *testClock, seed cloud.GatewaySeed, platform string, rollBack bool) *simGateway {
	t.Helper()
	g := &simGateway{t: t, id: seed.ID, site: seed.Site, rollBack: rollBack, clock: clock}
	g.cl = mustConnect(t, c, seed.ID, seed.Secret)
	tok := g.cl.Subscribe(eldergate.Topic(g.id, eldergate.ChannelCmd), 1, func(_ paho.Client, m paho.Message) {
		var cmd eldergate.Command
		if err := json.Unmarshal(m.Payload(), &cmd); err != nil || cmd.Type != eldergate.CmdOTA {
			return
		}
		go g.answer(cmd)
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: subscribe to commands: %v", g.id, tok.Error())
	}
	birth, _ := json.Marshal(eldergate.State{Online: true, Boot: 1, Version: "1.0.0", Platform: platform})
	if tok := g.cl.Publish(eldergate.Topic(g.id, eldergate.ChannelState), 1, true, birth); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: birth: %v", g.id, tok.Error())
	}
	return g
}

// commands returns the ota commands received so far.
func (g *simGateway) commands() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.cmds...)
}

func (g *simGateway) answer(cmd eldergate.Command) {
	g.mu.Lock()
	for _, id := range g.cmds {
		if id == cmd.ID { // sent again (a birth): answered already
			g.mu.Unlock()
			return
		}
	}
	g.cmds = append(g.cmds, cmd.ID)
	g.mu.Unlock()
	req, err := eldergate.DecodeUpdateRequest(cmd.Body)
	if err != nil {
		g.t.Errorf("%s: ota body: %v", g.id, err)
		return
	}
	var m eldergate.ReleaseManifest
	_ = json.Unmarshal(req.Manifest, &m)
	step := func(state, code, reason string) eldergate.UpdateData {
		return eldergate.UpdateData{CommandID: cmd.ID, Rollout: req.Rollout, Release: m.Release, FromVersion: "1.0.0",
			ToVersion: m.Version, State: state, Code: code, Reason: reason}
	}
	g.publish(step(eldergate.UpdateAccepted, "", ""))
	last := step(eldergate.UpdateCommitted, "", "")
	if g.rollBack {
		last = step(eldergate.UpdateRolledBack, "health_card", "health check: card reader rdm6300 did not answer")
	}
	g.publish(step(eldergate.UpdateInstalled, "", ""), step(eldergate.UpdateChecking, "", ""), last)
}

// publish sends steps as one up batch.
func (g *simGateway) publish(steps ...eldergate.UpdateData) {
	var events []eldergate.Envelope
	g.mu.Lock()
	for _, s := range steps {
		g.seq++
		data, _ := json.Marshal(s)
		id, _ := uuid.NewV7()
		events = append(events, eldergate.Envelope{ID: id.String(), Kind: eldergate.KindUpdate, GW: g.id, Site: g.site,
			Seq: g.seq, Boot: 1, At: g.clock.Now(), Clock: "synced", Data: data})
	}
	g.mu.Unlock()
	if err := publish(g.t, g.cl, eldergate.Topic(g.id, eldergate.ChannelUp), batch(g.t, g.id, events...)); err != nil {
		g.t.Errorf("%s: publish update events: %v", g.id, err)
	}
}

// raiseAlarm presses an emergency button of gateway g.
func (g *simGateway) raiseAlarm() {
	g.mu.Lock()
	g.seq++
	data, _ := json.Marshal(eldergate.AlertData{AlertID: "a-" + g.id, Action: eldergate.AlertRaised, Type: eldergate.AlertTypeEmergency, Button: "btn-1"})
	id, _ := uuid.NewV7()
	e := eldergate.Envelope{ID: id.String(), Kind: eldergate.KindAlert, GW: g.id, Site: g.site, Seq: g.seq, Boot: 1, At: g.clock.Now(), Clock: "synced", Data: data}
	g.mu.Unlock()
	if err := publish(g.t, g.cl, eldergate.Topic(g.id, eldergate.ChannelUp), batch(g.t, g.id, e)); err != nil {
		g.t.Fatalf("%s: alarm: %v", g.id, err)
	}
}

// TestRolloutInWaves is acceptance point 4 of issue 14: a cloud on
// loopback (embedded broker, SQLite) rolls a release out to simulated
// gateways in three waves. The canary commits; in wave 2 a gateway whose
// site is inside its lunch window waits until the window ends (the
// injected clock moves), a gateway whose site has an open alarm waits
// until it is resolved, and two gateways roll back: 2 of 4 pass the 20 %
// threshold, the rollout halts with the reason in words and the third
// wave's gateways never get a command. Refusals (an empty target, no
// gateway of the release's platform, overlapping gateways, a target
// outside the caller's scope) answer in words.
func TestRolloutInWaves(t *testing.T) {
	ctx := context.Background()
	// 11:30 in Shanghai: inside the lunch window (11:00-13:30) of s-lunch.
	clock := newTestClock(time.Date(2026, 3, 2, 3, 30, 0, 0, time.UTC))
	var gws []cloud.GatewaySeed
	site := map[int]string{4: "s-lunch", 5: "s-alarm", 9: "s-old"}
	for i := 1; i <= 9; i++ {
		s := site[i]
		if s == "" {
			s = "s-main"
		}
		gws = append(gws, cloud.GatewaySeed{ID: fmt.Sprintf("gw-%02d", i), Site: s, Secret: fmt.Sprintf("secret-%02d", i)})
	}
	c, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Logger: logger(), Now: clock.Now, RolloutEvery: 30 * time.Millisecond,
		OfflineAfter: 48 * time.Hour}) // the clock jumps hours: no gateway goes silent
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Start(sctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st := c.Store()
	now := clock.Now()
	// The gateways' secrets at bcrypt's lowest cost: nine checks at the
	// default cost take half a minute under -race.
	hash, err := bcrypt.GenerateFromPassword([]byte("sim-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for i := range gws {
		gws[i].Secret = "sim-secret"
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gws[i].ID, Site: gws[i].Site, SecretHash: string(hash)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []domain.OrgUnit{
		{ID: "d1", Level: domain.LevelDistrict, Name: "District"},
		{ID: "st1", ParentID: "d1", Level: domain.LevelStreet, Name: "Street 1"},
		{ID: "st2", ParentID: "d1", Level: domain.LevelStreet, Name: "Street 2"},
		{ID: "c1", ParentID: "st1", Level: domain.LevelCommunity, Name: "Community"},
		{ID: "c2", ParentID: "st2", Level: domain.LevelCommunity, Name: "Community 2"},
		{ID: "s-main", ParentID: "c1", Level: domain.LevelSite, Name: "Main hall"},
		{ID: "s-lunch", ParentID: "c1", Level: domain.LevelSite, Name: "Lunch hall"},
		{ID: "s-alarm", ParentID: "c1", Level: domain.LevelSite, Name: "Alarm hall"},
		{ID: "s-old", ParentID: "c1", Level: domain.LevelSite, Name: "Old hall"},
		{ID: "s-empty", ParentID: "c2", Level: domain.LevelSite, Name: "Empty hall"},
	} {
		if _, err := st.CreateOrgUnit(ctx, u, now); err != nil {
			t.Fatal(err)
		}
	}
	lunch := policy.MustFlat("lunch-1", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "11:00", End: "13:30", PriceFen: 1000, SubsidyFen: 500})
	body, _ := json.Marshal(lunch)
	if _, err := st.CreatePolicy(ctx, domain.StoredPolicy{Version: "lunch-1", Body: string(body), SHA256: "x", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.AssignPolicy(ctx, "s-lunch", "lunch-1", now); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	manifest, sig, err := eldergate.SignRelease(priv, eldergate.ReleaseManifest{Release: "v1.1.0", Version: "1.1.0", Artifact: "eldergate-gateway",
		Platform: "linux/arm64", Size: 1000, SHA256: strings.Repeat("ab", 32), Created: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRelease(ctx, domain.Release{ID: "rel-1", Release: "v1.1.0", Version: "1.1.0", Platform: "linux/arm64",
		Artifact: "eldergate-gateway", Size: 1000, SHA256: strings.Repeat("ab", 32), Manifest: manifest, Signature: sig,
		KeyID: eldergate.ReleaseKeyID(priv.Public().(ed25519.PublicKey)), UploadedAt: now}); err != nil {
		t.Fatal(err)
	}

	sims := map[string]*simGateway{}
	for i, g := range gws {
		platform := "linux/arm64"
		if g.ID == "gw-09" {
			platform = "linux/arm/v7"
		}
		sims[g.ID] = startSimGateway(t, c, clock, g, platform, i == 1 || i == 2) // gw-02 and gw-03 roll back
	}
	sims["gw-05"].raiseAlarm()
	api := c.HTTPURL() + "/api/v1/"
	waitFor(t, "the alarm of s-alarm and every birth", func() bool {
		open, _ := st.SiteAlarmOpen(ctx, "s-alarm")
		all, _ := st.TargetGateways(ctx, domain.TargetKindFleet, "")
		n := 0
		for _, g := range all {
			if g.Platform != "" && g.Online {
				n++
			}
		}
		return open && n == len(gws)
	})

	// Refusals, in words.
	for _, c := range []struct {
		body, want string
		status     int
	}{
		{`{"release":"rel-1","target":{"kind":"site","id":"s-empty"}}`, "site s-empty has no gateways", 422},
		{`{"release":"rel-1","target":{"kind":"gateway","id":"gw-09"}}`, "release rel-1 is for linux/arm64, which none of the 1 gateways of gateway gw-09 runs (they run linux/arm/v7)", 422},
		{`{"release":"rel-9","target":{"kind":"fleet"}}`, "release rel-9 does not exist", 422},
		{`{"release":"rel-1","target":{"kind":"street","id":"st1"},"waves":[{"percent":120}]}`, "waves[0].percent", 400},
	} {
		code, b := do(t, "POST", api+"rollouts", adminToken, c.body)
		if code != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("POST %s: %d %s, want %d with %q", c.body, code, b, c.status, c.want)
		}
	}
	scoped := "scoped-operator-token"
	if err := st.CreateAPIToken(ctx, domain.APIToken{ID: "tok-op2", Name: "op-street-2", Role: domain.RoleOperator, Scope: "st2", CreatedAt: now},
		domain.HashToken(scoped)); err != nil {
		t.Fatal(err)
	}
	if code, b := do(t, "POST", api+"rollouts", scoped, `{"release":"rel-1","target":{"kind":"street","id":"st1"}}`); code != 403 {
		t.Errorf("an operator of st2 targets st1: %d %s", code, b)
	}

	code, b := do(t, "POST", api+"rollouts/preview", adminToken, `{"release":"rel-1","target":{"kind":"street","id":"st1"},"waves":[{"count":1},{"count":4},{}]}`)
	var plan struct {
		WaveSizes []int `json:"wave_sizes"`
		Skipped   int   `json:"skipped"`
	}
	if code != 200 || json.Unmarshal(b, &plan) != nil || fmt.Sprint(plan.WaveSizes) != "[1 4 3]" || plan.Skipped != 1 {
		t.Fatalf("preview: %d %s", code, b)
	}
	code, b = do(t, "POST", api+"rollouts", adminToken,
		`{"release":"rel-1","target":{"kind":"street","id":"st1"},"waves":[{"count":1},{"count":4},{}],"failure_threshold_pct":20}`)
	var ro domain.Rollout
	if code != 201 || json.Unmarshal(b, &ro) != nil {
		t.Fatalf("start the rollout: %d %s", code, b)
	}
	if code, b := do(t, "POST", api+"rollouts", adminToken, `{"release":"rel-1","target":{"kind":"site","id":"s-main"}}`); code != 409 ||
		!strings.Contains(string(b), "another rollout is running over the same gateways: gw-01 ("+ro.ID+")") {
		t.Errorf("an overlapping rollout: %d %s", code, b)
	}

	detail := func() cloudhttp.RolloutDetail {
		code, b := do(t, "GET", api+"rollouts/"+ro.ID, adminToken, "")
		var d cloudhttp.RolloutDetail
		if code != 200 || json.Unmarshal(b, &d) != nil {
			t.Fatalf("GET rollout: %d %s", code, b)
		}
		return d
	}
	gwOf := func(d cloudhttp.RolloutDetail, id string) cloudhttp.RolloutGatewayView {
		for _, w := range d.Waves {
			for _, g := range w.Gateways {
				if g.GW == id {
					return g
				}
			}
		}
		for _, g := range d.Skipped {
			if g.GW == id {
				return g
			}
		}
		t.Fatalf("%s is not in the rollout", id)
		return cloudhttp.RolloutGatewayView{}
	}

	// Wave 1, the canary, commits; wave 2 starts: two roll back, the
	// lunch hall's gateway waits for 13:30 Shanghai, the alarm hall's for
	// its alarm.
	var d cloudhttp.RolloutDetail
	waitFor(t, "wave 2 sent where it may go", func() bool {
		d = detail()
		return d.Wave == 2 && gwOf(d, "gw-02").State == eldergate.UpdateRolledBack && gwOf(d, "gw-03").State == eldergate.UpdateRolledBack &&
			gwOf(d, "gw-04").Wait == domain.WaitMealWindow && gwOf(d, "gw-05").Wait == domain.WaitAlarmOpen
	})
	if g := gwOf(d, "gw-01"); g.State != eldergate.UpdateCommitted || len(sims["gw-01"].commands()) != 1 {
		t.Errorf("canary: %+v, %d commands", g, len(sims["gw-01"].commands()))
	}
	if g := gwOf(d, "gw-04"); g.WaitUntil == nil || !g.WaitUntil.Equal(time.Date(2026, 3, 2, 5, 30, 0, 0, time.UTC)) || g.TimeZone != "Asia/Shanghai" {
		t.Errorf("gw-04 waits %+v, want the end of lunch, 05:30 UTC, in Asia/Shanghai", g)
	}
	if g := gwOf(d, "gw-02"); !strings.Contains(g.Reason, "card reader rdm6300") {
		t.Errorf("gw-02's reason %q", g.Reason)
	}
	if gwOf(d, "gw-09").State != domain.RolloutGWSkipped {
		t.Errorf("gw-09 (linux/arm/v7) is %s, want skipped", gwOf(d, "gw-09").State)
	}
	time.Sleep(150 * time.Millisecond) // several ticks inside the window
	if n, m := len(sims["gw-04"].commands()), len(sims["gw-05"].commands()); n+m != 0 || d.State != domain.RolloutRunning {
		t.Fatalf("inside its meal window gw-04 got %d commands, under an alarm gw-05 got %d; rollout %s", n, m, d.State)
	}

	// The lunch ends: gw-04 goes, and commits.
	clock.Set(time.Date(2026, 3, 2, 5, 30, 0, 0, time.UTC))
	waitFor(t, "gw-04 after lunch", func() bool { return gwOf(detail(), "gw-04").State == eldergate.UpdateCommitted })
	if n := len(sims["gw-05"].commands()); n != 0 {
		t.Fatalf("gw-05 got %d commands under an open alarm", n)
	}

	// The alarm is resolved: gw-05 goes; the wave ends with 2 of 4 failed.
	code, b = do(t, "GET", api+"alerts", adminToken, "")
	var alerts []domain.Alert
	if code != 200 || json.Unmarshal(b, &alerts) != nil || len(alerts) == 0 {
		t.Fatalf("alerts: %d %s", code, b)
	}
	if code, b := do(t, "POST", api+"alerts/"+alerts[0].ID+"/resolve", adminToken, `{"outcome":"helped_on_site","note":"ok"}`); code != 200 && code != 204 {
		t.Fatalf("resolve: %d %s", code, b)
	}
	waitFor(t, "the rollout halted", func() bool { d = detail(); return d.State == domain.RolloutHalted })
	if want := "wave 2: 2 of 4 gateways failed (50 % > 20 %)"; d.Reason != want {
		t.Errorf("halted: %q, want %q", d.Reason, want)
	}
	if g := gwOf(d, "gw-05"); g.State != eldergate.UpdateCommitted {
		t.Errorf("gw-05 after the alarm: %+v", g)
	}
	time.Sleep(150 * time.Millisecond) // several ticks after the halt
	for _, id := range []string{"gw-06", "gw-07", "gw-08", "gw-09"} {
		cmds, err := st.ListCommands(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) != 0 || len(sims[id].commands()) != 0 {
			t.Errorf("%s got a command after the halt (%d queued, %d received)", id, len(cmds), len(sims[id].commands()))
		}
		if g := gwOf(detail(), id); g.CommandID != "" || g.State != domain.RolloutGWWaiting && g.State != domain.RolloutGWSkipped {
			t.Errorf("%s in the halted rollout: %+v", id, g)
		}
	}
	if w := detail().Waves; len(w) != 3 || w[1].Failed != 2 || len(w[2].Gateways) != 3 {
		t.Errorf("waves %+v", w)
	}
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
