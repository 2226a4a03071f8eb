package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/registry"
	"github.com/eldergate/eldergate/drivers/till/serialtill"
)

// TillConfig configures prices rung up at a till, for windows of the
// policy that have neither a fixed price nor a price by weight.
type TillConfig struct {
	// Tokens maps a till id to the secret it sends as
	// "Authorization: Bearer SECRET" to POST /api/till/amount. No tokens:
	// the endpoint refuses every request (a cashier may still key amounts).
	Tokens map[string]string `yaml:"tokens"`
	// Timeout is how long an amount waits for a tap, or a tap for its
	// amount; default 60s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxFen is the largest acceptable amount; default 20000 (200 yuan).
	MaxFen eldergate.Fen `yaml:"max_fen"`
	// Devices are tills on a device line (a POS on a serial port), whose
	// amounts go to the desk exactly as a till's HTTP amount does. Opened
	// at start; a change takes effect at the next start.
	Devices []TillDevice `yaml:"devices,omitempty"`
}

// TillDevice is one till on a device line:
//
//	till:
//	  devices:
//	    - {id: till-2, driver: serial, port: /dev/ttyUSB0, baud: 9600, protocol: customer_display}
//
// Driver is a driver of the registry's till family (`eldergate-gateway
// probe --list`): serial, or sim.
type TillDevice struct {
	ID       string            `yaml:"id"`       // the till's id, recorded on its meals (till)
	Driver   string            `yaml:"driver"`   // serial or sim
	Port     string            `yaml:"port"`     // serial: e.g. /dev/ttyUSB0 or /dev/serial/by-id/...
	Baud     int               `yaml:"baud"`     // serial: default 9600
	Protocol string            `yaml:"protocol"` // serial: line or customer_display
	Settings map[string]string `yaml:"settings"` // driver settings as for probe --set, e.g. settle: 300ms
}

// Options returns the driver settings of d: its Settings with protocol.
func (d TillDevice) Options() map[string]string {
	out := map[string]string{}
	for k, v := range d.Settings {
		out[k] = v
	}
	if d.Protocol != "" {
		out["protocol"] = d.Protocol
	}
	return out
}

// Till defaults and limits.
const (
	DefaultTillTimeout = 60 * time.Second
	DefaultTillMaxFen  = eldergate.Fen(20000)
	MinTillTokenLen    = 16
	maxTillIDLen       = 64
	maxTillTimeout     = 30 * time.Minute
	maxTillMaxFen      = eldergate.Fen(10_000_000)
)

func (t *TillConfig) applyDefaults() {
	if t.Timeout == 0 {
		t.Timeout = DefaultTillTimeout
	}
	if t.MaxFen == 0 {
		t.MaxFen = DefaultTillMaxFen
	}
}

func (t *TillConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: till."+format, args...)
	}
	if t.Timeout < time.Second || t.Timeout > maxTillTimeout {
		return bad("timeout %v: must be between 1s and %v", t.Timeout, maxTillTimeout)
	}
	if t.MaxFen < 1 || t.MaxFen > maxTillMaxFen {
		return bad("max_fen %d: must be between 1 and %d", int64(t.MaxFen), int64(maxTillMaxFen))
	}
	seen := map[string]string{}
	for id, tok := range t.Tokens {
		switch {
		case id == "" || len(id) > maxTillIDLen:
			return bad("tokens: till id %q: must be 1 to %d bytes", id, maxTillIDLen)
		case len(tok) < MinTillTokenLen:
			return bad("tokens.%s: the token must be at least %d characters (e.g. openssl rand -hex 16)", id, MinTillTokenLen)
		case seen[tok] != "":
			return bad("tokens.%s: same token as till %s; each till needs its own", id, seen[tok])
		}
		seen[tok] = id
	}
	return t.validateDevices()
}

// validateDevices checks the tills on device lines.
func (t *TillConfig) validateDevices() error {
	ids := map[string]bool{}
	for i, d := range t.Devices {
		at := fmt.Sprintf("till.devices[%d]", i)
		if d.ID != "" {
			at = fmt.Sprintf("till.devices[%d] (%s)", i, d.ID)
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("gateway: config: "+at+": "+format, args...)
		}
		switch {
		case d.ID == "":
			return bad("id is missing: the till's name, recorded on its meals (e.g. till-2)")
		case len(d.ID) > maxTillIDLen || !cleanText(d.ID) || strings.ContainsAny(d.ID, " \t"):
			return bad("id: at most %d bytes of text without spaces", maxTillIDLen)
		case ids[d.ID]:
			return bad("id: another till on a device line has the same id")
		case d.Driver == "":
			return bad("driver is missing (known: %s)", strings.Join(registry.Names(registry.Till), ", "))
		}
		ids[d.ID] = true
		e, err := registry.Lookup(registry.Till, d.Driver)
		if err != nil {
			return bad("driver: unknown till driver %q (known: %s)", d.Driver, strings.Join(registry.Names(registry.Till), ", "))
		}
		if _, ok := d.Settings["protocol"]; ok && d.Protocol != "" {
			return bad("protocol is given twice, as protocol and in settings; keep protocol")
		}
		if err := drivers.Params(d.Options()).Check(e.Params); err != nil {
			return bad("settings: %w", err)
		}
		if d.Baud < 0 {
			return bad("baud %d: must not be negative", d.Baud)
		}
		if e.Transport != "serial" {
			continue
		}
		if d.Port == "" {
			return bad("port is missing: driver %s needs a serial port such as /dev/ttyUSB0", e.Name)
		}
		proto := d.Options()["protocol"]
		if _, err := serialtill.ParseProtocol(proto); err != nil {
			if proto == "" {
				return bad("protocol is missing: line (the AMT line protocol) or customer_display (the gateway poses as the POS's customer display)")
			}
			return bad("protocol %q: must be line or customer_display", proto)
		}
		if v, ok := d.Settings["settle"]; ok {
			if st, err := time.ParseDuration(v); err != nil || st < 0 || st > 10*time.Second {
				return bad("settings.settle %q: a duration between 0 and 10s, e.g. 300ms", v)
			}
		}
	}
	return nil
}

// PriceDevices is what the gateway reports in its birth
// (eldergate.State.PriceDevices, ADR 0026): "till" when a till can send
// amounts (a till token for the HTTP API, or a till on a device line),
// "scale" when a scale driver is configured (not "none"; the default is sim), both
// comma-separated ("scale,till"), or "none". A cashier keying amounts at
// the staff panel is not counted as a till: a hall that relies on it has
// no amount when nobody keys one.
func (c *Config) PriceDevices() string {
	var out []string
	if c.Devices.Scale.Driver != DriverNone { // "" is the default, sim

		out = append(out, eldergate.PriceDeviceScale)
	}
	if len(c.Till.Tokens) > 0 || len(c.Till.Devices) > 0 {
		out = append(out, eldergate.PriceDeviceTill)
	}
	if len(out) == 0 {
		return eldergate.PriceDevicesNone
	}
	return strings.Join(out, ",")
}
