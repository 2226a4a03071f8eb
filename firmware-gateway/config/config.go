// Package config is the gateway's configuration file: its settings,
// defaults and validation, the enrolled broker credentials it points to,
// and the rules of a configuration pushed by the cloud (which settings are
// local-only, which need a restart).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/policy"
)

// MaxBytes bounds a configuration or roster file.
const MaxBytes = 8 << 20

// Config is the gateway configuration (YAML).
type Config struct {
	GatewayID  string            `yaml:"gateway_id"`
	Site       string            `yaml:"site"`
	SiteName   string            `yaml:"site_name"` // what the kiosk shows, e.g. 幸福里长者饭堂; empty: the site id
	DataDir    string            `yaml:"data_dir"`
	HTTPAddr   string            `yaml:"http_addr"` // default 127.0.0.1:8081
	MQTT       MQTTConfig        `yaml:"mqtt"`
	Devices    DevicesConfig     `yaml:"devices"`
	TapDedupe  time.Duration     `yaml:"tap_dedupe"` // default 3s
	Simulation bool              `yaml:"simulation"` // serve the demo panel endpoints
	Policy     policy.Policy     `yaml:"policy"`     // subsidy policy (package policy, docs/policies)
	Area       policy.Place      `yaml:"area"`       // the site's jurisdiction codes (city, district, street) for funding layers
	Roster     []eldergate.Elder `yaml:"roster"`
	RosterFile string            `yaml:"roster_file"` // YAML list of elders, relative to the config file
	// RosterKey is the hex HMAC-SHA256 key (at least 32 bytes) under which
	// resident ID numbers are hashed; empty: a key generated in data_dir.
	RosterKey string `yaml:"roster_key"`

	// Operations (ops.go).
	HTTPPublic   bool          `yaml:"http_public"`   // allow a non-loopback http_addr
	Heartbeat    time.Duration `yaml:"heartbeat"`     // default 60s
	Staff        []StaffConfig `yaml:"staff"`         // staff who may record and void meals
	StaffSession time.Duration `yaml:"staff_session"` // staff session lifetime, default 10m
	VoidWindow   time.Duration `yaml:"void_window"`   // how long after a meal staff may void it, default 15m
	Store        StoreConfig   `yaml:"store"`

	Alarms AlarmsConfig `yaml:"alarms"` // button names and places, supervision (alarms.go)
	// Outputs: buzzer, LED, siren relay, ticket printer (outputs.go).
	Outputs OutputsConfig `yaml:"outputs"`

	Till  TillConfig  `yaml:"till"`  // till prices: till tokens, timeout, largest amount (till.go)
	Kiosk KioskConfig `yaml:"kiosk"` // the elder's screen

	Update UpdateConfig `yaml:"update"` // over-the-air updates (update.go); local-only
}

// KioskConfig configures the elder's screen.
type KioskConfig struct {
	// ResultSeconds is how long a tap's result stays on the screen,
	// default 8, between 3 and 60.
	ResultSeconds int `yaml:"result_seconds"`
}

// MQTTConfig configures the uplink.
type MQTTConfig struct {
	URL string `yaml:"url"` // default tcp://127.0.0.1:1883
	// URLs lists several brokers of one cluster (e.g. the MQTT listeners
	// of three NATS nodes, docs/city-scale.md): the gateway connects to
	// one and moves to the next when it is lost. Set url or urls, not
	// both (brokers.go).
	URLs       []string      `yaml:"urls"`
	Username   string        `yaml:"username"` // default gateway_id
	Password   string        `yaml:"password"`
	BatchSize  int           `yaml:"batch_size"`  // default 500
	BatchWait  time.Duration `yaml:"batch_wait"`  // default 200ms
	AckTimeout time.Duration `yaml:"ack_timeout"` // default 5s
	KeepAlive  time.Duration `yaml:"keepalive"`   // default 30s
	// MaxReconnect caps the wait between connection attempts while the
	// broker is away (default 1s, ADR 0012).
	MaxReconnect time.Duration `yaml:"max_reconnect"`

	// TLS, for ssl://, tls:// or mqtts:// URLs (remote.go).
	CAFile        string `yaml:"ca_file"`         // PEM CA bundle of the broker's certificate; empty: system roots
	TLSServerName string `yaml:"tls_server_name"` // name checked in the broker's certificate; empty: the URL's host

	// CredentialsFile is the file `eldergate-gateway enroll` wrote
	// (credentials.go): username, password, CA and, when url is not set,
	// the broker URL come from it. Relative to the config file.
	CredentialsFile string `yaml:"credentials_file"`
}

// DevicesConfig chooses a driver per device family.
type DevicesConfig struct {
	Card   DeviceConfig `yaml:"card"`
	Scale  DeviceConfig `yaml:"scale"`
	Button DeviceConfig `yaml:"button"`
}

// DeviceConfig chooses one driver by name: "sim" (default), "none" (no
// such device) or any driver of the family in drivers/registry (see
// `eldergate-gateway probe --list`).
type DeviceConfig struct {
	Driver   string            `yaml:"driver"`
	Name     string            `yaml:"name"`     // device name in events and status, default the family
	Port     string            `yaml:"port"`     // serial device, SPI port or evdev path
	Baud     int               `yaml:"baud"`     // serial speed, default the driver's
	Settings map[string]string `yaml:"settings"` // driver settings, as for probe --set
}

// Driver names.
const (
	DriverSim  = "sim"
	DriverNone = "none"
)

// Load reads, completes with defaults and validates a configuration
// file. A relative roster_file is taken relative to the file's directory.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("gateway: config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("gateway: config %s: %w", path, err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	if cfg.RosterFile != "" && !filepath.IsAbs(cfg.RosterFile) {
		cfg.RosterFile = filepath.Join(filepath.Dir(path), cfg.RosterFile)
	}
	if cfg.MQTT.CredentialsFile != "" && !filepath.IsAbs(cfg.MQTT.CredentialsFile) {
		cfg.MQTT.CredentialsFile = filepath.Join(filepath.Dir(path), cfg.MQTT.CredentialsFile)
	}
	return cfg, nil
}

// Parse decodes a YAML configuration, applies the defaults and
// validates it. Unknown keys are errors. It does not read roster_file.
func Parse(data []byte) (Config, error) {
	var cfg Config
	if len(data) > MaxBytes {
		return cfg, fmt.Errorf("gateway: config: larger than %d bytes", MaxBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("gateway: config: empty")
		}
		return cfg, fmt.Errorf("gateway: config: %w", err)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// ApplyDefaults fills the settings left empty.
func (c *Config) ApplyDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8081"
	}
	if c.MQTT.URL == "" && len(c.MQTT.URLs) == 0 && c.MQTT.CredentialsFile == "" { // else the credentials' broker URL (New)
		c.MQTT.URL = "tcp://127.0.0.1:1883"
	}
	if c.MQTT.Username == "" {
		c.MQTT.Username = c.GatewayID
	}
	if c.MQTT.BatchSize == 0 {
		c.MQTT.BatchSize = 500
	}
	if c.MQTT.BatchWait == 0 {
		c.MQTT.BatchWait = 200 * time.Millisecond
	}
	if c.MQTT.AckTimeout == 0 {
		c.MQTT.AckTimeout = 5 * time.Second
	}
	if c.MQTT.KeepAlive == 0 {
		c.MQTT.KeepAlive = 30 * time.Second
	}
	if c.MQTT.MaxReconnect == 0 {
		c.MQTT.MaxReconnect = time.Second
	}
	if c.TapDedupe == 0 {
		c.TapDedupe = 3 * time.Second
	}
	if c.Kiosk.ResultSeconds == 0 {
		c.Kiosk.ResultSeconds = 8
	}
	c.applyOpsDefaults()
	c.Alarms.applyDefaults()
	c.Outputs.applyDefaults()
	c.Till.applyDefaults()
	c.Update.applyDefaults()
	for _, d := range []*DeviceConfig{&c.Devices.Card, &c.Devices.Scale, &c.Devices.Button} {
		if d.Driver == "" {
			d.Driver = DriverSim
		}
	}
	if c.Devices.Card.Name == "" {
		c.Devices.Card.Name = "card"
	}
	if c.Devices.Scale.Name == "" {
		c.Devices.Scale.Name = "scale"
	}
	if c.Devices.Button.Name == "" {
		c.Devices.Button.Name = "button"
	}
}

// Validate reports the first problem of a configuration with defaults
// applied.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: "+format, args...)
	}
	if c.GatewayID == "" {
		return bad("gateway_id is missing")
	}
	if err := eldergate.ValidateGatewayID(c.GatewayID); err != nil {
		return bad("gateway_id: %w", err)
	}
	if c.Site == "" {
		return bad("site is missing")
	}
	if c.DataDir == "" {
		return bad("data_dir is missing")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return bad("http_addr %q: %w", c.HTTPAddr, err)
	}
	// With a credentials file and no mqtt.url the URL comes from the file;
	// New validates again once it is read.
	if c.MQTT.URL != "" || len(c.MQTT.URLs) > 0 || c.MQTT.CredentialsFile == "" {
		if err := c.MQTT.validateBrokers(); err != nil {
			return err
		}
	}
	if c.MQTT.BatchSize < 1 || c.MQTT.BatchSize > eldergate.MaxBatchEvents {
		return bad("mqtt.batch_size %d: must be between 1 and %d", c.MQTT.BatchSize, eldergate.MaxBatchEvents)
	}
	for name, d := range map[string]time.Duration{"mqtt.batch_wait": c.MQTT.BatchWait, "mqtt.ack_timeout": c.MQTT.AckTimeout, "mqtt.keepalive": c.MQTT.KeepAlive, "mqtt.max_reconnect": c.MQTT.MaxReconnect, "tap_dedupe": c.TapDedupe} {
		if d < 0 {
			return bad("%s %v: must not be negative", name, d)
		}
	}
	if len(c.SiteName) > maxAlarmText || !cleanText(c.SiteName) {
		return bad("site_name: longer than %d bytes or not plain text", maxAlarmText)
	}
	if c.Kiosk.ResultSeconds < 3 || c.Kiosk.ResultSeconds > 60 {
		return bad("kiosk.result_seconds %d: must be between 3 and 60", c.Kiosk.ResultSeconds)
	}
	if c.MQTT.KeepAlive < time.Second {
		return bad("mqtt.keepalive %v: must be at least 1s", c.MQTT.KeepAlive)
	}
	for _, d := range []struct {
		key    string
		family registry.Family
		cfg    DeviceConfig
	}{{"devices.card", registry.Card, c.Devices.Card}, {"devices.scale", registry.Scale, c.Devices.Scale}, {"devices.button", registry.Button, c.Devices.Button}} {
		if d.cfg.Driver == DriverNone {
			continue
		}
		e, err := registry.Lookup(d.family, d.cfg.Driver)
		if err != nil {
			return bad("%s.driver: unknown driver %q (known: %s, %s)", d.key, d.cfg.Driver, strings.Join(registry.Names(d.family), ", "), DriverNone)
		}
		if err := drivers.Params(d.cfg.Settings).Check(e.Params); err != nil {
			return bad("%s.settings: %w", d.key, err)
		}
		if e.Transport == "serial" && d.cfg.Port == "" {
			return bad("%s.port: driver %s needs a serial port such as /dev/ttyUSB0", d.key, e.Name)
		}
		if d.cfg.Baud < 0 {
			return bad("%s.baud %d: must not be negative", d.key, d.cfg.Baud)
		}
	}
	if err := c.Policy.Validate(); err != nil { // "policy: <field>: <problem>"
		return fmt.Errorf("gateway: config: %w", err)
	}
	if err := validateRoster(c.Roster); err != nil {
		return bad("roster: %w", err)
	}
	if err := c.validateRemote(); err != nil { // roster_key, TLS (remote.go)
		return err
	}
	if err := c.validateOps(); err != nil {
		return err
	}
	if err := c.Till.validate(); err != nil {
		return err
	}
	if err := c.Alarms.validate(); err != nil {
		return err
	}
	if err := c.Update.validate(); err != nil {
		return err
	}
	return c.Outputs.validate()
}

func validateRoster(elders []eldergate.Elder) error {
	ids, cards := map[string]bool{}, map[string]bool{}
	for i, e := range elders {
		switch {
		case e.ID == "":
			return fmt.Errorf("[%d]: id is missing", i)
		case e.Name == "":
			return fmt.Errorf("[%d] (%s): name is missing", i, e.ID)
		case e.Card == "":
			return fmt.Errorf("[%d] (%s): card is missing", i, e.ID)
		case ids[e.ID]:
			return fmt.Errorf("[%d]: duplicate id %q", i, e.ID)
		case cards[e.Card]:
			return fmt.Errorf("[%d] (%s): card already held by another elder", i, e.ID)
		}
		ids[e.ID], cards[e.Card] = true, true
	}
	return nil
}

// LoadRoster reads a roster file: a YAML (or JSON) list of elders.
func LoadRoster(path string) ([]eldergate.Elder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gateway: roster_file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gateway: roster_file %s: %w", path, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("gateway: roster_file %s: larger than %d bytes", path, MaxBytes)
	}
	var elders []eldergate.Elder
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&elders); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("gateway: roster_file %s: %w", path, err)
	}
	return elders, nil
}
