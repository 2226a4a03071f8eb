package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// desiredGatewayConfig is the configuration of startGatewayIn.
func desiredGatewayConfig(dir, brokerURL string) config.Config {
	cfg := config.Config{
		GatewayID:  gwID,
		Site:       siteID,
		DataDir:    dir,
		HTTPAddr:   "127.0.0.1:0",
		Simulation: true,
		Policy:     allDay(),
		Roster:     roster(2),
		TapDedupe:  time.Second,
	}
	cfg.MQTT.URL = brokerURL
	cfg.MQTT.Password = gwSecret
	cfg.MQTT.BatchWait = 20 * time.Millisecond
	cfg.MQTT.AckTimeout = 2 * time.Second
	cfg.MQTT.KeepAlive = 5 * time.Second
	return cfg
}

// startGatewayIn starts a gateway on data dir dir (kept across restarts).
func startGatewayIn(t *testing.T, dir, brokerURL string) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(desiredGatewayConfig(dir, brokerURL), gateway.WithLogger(logger(t).With("side", "gateway")))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// pushable is cfg as an operator would PUT it: YAML without the local
// settings (identity, storage, broker credentials, roster).
func pushable(t *testing.T, cfg config.Config) string {
	t.Helper()
	cfg.GatewayID, cfg.DataDir, cfg.HTTPAddr, cfg.MQTT.URL, cfg.MQTT.Password, cfg.Roster = "", "", "", "", "", nil
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// putConfig PUTs body as the desired configuration and returns the status
// code and the view.
func putConfig(t *testing.T, base, body string) (int, cloudhttp.ConfigView) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/gateways/"+gwID+"/config?by=e2e", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v cloudhttp.ConfigView
	if resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("PUT config: %v: %s", err, raw)
		}
	}
	return resp.StatusCode, v
}

func getConfig(t *testing.T, base string) cloudhttp.ConfigView {
	t.Helper()
	var v cloudhttp.ConfigView
	if code := api(t, http.MethodGet, base+"/api/v1/gateways/"+gwID+"/config", &v); code != http.StatusOK {
		t.Fatalf("GET config: status %d", code)
	}
	return v
}

func listedConfigStatus(t *testing.T, base string) string {
	t.Helper()
	var gs []domain.Gateway
	if code := api(t, http.MethodGet, base+"/api/v1/gateways", &gs); code != http.StatusOK {
		t.Fatalf("list gateways: status %d", code)
	}
	for _, g := range gs {
		if g.ID == gwID {
			return g.ConfigStatus
		}
	}
	t.Fatalf("%s not listed", gwID)
	return ""
}

// TestDesiredConfigEmbeddedBroker: the real cloud (embedded broker) and a
// real gateway. A desired config changing tap_dedupe goes from pending to
// in_sync within seconds, the gateway reporting the desired sha256 (and
// its command's result naming tap_dedupe as applied live); after a
// restart of the gateway on the same data dir its new birth reports the
// same sha256 (still in_sync); a desired config with an unknown driver
// ends failed with the gateway's error while the gateway keeps approving
// taps and keeps reporting the previous sha256.
func TestDesiredConfigEmbeddedBroker(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	base := env.c.HTTPURL()
	dir := t.TempDir()
	g := startGatewayIn(t, dir, env.c.BrokerURL())
	eventually(t, 10*time.Second, "the gateway's first birth", func() bool {
		return getConfig(t, base).Reported != nil
	})
	v := getConfig(t, base)
	if v.Status != domain.ConfigUnknown || v.Reported.ConfigSHA256 != "" || v.Reported.PolicyVersion != "e2e-1" {
		t.Fatalf("before any desired config: %+v (reported %+v)", v, v.Reported)
	}
	boot1 := v.Reported.Boot

	// A valid config changing tap_dedupe.
	cfg := desiredGatewayConfig(dir, "")
	cfg.TapDedupe = 3 * time.Second
	body := pushable(t, cfg)
	sum := sha256.Sum256([]byte(body))
	sha := hex.EncodeToString(sum[:])
	start := time.Now()
	code, v := putConfig(t, base, body)
	if code != http.StatusAccepted || v.Desired == nil || v.Desired.SHA256 != sha || v.Desired.Version != 1 {
		t.Fatalf("PUT: %d %+v", code, v)
	}
	if v.Status != domain.ConfigPending && v.Status != domain.ConfigInSync {
		t.Fatalf("status right after PUT = %s", v.Status)
	}
	putStatus := v.Status
	eventually(t, 10*time.Second, "in_sync", func() bool { return getConfig(t, base).Status == domain.ConfigInSync })
	took := time.Since(start)
	eventually(t, 10*time.Second, "the config command's result", func() bool { return getConfig(t, base).LastResult.OK != nil })
	v = getConfig(t, base)
	if v.Status != domain.ConfigInSync || v.Reported.ConfigSHA256 != sha || v.LastResult == nil || v.LastResult.OK == nil || !*v.LastResult.OK {
		t.Fatalf("in sync view = %+v (reported %+v, last %+v)", v, v.Reported, v.LastResult)
	}
	// The fresh birth (same boot) carries the sha as well.
	eventually(t, 10*time.Second, "the fresh birth after the config", func() bool {
		r := getConfig(t, base).Reported
		return r.Source == domain.ReportedByBirth && r.ConfigSHA256 == sha && r.Boot == boot1
	})
	cmd := commandByID(t, base, v.LastResult.CommandID)
	if !strings.Contains(string(cmd.Result), "tap_dedupe") {
		t.Fatalf("config result %s does not name tap_dedupe as applied", cmd.Result)
	}
	if s := listedConfigStatus(t, base); s != domain.ConfigInSync {
		t.Fatalf("config_status in the list = %s", s)
	}
	t.Logf("desired config: PUT answered %s, in_sync %v after the PUT", putStatus, took.Round(time.Millisecond))

	// Restart on the same data dir: the new boot's birth reports the same sha.
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	g = startGatewayIn(t, dir, env.c.BrokerURL())
	eventually(t, 15*time.Second, "the birth of the next boot", func() bool {
		r := getConfig(t, base).Reported
		return r.Boot > boot1 && r.Source == domain.ReportedByBirth
	})
	v = getConfig(t, base)
	if v.Reported.ConfigSHA256 != sha || v.Status != domain.ConfigInSync {
		t.Fatalf("after the restart: %+v (reported %+v)", v, v.Reported)
	}
	t.Logf("restarted gateway's birth (boot %d) reported the same sha %v after the restart", v.Reported.Boot, time.Since(start).Round(time.Millisecond))

	// An unknown driver: failed with the gateway's error.
	bad := cfg
	bad.Devices.Card.Driver = "rfid-9000"
	code, v = putConfig(t, base, pushable(t, bad))
	if code != http.StatusAccepted || v.Desired.Version != 2 {
		t.Fatalf("PUT bad: %d %+v", code, v)
	}
	start = time.Now()
	eventually(t, 10*time.Second, "failed", func() bool { return getConfig(t, base).Status == domain.ConfigFailed })
	v = getConfig(t, base)
	if !strings.Contains(v.Error, `unknown driver "rfid-9000"`) || v.Reported.ConfigSHA256 != sha {
		t.Fatalf("failed view = %+v (reported %+v)", v, v.Reported)
	}
	if s := listedConfigStatus(t, base); s != domain.ConfigFailed {
		t.Fatalf("config_status in the list = %s", s)
	}
	t.Logf("bad config failed %v after the PUT: %s", time.Since(start).Round(time.Millisecond), v.Error)
	events := subscribe(t, g.HTTPURL())
	if r := tap(t, g, events, "C0001"); r.Decision != eldergate.DecisionApproved {
		t.Fatalf("tap after the refused config = %+v", r)
	}
}
