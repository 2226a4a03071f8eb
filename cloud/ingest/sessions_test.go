package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/broker"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// anyGateway admits every gateway to the embedded broker (the test is
// about the ingester's sessions, not about gateway credentials).
type anyGateway struct{}

func (anyGateway) AuthenticateGateway(context.Context, string, string) bool { return true }

// countingStore is the real SQLite store counting the states applied per
// gateway.
type countingStore struct {
	domain.Store
	mu     sync.Mutex
	states map[string]int
}

func (s *countingStore) ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error) {
	s.mu.Lock()
	s.states[gw]++
	s.mu.Unlock()
	return s.Store.ApplyGatewayState(ctx, gw, st, at)
}

func (s *countingStore) ApplyGatewayStates(ctx context.Context, states []domain.GatewayStateAt) ([]bool, error) {
	applied, err := s.Store.ApplyGatewayStates(ctx, states)
	if err == nil {
		s.mu.Lock()
		for _, g := range states {
			s.states[g.GW]++
		}
		s.mu.Unlock()
	}
	return applied, err
}

// TestSessionsShareTheLoad: an ingester of several sessions on the
// embedded broker takes the gateways' batches through all of them, every
// event is committed and acked once, and each gateway's state reaches the
// store once (session 0 alone takes the states, in order), not once per
// session.
func TestSessionsShareTheLoad(t *testing.T) {
	const sessions, gateways, batches = 3, 24, 4
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Gateways: anyGateway{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	real, err := sqlite.OpenFile(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	gws := make([]string, gateways)
	for i := range gws {
		gws[i] = fmt.Sprintf("gw-s%02d", i)
	}
	register(t, real, gws...)
	st := &countingStore{Store: real, states: map[string]int{}}
	user, pw := b.ServiceCredentials()
	in, err := ingest.New(ingest.Config{BrokerURL: b.URL(), Username: user, Password: pw, ClientID: "eg-cloud-ingest-sessions",
		Store: st, Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer in.Close()

	acked := make(chan int, gateways*batches)
	at := time.Now().UTC()
	for _, gw := range gws {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID(gw).SetUsername(gw).SetPassword("pw").
			SetProtocolVersion(4).SetCleanSession(true))
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect %s: %v", gw, tok.Error())
		}
		defer c.Disconnect(0)
		if tok := c.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, func(_ paho.Client, msg paho.Message) {
			var a eldergate.Ack
			if json.Unmarshal(msg.Payload(), &a) == nil {
				acked <- len(a.IDs)
			}
		}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe: %v", tok.Error())
		}
		birth, _ := json.Marshal(eldergate.State{Online: true, Boot: 1})
		if tok := c.Publish(eldergate.Topic(gw, eldergate.ChannelState), 1, false, birth); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish state: %v", tok.Error())
		}
		for i := 1; i <= batches; i++ {
			body, _ := json.Marshal(eldergate.Batch{V: 1, GW: gw, Boot: 1, Events: []eldergate.Envelope{storetest.Meal(t, gw, uint64(i), "E1", at)}})
			if tok := c.Publish(eldergate.Topic(gw, eldergate.ChannelUp), 1, false, body); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("publish: %v", tok.Error())
			}
		}
	}
	got := 0
	for got < gateways*batches {
		select {
		case k := <-acked:
			got += k
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of %d events acked", got, gateways*batches)
		}
	}
	if n, err := real.CountEvents(ctx); err != nil || n != gateways*batches {
		t.Fatalf("store holds %d events, %v; want %d", n, err, gateways*batches)
	}
	per := in.SessionMessages()
	if len(per) != sessions {
		t.Fatalf("%d sessions counted, want %d", len(per), sessions)
	}
	for i, n := range per {
		if n == 0 {
			t.Errorf("session %d took nothing of %d messages: %v", i, gateways*(batches+1), per)
		}
	}
	time.Sleep(200 * time.Millisecond) // a duplicate state would arrive with the batches
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, gw := range gws {
		if st.states[gw] != 1 {
			t.Errorf("%s: state applied %d times, want 1", gw, st.states[gw])
		}
	}
	t.Logf("messages per session: %v", per)
}
