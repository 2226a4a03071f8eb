package ingest_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
)

// groupCountingStore is the real SQLite store counting its transactions
// of states.
type groupCountingStore struct {
	domain.Store
	mu     sync.Mutex
	groups []int // states per ApplyGatewayStates call
	single int   // ApplyGatewayState calls
}

func (s *groupCountingStore) ApplyGatewayStates(ctx context.Context, states []domain.GatewayStateAt) ([]bool, error) {
	s.mu.Lock()
	s.groups = append(s.groups, len(states))
	s.mu.Unlock()
	return s.Store.ApplyGatewayStates(ctx, states)
}

func (s *groupCountingStore) ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (bool, error) {
	s.mu.Lock()
	s.single++
	s.mu.Unlock()
	return s.Store.ApplyGatewayState(ctx, gw, st, at)
}

// TestStatesInGroups: consecutive states are applied in one transaction
// a group (at most MaxGroupStates), in their order (a will after its
// birth leaves the gateway offline), an unreadable state goes to the
// dead letters, and OnBirth runs once per birth applied.
func TestStatesInGroups(t *testing.T) {
	ctx := context.Background()
	real := openStore(t)
	st := &groupCountingStore{Store: real}
	var births []string
	in, err := ingest.NewCore(ingest.Config{Store: st, OnBirth: func(_ context.Context, gw string) { births = append(births, gw) }})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	at := time.Now().UTC()
	state := func(gw string, online bool, boot uint64, d time.Duration) ingest.Up {
		body, _ := json.Marshal(eldergate.State{Online: online, Boot: boot})
		return ingest.Up{Topic: eldergate.Topic(gw, eldergate.ChannelState), Payload: body, ReceivedAt: at.Add(d)}
	}
	n := ingest.MaxGroupStates + 3
	var ups []ingest.Up
	for i := range n - 3 {
		ups = append(ups, state(gwName(i), true, 1, time.Duration(i)*time.Millisecond))
	}
	// An unreadable state, gateway 0's will after its birth (same boot),
	// and an older boot of gateway 1 (not applied).
	ups = append(ups,
		ingest.Up{Topic: eldergate.Topic("gw-x", eldergate.ChannelState), Payload: []byte(`{"online":`)},
		state(gwName(0), false, 1, time.Second),
		state(gwName(1), true, 0, time.Second),
	)
	_, settled, err := in.Process(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range settled {
		if !ok {
			t.Fatalf("message %d not settled", i)
		}
	}
	if want := []int{ingest.MaxGroupStates, 2}; !slices.Equal(st.groups, want) || st.single != 0 {
		t.Fatalf("state transactions %v (+%d single), want %v", st.groups, st.single, want)
	}
	if len(births) != n-3 {
		t.Fatalf("OnBirth ran %d times, want %d", len(births), n-3)
	}
	gws, err := real.ListGateways(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	online := 0
	for _, g := range gws {
		if g.Online {
			online++
		}
		if g.ID == gwName(0) && g.Online {
			t.Errorf("%s online after its will", g.ID)
		}
	}
	if online != n-4 {
		t.Errorf("%d online, want %d", online, n-4)
	}
	if rej, err := real.ListRejections(ctx, ""); err != nil || len(rej) != 1 {
		t.Errorf("dead letters %v, %v; want the unreadable state", rej, err)
	}
}

func gwName(i int) string { return "gw-s" + string(rune('a'+i/26%26)) + string(rune('a'+i%26)) }
