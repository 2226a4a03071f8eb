package registry

import (
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/buttonsim"
)

func buttonEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Button, Transport: "sim", Summary: "simulated emergency button (kiosk simulation panel)",
			NewButton: func(o drivers.Options) (button.Source, error) {
				return buttonsim.New(buttonsim.WithName(o.Name), buttonsim.WithClock(o.Now)), nil
			}},
	}
}
