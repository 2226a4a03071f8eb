package testenv

import (
	"context"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSClusterMQTTIntoStream checks the harness: three nodes, an MQTT
// QoS 1 publish on any node lands in an R3 stream capturing the mapped
// subject, and the cluster keeps a JetStream leader after one node is
// killed.
func TestNATSClusterMQTTIntoStream(t *testing.T) {
	c := StartNATSCluster(t, NATSOptions{})
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"eg.v1.gw.*.up"}, Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range c.MQTTURLs() {
		cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(u).SetClientID("t" + string(rune('a'+i))).
			SetUsername(c.User).SetPassword(c.Pass).SetProtocolVersion(4).SetCleanSession(true))
		if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("mqtt connect %s: %v", u, tok.Error())
		}
		tok := cl.Publish("eg/v1/gw/a.b/up", 1, false, []byte("x"))
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
		cl.Disconnect(100)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream holds %d messages, want 3", info.State.Msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	m, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("subject %q header %v", m.Subject, m.Header)
	c.Nodes[0].Kill()
	if err := c.WaitJetStream(ctx); err != nil {
		t.Fatal(err)
	}
}
