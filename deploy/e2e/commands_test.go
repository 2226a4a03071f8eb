package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
)

// queueCmd queues a command through the API and returns its id.
func queueCmd(t *testing.T, base string, req cloudhttp.QueueCommandRequest) string {
	t.Helper()
	var out cloudhttp.CommandView
	if code := adminPost(t, base+"/api/v1/gateways/"+gwID+"/commands", true, req, &out); code != http.StatusAccepted || out.ID == "" {
		t.Fatalf("queue %s: status %d, %+v", req.Type, code, out)
	}
	return out.ID
}

// commandByID lists the gateway's commands through the API and returns id.
func commandByID(t *testing.T, base, id string) cloudhttp.CommandView {
	t.Helper()
	var list []cloudhttp.CommandView
	if code := api(t, http.MethodGet, base+"/api/v1/gateways/"+gwID+"/commands", &list); code != http.StatusOK {
		t.Fatalf("list commands: status %d", code)
	}
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("command %s not listed in %+v", id, list)
	return cloudhttp.CommandView{}
}

func answered(t *testing.T, base, id string) func() bool {
	return func() bool { return commandByID(t, base, id).ResultAt != nil }
}

// TestCommandsEmbeddedBroker: commands queued through the API reach the
// gateway and their results come back (via the gateway's cmdres outbox
// event) to the command list: a command queued while the gateway is
// offline is delivered at its birth, an expired one is not re-sent at the birth and not run, a ping
// answers the gateway id, a config with an unknown driver is refused with
// the gateway's error text.
func TestCommandsEmbeddedBroker(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	base := env.c.HTTPURL()

	// Validation and unknown gateways.
	if code := adminPost(t, base+"/api/v1/gateways/"+gwID+"/commands", true, cloudhttp.QueueCommandRequest{Type: "ota"}, nil); code != http.StatusBadRequest {
		t.Fatalf("ota: status %d, want 400", code)
	}
	if code := adminPost(t, base+"/api/v1/gateways/gw-nope/commands", true, cloudhttp.QueueCommandRequest{Type: "ping"}, nil); code != http.StatusNotFound {
		t.Fatalf("unknown gateway: status %d, want 404", code)
	}
	if code := adminPost(t, base+"/api/v1/gateways/"+gwID+"/commands", false, cloudhttp.QueueCommandRequest{Type: "ping"}, nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: status %d, want 401", code)
	}

	// Gateway offline: one command that expires in 1 s, one that waits.
	expired := queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 1})
	offline := queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 60})
	time.Sleep(2 * time.Second)
	if c := commandByID(t, base, offline); c.State != "queued" && c.State != "sent" {
		t.Fatalf("offline command before the gateway connects: %+v", c)
	}

	start := time.Now()
	startGateway(t, env.c.BrokerURL(), roster(1))
	eventually(t, 10*time.Second, "command queued offline answered after the birth", answered(t, base, offline))
	c := commandByID(t, base, offline)
	var pr eldergate.PingResult
	if c.OK == nil || !*c.OK || c.State != "succeeded" || c.SentAt == nil || json.Unmarshal(c.Result, &pr) != nil || pr.GatewayID != gwID || pr.Boot == 0 {
		t.Fatalf("offline ping after birth: %+v (result %s)", c, c.Result)
	}
	t.Logf("offline ping answered %v after the gateway started", time.Since(start).Round(time.Millisecond))

	// Online: ping and a refused config.
	start = time.Now()
	ping := queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdPing, TTLSeconds: 30})
	eventually(t, 5*time.Second, "ping answered", answered(t, base, ping))
	t.Logf("online ping answered in %v", time.Since(start).Round(time.Millisecond))
	c = commandByID(t, base, ping)
	pr = eldergate.PingResult{}
	if c.OK == nil || !*c.OK || json.Unmarshal(c.Result, &pr) != nil || pr.GatewayID != gwID {
		t.Fatalf("ping: %+v (result %s)", c, c.Result)
	}

	body, _ := json.Marshal("site: " + siteID + "\ndevices:\n  card: {driver: rfid-9000}\n")
	bad := queueCmd(t, base, cloudhttp.QueueCommandRequest{Type: eldergate.CmdConfig, Body: body, TTLSeconds: 30})
	eventually(t, 5*time.Second, "bad config answered", answered(t, base, bad))
	c = commandByID(t, base, bad)
	if c.OK == nil || *c.OK || c.State != "failed" || !strings.Contains(c.Error, `unknown driver "rfid-9000"`) {
		t.Fatalf("config with an unknown driver: %+v", c)
	}

	// The expired command was published once at queue time (no gateway
	// was subscribed then), not re-sent at the birth, and never run: it is
	// unanswered and listed as expired, or, had the broker kept it for the
	// gateway, refused by the gateway as expired.
	c = commandByID(t, base, expired)
	switch {
	case c.ResultAt == nil && c.OK == nil && c.State == "expired":
	case c.OK != nil && !*c.OK && strings.Contains(c.Error, "expired"):
	default:
		t.Fatalf("expired command: %+v", c)
	}
	if c.SentAt != nil && !c.SentAt.Before(c.ExpiresAt) {
		t.Fatalf("expired command sent after its expiry: %+v", c)
	}
}
