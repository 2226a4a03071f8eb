package gateway_test

import (
	"encoding/json"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestLostCardRefusedWithinSecondsThroughMosquitto: a real Mosquitto with
// password file and the production ACL (user = gateway id). The cloud's
// account sends a full roster, then a delta marking a card lost: the
// gateway answers each on cmdres and refuses the card's next tap with
// card_lost, within seconds of the publish. The same delta delivered again
// is answered again with the same result.
func TestLostCardRefusedWithinSecondsThroughMosquitto(t *testing.T) {
	const gwID = "gw-t1"
	m := testenv.StartMosquitto(t, map[string]string{gwID: "gw-secret", "eldergate-cloud": "cloud-secret"}, testenv.ACLFile())
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), m.URL)
	cfg.MQTT.Password = "gw-secret"
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(m.URL).SetClientID("cloud").SetUsername("eldergate-cloud").SetPassword("cloud-secret"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	results := make(chan eldergate.CommandResult, 10)
	tok := cl.Subscribe(eldergate.Topic(gwID, eldergate.ChannelCmdRes), 1, func(_ mqtt.Client, msg mqtt.Message) {
		r, err := eldergate.DecodeCommandResult(msg.Payload())
		if err != nil {
			t.Errorf("cmdres: %v", err)
			return
		}
		results <- r
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct {
			UplinkConnected bool `json:"uplink_connected"`
		}
		getJSON(t, g.HTTPURL()+"/api/status", &st)
		if st.UplinkConnected {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway not connected to mosquitto")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // OnConnect subscribes to cmd right after connecting

	send := func(id string, body any) eldergate.CommandResult {
		t.Helper()
		if tok := cl.Publish(eldergate.Topic(gwID, eldergate.ChannelCmd), 1, false, command(t, c, id, eldergate.CmdRoster, body)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
		select {
		case r := <-results:
			if r.ID != id {
				t.Fatalf("result for %s, want %s", r.ID, id)
			}
			return r
		case <-time.After(10 * time.Second):
			t.Fatalf("no cmdres for %s", id)
			return eldergate.CommandResult{}
		}
	}
	full := eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: 1, Elders: []eldergate.RosterElder{
		{Elder: eldergate.Elder{ID: "E1", Name: "张三明", Active: true}, Credentials: []eldergate.Credential{
			{Kind: eldergate.CredCard, Value: "04A1B2C3"}, {Kind: eldergate.CredResidentID, Value: "440303194501011230"}}},
	}}
	if r := send("roster-1", full); !r.OK {
		t.Fatalf("full roster: %+v", r)
	}
	if ev := cmdTap(t, g, events, "04A1B2C3"); ev.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap before the loss = %+v", ev)
	}
	if ev := cmdTap(t, g, events, "04D5E6F7"); ev.Reason != eldergate.ReasonUnknownCard {
		t.Fatalf("card of the config's roster after a full roster = %+v", ev)
	}

	delta := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: 1, Version: 2,
		States: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "04A1B2C3", State: eldergate.CredLost}}}
	t0 := time.Now()
	r := send("roster-2", delta)
	if !r.OK {
		t.Fatalf("delta: %+v", r)
	}
	c.add(5 * time.Second) // past tap_dedupe
	ev := cmdTap(t, g, events, "04A1B2C3")
	elapsed := time.Since(t0)
	if ev.Decision != eldergate.DecisionRefused || ev.Reason != eldergate.ReasonCardLost || ev.EventID == "" {
		t.Fatalf("tap of the lost card = %+v", ev)
	}
	if elapsed > 5*time.Second {
		t.Fatalf("lost card refused %v after the cloud's publish, want within seconds", elapsed)
	}
	t.Logf("lost card refused %v after the delta was published", elapsed)
	// The resident ID of the same elder is still active: found by its hash, already served.
	if ev := cmdTap(t, g, events, "440303194501011230"); ev.Reason != eldergate.ReasonAlreadyServed {
		t.Fatalf("resident ID tap = %+v", ev)
	}
	if again := send("roster-2", delta); !again.OK || string(again.Body) != string(r.Body) {
		t.Fatalf("re-delivered delta = %+v, first %+v", again, r)
	}
	var st struct {
		RosterVersion uint64 `json:"roster_version"`
		RosterElders  int    `json:"roster_elders"`
		DeadLetters   int    `json:"dead_letters"`
	}
	getJSON(t, g.HTTPURL()+"/api/status", &st)
	if st.RosterVersion != 2 || st.RosterElders != 1 || st.DeadLetters != 0 {
		t.Fatalf("status = %+v", st)
	}
}

// TestDeadLettersReported: an event the cloud rejects is kept, never
// resent, and counted in /api/status.
func TestDeadLettersReported(t *testing.T) {
	m := testenv.StartMosquitto(t, map[string]string{"gw-t1": "gw-secret", "eldergate-cloud": "cloud-secret"}, testenv.ACLFile())
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(m.URL).SetClientID("cloud").SetUsername("eldergate-cloud").SetPassword("cloud-secret"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	tok := cl.Subscribe(eldergate.Topic("gw-t1", eldergate.ChannelUp), 1, func(c mqtt.Client, msg mqtt.Message) {
		b, _, err := eldergate.DecodeBatch(msg.Payload(), "gw-t1")
		if err != nil {
			t.Errorf("batch: %v", err)
			return
		}
		var a eldergate.Ack
		for _, e := range b.Events {
			if e.Kind == eldergate.KindAudit {
				a.Rejected = append(a.Rejected, eldergate.Rejection{ID: e.ID, Reason: "test: audit refused"})
			} else {
				a.IDs = append(a.IDs, e.ID)
			}
		}
		p, _ := json.Marshal(a)
		c.Publish(eldergate.Topic("gw-t1", eldergate.ChannelAck), 1, false, p)
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cfg := testConfig(t, t.TempDir(), m.URL)
	cfg.MQTT.Password = "gw-secret"
	c := &clock{t: lunch}
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())
	cmdTap(t, g, events, "04A1B2C3")     // meal: acked
	cmdTap(t, g, events, "DEADBEEF0001") // unknown card, audit event: rejected
	deadline := time.Now().Add(15 * time.Second)
	for {
		var st struct {
			DeadLetters   int `json:"dead_letters"`
			OutboxPending int `json:"outbox_pending"`
		}
		getJSON(t, g.HTTPURL()+"/api/status", &st)
		if st.DeadLetters == 1 && st.OutboxPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v, want 1 dead letter and nothing pending", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := g.Outbox(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range out {
		if (e.Kind == eldergate.KindAudit) != e.Rejected || (e.Kind == eldergate.KindMeal && !e.Delivered) {
			t.Fatalf("outbox entry %+v", e)
		}
	}
}
