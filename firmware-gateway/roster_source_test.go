package gateway_test

import (
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
)

// TestCloudRosterReplacesSeedAndIsReported: through a real Mosquitto with
// the production ACL, a gateway enrolled in a cloud runs the seed of its
// configuration until the first roster command and says so in its birth
// (source local, 3 elders); the cloud's full roster of 1 elder replaces
// the seed (a seed card is unknown from then on), /api/status says cloud,
// and after a restart the seed is not loaded again and the birth reports
// the cloud's roster (source cloud, version 1, 1 elder).
func TestCloudRosterReplacesSeedAndIsReported(t *testing.T) {
	const gwID = "gw-t1"
	m := testenv.StartMosquitto(t, map[string]string{gwID: "gw-secret", "eldergate-cloud": "cloud-secret"}, testenv.ACLFile())
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(m.URL).SetClientID("cloud").SetUsername("eldergate-cloud").SetPassword("cloud-secret"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	births := make(chan eldergate.State, 10)
	results := make(chan eldergate.CommandResult, 10)
	for topic, f := range map[string]mqtt.MessageHandler{
		eldergate.Topic(gwID, eldergate.ChannelState): func(_ mqtt.Client, msg mqtt.Message) {
			if st, err := eldergate.DecodeState(msg.Payload()); err == nil && st.Online {
				births <- st
			}
		},
		eldergate.Topic(gwID, eldergate.ChannelCmdRes): func(_ mqtt.Client, msg mqtt.Message) {
			if r, err := eldergate.DecodeCommandResult(msg.Payload()); err == nil {
				results <- r
			}
		},
	} {
		if tok := cl.Subscribe(topic, 1, f); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	birth := func(boot uint64) eldergate.State {
		t.Helper()
		for {
			select {
			case st := <-births:
				if st.Boot == boot {
					return st
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("no birth of boot %d", boot)
			}
		}
	}
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), m.URL)
	cfg.MQTT.Password = "gw-secret"

	g, err := gateway.New(cfg, gateway.WithLogger(logger()), gateway.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := birth(1)
	if st.Roster == nil || *st.Roster != (eldergate.RosterReport{Source: eldergate.RosterSourceLocal, Elders: 3}) || st.RosterVersion != 0 {
		t.Fatalf("first birth roster = %+v (version %d), want the local seed of 3", st.Roster, st.RosterVersion)
	}
	time.Sleep(200 * time.Millisecond) // the gateway subscribes to cmd right after its birth
	full := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E9", Name: "黄志强", Active: true}, Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "0E5F6A7B"}}},
	}}
	if tok := cl.Publish(eldergate.Topic(gwID, eldergate.ChannelCmd), 1, false, command(t, c, "roster-1", eldergate.CmdRoster, full)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	select {
	case r := <-results:
		if !r.OK || r.ID != "roster-1" {
			t.Fatalf("roster result = %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no result of the roster command")
	}
	var status struct {
		RosterSource  string `json:"roster_source"`
		RosterVersion uint64 `json:"roster_version"`
		RosterElders  int    `json:"roster_elders"`
	}
	getJSON(t, g.HTTPURL()+"/api/status", &status)
	if status.RosterSource != eldergate.RosterSourceCloud || status.RosterVersion != 1 || status.RosterElders != 1 {
		t.Fatalf("status after the cloud's roster = %+v", status)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}

	g = start(t, cfg, c) // same configuration, seed included
	st = birth(2)
	if st.Roster == nil || *st.Roster != (eldergate.RosterReport{Source: eldergate.RosterSourceCloud, Version: 1, Elders: 1}) || st.RosterVersion != 1 {
		t.Fatalf("birth after restart roster = %+v (version %d), want the cloud's version 1 of 1 elder", st.Roster, st.RosterVersion)
	}
	events := subscribe(t, g.HTTPURL())
	if ev := cmdTap(t, g, events, "04D5E6F7"); ev.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("a card of the seed after restart = %+v, want unknown", ev)
	}
	if ev := cmdTap(t, g, events, "0E5F6A7B"); ev.Reason == eldergate.ReasonUnknownCard {
		t.Fatalf("the cloud's card after restart = %+v", ev)
	}
}
