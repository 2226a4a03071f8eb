package registry

import (
	"strings"
	"testing"

	"github.com/eldergate/eldergate/drivers"
)

func TestScaleHWEntries(t *testing.T) {
	want := map[string]string{"mtsics": "serial", "toledo": "serial", "and": "serial", "indicator": "serial", "cas": "serial", "hx711": "gpio"}
	for name, transport := range want {
		e, err := Lookup(Scale, name)
		if err != nil {
			t.Fatal(err)
		}
		if e.Transport != transport || e.NewScale == nil || e.Summary == "" {
			t.Errorf("%s: %+v", name, e)
		}
		if transport == "serial" && e.DefaultBaud != 9600 {
			t.Errorf("%s: default baud %d", name, e.DefaultBaud)
		}
		for _, p := range e.Params {
			if p.Key == "" || p.Help == "" {
				t.Errorf("%s: undocumented param %+v", name, p)
			}
		}
	}
}

func TestScaleHWOpen(t *testing.T) {
	ok := []struct {
		name   string
		params drivers.Params
	}{
		{"mtsics", drivers.Params{"command": "S", "interval": "500ms", "timeout": "2s", "command_timeout": "5s", "max_missed": "2", "parity": "even", "data_bits": "7"}},
		{"toledo", drivers.Params{"checksum": "true", "parity": "e", "data_bits": "7"}},
		{"and", nil},
		{"indicator", drivers.Params{"default_unit": "kg"}},
		{"cas", drivers.Params{"device_id": "1"}},
	}
	for _, tt := range ok {
		e, _ := Lookup(Scale, tt.name)
		s, err := e.OpenScale(drivers.Options{Port: "/dev/ttyUSB9", Params: tt.params})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if st := s.Status(); st.Driver != tt.name || st.Connected {
			t.Errorf("%s: status before Run %+v", tt.name, st)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: Close: %v", tt.name, err)
		}
	}
	bad := []struct {
		name   string
		params drivers.Params
		msg    string
	}{
		{"mtsics", drivers.Params{"command": "SIR"}, "SIR"},
		{"mtsics", drivers.Params{"interval": "fast"}, "interval"},
		{"toledo", drivers.Params{"checksum": "maybe"}, "checksum"},
		{"and", drivers.Params{"parity": "mark"}, "parity"},
		{"and", drivers.Params{"data_bits": "9"}, "data_bits"},
		{"and", drivers.Params{"unknown": "1"}, "unknown"},
		{"indicator", drivers.Params{"default_unit": "lb"}, "unit"},
		{"cas", drivers.Params{"device_id": "x"}, "device_id"},
		{"cas", drivers.Params{"device_id": "200"}, "device_id"},
		{"hx711", drivers.Params{}, "scale"},
		{"hx711", drivers.Params{"scale": "abc"}, "scale"},
		{"hx711", drivers.Params{"scale": "420.5", "dout": "NOPE99"}, "NOPE99"},
	}
	for _, tt := range bad {
		e, _ := Lookup(Scale, tt.name)
		s, err := e.OpenScale(drivers.Options{Port: "/dev/ttyUSB9", Params: tt.params})
		if err == nil {
			s.Close()
			t.Errorf("%s %v: no error", tt.name, tt.params)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s %v: error %q does not mention %q", tt.name, tt.params, err, tt.msg)
		}
	}
	e, _ := Lookup(Scale, "and")
	if _, err := e.OpenScale(drivers.Options{}); err == nil {
		t.Error("serial scale without port opened")
	}
}
