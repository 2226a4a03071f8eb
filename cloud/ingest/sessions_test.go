package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/storetest"
)

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
	b := embeddedBroker(t)
	gws := make([]string, gateways)
	for i := range gws {
		gws[i] = fmt.Sprintf("gw-s%02d", i)
	}
	real := openStore(t, gws...)
	st := &countingStore{Store: real, states: map[string]int{}}
	user, pw := b.ServiceCredentials()
	in := startIngester(t, ingest.Config{BrokerURL: b.URL(), Username: user, Password: pw, ClientID: "eg-cloud-ingest-sessions",
		Store: st, Sessions: sessions})

	at := time.Now().UTC()
	clients := make([]*testGateway, len(gws))
	for k, gw := range gws {
		g := connectGateway(t, b.URL(), gw)
		clients[k] = g
		birth, _ := json.Marshal(eldergate.State{Online: true, Boot: 1})
		if tok := g.c.Publish(eldergate.Topic(gw, eldergate.ChannelState), 1, false, birth); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish state: %v", tok.Error())
		}
		for i := 1; i <= batches; i++ {
			g.publish(t, batchOf(t, gw, storetest.Meal(t, gw, uint64(i), "E1", at)))
		}
	}
	for _, g := range clients {
		for got := 0; got < batches; {
			got += len(g.wait(t).IDs)
		}
	}
	if n, err := real.CountEvents(context.Background()); err != nil || n != gateways*batches {
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
