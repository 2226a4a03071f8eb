package testenv

import (
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

func connect(t *testing.T, url, user, pass string) (mqtt.Client, error) {
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(user + "-" + t.Name()).SetUsername(user).SetPassword(pass).
		SetProtocolVersion(4).SetConnectTimeout(3 * time.Second).SetAutoReconnect(false)
	c := mqtt.NewClient(o)
	tok := c.Connect()
	tok.WaitTimeout(5 * time.Second)
	return c, tok.Error()
}

// TestMosquittoACL checks the production ACL on a real broker: a gateway
// may use its own topics only, and the cloud's shared subscription works.
func TestMosquittoACL(t *testing.T) {
	m := StartMosquitto(t, map[string]string{"eldergate-cloud": "c", "gw-a": "a", "gw-b": "b"}, ACLFile())
	if _, err := connect(t, m.URL, "nobody", "x"); err == nil {
		t.Fatal("unknown user connected")
	}
	if _, err := connect(t, m.URL, "gw-a", "wrong"); err == nil {
		t.Fatal("wrong password connected")
	}
	cloud, err := connect(t, m.URL, "eldergate-cloud", "c")
	if err != nil {
		t.Fatal(err)
	}
	defer cloud.Disconnect(0)
	got := make(chan string, 10)
	tok := cloud.Subscribe("$share/ingest/eg/v1/gw/+/up", 1, func(_ mqtt.Client, msg mqtt.Message) { got <- msg.Topic() })
	tok.Wait()
	if err := tok.Error(); err != nil {
		t.Fatal(err)
	}
	a, err := connect(t, m.URL, "gw-a", "a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Disconnect(0)
	a.Publish("eg/v1/gw/gw-b/up", 1, false, "forged").Wait()
	a.Publish("eg/v1/gw/gw-a/up", 1, false, "mine").Wait()
	select {
	case topic := <-got:
		if topic != "eg/v1/gw/gw-a/up" {
			t.Fatalf("cloud received %s first; the forged publish got through", topic)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("own publish did not arrive")
	}
	select {
	case topic := <-got:
		t.Fatalf("unexpected message on %s", topic)
	case <-time.After(300 * time.Millisecond):
	}
}
