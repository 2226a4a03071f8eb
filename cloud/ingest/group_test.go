package ingest_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// gatedStore is the real SQLite store with two faults injected: the
// first IngestBatches call waits for the gate (so that messages pile up
// in the worker's queue behind it), and every call holding a batch of
// gateway poison fails.
type gatedStore struct {
	domain.Store
	gate   chan struct{}
	once   sync.Once
	poison string

	mu    sync.Mutex
	calls [][]string // the gateways of each call's batches
}

func (s *gatedStore) IngestBatches(ctx context.Context, bs []domain.GatewayBatch, at time.Time) ([][]string, error) {
	s.once.Do(func() { <-s.gate })
	var gws []string
	for _, b := range bs {
		gws = append(gws, b.GW)
	}
	s.mu.Lock()
	s.calls = append(s.calls, gws)
	s.mu.Unlock()
	if slices.Contains(gws, s.poison) {
		return nil, errors.New("injected failure")
	}
	return s.Store.IngestBatches(ctx, bs, at)
}

// TestGroupCommitAndFallback: messages waiting together are committed in
// one call and acked once per gateway; when that call fails, each batch is
// committed on its own, so only the failing one goes unacknowledged.
func TestGroupCommitAndFallback(t *testing.T) {
	users := map[string]string{"eldergate-cloud": "pw", "gw-a": "pw", "gw-b": "pw", "gw-p": "pw"}
	m := testenv.StartMosquitto(t, users, testenv.ACLFile())
	ctx := context.Background()
	real := openStore(t, "gw-a", "gw-b", "gw-p")
	st := &gatedStore{Store: real, gate: make(chan struct{}), poison: "gw-p"}
	in := startIngester(t, ingest.Config{BrokerURL: m.URL, Username: "eldergate-cloud", Password: "pw", ClientID: "eg-cloud-ingest-t",
		Store: st, Workers: 1})

	gws := map[string]*testGateway{}
	for _, gw := range []string{"gw-a", "gw-b", "gw-p"} {
		gws[gw] = connectGateway(t, m.URL, gw)
	}
	at := time.Now().UTC()
	send := func(gw string, seq uint64) eldergate.Envelope {
		e := storetest.Meal(t, gw, seq, "E1", at)
		gws[gw].publish(t, batchOf(t, gw, e))
		return e
	}
	first := send("gw-a", 1) // taken alone, held at the gate
	deadline := time.Now().Add(5 * time.Second)
	for in.Groups() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// These wait in the queue behind it and form the next group.
	a2, a3, b1, _ := send("gw-a", 2), send("gw-a", 3), send("gw-b", 1), send("gw-p", 1)
	for in.Queued() < 4 && time.Now().Before(deadline.Add(5*time.Second)) {
		time.Sleep(5 * time.Millisecond) // the broker delivers them to the blocked worker's queue
	}
	close(st.gate)

	wantIDs := map[string][]string{"gw-a": {first.ID, a2.ID, a3.ID}, "gw-b": {b1.ID}}
	for gw, want := range wantIDs {
		var got []string
		for len(got) < len(want) {
			select {
			case a := <-gws[gw].acks:
				got = append(got, a.IDs...)
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: acked %v, want %v", gw, got, want)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: acked %v, want %v", gw, got, want)
		}
	}
	select {
	case a := <-gws["gw-p"].acks:
		t.Errorf("the failing gateway got an ack: %+v", a)
	case <-time.After(500 * time.Millisecond):
	}
	if n, err := real.CountEvents(ctx); err != nil || n != 4 {
		t.Errorf("store holds %d events, %v; want 4 (gw-a ×3, gw-b ×1)", n, err)
	}
	st.mu.Lock()
	calls := slices.Clone(st.calls)
	st.mu.Unlock()
	// [gw-a] alone, then the group [gw-a gw-a gw-b gw-p] that failed, then
	// its batches one by one.
	if len(calls) < 3 || len(calls[1]) != 4 {
		t.Fatalf("store calls %v: want the four waiting batches in one call after the first", calls)
	}
	var single int
	for _, c := range calls[2:] {
		if len(c) == 1 {
			single++
		}
	}
	if single != 4 {
		t.Errorf("after the failed group, %d single-batch calls, want 4: %v", single, calls)
	}
	// gw-a's two batches of the group came back in one ack.
	if in.Batches() != 4 {
		t.Errorf("Batches() = %d, want 4 handled (the failing one is not)", in.Batches())
	}
}

// TestQueueBytesBound: payload bytes taken from the broker and not yet
// handled never exceed Config.QueueBytes; the rest waits at the broker
// (not PUBACKed) and arrives once the worker catches up.
func TestQueueBytesBound(t *testing.T) {
	users := map[string]string{"eldergate-cloud": "pw", "gw-a": "pw"}
	m := testenv.StartMosquitto(t, users, testenv.ACLFile())
	ctx := context.Background()
	real := openStore(t, "gw-a")
	st := &gatedStore{Store: real, gate: make(chan struct{}), poison: "none"}
	const budget = 1000 // bytes: two one-meal batches (~420 bytes each)
	in := startIngester(t, ingest.Config{BrokerURL: m.URL, Username: "eldergate-cloud", Password: "pw",
		ClientID: "eg-cloud-ingest-q", Store: st, Workers: 1, QueueBytes: budget})
	g := connectGateway(t, m.URL, "gw-a")
	const n = 8
	at := time.Now().UTC()
	for i := 1; i <= n; i++ {
		body := batchOf(t, "gw-a", storetest.Meal(t, "gw-a", uint64(i), "E1", at))
		if len(body) > budget/2 {
			t.Fatalf("batch of %d bytes: the test wants two per budget", len(body))
		}
		g.publish(t, body)
	}
	// The worker is held at the gate with its first group; watch the
	// budget while the broker would deliver the rest.
	var most int64
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		most = max(most, in.Bytes())
	}
	if most > budget || most == 0 {
		t.Fatalf("queued bytes peaked at %d, want 1..%d", most, budget)
	}
	close(st.gate)
	got := 0
	for got < n {
		select {
		case a := <-g.acks:
			got += len(a.IDs)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d events acked", got, n)
		}
	}
	if cnt, err := real.CountEvents(ctx); err != nil || cnt != n {
		t.Fatalf("store holds %d events, %v; want %d", cnt, err, n)
	}
	t.Logf("queued bytes peaked at %d of %d while the worker was held", most, budget)
}
