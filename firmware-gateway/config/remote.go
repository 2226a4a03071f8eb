package config

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/firmware-gateway/uplink"
)

// validateRemote checks the roster key and the broker's TLS settings.
func (c *Config) validateRemote() error {
	if c.RosterKey != "" {
		k, err := hex.DecodeString(c.RosterKey)
		if err != nil || len(k) < sqlite.MinRosterKeyBytes {
			return fmt.Errorf("gateway: config: roster_key: must be at least %d bytes in hex (%d hex digits)", sqlite.MinRosterKeyBytes, 2*sqlite.MinRosterKeyBytes)
		}
	}
	if b := c.MQTT.Brokers(); (c.MQTT.CAFile != "" || c.MQTT.TLSServerName != "") && len(b) > 0 && !uplink.TLSScheme(b[0]) {
		return fmt.Errorf("gateway: config: mqtt.ca_file and mqtt.tls_server_name need an ssl://, tls:// or mqtts:// mqtt.url, not %q", b[0])
	}
	return nil
}

// LocalOnly copies from src to dst the settings a config command may not
// change: identity, storage, where and how to reach the broker, the local
// HTTP binding, the roster key and the seed roster. A wrong value there
// would cut the gateway off from the cloud that could repair it.
func LocalOnly(dst *Config, src Config) {
	dst.GatewayID, dst.DataDir, dst.HTTPAddr, dst.HTTPPublic = src.GatewayID, src.DataDir, src.HTTPAddr, src.HTTPPublic
	dst.MQTT.URL, dst.MQTT.URLs, dst.MQTT.Username, dst.MQTT.Password = src.MQTT.URL, src.MQTT.URLs, src.MQTT.Username, src.MQTT.Password
	dst.MQTT.CAFile, dst.MQTT.TLSServerName, dst.MQTT.KeepAlive = src.MQTT.CAFile, src.MQTT.TLSServerName, src.MQTT.KeepAlive
	dst.RosterKey, dst.Roster, dst.RosterFile = src.RosterKey, src.Roster, src.RosterFile
	dst.Till.Tokens = src.Till.Tokens // secrets of the local tills
	dst.Update = src.Update           // whom the gateway trusts for its own binary
}

// CheckLocalOnly reports the local-only settings a pushed configuration
// sets to another value than the running one.
func CheckLocalOnly(pushed, cur Config) error {
	var bad []string
	for _, f := range []struct {
		key       string
		set, same bool
	}{
		{"gateway_id", pushed.GatewayID != "", pushed.GatewayID == cur.GatewayID},
		{"data_dir", pushed.DataDir != "", pushed.DataDir == cur.DataDir},
		{"http_addr", pushed.HTTPAddr != "", pushed.HTTPAddr == cur.HTTPAddr},
		{"mqtt.url", pushed.MQTT.URL != "", pushed.MQTT.URL == cur.MQTT.URL},
		{"mqtt.urls", len(pushed.MQTT.URLs) > 0, slices.Equal(pushed.MQTT.URLs, cur.MQTT.URLs)},
		{"mqtt.username", pushed.MQTT.Username != "", pushed.MQTT.Username == cur.MQTT.Username},
		{"mqtt.password", pushed.MQTT.Password != "", pushed.MQTT.Password == cur.MQTT.Password},
		{"mqtt.ca_file", pushed.MQTT.CAFile != "", pushed.MQTT.CAFile == cur.MQTT.CAFile},
		{"mqtt.tls_server_name", pushed.MQTT.TLSServerName != "", pushed.MQTT.TLSServerName == cur.MQTT.TLSServerName},
		{"mqtt.keepalive", pushed.MQTT.KeepAlive != 0, pushed.MQTT.KeepAlive == cur.MQTT.KeepAlive},
		{"roster_key", pushed.RosterKey != "", pushed.RosterKey == cur.RosterKey},
		{"roster", len(pushed.Roster) > 0, false},
		{"roster_file", pushed.RosterFile != "", false},
		{"till.tokens", len(pushed.Till.Tokens) > 0, false},
		{"update", !SameYAML(pushed.Update, UpdateConfig{}), SameYAML(pushed.Update, cur.Update)},
	} {
		if f.set && !f.same {
			bad = append(bad, f.key)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("gateway: config: %s cannot be changed by a config command (local settings; the roster comes by roster command)", strings.Join(bad, ", "))
	}
	return nil
}

// RestartNeeded lists the top-level settings (YAML keys) that differ
// between a and b and are not applied live: they take effect at the next
// start, from the persisted configuration.
func RestartNeeded(a, b Config) []string {
	for _, c := range []*Config{&a, &b} { // applied live or local-only
		c.Devices, c.TapDedupe, c.MQTT.BatchSize, c.MQTT.BatchWait = DevicesConfig{}, 0, 0, 0
		c.Policy = Config{}.Policy
		LocalOnly(c, Config{})
	}
	var out []string
	va, vb, t := reflect.ValueOf(a), reflect.ValueOf(b), reflect.TypeOf(a)
	for i := range t.NumField() {
		if !SameYAML(va.Field(i).Interface(), vb.Field(i).Interface()) {
			key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			out = append(out, key)
		}
	}
	return out
}

// SameYAML compares two settings as they would be written: a nil and an
// empty map or list are the same setting.
func SameYAML(a, b any) bool {
	ya, erra := yaml.Marshal(a)
	yb, errb := yaml.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ya, yb)
}

// DecodeStrict decodes YAML (or JSON) text into v; unknown keys are errors.
func DecodeStrict(text []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}
