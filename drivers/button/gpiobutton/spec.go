package gpiobutton

import (
	"fmt"
	"strings"
)

// PinSpec names one button of a configuration: its id and its pin name.
type PinSpec struct {
	ID  string // defaults to Pin
	Pin string // e.g. "GPIO17"
}

// ParsePins parses a button list as written in a configuration: pin
// names separated by commas, each optionally prefixed by an id and a
// colon, e.g. "GPIO17,GPIO27" or "hall:GPIO17,toilet:GPIO27". Ids and
// pins must be unique.
func ParsePins(spec string) ([]PinSpec, error) {
	var out []PinSpec
	ids, pins := map[string]bool{}, map[string]bool{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p := PinSpec{Pin: item}
		if id, pin, ok := strings.Cut(item, ":"); ok {
			p = PinSpec{ID: strings.TrimSpace(id), Pin: strings.TrimSpace(pin)}
			if p.ID == "" || p.Pin == "" {
				return nil, fmt.Errorf("gpiobutton: button %q is not id:pin", item)
			}
		}
		if p.ID == "" {
			p.ID = p.Pin
		}
		if ids[p.ID] {
			return nil, fmt.Errorf("gpiobutton: button id %q used twice", p.ID)
		}
		if pins[p.Pin] {
			return nil, fmt.Errorf("gpiobutton: pin %q used twice", p.Pin)
		}
		ids[p.ID], pins[p.Pin] = true, true
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("gpiobutton: no button pins in %q (e.g. hall:GPIO17,toilet:GPIO27)", spec)
	}
	return out, nil
}
