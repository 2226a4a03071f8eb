package registry

import (
	"errors"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/printersim"
)

// outputEntries lists the buzzer, LED and relay drivers: one output pin
// each, playing output patterns.
func outputEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Output, Transport: "sim", Summary: "simulated buzzer, LED or relay (an in-memory pin; patterns are played and logged)",
			NewOutput: func(o drivers.Options, clock output.Clock) (*output.Player, error) {
				return output.NewPlayer(&gpiotest.Pin{N: "sim-" + o.Name}, output.Config{Name: o.Name, Clock: clock, Log: o.Log})
			}},
		{Name: "gpio", Family: Output, Transport: "gpio",
			Summary: "buzzer (active, with its own oscillator), LED or relay board on one GPIO pin, through a transistor or driver board",
			Params: []drivers.ParamDoc{
				{Key: "pin", Help: "the output pin, e.g. GPIO18; required"},
				{Key: "active_low", Default: "false", Help: "true: the device is on when the pin is low (many relay boards, PNP-driven buzzers)"},
			},
			NewOutput: func(o drivers.Options, clock output.Clock) (*output.Player, error) {
				name := o.Params.String("pin", "")
				if name == "" {
					return nil, errors.New("registry: gpio output: pin is missing (--set pin=GPIO18)")
				}
				activeLow, err := o.Params.Bool("active_low", false)
				if err != nil {
					return nil, err
				}
				p, err := Pin(name)
				if err != nil {
					return nil, fmt.Errorf("registry: gpio output %s: %w", o.Name, err)
				}
				return output.NewPlayer(p, output.Config{Name: o.Name, ActiveLow: activeLow, Clock: clock, OnStatus: o.OnStatus, Log: o.Log})
			}},
	}
}

// printerEntries lists the ticket printers.
func printerEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Printer, Transport: "sim", Summary: "simulated ticket printer (keeps the tickets in memory)",
			NewPrinter: func(o drivers.Options) (printer.Printer, error) {
				return printersim.New(o.Name, o.Now, o.OnStatus), nil
			}},
		{Name: "escpos", Family: Printer, Transport: "serial", DefaultBaud: 9600,
			Summary: "ESC/POS receipt printer on a serial port or USB serial adapter (GB18030 meal tickets, paper status by DLE EOT)",
			Params: []drivers.ParamDoc{
				{Key: "timeout", Default: "1s", Help: "how long to wait for a status reply before the printer counts as not connected"},
				{Key: "poll", Default: "30s", Help: "how often the paper status is asked while idle; 0: only when printing"},
				{Key: "no_status", Default: "false", Help: "true: print without asking the status (printers without a back channel); paper out is not seen"},
			},
			NewPrinter: func(o drivers.Options) (printer.Printer, error) {
				timeout, err := o.Params.Duration("timeout", 0)
				if err != nil {
					return nil, err
				}
				poll, err := o.Params.Duration("poll", 30*time.Second)
				if err != nil {
					return nil, err
				}
				if poll == 0 {
					poll = -1 // only when printing
				}
				noStatus, err := o.Params.Bool("no_status", false)
				if err != nil {
					return nil, err
				}
				return escpos.NewSerial(escpos.SerialConfig{Name: o.Name, Path: o.Port, Baud: o.Baud, Timeout: timeout, Poll: poll,
					NoStatus: noStatus, Now: o.Now, OnStatus: o.OnStatus, Log: o.Log})
			}},
	}
}

// OpenOutput builds a buzzer, LED or relay player with driver e; its
// patterns are timed by clock (output.SystemClock(o.Now) when nil).
func (e Entry) OpenOutput(o drivers.Options, clock output.Clock) (*output.Player, error) {
	if e.NewOutput == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not an output", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = output.SystemClock(o.Now)
	}
	return e.NewOutput(o, clock)
}

// OpenPrinter builds a ticket printer with driver e.
func (e Entry) OpenPrinter(o drivers.Options) (printer.Printer, error) {
	if e.NewPrinter == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not a printer", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	return e.NewPrinter(o)
}
