package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/policy"
)

// TestBirthReportsAppliedConfig: the birth carries what the gateway runs.
// After a config command is applied, a fresh retained birth of the same
// boot carries the SHA-256 of the pushed body and the new policy version;
// a refused config changes nothing; after a restart with the same data
// dir the birth reports the same checksum. A menu command gives a fresh
// birth with the menu's version, reported again after the restart.
func TestBirthReportsAppliedConfig(t *testing.T) {
	srv := mochi.New(&mochi.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.AddHook(new(auth.AllowHook), nil)
	l := listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"})
	if err := srv.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	broker := "tcp://" + l.Address()

	births := make(chan eldergate.State, 16)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("cloud"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe(eldergate.Topic("gw-t1", eldergate.ChannelState), 1, func(_ mqtt.Client, m mqtt.Message) {
		st, err := eldergate.DecodeState(m.Payload())
		if err != nil {
			t.Errorf("state %s: %v", m.Payload(), err)
			return
		}
		if st.Online {
			births <- st
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	nextBirth := func(what string) eldergate.State {
		t.Helper()
		select {
		case st := <-births:
			return st
		case <-time.After(10 * time.Second):
			t.Fatalf("no birth: %s", what)
			return eldergate.State{}
		}
	}

	dir := t.TempDir()
	c := &clock{t: lunch}
	cfg := testConfig(t, dir, broker)
	g := start(t, cfg, c)
	first := nextBirth("first connect")
	if first.ConfigSHA256 != "" || first.PolicyVersion != cfg.Policy.Version || first.Boot == 0 {
		t.Fatalf("first birth = %+v, want no config checksum and policy %q", first, cfg.Policy.Version)
	}
	if want := cfg.PriceDevices(); first.PriceDevices != want || want == "" {
		t.Errorf("first birth reports price devices %q, want %q (ADR 0026)", first.PriceDevices, want)
	}

	nc := cfg
	nc.TapDedupe = 20 * time.Second
	nc.Policy = policy.MustFlat("p-cfg", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1200, SubsidyFen: 1200})
	body := pushedConfig(t, nc)
	sum := sha256.Sum256([]byte(body))
	want := hex.EncodeToString(sum[:])
	if res := g.HandleCommand(t.Context(), command(t, c, "cfg-1", eldergate.CmdConfig, body)); !res.OK {
		t.Fatalf("config = %+v", res)
	}
	after := nextBirth("after the config command")
	if after.ConfigSHA256 != want || after.PolicyVersion != "p-cfg" || after.Boot != first.Boot {
		t.Fatalf("birth after config = %+v, want sha %s, policy p-cfg, boot %d", after, want, first.Boot)
	}

	// Refused (unknown driver): no new birth, nothing reported changes.
	bc := nc
	bc.Devices.Card.Driver = "rfid-9000"
	bad := pushedConfig(t, bc)
	if res := g.HandleCommand(t.Context(), command(t, c, "cfg-2", eldergate.CmdConfig, bad)); res.OK || !strings.Contains(res.Error, "rfid-9000") {
		t.Fatalf("bad driver = %+v", res)
	}
	select {
	case st := <-births:
		t.Fatalf("birth after a refused config: %+v", st)
	case <-time.After(300 * time.Millisecond):
	}
	// The same config delivered again is answered from its stored result: no birth.
	if res := g.HandleCommand(t.Context(), command(t, c, "cfg-1", eldergate.CmdConfig, body)); !res.OK {
		t.Fatalf("config again = %+v", res)
	}
	select {
	case st := <-births:
		t.Fatalf("birth after a re-delivered config: %+v", st)
	case <-time.After(300 * time.Millisecond):
	}
	// A menu: a fresh birth with its version.
	if res := g.HandleCommand(t.Context(), command(t, c, "menu-1", eldergate.CmdMenu, testMenu(cfg.Site, "menu-3"))); !res.OK {
		t.Fatalf("menu = %+v", res)
	}
	if st := nextBirth("after the menu command"); st.MenuVersion != "menu-3" || st.ConfigSHA256 != want {
		t.Fatalf("birth after the menu = %+v, want menu-3", st)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}

	// Restarted on the same data dir with the original file.
	start(t, cfg, c)
	again := nextBirth("after the restart")
	for again.Boot == first.Boot { // the retained birth of the first boot may come first on resubscribe
		again = nextBirth("after the restart")
	}
	if again.ConfigSHA256 != want || again.PolicyVersion != "p-cfg" || again.MenuVersion != "menu-3" {
		t.Fatalf("birth after restart = %+v, want sha %s", again, want)
	}
}
