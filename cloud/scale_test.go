package cloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

const (
	scaleGateways    = 100
	scaleEventsPerGW = 1000 // 100,000 in all
	scaleBatch       = 250  // events per publish
	scaleResendAfter = 30 * time.Second
)

// TestTwoIngestersOneSharedSubscription is acceptance 2 of issue 5: two
// ingester PROCESSES (`eldergate-cloud ingest`, built for the test) on one
// PostgreSQL database share $share/ingest behind a real Mosquitto with the
// production ACL; 100 simulated gateways send 100,000 events in QoS 1
// batches, resending every batch not fully acknowledged after a timeout.
// Every event is committed exactly once, the store holds exactly the
// events sent, no gateway shows a sequence gap, and both processes report
// (in their final log line after SIGTERM) that they committed part of the
// work.
func TestTwoIngestersOneSharedSubscription(t *testing.T) {
	start := time.Now()
	bin := testenv.BuildCloud(t)
	t.Logf("eldergate-cloud built in %v", time.Since(start))
	users := map[string]string{"eldergate-cloud": "cloud-pw"}
	gws := make([]string, scaleGateways)
	for i := range gws {
		gws[i] = fmt.Sprintf("gw-%03d", i)
		users[gws[i]] = "pw-" + gws[i]
	}
	m := testenv.StartMosquitto(t, users, testenv.ACLFile())
	pg := testenv.StartPostgres(t)
	dsn := pg.Database(t)
	t.Logf("mosquitto with %d users and postgres up in %v", len(users), time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var procs [2]*testenv.IngestProc
	for i := range procs {
		procs[i] = testenv.StartIngestProc(t, bin, "--broker", m.URL, "--broker-user", "eldergate-cloud",
			"--broker-password", "cloud-pw", "--store", dsn, "--workers", "4",
			"--client-id", fmt.Sprintf("eg-cloud-ingest-%d", i), "--stats", "5s")
	}
	t.Logf("two ingester processes ready after %v", time.Since(start))
	// The store, through a third connection pool: the gateways are
	// registered at the sites their events name, and the events are
	// counted there at the end.
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, gw := range gws {
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}

	// Build every gateway's events up front (seq 1..1000 per gateway).
	at := time.Now().UTC().Add(-time.Minute)
	batches := make([][][]byte, len(gws))
	batchIDs := make([][][]string, len(gws))
	var build sync.WaitGroup
	for g, gw := range gws {
		build.Add(1)
		go func() {
			defer build.Done()
			buildGateway(t, gw, at, &batches[g], &batchIDs[g])
		}()
	}
	build.Wait()
	if t.Failed() {
		t.FailNow()
	}

	sendStart := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(gws))
	resends := make(chan int, len(gws))
	for g, gw := range gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := simulateGateway(ctx, m.URL, gw, users[gw], batches[g], batchIDs[g])
			resends <- n
			if err != nil {
				errs <- fmt.Errorf("%s: %w", gw, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(resends)
	for err := range errs {
		t.Error(err)
	}
	totalResends := 0
	for n := range resends {
		totalResends += n
	}
	elapsed := time.Since(sendStart)

	// Stop both processes with SIGTERM; each logs its final counts.
	var committed, handled [2]int64
	for i, p := range procs {
		c, b, err := p.Stop(20 * time.Second)
		if err != nil {
			t.Errorf("ingester %d: %v\n%s", i, err, p.Logs())
		}
		committed[i], handled[i] = c, b
	}

	// Count in the store directly.
	n, err := st.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(scaleGateways * scaleEventsPerGW)
	if n != want {
		t.Errorf("store holds %d events, sent %d", n, want)
	}
	list, err := st.ListGateways(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != scaleGateways {
		t.Errorf("%d gateways listed, want %d", len(list), scaleGateways)
	}
	for _, g := range list {
		if g.SeqMax != scaleEventsPerGW || g.SeqGaps != 0 || g.ClockSkewMs == nil || *g.ClockSkewMs < 60000 {
			t.Errorf("gateway %s: seq_max %d seq_gaps %d skew %v", g.ID, g.SeqMax, g.SeqGaps, g.ClockSkewMs)
		}
	}
	rej, err := st.ListRejections(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 0 {
		t.Errorf("%d rejections, want none; first: %+v", len(rej), rej[0])
	}
	if committed[0] == 0 || committed[1] == 0 {
		t.Errorf("ingester processes committed %d and %d events: both must take part", committed[0], committed[1])
	}
	if committed[0]+committed[1] < want {
		t.Errorf("ingester processes acknowledged %d events, want at least %d", committed[0]+committed[1], want)
	}
	t.Logf("%d events from %d gateways committed in %v (%.0f events/s); process 0: %d events in %d batches, process 1: %d in %d; %d batches resent; total %v",
		n, scaleGateways, elapsed, float64(n)/elapsed.Seconds(), committed[0], handled[0], committed[1], handled[1], totalResends, time.Since(start))
}

// simulateGateway acts as one gateway's uplink: it publishes all its
// batches at QoS 1, collects the application acks and resends every batch
// with unacknowledged events after scaleResendAfter. It returns the number
// of resends.
func simulateGateway(ctx context.Context, url, gw, password string, batches [][]byte, ids [][]string) (int, error) {
	var mu sync.Mutex
	pending := map[string]int{} // event id -> batch index
	left := make([]int, len(batches))
	for b, bids := range ids {
		for _, id := range bids {
			pending[id] = b
		}
		left[b] = len(bids)
	}
	done := make(chan struct{})
	var doneOnce sync.Once
	onAck := func(_ paho.Client, msg paho.Message) {
		var a eldergate.Ack
		if err := json.Unmarshal(msg.Payload(), &a); err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range a.IDs {
			if b, ok := pending[id]; ok {
				delete(pending, id)
				left[b]--
			}
		}
		if len(pending) == 0 {
			doneOnce.Do(func() { close(done) })
		}
	}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(gw).SetUsername(gw).SetPassword(password).
		SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(true).SetOrderMatters(false).
		SetConnectTimeout(10 * time.Second)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(20*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	if tok := c.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, onAck); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("subscribe: %v", tok.Error())
	}
	up := eldergate.Topic(gw, eldergate.ChannelUp)
	publish := func(b int) error {
		tok := c.Publish(up, 1, false, batches[b])
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			return fmt.Errorf("publish batch %d: %v", b, tok.Error())
		}
		return nil
	}
	for b := range batches {
		if err := publish(b); err != nil {
			return 0, err
		}
	}
	resent := 0
	for {
		select {
		case <-done:
			return resent, nil
		case <-ctx.Done():
			mu.Lock()
			defer mu.Unlock()
			return resent, fmt.Errorf("%d events never acknowledged: %w", len(pending), ctx.Err())
		case <-time.After(scaleResendAfter):
			mu.Lock()
			var again []int
			for b, n := range left {
				if n > 0 {
					again = append(again, b)
				}
			}
			mu.Unlock()
			for _, b := range again {
				if err := publish(b); err != nil {
					return resent, err
				}
				resent++
			}
		}
	}
}

func buildGateway(t *testing.T, gw string, at time.Time, batches *[][]byte, batchIDs *[][]string) {
	{
		for b := 0; b < scaleEventsPerGW/scaleBatch; b++ {
			evs := make([]eldergate.Envelope, scaleBatch)
			ids := make([]string, scaleBatch)
			for k := range evs {
				seq := uint64(b*scaleBatch + k + 1)
				evs[k] = storetest.Meal(t, gw, seq, fmt.Sprintf("E%d", seq%50), at)
				ids[k] = evs[k].ID
			}
			body, err := json.Marshal(eldergate.Batch{V: 1, GW: gw, Boot: 1, Events: evs})
			if err != nil {
				t.Error(err)
				return
			}
			*batches = append(*batches, body)
			*batchIDs = append(*batchIDs, ids)
		}
	}
}
