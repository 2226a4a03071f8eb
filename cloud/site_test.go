package cloud_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// TestEventsFiledUnderRegisteredSite (issue 9): gateway gw-a, registered
// at site-gw-a, sends on its own up topic one batch holding a meal of its
// site, a meal and an alert naming site-gw-b (gw-b's site). The real cloud
// (embedded broker, SQLite) stores the meal of its own site and rejects
// the other two with a reason naming the site, in the ack and in the dead
// letters; nothing is stored under site-gw-b, no alert is opened.
func TestEventsFiledUnderRegisteredSite(t *testing.T) {
	c := newCloud(t)
	a := mustConnect(t, c, "gw-a", "secret-a")
	acks := subscribeAcks(t, a, "gw-a")
	now := time.Now().UTC()

	own := storetest.Meal(t, "gw-a", 1, "E1", now)
	meal := storetest.Meal(t, "gw-a", 2, "E2", now)
	meal.Site = "site-gw-b"
	alert := storetest.Alert(t, "gw-a", 3, "al-1", eldergate.AlertRaised, "btn-1", now)
	alert.Site = "site-gw-b"
	if err := publish(t, a, eldergate.Topic("gw-a", eldergate.ChannelUp), batch(t, "gw-a", own, meal, alert)); err != nil {
		t.Fatal(err)
	}
	ack := waitAck(t, acks)
	if !sameIDs(ack.IDs, own) {
		t.Fatalf("acked %v, want only the meal of gw-a's own site %s", ack.IDs, own.ID)
	}
	var rejected []string
	for _, r := range ack.Rejected {
		if !strings.Contains(r.Reason, `site: "site-gw-b" is not the site gateway gw-a is registered at`) {
			t.Errorf("rejection %+v: want a reason naming the site", r)
		}
		rejected = append(rejected, r.ID)
	}
	slices.Sort(rejected)
	want := []string{meal.ID, alert.ID}
	slices.Sort(want)
	if !slices.Equal(rejected, want) {
		t.Fatalf("rejected %v, want %v", rejected, want)
	}

	ctx := context.Background()
	st := c.Store()
	meals, err := st.ListMeals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(meals) != 1 || meals[0].EventID != own.ID || meals[0].Site != "site-gw-a" {
		t.Fatalf("meals %+v: want only %s, under site-gw-a", meals, own.ID)
	}
	if alerts, err := st.ListAlerts(ctx, ""); err != nil || len(alerts) != 0 {
		t.Fatalf("alerts %+v, %v: want none", alerts, err)
	}
	if n, err := st.CountEvents(ctx); err != nil || n != 1 {
		t.Fatalf("%d events stored, %v: want 1", n, err)
	}
	dead, err := st.ListRejections(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var deadIDs []string
	for _, d := range dead {
		if d.GW == "gw-a" && strings.Contains(d.Reason, "site-gw-b") {
			deadIDs = append(deadIDs, d.EventID)
		}
	}
	slices.Sort(deadIDs)
	if !slices.Equal(deadIDs, want) {
		t.Fatalf("dead letters %+v: want the two events naming site-gw-b", dead)
	}
}

// TestConfigRefusesGatewayWithoutSite: a configured gateway needs a site
// (its events are filed under it), and NoIngest needs an external broker
// (standalone ingesters cannot reach the embedded one).
func TestConfigRefusesGatewayWithoutSite(t *testing.T) {
	for _, tc := range []struct {
		cfg  cloud.Config
		want string
	}{
		{cloud.Config{DataDir: t.TempDir(), AdminToken: adminToken, Gateways: []cloud.GatewaySeed{{ID: "gw-a", Secret: "s"}}}, "no site"},
		{cloud.Config{DataDir: t.TempDir(), AdminToken: adminToken, NoIngest: true}, "external broker"},
	} {
		if _, err := cloud.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: err %v, want one containing %q", err, tc.want)
		}
	}
}
