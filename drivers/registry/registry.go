// Package registry names every device driver so that the gateway's
// configuration and `eldergate-gateway probe` can select one by name. Each
// family file (card.go, scale.go, button.go, output.go, till.go) lists its
// drivers.
package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/output"
	"github.com/eldergate/eldergate/drivers/printer"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/till"
)

// Family is a device family.
type Family string

// The families a gateway composes.
const (
	Card   Family = "card"
	Scale  Family = "scale"
	Button Family = "button"
	// Output: a buzzer, an LED or a relay (siren, strobe) on one pin.
	Output Family = "output"
	// Printer: a ticket printer.
	Printer Family = "printer"
	// Till: a till (POS) sending the amount of a sale over a device line.
	Till Family = "till"
)

// Entry describes one driver.
type Entry struct {
	Name        string             `json:"name"`
	Family      Family             `json:"family"`
	Transport   string             `json:"transport"` // serial, gpio, spi, evdev, sim
	Summary     string             `json:"summary"`
	DefaultBaud int                `json:"default_baud,omitempty"`
	Params      []drivers.ParamDoc `json:"params,omitempty"`

	NewCard    func(drivers.Options) (card.Reader, error)                  `json:"-"`
	NewScale   func(drivers.Options) (scale.Scale, error)                  `json:"-"`
	NewButton  func(drivers.Options) (button.Source, error)                `json:"-"`
	NewOutput  func(drivers.Options, output.Clock) (*output.Player, error) `json:"-"`
	NewPrinter func(drivers.Options) (printer.Printer, error)              `json:"-"`
	NewTill    func(drivers.Options) (till.Till, error)                    `json:"-"`
}

// All returns every driver, ordered by family and name.
func All() []Entry {
	var all []Entry
	for _, list := range [][]Entry{
		cardEntries(), cardSerialEntries(), cardGPIOEntries(),
		scaleEntries(), scaleHWEntries(),
		buttonEntries(), buttonGPIOEntries(), buttonRF433Entries(),
		outputEntries(), printerEntries(), tillEntries(),
	} {
		all = append(all, list...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Family != all[j].Family {
			return all[i].Family < all[j].Family
		}
		return all[i].Name < all[j].Name
	})
	return all
}

// Names lists the driver names of family f.
func Names(f Family) []string {
	var n []string
	for _, e := range All() {
		if e.Family == f {
			n = append(n, e.Name)
		}
	}
	return n
}

// Lookup finds driver name in family f.
func Lookup(f Family, name string) (Entry, error) {
	for _, e := range All() {
		if e.Family == f && e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("registry: unknown %s driver %q (known: %s)", f, name, strings.Join(Names(f), ", "))
}

// Find finds driver name in any family; "sim" is ambiguous and needs
// family/name, e.g. "card/sim".
func Find(name string) (Entry, error) {
	if f, n, ok := strings.Cut(name, "/"); ok {
		return Lookup(Family(f), n)
	}
	var found []Entry
	for _, e := range All() {
		if e.Name == name {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		var names []string
		for _, e := range All() {
			names = append(names, e.Name)
		}
		return Entry{}, fmt.Errorf("registry: unknown driver %q (known: %s)", name, strings.Join(dedupe(names), ", "))
	}
	return Entry{}, fmt.Errorf("registry: driver name %q is used by several families; say %s/%s", name, found[0].Family, name)
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (e Entry) prepare(o *drivers.Options) error {
	if o.Params == nil {
		o.Params = drivers.Params{}
	}
	if err := o.Params.Check(e.Params); err != nil {
		return fmt.Errorf("registry: %s: %w", e.Name, err)
	}
	if o.Name == "" {
		o.Name = string(e.Family)
	}
	if o.Baud == 0 {
		o.Baud = e.DefaultBaud
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if e.Transport == "serial" && o.Port == "" {
		return fmt.Errorf("registry: %s needs a serial port (--port /dev/ttyUSB0)", e.Name)
	}
	return nil
}

// OpenCard builds a card reader with driver e.
func (e Entry) OpenCard(o drivers.Options) (card.Reader, error) {
	if e.NewCard == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not a card reader", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	return e.NewCard(o)
}

// OpenScale builds a scale with driver e.
func (e Entry) OpenScale(o drivers.Options) (scale.Scale, error) {
	if e.NewScale == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not a scale", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	return e.NewScale(o)
}

// OpenButton builds a button source with driver e.
func (e Entry) OpenButton(o drivers.Options) (button.Source, error) {
	if e.NewButton == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not a button source", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	return e.NewButton(o)
}

var hostOnce = sync.OnceValue(func() error {
	_, err := host.Init()
	return err
})

// Pin returns the GPIO pin called name (e.g. "GPIO17") on this board,
// initialising periph's host drivers on first use.
func Pin(name string) (gpio.PinIO, error) {
	if name == "" {
		return nil, errors.New("registry: no GPIO pin given")
	}
	if err := hostOnce(); err != nil {
		return nil, fmt.Errorf("registry: periph host init: %w", err)
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("registry: no GPIO pin %q on this board", name)
	}
	return p, nil
}
