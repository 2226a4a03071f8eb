package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/eldergate/eldergate/drivers/registry"
)

// Device is one device the configuration opens through a hardware driver.
type Device struct {
	Key       string // where it is configured, e.g. devices.card, till.devices[0]
	Driver    string
	Transport string // serial, gpio, spi, evdev (registry.Entry.Transport)
	Port      string // serial device, SPI port or evdev path; may be empty
}

// HardwareDevices lists the devices of the configuration that a hardware driver
// opens: simulated ones and those set to none are left out. A driver the
// registry does not know is an error (Validate refuses it too).
func (c *Config) HardwareDevices() ([]Device, error) {
	type dev struct {
		key    string
		family registry.Family
		cfg    DeviceConfig
	}
	all := []dev{
		{"devices.card", registry.Card, c.Devices.Card},
		{"devices.scale", registry.Scale, c.Devices.Scale},
		{"devices.button", registry.Button, c.Devices.Button},
		{"outputs.buzzer", registry.Output, c.Outputs.Buzzer},
		{"outputs.led", registry.Output, c.Outputs.LED},
		{"outputs.siren", registry.Output, c.Outputs.Siren},
		{"outputs.printer", registry.Printer, c.Outputs.Printer},
	}
	for i, t := range c.Till.Devices {
		all = append(all, dev{fmt.Sprintf("till.devices[%d]", i), registry.Till, DeviceConfig{Driver: t.Driver, Port: t.Port}})
	}
	var out []Device
	for _, d := range all {
		if d.cfg.Driver == DriverNone || d.cfg.Driver == "" {
			continue
		}
		e, err := registry.Lookup(d.family, d.cfg.Driver)
		if err != nil {
			return nil, fmt.Errorf("gateway: config: %s.driver: unknown driver %q", d.key, d.cfg.Driver)
		}
		if e.Transport == "sim" {
			continue
		}
		out = append(out, Device{Key: d.key, Driver: e.Name, Transport: e.Transport, Port: d.cfg.Port})
	}
	return out, nil
}

// DeviceAccess is what a sandboxed gateway (systemd DevicePolicy=closed)
// must be allowed for the configured drivers: device-cgroup entries as
// systemd's DeviceAllow= takes them ("char-ttyUSB", or a device path), and
// the groups that own those device nodes on Debian and Raspberry Pi OS.
type DeviceAccess struct {
	Allow  []string // DeviceAllow= values without the "rw", sorted
	Groups []string // SupplementaryGroups= candidates, sorted
	Notes  []string // why each entry is there, for the drop-in's comments
}

// serialClasses maps a tty name's prefix to systemd's device class (the
// driver's name in /proc/devices). Longest prefixes first.
var serialClasses = []struct{ prefix, class string }{
	{"ttyUSB", "char-ttyUSB"},
	{"ttyACM", "char-ttyACM"},
	{"ttyAMA", "char-ttyAMA"},
	{"ttyS", "char-ttyS"},
}

// SerialClasses returns the DeviceAllow entries a serial port needs.
// resolve follows symbolic links (filepath.EvalSymlinks; a test passes its
// own): a /dev/serial/by-id link names the tty it points to when the
// device is plugged in. A port that cannot be resolved gets the classes
// it may turn out to be: a USB link ttyUSB or ttyACM, the Pi's serial0
// and serial1 ttyAMA or ttyS, anything else every serial class. A tty of
// another driver (e.g. /dev/rfcomm0) is allowed by its path alone.
func SerialClasses(port string, resolve func(string) (string, error)) []string {
	p := port
	if r, err := resolve(port); err == nil {
		p = r
	}
	base := filepath.Base(p)
	for _, s := range serialClasses {
		if strings.HasPrefix(base, s.prefix) {
			return []string{s.class}
		}
	}
	switch {
	case strings.HasPrefix(p, "/dev/serial/by-id/usb-") || strings.HasPrefix(p, "/dev/serial/by-path/"):
		return []string{"char-ttyACM", "char-ttyUSB"}
	case p == "/dev/serial0" || p == "/dev/serial1":
		return []string{"char-ttyAMA", "char-ttyS"}
	case strings.HasPrefix(p, "/dev/serial/") || p == "":
		return []string{"char-ttyACM", "char-ttyAMA", "char-ttyS", "char-ttyUSB"}
	}
	return []string{p}
}

// Access returns the device access the configured drivers need: serial
// ports by their tty class, GPIO (buttons, Wiegand, HX711, outputs) as
// the gpiochip class, SPI (MFRC522, whose IRQ and reset are GPIO lines)
// as spidev and gpiochip, evdev readers as the input class.
func (c *Config) Access(resolve func(string) (string, error)) (DeviceAccess, error) {
	devs, err := c.HardwareDevices()
	if err != nil {
		return DeviceAccess{}, err
	}
	allow, groups := map[string]bool{}, map[string]bool{}
	var a DeviceAccess
	for _, d := range devs {
		var add []string
		switch d.Transport {
		case "serial":
			add = SerialClasses(d.Port, resolve)
			groups["dialout"] = true
		case "gpio":
			add = []string{"char-gpiochip"}
			groups["gpio"] = true
		case "spi":
			add = []string{"char-spidev", "char-gpiochip"}
			groups["spi"], groups["gpio"] = true, true
		case "evdev":
			add = []string{"char-input"}
			groups["input"] = true
		default:
			return DeviceAccess{}, fmt.Errorf("gateway: config: %s: driver %s has transport %q, whose device access is not known", d.Key, d.Driver, d.Transport)
		}
		port := ""
		if d.Port != "" {
			port = " on " + d.Port
		}
		a.Notes = append(a.Notes, fmt.Sprintf("%s: %s (%s%s): %s", d.Key, d.Driver, d.Transport, port, strings.Join(add, " ")))
		for _, x := range add {
			allow[x] = true
		}
	}
	for x := range allow {
		a.Allow = append(a.Allow, x)
	}
	for g := range groups {
		a.Groups = append(a.Groups, g)
	}
	sort.Strings(a.Allow)
	sort.Strings(a.Groups)
	return a, nil
}

// DropIn renders a as a systemd drop-in for the gateway's unit: it resets
// the unit's DeviceAllow= list (every family the drivers may use) to the
// entries a needs, and SupplementaryGroups= to those of a's groups for
// which hasGroup answers true (a group that does not exist would stop the
// unit from starting). source names the configuration, for the comment.
func (a DeviceAccess) DropIn(source string, hasGroup func(string) bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `eldergate-gateway systemd-dropin --config %s`:\n", source)
	b.WriteString("# the devices the configured drivers open, and nothing else. Run it again\n")
	b.WriteString("# after changing the drivers or ports, then: systemctl daemon-reload &&\n")
	b.WriteString("# systemctl restart eldergate-gateway.\n")
	for _, n := range a.Notes {
		b.WriteString("#   " + n + "\n")
	}
	if len(a.Notes) == 0 {
		b.WriteString("#   no hardware driver configured (simulated or none): no device at all\n")
	}
	b.WriteString("[Service]\nDevicePolicy=closed\nDeviceAllow=\n")
	for _, x := range a.Allow {
		fmt.Fprintf(&b, "DeviceAllow=%s rw\n", x)
	}
	var groups []string
	for _, g := range a.Groups {
		if hasGroup(g) {
			groups = append(groups, g)
		}
	}
	b.WriteString("SupplementaryGroups=\n")
	if len(groups) > 0 {
		fmt.Fprintf(&b, "SupplementaryGroups=%s\n", strings.Join(groups, " "))
	}
	return b.String()
}
