package registry

import (
	"fmt"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/gpiobutton"
)

// buttonGPIOEntries lists the GPIO emergency buttons.
func buttonGPIOEntries() []Entry {
	return []Entry{
		{Name: "gpio", Family: Button, Transport: "gpio",
			Summary: "wired emergency buttons, one GPIO pin each, with lock-out debounce, long press and stuck-button detection",
			Params: []drivers.ParamDoc{
				{Key: "pins", Help: "buttons: pin names, each optionally id:pin, comma separated, e.g. hall:GPIO17,toilet:GPIO27; required"},
				{Key: "lockout", Default: "50ms", Help: "after an accepted edge, further edges of that button are ignored this long (the first edge counts at once)"},
				{Key: "long", Default: "3s", Help: "held this long: a long press (cancel) in addition to the press; 0 disables long presses"},
				{Key: "stuck", Default: "60s", Help: "held this long, or pressed at start: reported stuck in the status, no presses until released; 0 disables"},
				{Key: "active_low", Default: "true", Help: "true: a press pulls the pin low (pull-up enabled); false: a press drives it high (pull-down enabled)"},
			},
			NewButton: func(o drivers.Options) (button.Source, error) {
				specs, err := gpiobutton.ParsePins(o.Params.String("pins", ""))
				if err != nil {
					return nil, err
				}
				lockout, err := o.Params.Duration("lockout", gpiobutton.DefaultLockout)
				if err != nil {
					return nil, err
				}
				if lockout <= 0 {
					return nil, fmt.Errorf("registry: gpio: lockout must be more than 0")
				}
				long, err := o.Params.Duration("long", gpiobutton.DefaultLong)
				if err != nil {
					return nil, err
				}
				if long == 0 {
					long = -1 // disabled
				}
				stuck, err := o.Params.Duration("stuck", gpiobutton.DefaultStuck)
				if err != nil {
					return nil, err
				}
				if stuck == 0 {
					stuck = -1 // disabled
				}
				activeLow, err := o.Params.Bool("active_low", true)
				if err != nil {
					return nil, err
				}
				var btns []gpiobutton.Button
				for _, s := range specs {
					p, err := Pin(s.Pin)
					if err != nil {
						return nil, fmt.Errorf("registry: gpio button %s: %w", s.ID, err)
					}
					btns = append(btns, gpiobutton.Button{ID: s.ID, Pin: p})
				}
				return gpiobutton.New(btns, gpiobutton.Config{
					Name: o.Name, Lockout: lockout, Long: long, Stuck: stuck, ActiveHigh: !activeLow,
					Clock: gpiobutton.SystemClock(o.Now), OnStatus: o.OnStatus, Log: o.Log,
				})
			}},
	}
}
