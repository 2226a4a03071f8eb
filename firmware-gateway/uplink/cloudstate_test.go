package uplink_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// publishCloudState publishes a retained cloud state as an ingester does.
func (c *cloud) publishCloudState(st eldergate.CloudState) {
	p, _ := json.Marshal(st)
	tok := c.c.Publish(eldergate.CloudStateTopic, 1, true, p)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		c.t.Errorf("cloud state publish: %v", tok.Error())
	}
}

// noBatch fails when a batch arrives within d.
func (c *cloud) noBatch(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case b := <-c.got:
		t.Fatalf("a batch of %d events went out %s", len(b.Events), why)
	case <-time.After(d):
	}
}

// TestResendOnNewCloudBoot (ADR 0012): with a long ack timeout and no
// acks, what is not acknowledged goes out again at once, the alarm alone
// first,
// when the cloud announces an ingester boot not seen before, and only
// then: not for the retained copy met on connecting (the connection
// resends anyway), not for a boot seen before, not for an offline state.
func TestResendOnNewCloudBoot(t *testing.T) {
	url := startBroker(t)
	cl := newCloud(t, url)
	cl.publishCloudState(eldergate.CloudState{Online: true, Boot: "ingest-a.1"})
	s := openStore(t)
	for i := range 50 {
		commit(t, s, eldergate.KindMeal, i)
	}
	alert := commit(t, s, eldergate.KindAlert, 100)
	startUplink(t, url, s, uplink.Config{AckTimeout: time.Minute, BatchWait: 20 * time.Millisecond})

	// A resend: the alarm alone at once, then the meals, the alarm not
	// sent twice.
	first := func(why string) {
		t.Helper()
		b := cl.next(t, 5*time.Second)
		if len(b.Events) != 1 || b.Events[0].ID != alert {
			t.Fatalf("%s: first batch of %d events starting with %s %s, want the alarm alone", why, len(b.Events), b.Events[0].Kind, b.Events[0].ID)
		}
		b = cl.next(t, 5*time.Second)
		if len(b.Events) != 50 {
			t.Fatalf("%s: second batch of %d events, want the 50 meals", why, len(b.Events))
		}
		for _, e := range b.Events {
			if e.Kind != eldergate.KindMeal {
				t.Fatalf("%s: second batch holds a %s", why, e.Kind)
			}
		}
	}
	first("on connecting")
	cl.noBatch(t, 500*time.Millisecond, "for the retained cloud state met on connecting")

	sent := time.Now()
	cl.publishCloudState(eldergate.CloudState{Online: true, Boot: "ingest-b.1"})
	first("on a new ingester boot")
	t.Logf("resent %v after the new boot was published", time.Since(sent).Round(time.Millisecond))

	cl.publishCloudState(eldergate.CloudState{Online: true, Boot: "ingest-b.1"})
	cl.noBatch(t, 500*time.Millisecond, "for a boot seen before")
	cl.publishCloudState(eldergate.CloudState{Online: false, Boot: "ingest-a"})
	cl.noBatch(t, 500*time.Millisecond, "for an offline state")
	cl.publishCloudState(eldergate.CloudState{Online: true, Boot: "ingest-a.2"})
	first("on another new boot")
}
