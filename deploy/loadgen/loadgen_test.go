package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud"
	"github.com/eldergate/eldergate/deploy/loadgen"
)

// startCloud starts a real cloud (embedded broker, SQLite) with gws
// registered in its store.
func startCloud(t *testing.T, gws []loadgen.Gateway) *cloud.Cloud {
	t.Helper()
	c, err := cloud.New(cloud.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0",
		AdminToken: "loadgen-test-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("cloud start: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := loadgen.Register(ctx, c.Store(), gws); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFleetAgainstCloud: 20 gateways with their own credentials send
// meals, alarms, heartbeats and a backlog to a real cloud for 2 s; every
// event is acknowledged exactly once and stored, the hooks see every
// send and ack, and an alarm raised on demand is acknowledged.
func TestFleetAgainstCloud(t *testing.T) {
	gws := loadgen.Generate("lg", "", 20)
	c := startCloud(t, gws)
	var sends, acks, alarmAcks atomic.Int64
	var mu sync.Mutex
	sent := map[string]bool{}
	f := loadgen.Fleet{
		Broker: c.BrokerURL(), Gateways: gws,
		MealsPerSec: 200, AlarmsPerSec: 5, HeartbeatEvery: 500 * time.Millisecond,
		Backlog: 30, BatchSize: 10, StartTogether: true, Duration: 2 * time.Second, ConnectPerSec: 200, Settle: 10 * time.Second,
		OnSend: func(e loadgen.SentInfo) {
			sends.Add(1)
			mu.Lock()
			sent[e.ID] = true
			mu.Unlock()
		},
		OnAck: func(a loadgen.AckInfo) {
			acks.Add(1)
			if a.Kind == eldergate.KindAlert {
				alarmAcks.Add(1)
			}
			mu.Lock()
			defer mu.Unlock()
			if !sent[a.ID] {
				t.Errorf("ack of %s before its send", a.ID)
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := f.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.Connected() < len(gws) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	id, alertID, err := r.Alarm(3)
	if err != nil || id == "" || alertID == "" {
		t.Fatalf("Alarm: %q %q %v", id, alertID, err)
	}
	res, err := r.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if !res.OK || res.Acked != res.Sent || res.Rejected != 0 || res.Unacked != 0 {
		t.Fatalf("acked %d of %d sent (rejected %d, unacked %d): %s", res.Acked, res.Sent, res.Rejected, res.Unacked, res.Note)
	}
	if res.Meals < 20*30+300 || res.Alarms < 5 || res.Heartbeats < 20*3 {
		t.Errorf("meals %d, alarms %d, heartbeats %d: fewer than the rates make", res.Meals, res.Alarms, res.Heartbeats)
	}
	if res.Sent != res.Meals+res.Alarms+res.Heartbeats || sends.Load() != res.Sent || acks.Load() != res.Acked {
		t.Errorf("sent %d = %d+%d+%d? hooks: %d sends, %d acks", res.Sent, res.Meals, res.Alarms, res.Heartbeats, sends.Load(), acks.Load())
	}
	if alarmAcks.Load() != res.Alarms {
		t.Errorf("%d alarms acked through the hook, %d sent", alarmAcks.Load(), res.Alarms)
	}
	if res.EverConnected != 20 || res.ConnectP50Ms <= 0 || res.AckP99Ms <= 0 || res.AllConnectedS <= 0 {
		t.Errorf("connect/ack figures missing: %+v", res)
	}
	n, err := c.Store().CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != res.Sent {
		t.Errorf("store holds %d events, sent %d", n, res.Sent)
	}
}

// TestFleetWrongPassword: a gateway with a wrong password never connects
// and the result says so (not OK).
func TestFleetWrongPassword(t *testing.T) {
	gws := loadgen.Generate("lg", "", 2)
	c := startCloud(t, gws)
	gws[1].Pass = "wrong-password-wrong-password-wrong"
	var refused atomic.Int64
	res, err := (&loadgen.Fleet{Broker: c.BrokerURL(), Gateways: gws, MealsPerSec: 10, Duration: 1500 * time.Millisecond,
		Settle: 2 * time.Second, OnConnect: func(i int, _ time.Duration, err error) {
			if i == 1 && err != nil {
				refused.Add(1)
			}
		}}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.EverConnected != 1 || res.ConnectErrors == 0 || refused.Load() == 0 || res.Unsent == 0 {
		t.Fatalf("a gateway with a wrong password: %+v", res)
	}
}

// TestMainRegistersAndRuns: the command registers its generated gateways
// in the cloud's store (SQLite data directory), runs them and prints one
// JSON line saying every event was acknowledged.
func TestMainRegistersAndRuns(t *testing.T) {
	dir := t.TempDir()
	c, err := cloud.New(cloud.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", BrokerAddr: "127.0.0.1:0",
		AdminToken: "loadgen-test-token"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	gwFile := filepath.Join(t.TempDir(), "gws.csv")
	var stdout, stderr bytes.Buffer
	err = loadgen.Main(ctx, []string{"-broker", c.BrokerURL(), "-gateways", "5", "-register", dir, "-write-gateways", gwFile,
		"-meals", "50", "-alarms", "2", "-heartbeat", "1s", "-duration", "1500ms", "-settle", "5s",
		// Acks are QoS 0 (ADR 0037): a gateway resends what is not acked in
		// time, and so does the load generator.
		"-ack-timeout", "1s"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("Main: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var res loadgen.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || !res.OK || res.Sent < 50 || res.Acked != res.Sent {
		t.Fatalf("output %q: %+v %v", stdout.String(), res, err)
	}
	f, err := os.Open(gwFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if gws, err := loadgen.ReadGateways(f); err != nil || len(gws) != 5 {
		t.Fatalf("written gateways: %d, %v", len(gws), err)
	}
}
