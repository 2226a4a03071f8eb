package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/testenv"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// alarmWithin waits up to d for an alert of button in the cloud's store
// and returns when it was seen, or fails.
func alarmWithin(t *testing.T, c *cloud.Cloud, button string, d time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		alerts, err := c.Store().ListAlerts(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			if a.Button == button && a.GW == gwID {
				return time.Now()
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the alarm of button %s is not in the cloud %v after it was back", button, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAlarmsFirstAfterOutage is the acceptance of issue 10's "alarms
// first after any outage" (ADR 0012), on a real Mosquitto run as
// deploy/mosquitto/eldergate.conf runs it (persistent), the cloud (SQLite)
// and a gateway with the default ack timeout (5 s) and a simulated button.
// An alarm pressed while the path is down is committed in the cloud within
// 1 s of the path being back, in three outages:
//
//   - broker and cloud down, the broker back, the cloud right after;
//   - broker and cloud down, the broker back, the cloud 2 s later;
//   - only the cloud's ingester restarting, the broker up.
//
// "Back" for the cloud is the start of its start (opening the store,
// connecting, subscribing: what a restarted process does); the times are
// logged.
func TestAlarmsFirstAfterOutage(t *testing.T) {
	m := testenv.StartRestartableMosquitto(t, map[string]string{"eldergate-cloud": cloudPW, gwID: gwSecret}, testenv.ACLFile())
	ccfg := cloudConfig(t, m.URL)
	ccfg.IngestClientID = "eg-cloud-serve-outage-test"
	env := startCloud(t, ccfg)

	gcfg := config.Config{
		GatewayID: gwID, Site: siteID, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Simulation: true, Policy: allDay(), Roster: roster(1), TapDedupe: time.Second,
	}
	gcfg.MQTT.URL = m.URL
	gcfg.MQTT.Password = gwSecret
	gcfg.MQTT.BatchWait = 20 * time.Millisecond
	gcfg.MQTT.KeepAlive = 5 * time.Second // ack timeout: the default 5 s
	g, err := gateway.New(gcfg, gateway.WithLogger(logger(t).With("side", "gateway")))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	events := subscribe(t, g.HTTPURL())

	press := func(button string) string {
		t.Helper()
		post(t, g.HTTPURL()+"/api/sim/button", map[string]string{"button": button})
		return pressEvent(t, events, button)
	}
	// The path works: an alarm arrives.
	press("warm-up")
	alarmWithin(t, env.c, "warm-up", 10*time.Second)

	cloudBack := func() time.Time {
		t.Helper()
		at := time.Now()
		c, err := cloud.New(ccfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		env.c = c
		t.Logf("cloud started in %v", time.Since(at).Round(time.Millisecond))
		return at
	}
	cloudDown := func() {
		t.Helper()
		if err := env.c.Close(); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name   string
		button string
		gap    time.Duration // between the broker and the cloud coming back
	}{
		{"broker then cloud", "outage-1", 0},
		{"broker, cloud 2 s later", "outage-2", 2 * time.Second},
	} {
		cloudDown()
		m.Stop()
		press(tc.button)
		time.Sleep(300 * time.Millisecond)
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
		brokerAt := time.Now()
		time.Sleep(tc.gap)
		cloudAt := cloudBack()
		seen := alarmWithin(t, env.c, tc.button, time.Second)
		t.Logf("%s: alarm committed %v after the cloud was back (%v after the broker)", tc.name,
			seen.Sub(cloudAt).Round(time.Millisecond), seen.Sub(brokerAt).Round(time.Millisecond))
	}

	// Only the ingester restarts; the broker stays up.
	cloudDown()
	press("outage-3")
	time.Sleep(time.Second)
	cloudAt := cloudBack()
	seen := alarmWithin(t, env.c, "outage-3", time.Second)
	t.Logf("ingester restart: alarm committed %v after the cloud was back", seen.Sub(cloudAt).Round(time.Millisecond))
}
