package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
	"github.com/eldergate/eldergate/deploy/testenv"
)

// TestIngestCmdReadsNATSCluster: `eldergate-cloud ingest --nats` on a
// three-node cluster commits what a gateway publishes over MQTT to any
// node and answers with an application ack the gateway receives on its
// MQTT subscription.
func TestIngestCmdReadsNATSCluster(t *testing.T) {
	t.Setenv("EG_STORE_DSN", "")
	cluster := testenv.StartNATSCluster(t, testenv.NATSOptions{})
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	const gw = "gw-n.1"
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var stderr testenv.SyncBuffer
	done := make(chan error, 1)
	cmdCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		done <- run(cmdCtx, []string{"ingest", "--nats", cluster.ClientURLs(), "--nats-user", cluster.User,
			"--nats-password", cluster.Pass, "--data", dir, "--stats", "0"}, &bytes.Buffer{}, &stderr)
	}()
	for !strings.Contains(stderr.String(), msgIngestReady) {
		select {
		case err := <-done:
			t.Fatalf("ingest exited: %v; log: %s", err, stderr.String())
		case <-ctx.Done():
			t.Fatalf("ingest not ready; log: %s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}

	acks := make(chan eldergate.Ack, 10)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(cluster.Nodes[1].MQTTURL).SetClientID("gw-n~1").
		SetUsername(cluster.User).SetPassword(cluster.Pass).SetProtocolVersion(4).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	sub := c.Subscribe(eldergate.Topic(gw, eldergate.ChannelAck), 1, func(_ mqtt.Client, m mqtt.Message) {
		var a eldergate.Ack
		if err := json.Unmarshal(m.Payload(), &a); err == nil {
			acks <- a
		}
	})
	if !sub.WaitTimeout(10*time.Second) || sub.Error() != nil {
		t.Fatalf("subscribe: %v", sub.Error())
	}
	at := time.Now().UTC()
	e1, e2 := storetest.Meal(t, gw, 1, "E1", at), storetest.Meal(t, gw, 2, "E2", at)
	body, _ := json.Marshal(eldergate.Batch{V: 1, GW: gw, Boot: 1, Events: []eldergate.Envelope{e1, e2}})
	if tok := c.Publish(eldergate.Topic(gw, eldergate.ChannelUp), 1, false, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case a := <-acks:
		if !slices.Equal(a.IDs, []string{e1.ID, e2.ID}) {
			t.Fatalf("ack names %v, want %v", a.IDs, []string{e1.ID, e2.ID})
		}
	case <-ctx.Done():
		t.Fatalf("no ack; log: %s", stderr.String())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"ingest: stopped","committed":2`) {
		t.Fatalf("stopped line without committed 2: %s", stderr.String())
	}
}
