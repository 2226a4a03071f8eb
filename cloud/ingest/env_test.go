package ingest_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/broker"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// The setup this package's tests share: a broker, the real SQLite store,
// an ingester, and gateways' MQTT clients.

// anyGateway admits every gateway to the embedded broker (the tests
// are about the ingester, not about gateway credentials).
type anyGateway struct{}

func (anyGateway) AuthenticateGateway(context.Context, string, string) bool { return true }

// embeddedBroker starts the cloud's embedded broker on a loopback port,
// admitting every gateway; it is closed when the test ends.
func embeddedBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Gateways: anyGateway{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// openStore opens the real SQLite store in a temporary directory with
// gws registered (register); it is closed when the test ends.
func openStore(t *testing.T, gws ...string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.OpenFile(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	register(t, st, gws...)
	return st
}

// startIngester makes and starts the ingester of cfg; it is closed when
// the test ends.
func startIngester(t *testing.T, cfg ingest.Config) *ingest.Ingester {
	t.Helper()
	in, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// register registers each gateway at site "site-"+gw, the site of
// storetest's events.
func register(t testing.TB, st domain.Store, gws ...string) {
	t.Helper()
	for _, gw := range gws {
		if err := st.UpsertGateway(context.Background(), domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}
}

// testGateway is a gateway's MQTT client and the acks it received.
type testGateway struct {
	gw   string
	c    paho.Client
	acks chan eldergate.Ack
}

func connectGateway(t *testing.T, url, gw string) *testGateway {
	t.Helper()
	g := &testGateway{gw: gw, acks: make(chan eldergate.Ack, 10)}
	g.c = paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(gw).SetUsername(gw).SetPassword("pw").
		SetProtocolVersion(4).SetCleanSession(true))
	if tok := g.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: connect: %v", gw, tok.Error())
	}
	t.Cleanup(func() { g.c.Disconnect(50) })
	tok := g.c.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, func(_ paho.Client, msg paho.Message) {
		var a eldergate.Ack
		if json.Unmarshal(msg.Payload(), &a) == nil {
			g.acks <- a
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: subscribe: %v", gw, tok.Error())
	}
	return g
}

func batchOf(t *testing.T, gw string, events ...eldergate.Envelope) []byte {
	t.Helper()
	body, err := json.Marshal(eldergate.Batch{V: 1, GW: gw, Boot: 1, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func (g *testGateway) publish(t *testing.T, body []byte) {
	t.Helper()
	if tok := g.c.Publish(eldergate.Topic(g.gw, eldergate.ChannelUp), 1, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: publish: %v", g.gw, tok.Error())
	}
}

func (g *testGateway) wait(t *testing.T) eldergate.Ack {
	t.Helper()
	select {
	case a := <-g.acks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no ack within 10s", g.gw)
	}
	return eldergate.Ack{}
}

// send publishes one batch of events and returns its ack.
func (g *testGateway) send(t *testing.T, events ...eldergate.Envelope) eldergate.Ack {
	t.Helper()
	g.publish(t, batchOf(t, g.gw, events...))
	return g.wait(t)
}
