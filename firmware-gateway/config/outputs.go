package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/registry"
)

// OutputsConfig is the outputs section: the buzzer, the LED and the
// siren relay (drivers of the registry's output family), the ticket
// printer (printer family), whether this site prints meal tickets, and
// the beep and light pattern of each tap result.
//
//	outputs:
//	  buzzer:  {driver: gpio, settings: {pin: GPIO18}}
//	  led:     {driver: gpio, settings: {pin: GPIO23}}
//	  siren:   {driver: gpio, settings: {pin: GPIO24, active_low: "true"}}
//	  printer: {driver: escpos, port: /dev/ttyUSB1, baud: 9600}
//	  tickets: true
//	  ticket:  {site_name: 幸福社区长者饭堂, footer: 谢谢惠顾 祝您健康, width: 32}
//	  patterns:
//	    refused: {buzzer: error, led: "100ms,100ms,100ms,100ms,100ms"}
//
// Every device defaults to the sim driver; "none" means there is none.
type OutputsConfig struct {
	Buzzer DeviceConfig `yaml:"buzzer"`
	LED    DeviceConfig `yaml:"led"`
	// Siren is a relay switching a siren or a strobe: on while an
	// emergency alert of the site is open, off once staff acknowledge it.
	Siren   DeviceConfig `yaml:"siren"`
	Printer DeviceConfig `yaml:"printer"`
	// Tickets: print a meal ticket for every meal recorded (approved,
	// full pay, manual). Default false.
	Tickets bool         `yaml:"tickets"`
	Ticket  TicketConfig `yaml:"ticket"`
	// Patterns by tap result (ResultApproved, ResultFullPay,
	// ResultRefused, ResultManual); a result or device left out gets
	// DefaultPatterns'.
	Patterns map[string]ResultPatterns `yaml:"patterns,omitempty"`
}

// TicketConfig lays out the meal ticket.
type TicketConfig struct {
	SiteName string `yaml:"site_name,omitempty"` // printed at the top; default the site id
	Footer   string `yaml:"footer,omitempty"`    // e.g. 谢谢惠顾 祝您健康
	Width    int    `yaml:"width,omitempty"`     // columns: 32 for 58 mm paper (default), 48 for 80 mm
}

// ResultPatterns is what the buzzer and the LED play for one tap result:
// a pattern spec (see ParsePattern).
type ResultPatterns struct {
	Buzzer string `yaml:"buzzer,omitempty"`
	LED    string `yaml:"led,omitempty"`
}

// Tap results that play patterns.
const (
	ResultApproved = "approved" // subsidised meal
	ResultFullPay  = "full_pay" // meal recorded, the elder pays the full price
	ResultRefused  = "refused"  // no meal
	ResultManual   = "manual"   // a meal staff entered by hand
)

// Results lists the tap results in order.
var Results = []string{ResultApproved, ResultFullPay, ResultRefused, ResultManual}

// PatternOff is the pattern spec of silence: the device plays nothing.
const PatternOff = "off"

// DefaultPatterns are the patterns of results the configuration leaves
// out: one beep for a subsidised meal, two for full pay, three short ones
// for a refusal; the LED lights 1 s, or flashes three times for a refusal.
func DefaultPatterns() map[string]ResultPatterns {
	return map[string]ResultPatterns{
		ResultApproved: {Buzzer: "ok", LED: "1s"},
		ResultFullPay:  {Buzzer: "100ms,100ms,100ms", LED: "1s"},
		ResultRefused:  {Buzzer: "error", LED: "150ms,150ms,150ms,150ms,150ms"},
		ResultManual:   {Buzzer: "ok", LED: "1s"},
	}
}

// Limits of the outputs section.
const (
	MaxPatternSteps = 32
	MaxPatternStep  = 10 * time.Second
	maxSpecBytes    = 512
)

// ParsePattern turns a tap result's pattern spec into a pattern that
// ends by itself: PatternOff (ok false: nothing played), one of
// output.Named's patterns that end (ok, error), or durations separated by
// commas, alternately on and off, starting on ("100ms,100ms,100ms": two
// beeps). Repeating patterns (alarm, blink, heartbeat, on) are refused:
// a tap result must not sound for ever.
func ParsePattern(spec string) (p output.Pattern, ok bool, err error) {
	spec = strings.TrimSpace(spec)
	if spec == PatternOff {
		return output.Pattern{}, false, nil
	}
	if len(spec) > maxSpecBytes {
		return p, false, fmt.Errorf("pattern longer than %d bytes", maxSpecBytes)
	}
	if spec != "" && (spec[0] < '0' || spec[0] > '9') {
		p, err = output.Named(spec)
		if err != nil {
			return p, false, err
		}
		if p.Repeat || p.Steps[len(p.Steps)-1].For == 0 {
			return p, false, fmt.Errorf("pattern %q does not end by itself; a tap result needs one that does (ok, error, or durations such as 100ms,100ms,100ms)", spec)
		}
		return p, true, nil
	}
	parts := strings.Split(spec, ",")
	if len(parts) > MaxPatternSteps {
		return p, false, fmt.Errorf("pattern %q: more than %d steps", spec, MaxPatternSteps)
	}
	p.Name = spec
	for i, s := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return p, false, fmt.Errorf("pattern %q: step %d: %w", spec, i+1, err)
		}
		if d <= 0 || d > MaxPatternStep {
			return p, false, fmt.Errorf("pattern %q: step %d lasts %v, must be more than 0 and at most %v", spec, i+1, d, MaxPatternStep)
		}
		p.Steps = append(p.Steps, output.Step{On: i%2 == 0, For: d})
	}
	if err := p.Validate(); err != nil {
		return p, false, err
	}
	return p, true, nil
}

func (o *OutputsConfig) applyDefaults() {
	for _, d := range []struct {
		cfg  *DeviceConfig
		name string
	}{{&o.Buzzer, "buzzer"}, {&o.LED, "led"}, {&o.Siren, "siren"}, {&o.Printer, "printer"}} {
		if d.cfg.Driver == "" {
			d.cfg.Driver = DriverSim
		}
		if d.cfg.Name == "" {
			d.cfg.Name = d.name
		}
	}
	if o.Ticket.Width == 0 {
		o.Ticket.Width = 32
	}
	def := DefaultPatterns()
	if o.Patterns == nil {
		o.Patterns = map[string]ResultPatterns{}
	}
	for _, r := range Results {
		p := o.Patterns[r]
		if p.Buzzer == "" {
			p.Buzzer = def[r].Buzzer
		}
		if p.LED == "" {
			p.LED = def[r].LED
		}
		o.Patterns[r] = p
	}
}

// validate reports the first problem of the section, naming the key.
func (o *OutputsConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: outputs."+format, args...)
	}
	for _, d := range []struct {
		key    string
		family registry.Family
		cfg    DeviceConfig
	}{{"buzzer", registry.Output, o.Buzzer}, {"led", registry.Output, o.LED}, {"siren", registry.Output, o.Siren}, {"printer", registry.Printer, o.Printer}} {
		if len(d.cfg.Name) > maxAlarmText || !cleanText(d.cfg.Name) {
			return bad("%s.name: longer than %d bytes or not plain text", d.key, maxAlarmText)
		}
		if d.cfg.Driver == DriverNone {
			continue
		}
		e, err := registry.Lookup(d.family, d.cfg.Driver)
		if err != nil {
			return bad("%s.driver: unknown %s driver %q (known: %s, %s)", d.key, d.family, d.cfg.Driver, strings.Join(registry.Names(d.family), ", "), DriverNone)
		}
		if err := drivers.Params(d.cfg.Settings).Check(e.Params); err != nil {
			return bad("%s.settings: %w", d.key, err)
		}
		if e.Transport == "gpio" && strings.TrimSpace(d.cfg.Settings["pin"]) == "" {
			return bad("%s.settings.pin: driver %s needs the output pin, e.g. GPIO18", d.key, e.Name)
		}
		if e.Transport == "serial" && d.cfg.Port == "" {
			return bad("%s.port: driver %s needs a serial port such as /dev/ttyUSB0", d.key, e.Name)
		}
		if d.cfg.Baud < 0 {
			return bad("%s.baud %d: must not be negative", d.key, d.cfg.Baud)
		}
	}
	if o.Tickets && o.Printer.Driver == DriverNone {
		return bad("tickets: tickets are printed but printer.driver is none; choose a printer or set tickets: false")
	}
	t := o.Ticket
	switch {
	case len(t.SiteName) > maxAlarmText || !cleanText(t.SiteName):
		return bad("ticket.site_name: longer than %d bytes or not plain text", maxAlarmText)
	case len(t.Footer) > maxAlarmText || !cleanText(t.Footer):
		return bad("ticket.footer: longer than %d bytes or not plain text", maxAlarmText)
	case t.Width < 16 || t.Width > 64:
		return bad("ticket.width %d: must be between 16 and 64 columns (32 for 58 mm paper, 48 for 80 mm)", t.Width)
	}
	keys := make([]string, 0, len(o.Patterns))
	for k := range o.Patterns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, r := range Results {
			known = known || k == r
		}
		if !known {
			return bad("patterns: unknown result %q (known: %s)", k, strings.Join(Results, ", "))
		}
		p := o.Patterns[k]
		if _, _, err := ParsePattern(p.Buzzer); err != nil {
			return bad("patterns.%s.buzzer: %w", k, err)
		}
		if _, _, err := ParsePattern(p.LED); err != nil {
			return bad("patterns.%s.led: %w", k, err)
		}
	}
	return nil
}

// ParseOutputs reads an outputs section on its own (YAML, unknown keys
// are errors), applies its defaults and validates it.
func ParseOutputs(data []byte) (OutputsConfig, error) {
	return parseSection[OutputsConfig]("outputs", data)
}
