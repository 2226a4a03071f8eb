package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

const minimal = `
gateway_id: gw-t1
site: s1
data_dir: /var/lib/eldergate
mqtt:
  url: tcp://broker:1883
  password: secret
policy:
  version: p1
  time_zone: Asia/Shanghai
  match: first_match
  windows: [{name: lunch, start: "10:00", end: "14:00", price: {fixed_fen: 1500}}]
  rules: [{id: all, subsidy: {fixed_fen: 1000}}]
  funding: [{layer: district, scope: district, rest: true, outside: home}]
  limits: [{period: window, count: 1, action: refuse}]
`

func parse(t *testing.T, text string) config.Config {
	t.Helper()
	c, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLocalOnlySettingsOfAPushedConfig(t *testing.T) {
	cur := parse(t, minimal)
	pushed := parse(t, strings.Replace(minimal, "tcp://broker:1883", "tcp://evil:1883", 1))
	err := config.CheckLocalOnly(pushed, cur)
	if err == nil || !strings.Contains(err.Error(), "mqtt.url") {
		t.Fatalf("a pushed broker URL: %v", err)
	}
	if err := config.CheckLocalOnly(cur, cur); err != nil {
		t.Fatalf("the same settings: %v", err)
	}
	config.LocalOnly(&pushed, cur)
	if pushed.MQTT.URL != cur.MQTT.URL || pushed.MQTT.Password != "secret" {
		t.Fatalf("local settings not kept: %+v", pushed.MQTT)
	}
}

func TestRestartNeededOnlyForSettingsNotAppliedLive(t *testing.T) {
	a := parse(t, minimal)
	b := a
	b.TapDedupe, b.MQTT.BatchSize = 10*time.Second, 50 // applied live
	if got := config.RestartNeeded(a, b); len(got) != 0 {
		t.Fatalf("live settings need a restart: %v", got)
	}
	b.Heartbeat = 5 * time.Minute
	b.VoidWindow = time.Hour
	if got := config.RestartNeeded(a, b); !slices.Equal(got, []string{"heartbeat", "void_window"}) {
		t.Fatalf("restart needed for %v", got)
	}
}

func TestAppliedFileRoundTripWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := config.ReadApplied(dir); ok || err != nil {
		t.Fatalf("no file: %v %v", ok, err)
	}
	c := parse(t, minimal)
	c.TapDedupe = 7 * time.Second
	if err := config.SaveApplied(dir, c); err != nil {
		t.Fatal(err)
	}
	got, ok, err := config.ReadApplied(dir)
	if err != nil || !ok {
		t.Fatalf("read: %v %v", ok, err)
	}
	if got.TapDedupe != 7*time.Second || got.Policy.Version != "p1" {
		t.Fatalf("read back %+v", got)
	}
	if got.MQTT.Password != "" || got.MQTT.URL != "" || got.GatewayID != "" {
		t.Fatalf("local settings persisted: %+v", got.MQTT)
	}
}
