package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func TestParseTill(t *testing.T) {
	c, err := config.Parse([]byte(minimal + "till: {tokens: {till-1: 0123456789abcdef0123}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Till.Tokens["till-1"] != "0123456789abcdef0123" || c.Till.Timeout != time.Minute || c.Till.MaxFen != 20000 {
		t.Fatalf("till = %+v", c.Till)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"till: {tokens: {till-1: short}}", "till.tokens.till-1: the token must be at least 16 characters"},
		{"till: {tokens: {a: 0123456789abcdef, b: 0123456789abcdef}}", "each till needs its own"},
		{"till: {timeout: 10ms}", "till.timeout 10ms: must be between 1s"},
		{"till: {max_fen: -5}", "till.max_fen -5"},
		{"till: {token: x}", "field token not found"},
	} {
		if _, err := config.Parse([]byte(minimal + tc.yaml + "\n")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// The tokens are local secrets: a config command may not set them.
	var pushed config.Config
	pushed.Till.Tokens = map[string]string{"till-9": "0123456789abcdef"}
	if err := config.CheckLocalOnly(pushed, c); err == nil || !strings.Contains(err.Error(), "till.tokens") {
		t.Fatalf("pushed till tokens: %v", err)
	}
	config.LocalOnly(&pushed, c)
	if pushed.Till.Tokens["till-1"] == "" || pushed.Till.Tokens["till-9"] != "" {
		t.Fatalf("local-only tokens: %+v", pushed.Till.Tokens)
	}
}

func TestParseTillDevices(t *testing.T) {
	c, err := config.Parse([]byte(minimal + `till:
  devices:
    - {id: till-2, driver: serial, port: /dev/ttyUSB0, baud: 9600, protocol: customer_display, settings: {settle: 500ms}}
    - {id: till-3, driver: serial, port: /dev/ttyUSB1, protocol: line}
    - {id: till-sim, driver: sim}
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Till.Devices
	if len(d) != 3 || d[0].ID != "till-2" || d[0].Port != "/dev/ttyUSB0" || d[0].Baud != 9600 ||
		d[0].Options()["protocol"] != "customer_display" || d[0].Options()["settle"] != "500ms" || d[1].Protocol != "line" {
		t.Fatalf("till devices = %+v", d)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"{driver: serial, port: /dev/ttyUSB0, protocol: line}", "till.devices[0]: id is missing"},
		{"{id: till 2, driver: sim}", "without spaces"},
		{"{id: till-2, port: /dev/ttyUSB0, protocol: line}", "till.devices[0] (till-2): driver is missing (known: serial, sim)"},
		{"{id: till-2, driver: usb}", `unknown till driver "usb" (known: serial, sim)`},
		{"{id: till-2, driver: serial, protocol: line}", "port is missing: driver serial needs a serial port"},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0}", "protocol is missing: line (the AMT line protocol) or customer_display"},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0, protocol: escpos}", `protocol "escpos": must be line or customer_display`},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0, protocol: line, settings: {protocol: line}}", "protocol is given twice"},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0, protocol: line, settings: {speed: fast}}", "unknown setting(s) speed"},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0, protocol: customer_display, settings: {settle: 1h}}", "settings.settle \"1h\": a duration between 0 and 10s"},
		{"{id: till-2, driver: serial, port: /dev/ttyUSB0, protocol: line, baud: -1}", "baud -1: must not be negative"},
		{"{id: till-2, driver: sim}, {id: till-2, driver: sim}", "till.devices[1] (till-2): id: another till"},
		{"{id: till-2, driver: sim, protocol: line}", "unknown setting(s) protocol (this driver takes none)"},
	} {
		y := minimal + "till: {devices: [" + tc.yaml + "]}\n"
		if _, err := config.Parse([]byte(y)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// TestPriceDevices: what the birth reports from the configuration.
func TestPriceDevices(t *testing.T) {
	for _, c := range []struct {
		cfg  config.Config
		want string
	}{
		{config.Config{Devices: config.DevicesConfig{Scale: config.DeviceConfig{Driver: config.DriverNone}}}, "none"},
		{config.Config{Devices: config.DevicesConfig{Scale: config.DeviceConfig{Driver: config.DriverSim}}}, "scale"},
		{config.Config{Devices: config.DevicesConfig{Scale: config.DeviceConfig{Driver: config.DriverNone}}, Till: config.TillConfig{Tokens: map[string]string{"till-1": "x"}}}, "till"},
		{config.Config{Devices: config.DevicesConfig{Scale: config.DeviceConfig{Driver: "mtsics"}}, Till: config.TillConfig{Devices: []config.TillDevice{{ID: "t2", Driver: "serial"}}}}, "scale,till"},
	} {
		if got := c.cfg.PriceDevices(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cfg.Devices.Scale, got, c.want)
		}
	}
}
