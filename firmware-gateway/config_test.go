package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

const minimal = `
gateway_id: gw-1
site: s
data_dir: /tmp/x
policy:
  version: v1
  time_zone: Asia/Shanghai
  match: first_match
  windows: [{name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}]
  rules: [{id: all, subsidy: {fixed_fen: 1000}}]
  funding: [{layer: district, scope: district, rest: true, outside: home}]
  limits: [{period: window, count: 1, action: refuse}]
`

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:8081" || cfg.MQTT.URL != "tcp://127.0.0.1:1883" || cfg.MQTT.Username != "gw-1" ||
		cfg.MQTT.BatchSize != 500 || cfg.MQTT.BatchWait != 200*time.Millisecond || cfg.MQTT.AckTimeout != 5*time.Second ||
		cfg.MQTT.KeepAlive != 30*time.Second || cfg.TapDedupe != 3*time.Second || cfg.Devices.Card.Driver != "sim" {
		t.Fatalf("defaults = %+v", cfg)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"missing gateway_id", strings.Replace(minimal, "gateway_id: gw-1", "", 1), "gateway_id is missing"},
		{"bad gateway_id", strings.Replace(minimal, "gw-1", "gw/1", 1), "gateway_id"},
		{"unknown driver", minimal + "devices:\n  card: {driver: nfc9000}\n", `devices.card.driver: unknown driver "nfc9000" (known: `},
		{"unknown scale driver", minimal + "devices:\n  scale: {driver: mfrc522}\n", `devices.scale.driver: unknown driver "mfrc522"`},
		{"unknown setting", minimal + "devices:\n  card: {driver: sim, settings: {speed: fast}}\n", "devices.card.settings: drivers: unknown setting(s) speed"},
		{"unknown key", minimal + "gatway: x\n", "field gatway not found"},
		{"bad duration", minimal + "tap_dedupe: soon\n", "into time.Duration"},
		{"bad policy", strings.Replace(minimal, "Asia/Shanghai", "Mars/Base", 1), "gateway: config: policy: time_zone: \"Mars/Base\" is not a known IANA zone"},
		{"policy unknown key", strings.Replace(minimal, "match: first_match", "match: first_match\n  bogus: 1", 1), "field bogus not found"},
		{"policy rule field named", strings.Replace(minimal, "subsidy: {fixed_fen: 1000}", "subsidy: {fixed_fen: 1000, percent: 10}", 1), "policy: rules[0].subsidy: fixed_fen and percent are exclusive"},
		{"policy stale usage", minimal + "  stale_usage: {after: soon, action: full_pay}\n", "duration"},
		{"duplicate card", minimal + "roster:\n- {id: a, name: A, card: C}\n- {id: b, name: B, card: C}\n", "card already held"},
		{"bad url", minimal + "mqtt: {url: 'http://x'}\n", "mqtt.url"},
		{"batch size", minimal + "mqtt: {batch_size: 5000}\n", "mqtt.batch_size"},
		{"empty", "", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestLoadSampleConfig(t *testing.T) {
	cfg, err := config.Load("testdata/gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RosterFile != filepath.Join("testdata", "roster.yaml") || !cfg.Simulation || len(cfg.Roster) != 1 {
		t.Fatalf("cfg = %+v", cfg)
	}
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr = "127.0.0.1:0"
	if _, err := gateway.New(cfg); err != nil {
		t.Fatal(err)
	}
	// A roster file that breaks the roster is refused by New.
	bad := filepath.Join(t.TempDir(), "r.yaml")
	os.WriteFile(bad, []byte("- {id: E0001, name: X, card: Y, active: true}\n"), 0o600)
	cfg.RosterFile = bad
	if _, err := gateway.New(cfg); err == nil || !strings.Contains(err.Error(), "duplicate id") {
		t.Fatalf("New with a duplicate roster id: %v", err)
	}
	if _, err := config.Load("testdata/nope.yaml"); err == nil {
		t.Fatal("missing file accepted")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("gateway_id: [1, 2\n"))
	f.Add([]byte("roster: {a: b}"))
	f.Add([]byte("mqtt: {batch_wait: -1s}"))
	data, _ := os.ReadFile("testdata/gateway.yaml")
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := config.Parse(b)
		if err == nil {
			if cfg.GatewayID == "" || cfg.MQTT.BatchSize < 1 || cfg.Policy.Validate() != nil {
				t.Fatalf("invalid config accepted: %+v", cfg)
			}
		}
	})
}
