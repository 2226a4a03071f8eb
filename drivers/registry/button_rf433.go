package registry

import (
	"fmt"
	"time"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/rf433"
)

// buttonRF433Entries lists the 433 MHz serial receivers.
func buttonRF433Entries() []Entry {
	return []Entry{
		{Name: "rf433", Family: Button, Transport: "serial", DefaultBaud: 9600,
			Summary: "433/315 MHz receiver board (EV1527/PT2262 pendants and remotes) on a serial line: FD..DF frames or RX:/LC: text lines",
			Params: []drivers.ParamDoc{
				{Key: "format", Default: "fd", Help: "framing: fd (FD c1 c2 c3 DF), fd6 (FD c1 c2 c3 x DF) or ascii (RX:A1B2C3 / LC:A1B2C3 lines)"},
				{Key: "codes", Help: "code table CODE=button, comma separated, e.g. A1B2C3=hall-1,A1B2C8=toilet-2"},
				{Key: "reports", Help: "supervision report codes CODE=button (a pendant's periodic check-in: never a press), e.g. A1B2C9=hall-1"},
				{Key: "battery", Help: "low-battery codes CODE=button (the key a pendant sends when its battery is low), e.g. A1B2CA=hall-1"},
				{Key: "lockout", Default: "500ms", Help: "repeats of a code closer than this are one press; a tap is reported this long after its last repeat"},
				{Key: "long", Default: "3s", Help: "a code repeated (key held) this long is a long press (cancel); 0 disables long presses"},
				{Key: "learn", Default: "false", Help: "deliver codes not in the table as button rf:<code>, to enrol pendants with probe"},
			},
			NewButton: func(o drivers.Options) (button.Source, error) {
				format, err := rf433.ParseFormat(o.Params.String("format", "fd"))
				if err != nil {
					return nil, err
				}
				codes, err := rf433.ParseCodes(o.Params.String("codes", ""))
				if err != nil {
					return nil, err
				}
				reports, err := rf433.ParseCodes(o.Params.String("reports", ""))
				if err != nil {
					return nil, fmt.Errorf("registry: rf433: reports: %w", err)
				}
				battery, err := rf433.ParseCodes(o.Params.String("battery", ""))
				if err != nil {
					return nil, fmt.Errorf("registry: rf433: battery: %w", err)
				}
				lockout, err := o.Params.Duration("lockout", 500*time.Millisecond)
				if err != nil {
					return nil, err
				}
				if lockout <= 0 {
					return nil, fmt.Errorf("registry: rf433: lockout must be more than 0")
				}
				long, err := o.Params.Duration("long", 3*time.Second)
				if err != nil {
					return nil, err
				}
				if long == 0 {
					long = -1 // disabled
				}
				learn, err := o.Params.Bool("learn", false)
				if err != nil {
					return nil, err
				}
				if len(codes) == 0 && !learn {
					o.Log.Warn("registry: rf433 has an empty code table and learn is off: no press will be delivered", "device", o.Name)
				}
				return rf433.New(rf433.Config{
					Name: o.Name, Path: o.Port, Baud: o.Baud,
					Format: format, Codes: codes, Reports: reports, Battery: battery, Learn: learn, Lockout: lockout, Long: long,
					Now: o.Now, OnStatus: o.OnStatus, Log: o.Log,
				})
			}},
	}
}
