package config_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func noLinks(p string) (string, error) { return "", errors.New("not there") }

func TestSerialClasses(t *testing.T) {
	links := map[string]string{"/dev/serial/by-id/usb-FTDI_FT232R-if00-port0": "/dev/ttyUSB3", "/dev/serial0": "/dev/ttyAMA0"}
	resolve := func(p string) (string, error) {
		if r, ok := links[p]; ok {
			return r, nil
		}
		return "", errors.New("no such link")
	}
	for port, want := range map[string]string{
		"/dev/ttyUSB0": "char-ttyUSB",
		"/dev/ttyACM1": "char-ttyACM",
		"/dev/ttyAMA0": "char-ttyAMA",
		"/dev/ttyS0":   "char-ttyS",
		"/dev/serial/by-id/usb-FTDI_FT232R-if00-port0": "char-ttyUSB", // plugged in: the tty it points to
		"/dev/serial0":                 "char-ttyAMA",
		"/dev/serial/by-id/usb-absent": "char-ttyACM char-ttyUSB", // not plugged in: either USB class
		"/dev/serial1":                 "char-ttyAMA char-ttyS",
		"/dev/serial/by-path/x":        "char-ttyACM char-ttyUSB",
		"/dev/rfcomm0":                 "/dev/rfcomm0", // another driver: the node itself
	} {
		if got := strings.Join(config.SerialClasses(port, resolve), " "); got != want {
			t.Errorf("SerialClasses(%s) = %s, want %s", port, got, want)
		}
	}
}

// The drop-in allows exactly the device classes of the configured drivers
// and only the groups that exist.
func TestAccessDropIn(t *testing.T) {
	cfg := mustParse(t, `
gateway_id: gw-1
site: s-1
data_dir: /tmp/x
devices:
  card: {driver: mfrc522, port: /dev/spidev0.0}
  scale: {driver: mtsics, port: /dev/ttyACM0}
  button: {driver: sim}
outputs:
  buzzer: {driver: gpio, settings: {pin: GPIO18}}
  printer: {driver: none}
till:
  tokens: {till-1: "0123456789abcdef0123"}
  devices:
    - {id: till-2, driver: serial, port: /dev/ttyS1, protocol: line}
`)
	a, err := cfg.Access(noLinks)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"char-gpiochip", "char-spidev", "char-ttyACM", "char-ttyS"}; !reflect.DeepEqual(a.Allow, want) {
		t.Errorf("Allow = %v, want %v", a.Allow, want)
	}
	if want := []string{"dialout", "gpio", "spi"}; !reflect.DeepEqual(a.Groups, want) {
		t.Errorf("Groups = %v, want %v", a.Groups, want)
	}
	d := a.DropIn("/etc/eldergate/gateway.yaml", func(g string) bool { return g != "spi" })
	for _, line := range []string{"[Service]", "DevicePolicy=closed", "DeviceAllow=", "DeviceAllow=char-spidev rw", "DeviceAllow=char-ttyS rw", "SupplementaryGroups=", "SupplementaryGroups=dialout gpio"} {
		if !strings.Contains("\n"+d, "\n"+line+"\n") {
			t.Errorf("drop-in lacks %q:\n%s", line, d)
		}
	}
	if strings.Contains(d, "char-input") || strings.Contains(d, "char-ttyUSB") || strings.Contains(d, " spi\n") {
		t.Errorf("drop-in allows what is not configured:\n%s", d)
	}
	if !strings.Contains(d, "#   till.devices[0]: serial (serial on /dev/ttyS1): char-ttyS\n") {
		t.Errorf("drop-in does not say why:\n%s", d)
	}

	// Simulated devices only: no device and no group at all.
	sim := mustParse(t, "gateway_id: gw-1\nsite: s-1\ndata_dir: /tmp/x\n")
	a, err = sim.Access(noLinks)
	if err != nil {
		t.Fatal(err)
	}
	d = a.DropIn("f", func(string) bool { return true })
	if len(a.Allow) != 0 || strings.Contains(d, "DeviceAllow=char") || strings.Contains(d, "SupplementaryGroups=d") {
		t.Errorf("simulated gateway gets devices:\n%s", d)
	}
	// An evdev reader: the input class.
	ev := mustParse(t, "gateway_id: gw-1\nsite: s-1\ndata_dir: /tmp/x\ndevices:\n  card: {driver: evdev, port: /dev/input/by-id/usb-reader-event-kbd}\n")
	if a, err = ev.Access(noLinks); err != nil || !reflect.DeepEqual(a.Allow, []string{"char-input"}) || !reflect.DeepEqual(a.Groups, []string{"input"}) {
		t.Errorf("evdev: %v %v %v", a.Allow, a.Groups, err)
	}
}

// The configuration the package ships loads, keeps its state where the
// unit's StateDirectory is, and names its devices.
func TestPackagedGatewayConfig(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "deploy", "packaging", "etc", "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/eldergate/gateway" {
		t.Errorf("data_dir %q, want the unit's StateDirectory /var/lib/eldergate/gateway", cfg.DataDir)
	}
	a, err := cfg.Access(noLinks)
	if err != nil || !reflect.DeepEqual(a.Allow, []string{"char-ttyUSB"}) {
		t.Errorf("packaged config's access: %v, %v", a.Allow, err)
	}
}

// mustParse parses a configuration with a minimal valid policy appended.
func mustParse(t *testing.T, yaml string) config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml + `
policy:
  version: p1
  time_zone: Asia/Shanghai
  match: first_match
  windows: [{name: lunch, start: "10:30", end: "13:30", price: {fixed_fen: 1500}}]
  rules: [{id: r, windows: [lunch], age: {min: 60}, subsidy: {fixed_fen: 500}, funding: [{layer: city, scope: city, fen: 500, outside: site}]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
