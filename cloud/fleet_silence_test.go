package cloud_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// fakeClock is the cloud's injected clock, advanced by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestSilentGatewayMarkedOffline: with OfflineAfter 150 s (the default,
// 2.5 × the 60 s heartbeat) and the clock injected, a gateway whose birth
// is 149 s old stays online through many monitor passes, at 151 s it is
// shown offline (no will was sent: the connection stays up), its next
// batch brings it online again, and after another silence its next birth
// does.
func TestSilentGatewayMarkedOffline(t *testing.T) {
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	c, err := cloud.New(cloud.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0", AdminToken: adminToken,
		Gateways: seeds, Logger: logger(), Now: clock.Now,
		FleetCheckEvery: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	cl := mustConnect(t, c, "gw-a", "secret-a")
	acks := subscribeAcks(t, cl, "gw-a")
	if err := publish(t, cl, "eg/v1/gw/gw-a/state", []byte(`{"online":true,"boot":1,"version":"1.0"}`)); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, c, "gw-a", 5*time.Second, func(g apiGateway) bool { return g.Online && g.Boot == 1 })

	clock.Advance(149 * time.Second)
	time.Sleep(300 * time.Millisecond) // ~30 monitor passes
	if g := apiGatewayState(t, c, "gw-a"); !g.Online {
		t.Fatalf("gateway silent for 149 s shown offline: %+v", g)
	}
	clock.Advance(2 * time.Second)
	took := waitAPI(t, c, "gw-a", 2*time.Second, func(g apiGateway) bool { return !g.Online && g.Boot == 1 })
	t.Logf("silent for 151 s: shown offline after %v of real time", took)

	// The next batch brings it online again.
	e := storetest.Meal(t, "gw-a", 1, "E1", clock.Now())
	if err := publish(t, cl, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", e)); err != nil {
		t.Fatal(err)
	}
	if a := waitAck(t, acks); !sameIDs(a.IDs, e) {
		t.Fatalf("ack = %+v", a)
	}
	waitAPI(t, c, "gw-a", 2*time.Second, func(g apiGateway) bool { return g.Online })

	// Silent again: offline; the next birth brings it online.
	clock.Advance(151 * time.Second)
	waitAPI(t, c, "gw-a", 2*time.Second, func(g apiGateway) bool { return !g.Online })
	if err := publish(t, cl, "eg/v1/gw/gw-a/state", []byte(`{"online":true,"boot":1,"version":"1.0"}`)); err != nil {
		t.Fatal(err)
	}
	waitAPI(t, c, "gw-a", 2*time.Second, func(g apiGateway) bool { return g.Online })
	// gw-b never said anything: it is not listed online at any time.
	if g := apiGatewayState(t, c, "gw-b"); g.Online {
		t.Fatalf("gw-b online: %+v", g)
	}
}
