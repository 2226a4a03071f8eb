package broker

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/eldergate/eldergate"
)

// TestMassDisconnectKeepsEveryWill: gateways drop all at once while the
// cloud's service client (a persistent session, as the ingester's) does
// not acknowledge anything: every will reaches it, none is dropped by the
// broker's per-client limits; the service client has the deep write
// queue and a gateway the shallow one.
func TestMassDisconnectKeepsEveryWill(t *testing.T) {
	const n = 300
	b, err := Start(Config{Addr: "127.0.0.1:0", Gateways: allowAll{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	user, pw := b.ServiceCredentials()
	var mu sync.Mutex
	wills := map[string]bool{}
	all := make(chan struct{})
	opts := paho.NewClientOptions().AddBroker(b.URL()).SetClientID(ServiceClientPrefix + "will-test").
		SetUsername(user).SetPassword(pw).SetCleanSession(false).SetAutoAckDisabled(true).SetOrderMatters(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			// Never acknowledged: the broker keeps every will in flight.
			mu.Lock()
			defer mu.Unlock()
			if string(m.Payload()) == "offline" && !wills[m.Topic()] {
				wills[m.Topic()] = true
				if len(wills) == n {
					close(all)
				}
			}
		})
	svc := paho.NewClient(opts)
	if tok := svc.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("service connect: %v", tok.Error())
	}
	defer svc.Disconnect(0)
	if tok := svc.Subscribe(eldergate.TopicPrefix+"+/state", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	conns := make([]net.Conn, n)
	for i := range conns {
		id := fmt.Sprintf("gw-will-%04d", i)
		conns[i] = dialRaw(t, b.Addr(), connectWithWill(id, eldergate.TopicPrefix+id+"/state", "offline"))
	}
	queueCap := func(id string) int {
		cl, ok := b.srv.Clients.Get(id)
		if !ok {
			t.Fatalf("no client %s", id)
		}
		out, _, err := writeQueueFields(cl)
		if err != nil {
			t.Fatal(err)
		}
		return cap(*out)
	}
	if got := queueCap(ServiceClientPrefix + "will-test"); got != ServiceWritesPending {
		t.Errorf("service client's write queue: %d, want %d", got, ServiceWritesPending)
	}
	if got := queueCap("gw-will-0000"); got != GatewayWritesPending {
		t.Errorf("gateway's write queue: %d, want %d", got, GatewayWritesPending)
	}
	for _, c := range conns { // all at once, no DISCONNECT: the wills go
		go c.Close()
	}
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d of %d wills reached the service client; broker dropped %d in flight, %d writes",
			len(wills), n, b.srv.Info.InflightDropped, b.srv.Info.MessagesDropped)
	}
	if d := b.srv.Info.InflightDropped + b.srv.Info.MessagesDropped; d != 0 {
		t.Errorf("broker dropped %d messages", d)
	}
}

// TestWriteQueueLayout fails when mochi-mqtt changes the client fields
// queue.go relies on (the broker would then fall back to a deep queue
// for every client, at 512 KB each).
func TestWriteQueueLayout(t *testing.T) {
	if err := checkWriteQueueLayout(mqtt.New(nil)); err != nil {
		t.Fatal(err)
	}
}
