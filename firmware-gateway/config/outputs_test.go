package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func TestParseOutputs(t *testing.T) {
	o, err := config.ParseOutputs([]byte(`
buzzer:  {driver: gpio, settings: {pin: GPIO18}}
led:     {driver: none}
siren:   {driver: gpio, settings: {pin: GPIO24, active_low: "true"}}
printer: {driver: escpos, port: /dev/ttyUSB1}
tickets: true
ticket:  {site_name: 幸福社区长者饭堂, width: 48}
patterns:
  refused: {buzzer: "200ms,100ms,200ms"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Buzzer.Name != "buzzer" || o.Siren.Settings["pin"] != "GPIO24" || o.Printer.Port != "/dev/ttyUSB1" || !o.Tickets || o.Ticket.Width != 48 {
		t.Fatalf("outputs = %+v", o)
	}
	if p := o.Patterns[config.ResultRefused]; p.Buzzer != "200ms,100ms,200ms" || p.LED != config.DefaultPatterns()[config.ResultRefused].LED {
		t.Fatalf("refused = %+v", p)
	}
	if p := o.Patterns[config.ResultApproved]; p.Buzzer != "ok" {
		t.Fatalf("approved = %+v", p)
	}
	d, err := config.ParseOutputs(nil)
	if err != nil || d.Buzzer.Driver != "sim" || d.Printer.Driver != "sim" || d.Tickets || d.Ticket.Width != 32 {
		t.Fatalf("defaults = %+v, %v", d, err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"buzzer: {driver: pwm}", `outputs.buzzer.driver: unknown output driver "pwm" (known: gpio, sim, none)`},
		{"printer: {driver: gpio}", `outputs.printer.driver: unknown printer driver "gpio"`},
		{"led: {driver: gpio}", "outputs.led.settings.pin: driver gpio needs the output pin"},
		{"siren: {driver: gpio, settings: {pin: GPIO4, colour: red}}", "outputs.siren.settings"},
		{"printer: {driver: escpos}", "outputs.printer.port: driver escpos needs a serial port"},
		{"printer: {driver: none}\ntickets: true", "outputs.tickets: tickets are printed but printer.driver is none"},
		{"ticket: {width: 100}", "outputs.ticket.width 100"},
		{"patterns: {approve: {buzzer: ok}}", `outputs.patterns: unknown result "approve"`},
		{"patterns: {refused: {buzzer: alarm}}", `outputs.patterns.refused.buzzer: pattern "alarm" does not end by itself`},
		{"patterns: {manual: {led: \"100ms,-1s\"}}", "outputs.patterns.manual.led: pattern \"100ms,-1s\": step 2 lasts -1s"},
		{"patterns: {manual: {led: \"100ms,x\"}}", "outputs.patterns.manual.led: pattern \"100ms,x\": step 2"},
		{"beeper: {driver: sim}", "field beeper not found"},
	} {
		_, err := config.ParseOutputs([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestParsePattern(t *testing.T) {
	p, ok, err := config.ParsePattern("100ms,50ms,100ms")
	want := []output.Step{{On: true, For: 100 * time.Millisecond}, {On: false, For: 50 * time.Millisecond}, {On: true, For: 100 * time.Millisecond}}
	if err != nil || !ok || len(p.Steps) != 3 || p.Steps[0] != want[0] || p.Steps[1] != want[1] || p.Steps[2] != want[2] || p.Repeat {
		t.Fatalf("pattern = %+v %v %v", p, ok, err)
	}
	if _, ok, err := config.ParsePattern("off"); ok || err != nil {
		t.Fatalf("off = %v %v", ok, err)
	}
	if p, ok, err := config.ParsePattern("error"); !ok || err != nil || len(p.Steps) != 5 {
		t.Fatalf("error = %+v %v %v", p, ok, err)
	}
}

func FuzzParseOutputs(f *testing.F) {
	for _, s := range []string{
		"", "tickets: true",
		"buzzer: {driver: gpio, settings: {pin: GPIO18}}\npatterns: {refused: {buzzer: error, led: \"100ms,100ms\"}}",
		"printer: {driver: escpos, port: /dev/ttyUSB0, baud: 9600}\nticket: {site_name: 长者饭堂, width: 48}",
		"patterns: {manual: {led: \"1s,1s,1s\"}}", "siren: {driver: none}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := config.ParseOutputs(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gateway: config: outputs") {
				t.Fatalf("error without the section prefix: %v", err)
			}
			return
		}
		// A valid section plays only patterns that end, within the limits.
		for _, r := range config.Results {
			for _, spec := range []string{o.Patterns[r].Buzzer, o.Patterns[r].LED} {
				p, ok, err := config.ParsePattern(spec)
				if err != nil {
					t.Fatalf("valid section, bad pattern %q: %v", spec, err)
				}
				if ok && (p.Repeat || len(p.Steps) == 0 || len(p.Steps) > config.MaxPatternSteps) {
					t.Fatalf("pattern %q = %+v", spec, p)
				}
			}
		}
		if o.Ticket.Width < 16 || o.Ticket.Width > 64 {
			t.Fatalf("width %d", o.Ticket.Width)
		}
	})
}
