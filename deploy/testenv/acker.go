package testenv

import (
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
)

// Acker is the smallest possible cloud: it subscribes to every gateway's
// up topic and answers each batch at once with an application ack naming
// all its events. It commits nothing; benchmarks use it to measure the
// gateway side alone.
type Acker struct {
	client mqtt.Client
	events atomic.Int64
	acks   atomic.Int64
}

// StartAcker connects to the broker at url as user and subscribes. It is
// disconnected when the test ends.
func StartAcker(t testing.TB, url, user, password string) *Acker {
	t.Helper()
	a := &Acker{}
	ready := make(chan error, 1)
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID("testenv-acker").
		SetUsername(user).SetPassword(password).SetProtocolVersion(4).
		SetCleanSession(true).SetOrderMatters(false).SetAutoReconnect(true).
		SetOnConnectHandler(func(c mqtt.Client) {
			tok := c.Subscribe(eldergate.TopicPrefix+"+/up", 1, a.onBatch)
			tok.WaitTimeout(10 * time.Second)
			select {
			case ready <- tok.Error():
			default:
			}
		})
	a.client = mqtt.NewClient(opts)
	if tok := a.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("testenv: acker connect %s: %v", url, tok.Error())
	}
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("testenv: acker subscribe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("testenv: acker subscribe timed out")
	}
	t.Cleanup(func() { a.client.Disconnect(100) })
	return a
}

func (a *Acker) onBatch(c mqtt.Client, m mqtt.Message) {
	gw, _, err := eldergate.ParseTopic(m.Topic())
	if err != nil {
		return
	}
	var b struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if err := json.Unmarshal(m.Payload(), &b); err != nil {
		return
	}
	ids := make([]string, len(b.Events))
	for i, e := range b.Events {
		ids[i] = e.ID
	}
	body, _ := json.Marshal(eldergate.Ack{IDs: ids})
	c.Publish(eldergate.Topic(gw, eldergate.ChannelAck), 1, false, body) // not waited for: paho's router must not block
	a.events.Add(int64(len(ids)))
	a.acks.Add(1)
}

// Events is the number of events acknowledged so far (resends included).
func (a *Acker) Events() int64 { return a.events.Load() }

// Batches is the number of batches acknowledged so far.
func (a *Acker) Batches() int64 { return a.acks.Load() }
