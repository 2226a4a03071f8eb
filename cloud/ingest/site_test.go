package ingest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/ingest"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestRegisteredSite (issue 9), one ingester behind a real Mosquitto with
// the production ACL, on the real SQLite store:
//   - an event naming another site than its gateway's registered one is
//     rejected with a reason and counted (SiteMismatches); the gateway's
//     event of its own site in the same batch is stored;
//   - a gateway re-registered at another site: its events naming the new
//     site are stored at once (a mismatch with the cached site is checked
//     against a fresh read before refusing), those naming the old one are
//     refused; after a later re-registration its birth drops the cached
//     site;
//   - a gateway not registered anywhere gets no ack (its events stay in
//     its outbox) and nothing is stored; once registered, its resent
//     batch is stored.
func TestRegisteredSite(t *testing.T) {
	users := map[string]string{"eldergate-cloud": "pw", "gw-a": "pw", "gw-u": "pw"}
	m := testenv.StartMosquitto(t, users, testenv.ACLFile())
	ctx := context.Background()
	st := openStore(t, "gw-a")
	in := startIngester(t, ingest.Config{BrokerURL: m.URL, Username: "eldergate-cloud", Password: "pw", ClientID: "eg-cloud-ingest-s", Store: st})

	gws := map[string]*testGateway{}
	for _, gw := range []string{"gw-a", "gw-u"} {
		gws[gw] = connectGateway(t, m.URL, gw)
	}
	at := time.Now().UTC()
	meal := func(gw string, seq uint64, site string) eldergate.Envelope {
		e := storetest.Meal(t, gw, seq, "E1", at)
		e.Site = site
		return e
	}

	// Another site in a batch of gw-a.
	own, other := meal("gw-a", 1, "site-gw-a"), meal("gw-a", 2, "site-b")
	a := gws["gw-a"].send(t, own, other)
	if len(a.IDs) != 1 || a.IDs[0] != own.ID || len(a.Rejected) != 1 || a.Rejected[0].ID != other.ID ||
		!strings.Contains(a.Rejected[0].Reason, `"site-b" is not the site gateway gw-a is registered at`) {
		t.Fatalf("ack %+v: want %s stored and %s rejected for its site", a, own.ID, other.ID)
	}
	if n := in.SiteMismatches(); n != 1 {
		t.Fatalf("SiteMismatches = %d, want 1", n)
	}

	// Re-registered at site-b: site-b's events are stored at once, the
	// old site's refused.
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "site-b"}); err != nil {
		t.Fatal(err)
	}
	moved, old := meal("gw-a", 3, "site-b"), meal("gw-a", 4, "site-gw-a")
	a = gws["gw-a"].send(t, moved, old)
	if len(a.IDs) != 1 || a.IDs[0] != moved.ID || len(a.Rejected) != 1 || a.Rejected[0].ID != old.ID {
		t.Fatalf("after re-registration: ack %+v: want %s stored, %s rejected", a, moved.ID, old.ID)
	}
	meals, err := st.ListMeals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]string{}
	for _, m := range meals {
		sites[m.EventID] = m.Site
	}
	if len(sites) != 2 || sites[own.ID] != "site-gw-a" || sites[moved.ID] != "site-b" {
		t.Fatalf("meals stored: %v", sites)
	}

	// Re-registered at site-c: until its next birth (or SiteCacheTTL) the
	// ingester may still take site-b from its cache; after the birth,
	// site-b's events are refused.
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: "gw-a", Site: "site-c"}); err != nil {
		t.Fatal(err)
	}
	if tok := gws["gw-a"].c.Publish(eldergate.Topic("gw-a", eldergate.ChannelState), 1, false, []byte(`{"online":true,"boot":1}`)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("birth: %v", tok.Error())
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		list, err := st.ListGateways(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 && list[0].StateAt != nil {
			break
		}
		if time.Now().After(end) {
			t.Fatal("birth not applied")
		}
	}
	late := meal("gw-a", 5, "site-b")
	if a = gws["gw-a"].send(t, late); len(a.IDs) != 0 || len(a.Rejected) != 1 || a.Rejected[0].ID != late.ID {
		t.Fatalf("after the birth: ack %+v: want %s rejected", a, late.ID)
	}

	// Not registered: no ack, nothing stored; registered: stored.
	u := meal("gw-u", 1, "site-gw-u")
	body := batchOf(t, "gw-u", u)
	gws["gw-u"].publish(t, body)
	select {
	case a := <-gws["gw-u"].acks:
		t.Fatalf("unregistered gateway acked: %+v", a)
	case <-time.After(time.Second):
	}
	if in.Unregistered() != 1 {
		t.Fatalf("Unregistered = %d, want 1", in.Unregistered())
	}
	register(t, st, "gw-u")
	gws["gw-u"].publish(t, body) // its uplink resends after the ack timeout
	if a := gws["gw-u"].wait(t); len(a.IDs) != 1 || a.IDs[0] != u.ID {
		t.Fatalf("ack after registration %+v", a)
	}
	if n, err := st.CountEvents(ctx); err != nil || n != 3 {
		t.Fatalf("%d events stored, %v; want 3", n, err)
	}
	if n := in.SiteMismatches(); n != 3 {
		t.Fatalf("SiteMismatches = %d, want 3", n)
	}
	dead, err := st.ListRejections(ctx, "")
	if err != nil || len(dead) != 3 {
		t.Fatalf("dead letters %+v, %v: want the 3 events refused for their site", dead, err)
	}
}
