package gateway_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/policy"
)

// command builds a command payload expiring an hour after c's time.
func command(t *testing.T, c *clock, id, typ string, body any) []byte {
	t.Helper()
	cmd := map[string]any{"id": id, "type": typ, "expires": c.now().Add(time.Hour).Format(time.RFC3339)}
	if body != nil {
		cmd["body"] = body
	}
	p, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pushedConfig is cfg as the cloud would push it: YAML text without the
// local-only settings.
func pushedConfig(t *testing.T, cfg config.Config) string {
	t.Helper()
	cfg.GatewayID, cfg.DataDir, cfg.HTTPAddr, cfg.MQTT.URL, cfg.Roster = "", "", "", "", nil
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func cmdTap(t *testing.T, g *gateway.Gateway, events <-chan sse, card string) tapdesk.TapEvent {
	t.Helper()
	tap(t, g, card)
	var ev tapdesk.TapEvent
	next(t, events, "tap", &ev)
	return ev
}

func outboxKinds(t *testing.T, g *gateway.Gateway, kind eldergate.Kind) int {
	t.Helper()
	out, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range out {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestConfigCommandBadDriverRefused (acceptance 5): a configuration with a
// driver name no registry knows is refused with an error naming the
// setting and the known drivers; the running configuration keeps deciding
// taps and nothing is persisted.
func TestConfigCommandBadDriverRefused(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	bad := cfg
	bad.Devices.Card.Driver = "rfid-9000"
	bad.TapDedupe = time.Minute
	res := g.HandleCommand(t.Context(), command(t, c, "cfg-bad", eldergate.CmdConfig, pushedConfig(t, bad)))
	if res.OK || res.ID != "cfg-bad" || !strings.Contains(res.Error, `devices.card.driver: unknown driver "rfid-9000"`) || !strings.Contains(res.Error, "sim") {
		t.Fatalf("bad driver result = %+v", res)
	}
	if ev := cmdTap(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap after the refused config = %+v", ev)
	}
	// tap_dedupe of the refused config (1 minute) is not in force: 4 s later the same card is a new tap.
	c.add(4 * time.Second)
	if ev := cmdTap(t, g, events, "04A1B2C3"); ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("second tap = %+v", ev)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.applied.yaml")); !os.IsNotExist(err) {
		t.Fatalf("refused config persisted: %v", err)
	}
	if n := outboxKinds(t, g, eldergate.KindCmdRes); n != 1 {
		t.Fatalf("cmdres events = %d, want 1", n)
	}
}

// TestConfigCommandRollback: a driver that validates but cannot open (an
// MFRC522 on GPIO pins this machine lacks) fails the apply; the previous
// devices are opened again and the simulated reader still decides taps.
func TestConfigCommandRollback(t *testing.T) {
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	broken := cfg
	broken.Devices.Card = config.DeviceConfig{Driver: "mfrc522", Settings: map[string]string{"reset": "GPIO998", "irq": "GPIO999"}}
	broken.Policy = policy.MustFlat("p2", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1500, SubsidyFen: 1500})
	res := g.HandleCommand(t.Context(), command(t, c, "cfg-broken", eldergate.CmdConfig, pushedConfig(t, broken)))
	if res.OK || !strings.Contains(res.Error, "card reader") || !strings.Contains(res.Error, "previous configuration restored") {
		t.Fatalf("broken driver result = %+v", res)
	}
	ev := cmdTap(t, g, events, "04A1B2C3")
	if ev.Decision != eldergate.DecisionApproved || ev.SubsidyFen != 1000 || ev.PayFen != 500 {
		t.Fatalf("tap after the rollback = %+v (the old policy p1 must decide)", ev)
	}
}

// TestConfigCommandAppliedLiveAndPersisted: a valid configuration changes
// the policy and tap_dedupe at once, without a restart, reports what it
// applied and what needs a restart, and a restarted gateway uses it.
func TestConfigCommandAppliedLiveAndPersisted(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, deadBroker(t))
	g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	events := subscribe(t, g.HTTPURL())

	nc := cfg
	nc.Policy = policy.MustFlat("p2", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1200, SubsidyFen: 1200})
	nc.TapDedupe = 30 * time.Second
	nc.MQTT.BatchSize = 10
	nc.Site = "新饭堂"
	res := g.HandleCommand(t.Context(), command(t, c, "cfg-1", eldergate.CmdConfig, pushedConfig(t, nc)))
	if !res.OK {
		t.Fatalf("config = %+v", res)
	}
	var body struct {
		Applied         []string `json:"applied"`
		RestartRequired []string `json:"restart_required"`
	}
	json.Unmarshal(res.Body, &body)
	if fmt.Sprint(body.Applied) != "[policy tap_dedupe mqtt.batch]" || fmt.Sprint(body.RestartRequired) != "[site]" {
		t.Fatalf("result body = %s", res.Body)
	}
	if ev := cmdTap(t, g, events, "04D5E6F7"); ev.PriceFen != 1200 || ev.PayFen != 0 {
		t.Fatalf("tap under the new policy = %+v", ev)
	}
	c.add(10 * time.Second) // inside the new 30 s dedupe: ignored
	tap(t, g, "04D5E6F7")
	if ev := cmdTap(t, g, events, "FFFF0001"); ev.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("the read within tap_dedupe was not ignored: %+v", ev)
	}
	// A policy command persists too.
	p3 := policy.MustFlat("p3", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1000, SubsidyFen: 100})
	pb, _ := yaml.Marshal(p3)
	if res := g.HandleCommand(t.Context(), command(t, c, "pol-1", eldergate.CmdPolicy, string(pb))); !res.OK || !strings.Contains(string(res.Body), "p3") {
		t.Fatalf("policy = %+v", res)
	}
	if res := g.HandleCommand(t.Context(), command(t, c, "pol-bad", eldergate.CmdPolicy, map[string]any{"version": "p4"})); res.OK {
		t.Fatalf("invalid policy accepted: %+v", res)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.applied.yaml"))
	if err != nil || strings.Contains(string(b), "gw-t1") || !strings.Contains(string(b), "新饭堂") {
		t.Fatalf("persisted config: %v\n%s", err, b)
	}

	// Restarted with the original file: the applied configuration wins, local settings stay.
	c.add(time.Minute)
	g2 := start(t, cfg, c)
	events2 := subscribe(t, g2.HTTPURL())
	if ev := cmdTap(t, g2, events2, "04A1B2C3"); ev.PriceFen != 1000 || ev.SubsidyFen != 100 {
		t.Fatalf("tap after restart = %+v (policy p3 expected)", ev)
	}
	var st struct {
		Site      string `json:"site"`
		GatewayID string `json:"gateway_id"`
	}
	getJSON(t, g2.HTTPURL()+"/api/status", &st)
	if st.Site != "新饭堂" || st.GatewayID != "gw-t1" {
		t.Fatalf("status after restart = %+v", st)
	}
}

// TestConfigCommandLocalSettingsRefused: the broker URL cannot be changed
// remotely.
func TestConfigCommandLocalSettingsRefused(t *testing.T) {
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	g := start(t, cfg, c)
	nc := cfg
	nc.Roster = nil
	nc.MQTT.URL = "tcp://evil.example:1883"
	b, _ := yaml.Marshal(nc)
	res := g.HandleCommand(t.Context(), command(t, c, "cfg-url", eldergate.CmdConfig, string(b)))
	if res.OK || !strings.Contains(res.Error, "mqtt.url cannot be changed") {
		t.Fatalf("result = %+v", res)
	}
}

// TestCommandsIdempotentAndExpiry: a command delivered again is answered
// with the stored result (the ping's time does not move) and not applied
// again; an expired command is refused, also when delivered again; a
// payload that is not a command gets no result.
func TestCommandsIdempotentAndExpiry(t *testing.T) {
	c := &clock{t: lunch}
	g := start(t, testConfig(t, t.TempDir(), deadBroker(t)), c)

	first := g.HandleCommand(t.Context(), command(t, c, "ping-1", eldergate.CmdPing, nil))
	var pr eldergate.PingResult
	if err := json.Unmarshal(first.Body, &pr); err != nil || !first.OK || pr.GatewayID != "gw-t1" || pr.Boot != 1 || !pr.Time.Equal(lunch) || pr.Version == "" {
		t.Fatalf("ping = %+v %s", first, first.Body)
	}
	c.add(time.Minute)
	again := g.HandleCommand(t.Context(), command(t, c, "ping-1", eldergate.CmdPing, nil))
	if string(again.Body) != string(first.Body) || !again.OK {
		t.Fatalf("re-delivered ping = %s, first %s", again.Body, first.Body)
	}

	// A roster delta delivered twice is applied once (the second answer is the stored one).
	full := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E1", Name: "张三明", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04A1B2C3"}}}}}
	if res := g.HandleCommand(t.Context(), command(t, c, "r-1", eldergate.CmdRoster, full)); !res.OK {
		t.Fatalf("full roster = %+v", res)
	}
	delta := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 1, Version: 2, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E7", Name: "黄美玲", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04777777"}}}}}
	d1 := g.HandleCommand(t.Context(), command(t, c, "r-2", eldergate.CmdRoster, delta))
	d2 := g.HandleCommand(t.Context(), command(t, c, "r-2", eldergate.CmdRoster, delta))
	if !d1.OK || string(d1.Body) != string(d2.Body) || !strings.Contains(string(d1.Body), `"upserted":1`) {
		t.Fatalf("delta = %+v, again = %+v", d1, d2)
	}
	// A delta on a base the gateway is not at: a clear error, the version it has.
	stale := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 5, Version: 6, Remove: []string{"E1"}}
	res := g.HandleCommand(t.Context(), command(t, c, "r-3", eldergate.CmdRoster, stale))
	if res.OK || !strings.Contains(res.Error, "gateway is at version 2") || !strings.Contains(string(res.Body), `"full_roster_needed":true`) {
		t.Fatalf("stale delta = %+v %s", res, res.Body)
	}

	expired := []byte(fmt.Sprintf(`{"id":"old-1","type":"reboot","expires":%q}`, c.now().Add(-time.Second).Format(time.RFC3339)))
	for range 2 {
		res := g.HandleCommand(t.Context(), expired)
		if res.OK || !strings.Contains(res.Error, "expired") {
			t.Fatalf("expired = %+v", res)
		}
	}
	if res := g.HandleCommand(t.Context(), []byte(`{"type":"ping"}`)); res.ID != "" || res.OK {
		t.Fatalf("command without id = %+v", res)
	}
	// One cmdres event per command handled, none for the answers given again.
	if n := outboxKinds(t, g, eldergate.KindCmdRes); n != 5 {
		t.Fatalf("cmdres events = %d, want 5", n)
	}
	// Reboot without a restart hook is refused.
	if res := g.HandleCommand(t.Context(), command(t, c, "boot-1", eldergate.CmdReboot, nil)); res.OK {
		t.Fatalf("reboot without a hook = %+v", res)
	}
}

// TestRebootCommand: the result is recorded before the restart hook runs.
func TestRebootCommand(t *testing.T) {
	c := &clock{t: lunch}
	restarted := make(chan struct{}, 1)
	g, err := gateway.New(testConfig(t, t.TempDir(), deadBroker(t)), gateway.WithClock(c.now), gateway.WithRestart(func() { restarted <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	res := g.HandleCommand(t.Context(), command(t, c, "boot-2", eldergate.CmdReboot, nil))
	if !res.OK {
		t.Fatalf("reboot = %+v", res)
	}
	select {
	case <-restarted:
	default:
		t.Fatal("restart hook not called")
	}
	if n := outboxKinds(t, g, eldergate.KindCmdRes); n != 1 {
		t.Fatalf("cmdres events = %d", n)
	}
}
