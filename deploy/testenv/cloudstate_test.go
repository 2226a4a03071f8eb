package testenv

import (
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// retainedCloudState subscribes as user to eg/v1/cloud/state and returns
// the SUBACK code and the retained payload ("" when none came in 2 s).
func retainedCloudState(t *testing.T, url, user, pass string) (byte, string) {
	t.Helper()
	c, err := connect(t, url, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(0)
	got := make(chan string, 1)
	tok := c.Subscribe("eg/v1/cloud/state", 1, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case got <- string(m.Payload()):
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	code := tok.(*mqtt.SubscribeToken).Result()["eg/v1/cloud/state"]
	if code > 2 {
		return code, ""
	}
	select {
	case p := <-got:
		return code, p
	case <-time.After(2 * time.Second):
		return code, ""
	}
}

// TestMosquittoCloudState (ADR 0012) on a real, persistent Mosquitto with
// the production ACL: a gateway reads the cloud's retained state and
// cannot write it (its forged state is dropped); the state survives a
// restart of the broker, and so does the persistent session of an
// ingester: a batch published while the ingester and then the broker
// were down reaches it when it is back under the same client id.
func TestMosquittoCloudState(t *testing.T) {
	m := StartRestartableMosquitto(t, map[string]string{"eldergate-cloud": "c", "gw-a": "a"}, ACLFile())
	const real = `{"online":true,"boot":"real"}`

	ingest := func() (mqtt.Client, chan string) {
		got := make(chan string, 10)
		o := mqtt.NewClientOptions().AddBroker(m.URL).SetClientID("eg-cloud-ingest-test").SetUsername("eldergate-cloud").SetPassword("c").
			SetProtocolVersion(4).SetCleanSession(false).SetAutoReconnect(false).SetConnectTimeout(3 * time.Second).
			SetDefaultPublishHandler(func(_ mqtt.Client, msg mqtt.Message) { got <- string(msg.Payload()) })
		c := mqtt.NewClient(o)
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("ingester connect: %v", tok.Error())
		}
		return c, got
	}
	cloud, _ := ingest()
	if tok := cloud.Subscribe("$share/ingest/eg/v1/gw/+/up", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if tok := cloud.Publish("eg/v1/cloud/state", 1, true, real); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cloud.Disconnect(100) // the session stays

	gw, err := connect(t, m.URL, "gw-a", "a")
	if err != nil {
		t.Fatal(err)
	}
	gw.Publish("eg/v1/cloud/state", 1, true, `{"online":true,"boot":"forged"}`).WaitTimeout(5 * time.Second)
	gw.Publish("eg/v1/gw/gw-a/up", 1, false, "batch while the ingester is away").WaitTimeout(5 * time.Second)
	gw.Disconnect(100)
	if code, p := retainedCloudState(t, m.URL, "gw-a", "a"); code > 2 || p != real {
		t.Fatalf("gateway reads the cloud state: code %#x, payload %q; want granted, %s", code, p, real)
	}
	m.Stop()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if _, p := retainedCloudState(t, m.URL, "gw-a", "a"); p != real {
		t.Fatalf("cloud state after a broker restart = %q, want %s", p, real)
	}
	back, got := ingest()
	defer back.Disconnect(0)
	select {
	case p := <-got:
		if p != "batch while the ingester is away" {
			t.Fatalf("ingester got %q", p)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the batch queued in the ingester's session was lost with the broker's restart")
	}
}
